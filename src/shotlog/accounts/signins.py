"""Sign-in events: FPTR's ``Shotgun_User_Login``, ``_Logout`` and ``_FailedLogin``, written here only.

Every way in (web form, api3, REST token endpoint) reports to ``SignIns``, so a later policy on
repeated failures (throttling, folding many failures into one event) has one place to live.

When a client counts as logging in. FPTR writes a login when a session starts, not per request:

* web: each sign-in (a session cookie is issued);
* api3 ``get_session_token`` by a HumanUser, and the REST ``password`` grant: each call mints a new
  session, so each writes one login;
* api3 calls authenticated with ``user_login``/``user_password``: the client sends the password on
  every call and has no session, so the first such call of a user starts one, and the next login is
  written only after ``SESSION_WINDOW`` (the life of a session token) without one. The window is
  kept per server process: a restart, or a second process, starts new sessions;
* calls with an existing session token (api3 ``session_token``, the REST ``session_token`` and
  ``refresh_token`` grants) continue a session and write nothing;
* scripts (ApiUser) do not log in: FPTR's login events are about people.

A wrong password writes ``Shotgun_User_FailedLogin`` with the login that was tried. An expired or
unknown token is not a login attempt and writes nothing.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from shotlog.eventlog.events import PendingEvent, failed_login_event, login_event, logout_event

if TYPE_CHECKING:
    from shotlog.accounts.credentials import Principal
    from shotlog.connection import Shotlog

__all__ = ["SESSION_WINDOW", "SignIns", "login_due"]

#: seconds an api3 password client's session lasts (a session token's life: one day)
SESSION_WINDOW = 24 * 3600.0


def login_due(last: float | None, now: float, window: float = SESSION_WINDOW) -> bool:
    """Whether a password call at ``now`` starts a session, given the start of the last one."""
    return last is None or now - last >= window


class SignIns:
    """Writes the sign-in events of one database; keeps the password sessions of this process."""

    def __init__(self, store: Shotlog) -> None:
        self.store = store
        self._started: dict[tuple[str, int, str], float] = {}
        self._lock = threading.Lock()

    def logged_in(self, principal: Principal, source: str, auth: str) -> None:
        """A session started: write ``Shotgun_User_Login`` (people only)."""
        if principal.type != "HumanUser":
            return
        with self._lock:
            self._started[(principal.type, principal.id, source)] = time.monotonic()
        link = (principal.type, principal.id)
        self._write(login_event(link, principal.login, principal.name, source, auth), principal)

    def password_used(self, principal: Principal, source: str) -> None:
        """A call authenticated with a password: a login when it starts a session (see above)."""
        if principal.type != "HumanUser":
            return
        key = (principal.type, principal.id, source)
        now = time.monotonic()
        with self._lock:
            if not login_due(self._started.get(key), now):
                return
            if len(self._started) > 10_000:
                self._started.clear()
            self._started[key] = now
        link = (principal.type, principal.id)
        self._write(login_event(link, principal.login, principal.name, source, "password"), principal)

    def logged_out(self, principal: Principal, source: str) -> None:
        if principal.type != "HumanUser":
            return
        link = (principal.type, principal.id)
        self._write(logout_event(link, principal.login, principal.name, source), principal)

    def failed(self, login: str, source: str, auth: str = "password") -> None:
        """A wrong login or password. The one place repeated failures can later be folded."""
        self._write(failed_login_event(login, source, auth), None)

    def _write(self, event: PendingEvent, principal: Principal | None) -> None:
        # As the user who signed in, so the event's user says who it was; a failure has nobody.
        view = (
            self.store.as_user({"type": principal.type, "id": principal.id})
            if principal is not None
            else self.store
        )
        view.create_event(
            event.event_type,
            description=event.description,
            entity=None if event.entity is None else {"type": event.entity[0], "id": event.entity[1]},
            attribute_name=event.attribute_name,
            meta=event.meta,
            builtin=True,
        )
