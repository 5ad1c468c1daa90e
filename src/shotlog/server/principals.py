"""Who is calling, and what they see: where every request becomes a principal and its view.

How each surface names its caller:

* REST, webhooks, the event stream and the daemon API: ``Authorization: Bearer <access token>``
  (``bearer``);
* Action Menu Items, export and the archive: a bearer access token or api3 session token, or the
  web UI's session cookie, whose POSTs carry the session's CSRF token (``bearer_or_session``);
* api3: the call's ``auth``: a session token, a script's name and key, or a login and password
  (``api3_caller``), then ``sudo_as_login`` and ``session_uuid`` (``api3_view``);
* the web UI's pages: the session cookie (``web.sessions.current_user``, asked by ``web.pages``).

A principal's view of the store (``Shotlog.as_user``, which resolves the user) is made once and
shared by every request and surface (``view``): every credential is checked against the database
on every request, the view only saves re-reading who the user is.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from shotlog.access.authority import may_sudo
from shotlog.accounts.access_tokens import is_token
from shotlog.accounts.credentials import Credentials, Principal
from shotlog.accounts.signins import PASSWORD, PERSONAL_ACCESS_TOKEN
from shotlog.connection import Shotlog
from shotlog.errors import shown
from shotlog.server.api3.wire import AUTH_FAILED, ProtocolError
from shotlog.server.responses import UNAUTHORIZED, HttpError
from shotlog.web.sessions import check_csrf, current_user

__all__ = ["MAX_VIEWS", "PasswordChecked", "Principals", "bearer_token"]

#: views kept before the cache starts again (each a few objects; a bound against a flood of users)
MAX_VIEWS = 10_000


@dataclass(frozen=True, slots=True)
class PasswordChecked:
    """The outcome of a password check made on the event loop before the call went to a worker."""

    principal: Principal | None
    #: the client's address, which the sign-in throttle counts failures of
    address: str = ""


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None without one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Principals:
    """Requests → principals → views of one store. Checks read the database: call them in a thread."""

    def __init__(self, store: Shotlog, credentials: Credentials) -> None:
        self.store = store
        self.credentials = credentials
        self._views: dict[tuple[Any, ...], Shotlog] = {}
        self._lock = threading.Lock()

    # -- HTTP requests ------------------------------------------------------------------------------

    def bearer(self, request: Request, *, code: int | None = None) -> Principal:
        """The holder of the request's access token; a 401 (with FPTR's ``code``) without one."""
        token = bearer_token(request)
        if token is None:
            raise HttpError(
                401, "Authorization: Bearer <access token> is required", code=code, headers=UNAUTHORIZED
            )
        principal = self.credentials.token(token, "access")
        if principal is None:
            raise HttpError(
                401, "The access token is invalid or has expired", code=code, headers=UNAUTHORIZED
            )
        return principal

    def bearer_or_session(self, request: Request, submitted_csrf: object) -> Principal:
        """A bearer access or api3 session token, else the web UI's signed-in user; a POST by
        cookie must carry the session's CSRF token (``submitted_csrf``)."""
        token = bearer_token(request)
        if token is not None:
            principal = self.credentials.token(token, "access") or self.credentials.token(token, "session")
            if principal is None:
                raise HttpError(401, "The bearer token is invalid or has expired")
            return principal
        user = current_user(request, self.credentials)
        if user is None:
            raise HttpError(401, "Sign in to the web UI, or send Authorization: Bearer <access token>")
        if request.method == "POST" and not check_csrf(request, submitted_csrf):
            raise HttpError(
                403, "The CSRF token is missing or wrong; reload the page", source={"parameter": "csrf_token"}
            )
        return user

    # -- api3 calls ---------------------------------------------------------------------------------

    def api3_caller(
        self, auth: Mapping[str, Any] | None, checked: PasswordChecked | None = None
    ) -> Principal:
        """Who makes an api3 call, by its ``auth`` (in the client's order: session token, script,
        login); ``checked`` is a password check already made on the event loop."""
        principal: Principal | None = None
        if not auth:
            raise ProtocolError("Authentication failed: no credentials were given", AUTH_FAILED)
        if "session_token" in auth:
            principal = self.credentials.token(auth.get("session_token"))
            if principal is None:
                raise ProtocolError(
                    "Authentication failed: the session token is invalid or has expired", AUTH_FAILED
                )
        elif "script_name" in auth:
            principal = self.credentials.script(auth.get("script_name"), auth.get("script_key"))
            if principal is None:
                raise ProtocolError(
                    f"Authentication failed: wrong script name or key for {auth.get('script_name')!r}",
                    AUTH_FAILED,
                )
        elif "user_login" in auth:
            if checked is not None:
                principal = checked.principal
            else:
                principal = self.credentials.user(
                    auth.get("user_login"), auth.get("user_password"), tokens=True
                )
            if principal is None:
                tried = auth.get("user_login")
                if isinstance(tried, str) and tried:
                    address = checked.address if checked is not None else ""
                    given = PERSONAL_ACCESS_TOKEN if is_token(auth.get("user_password")) else PASSWORD
                    self.credentials.signins.failed(tried[:255], "api3", address, given)
                raise ProtocolError(
                    f"Authentication failed: wrong login or password for {shown(tried, 300)}", AUTH_FAILED
                )
        else:
            raise ProtocolError(
                "Authentication failed: give script_name/script_key, "
                "user_login/user_password or session_token",
                AUTH_FAILED,
            )
        return principal

    def api3_view(self, principal: Principal, auth: Mapping[str, Any]) -> Shotlog:
        """The view an api3 call acts through: ``sudo_as_login``'s user, stamped with ``session_uuid``."""
        sudo = auth.get("sudo_as_login")
        target: Principal | None = None
        if sudo is not None and sudo != "":
            # Checked on every request, not only when the view is first made: a script whose rights
            # were taken away, or a target that was disabled since, must stop working at once.
            if not isinstance(sudo, str):
                raise ProtocolError(f"sudo_as_login must be a HumanUser login (a string), got {sudo!r}")
            # the script's rules as the database holds them now (an edited set applies at once)
            if not may_sudo(self.view(principal).authority()):
                raise ProtocolError(
                    f"The user does not have permission to 'sudo': {principal.type} {principal.name!r} "
                    f"may not act as {sudo!r}"
                )
            target = self.credentials.human(sudo)
            if target is None:
                raise ProtocolError(f"sudo_as_login: there is no active HumanUser with login {sudo!r}")
        view = self.view(principal, None if target is None else (target.id, str(sudo)))
        session_uuid = auth.get("session_uuid")
        if session_uuid is not None:
            if not isinstance(session_uuid, str) or len(session_uuid) > 64:
                raise ProtocolError(
                    f"session_uuid must be a string of at most 64 characters, got {session_uuid!r}"
                )
            view = view.with_session_uuid(session_uuid)
        return view

    # -- views --------------------------------------------------------------------------------------

    def view(self, principal: Principal, sudo: tuple[int, str] | None = None) -> Shotlog:
        """``principal``'s view of the store, made once; ``sudo`` (a HumanUser's id and login, already
        allowed) is the view of ``principal`` acting as that user."""
        key: tuple[Any, ...] = (principal.type, principal.id, None if sudo is None else sudo[0])
        with self._lock:
            view = self._views.get(key)
        if view is None:
            view = self.store.as_user({"type": principal.type, "id": principal.id})
            if sudo is not None:
                view = view.sudo(sudo[1])
            with self._lock:
                if len(self._views) > MAX_VIEWS:
                    self._views.clear()
                self._views[key] = view
        return view
