"""``POST /api3/json``: authenticate, dispatch, answer in the api3 envelope.

Whatever happens, the reply is HTTP 200 with either results or the error envelope: a traceback never
reaches the client (it goes to the server log), and no 5xx status ever makes shotgun_api3 retry a
create.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.connection import Shotlog
from shotlog.credentials import Credentials, Principal
from shotlog.errors import ShotlogError
from shotlog.server.api3.methods import INFO, Context, crud_message, dispatch
from shotlog.server.api3.wire import AUTH_FAILED, ProtocolError, decode, error_body, result_body

__all__ = ["Api3Endpoint"]

log = logging.getLogger("shotlog.api3")

SUDO_ALLOWED = ("API Admin", "Admin")
MAX_BODY = 64 * 1024 * 1024


class Api3Endpoint:
    def __init__(self, store: Shotlog, credentials: Credentials) -> None:
        self.store = store
        self.credentials = credentials
        self._views: dict[tuple[Any, ...], Shotlog] = {}
        self._lock = threading.Lock()

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return _reply(error_body(f"Request body larger than {MAX_BODY} bytes"))
        try:
            call = decode(body)
        except ProtocolError as exc:
            return _reply(error_body(exc.message, exc.code))
        except Exception:
            log.exception("api3: could not decode a request")
            return _reply(error_body("The request could not be decoded; the server log has the details"))
        if call.method == "info":
            return _reply(result_body(INFO))
        return _reply(await run_in_threadpool(self.handle, call.method, call.auth, call.args))

    def handle(self, method: str, auth: dict[str, Any] | None, args: Any) -> bytes:
        try:
            principal = self.authenticate(auth)
            view = self._view(principal, auth or {})
            ctx = Context(view, principal, self.credentials)
            return result_body(dispatch(ctx, method, args))
        except ProtocolError as exc:
            return error_body(exc.message, exc.code)
        except ShotlogError as exc:
            return error_body(crud_message(method, exc), exc.error_code)
        except RecursionError:
            return error_body(f"API {method}() arguments are nested too deeply")
        except Exception:
            log.exception("api3 %s() failed", method)
            return error_body(f"API {method}() failed with an internal error; the server log has the details")

    def authenticate(self, auth: Mapping[str, Any] | None) -> Principal:
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
            principal = self.credentials.user(auth.get("user_login"), auth.get("user_password"))
            if principal is None:
                raise ProtocolError(
                    f"Authentication failed: wrong login or password for {auth.get('user_login')!r}",
                    AUTH_FAILED,
                )
        else:
            raise ProtocolError(
                "Authentication failed: give script_name/script_key, "
                "user_login/user_password or session_token",
                AUTH_FAILED,
            )
        return principal

    def _view(self, principal: Principal, auth: Mapping[str, Any]) -> Shotlog:
        sudo = auth.get("sudo_as_login")
        target: Principal | None = None
        if sudo is not None and sudo != "":
            # Checked on every request, not only when the view is first made: a script whose rights
            # were taken away, or a target that was disabled since, must stop working at once.
            if not isinstance(sudo, str):
                raise ProtocolError(f"sudo_as_login must be a HumanUser login (a string), got {sudo!r}")
            if principal.type != "ApiUser" or principal.permission_rule_set not in SUDO_ALLOWED:
                raise ProtocolError(
                    f"The user does not have permission to 'sudo': {principal.type} {principal.name!r} "
                    f"may not act as {sudo!r}"
                )
            target = self.credentials.human(sudo)
            if target is None:
                raise ProtocolError(f"sudo_as_login: there is no active HumanUser with login {sudo!r}")
        key: tuple[Any, ...] = (principal.type, principal.id, None if target is None else target.id)
        with self._lock:
            view = self._views.get(key)
        if view is None:
            view = self.store.as_user({"type": principal.type, "id": principal.id})
            if target is not None:
                view = view.sudo(str(sudo))
            with self._lock:
                if len(self._views) > 10_000:
                    self._views.clear()
                self._views[key] = view
        session_uuid = auth.get("session_uuid")
        if session_uuid is not None:
            if not isinstance(session_uuid, str) or len(session_uuid) > 64:
                raise ProtocolError(
                    f"session_uuid must be a string of at most 64 characters, got {session_uuid!r}"
                )
            view = view.with_session_uuid(session_uuid)
        return view


def _reply(body: bytes) -> Response:
    return Response(body, status_code=200, media_type="application/json")
