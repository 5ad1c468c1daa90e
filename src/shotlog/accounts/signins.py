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

Failed sign-ins are also throttled and folded here, with their state in the database so that every
server of a site shares it (``signin_failures``; the rules are ``shotlog.accounts.throttle``):
every way in asks ``throttled`` before it checks a password, and reports a wrong one to ``failed``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shotlog.accounts.throttle import ANY_LOGIN, Fold, Limits, Refusal, needs_summary, refusal, step
from shotlog.clock import Clock, clock, utcnow_seconds
from shotlog.eventlog import log
from shotlog.eventlog.events import (
    PendingEvent,
    failed_login_event,
    folded_failed_login_event,
    login_event,
    logout_event,
)
from shotlog.store import mirrors
from shotlog.store import signin_failures as rows

if TYPE_CHECKING:
    from shotlog.accounts.credentials import Principal
    from shotlog.connection import Shotlog

__all__ = [
    "PASSWORD",
    "PERSONAL_ACCESS_TOKEN",
    "SESSION_TOKEN",
    "SESSION_WINDOW",
    "SWEEP_BATCH",
    "SignIns",
    "login_due",
    "sign_in_method",
]

#: how a sign-in event's ``meta.auth`` names the credential that was given
PASSWORD = "password"
PERSONAL_ACCESS_TOKEN = "personal_access_token"
SESSION_TOKEN = "session_token"

#: seconds an api3 password client's session lasts (a session token's life: one day)
SESSION_WINDOW = 24 * 3600.0
#: ended windows whose summaries one attempt writes at most (a sweep in passing, kept short)
SWEEP_BATCH = 20


def login_due(last: float | None, now: float, window: float = SESSION_WINDOW) -> bool:
    """Whether a password call at ``now`` starts a session, given the start of the last one."""
    return last is None or now - last >= window


class SignIns:
    """Writes the sign-in events of one database; keeps the password sessions of this process."""

    def __init__(self, store: Shotlog, limits: Limits | None = None, now: Clock | None = None) -> None:
        self.store = store
        self.limits = limits or Limits.from_settings()
        self.clock = now or clock()
        self._started: dict[tuple[str, int, str], float] = {}
        self._lock = threading.Lock()

    def logged_in(
        self, principal: Principal, source: str, presented: str = PASSWORD, issued: str | None = None
    ) -> None:
        """A session started: write ``Shotgun_User_Login`` (people only). ``presented`` is the
        credential the client gave (``PASSWORD``, ``SESSION_TOKEN``), ``issued`` what it minted."""
        if principal.type != "HumanUser":
            return
        with self._lock:
            self._started[(principal.type, principal.id, source)] = time.monotonic()
        self._write(_login(principal, source, presented, issued), principal)

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
        self._write(_login(principal, source, PASSWORD), principal)

    def logged_out(self, principal: Principal, source: str) -> None:
        if principal.type != "HumanUser":
            return
        link = (principal.type, principal.id)
        self._write(logout_event(link, principal.login, principal.name, source), principal)

    # -- failures: throttled and folded --------------------------------------------------------------

    def throttled(self, login: str, address: str, source: str) -> Refusal | None:
        """Whether a sign-in of ``login`` from ``address`` is refused unchecked; a refusal is
        counted (folded like a failure). Reads only, unless it refuses."""
        now = self.clock.now()
        with self.store.db.read() as conn:
            by_login, by_address = rows.counts(conn, login, address, now - self.limits.window)
        refused = refusal(self.limits, now, by_login, by_address)
        if refused is not None:
            self._count(login, address, source, now, refused=True)
        return refused

    def failed(self, login: str, source: str, address: str = "", auth: str = PASSWORD) -> None:
        """A wrong login or password: counted, and written at once when it opens a window. ``auth``
        is the credential given (``PERSONAL_ACCESS_TOKEN`` for a password in a token's form)."""
        self._count(login, address, source, self.clock.now(), refused=False, auth=auth)

    def unlock(self, login: str) -> int:
        """End every window of ``login`` now (their summaries written): an admin lifting a lockout.
        Returns how many windows (client addresses) there were."""
        with self.store.db.write() as conn:
            ended = rows.of_login(conn, login)
            rows.delete(conn, ended)
            self._append(conn, [_summary(r) for r in ended if needs_summary(_fold(r))])
        return len(ended)

    def sweep(self, limit: int = SWEEP_BATCH) -> int:
        """Write the summaries of windows that ended, and forget them; returns how many ended."""
        with self.store.db.write() as conn:
            return self._sweep(conn, self.clock.now(), limit)

    def open_windows(self, limit: int = 100) -> list[rows.Row]:
        """The windows still open, most failures first (what ``shotlog users locks`` lists)."""
        with self.store.db.read() as conn:
            return rows.open_rows(conn, self.clock.now() - self.limits.window, limit)

    def _count(
        self,
        login: str,
        address: str,
        source: str,
        now: dt.datetime,
        *,
        refused: bool,
        auth: str = "password",
    ) -> None:
        with self.store.db.write() as conn:
            pair = login
            found = rows.lock(conn, address, login)
            if found is None and refused:
                # a refused login with no window of its own here folds into the address's
                pair = ANY_LOGIN
                found = rows.lock(conn, address, pair)
            taken = step(
                None if found is None else _fold(found),
                now,
                self.limits.window,
                refused=refused,
                source=source,
            )
            kept = _row(address, pair, taken.fold)
            if found is None and not rows.insert(conn, kept):
                # another server opened this window a moment ago: count on its row instead
                found = rows.lock(conn, address, pair)
                assert found is not None
                taken = step(_fold(found), now, self.limits.window, refused=refused, source=source)
                kept = _row(address, pair, taken.fold)
            if found is not None:
                rows.update(conn, kept)
            events: list[PendingEvent] = []
            if taken.ended is not None and needs_summary(taken.ended):
                events.append(_summary(_row(address, pair, taken.ended)))
            if taken.first:
                events.append(failed_login_event(login, source, auth, address))
            self._append(conn, events)
            self._sweep(conn, now, SWEEP_BATCH, keep=(address, pair))

    def _sweep(self, conn: Any, now: dt.datetime, limit: int, keep: tuple[str, str] | None = None) -> int:
        ended = [r for r in rows.ended(conn, now - self.limits.window, limit) if (r.address, r.login) != keep]
        rows.delete(conn, ended)
        self._append(conn, [_summary(r) for r in ended if needs_summary(_fold(r))])
        return len(ended)

    def _append(self, conn: Any, events: Sequence[PendingEvent]) -> None:
        # last in the transaction, after every row it locked ("Lock order", docs/architecture.md);
        # attributed to shotlog's own script, as every failure is: nobody is signed in. Stamped
        # with the real time: the throttle's clock may be a test's.
        # On a mirrored database ``log.append`` keeps them as the mirror's local events.
        log.append(conn, self.store.db, events, self.store.actor, utcnow_seconds())

    def _write(self, event: PendingEvent, principal: Principal | None) -> None:
        # As the user who signed in, so the event's user says who it was; a failure has nobody.
        view = (
            self.store.as_user({"type": principal.type, "id": principal.id})
            if principal is not None
            else self.store
        )
        if mirrors.mirrored_site(self.store.db) is not None:
            # A mirror's log holds its site's events only (a sign-in to the mirror's own web UI is
            # none of them), and a client's custom event is refused there: kept as a local event.
            with self.store.db.write() as conn:
                log.append(conn, self.store.db, [event], view.actor, utcnow_seconds())
            return
        view.create_event(
            event.event_type,
            description=event.description,
            entity=None if event.entity is None else {"type": event.entity[0], "id": event.entity[1]},
            attribute_name=event.attribute_name,
            meta=event.meta,
            builtin=True,
        )


def sign_in_method(principal: Principal, presented: str) -> str:
    """How ``principal`` proved who they are: a personal access token given where a password goes
    (``Principal.access_token_id``) is named as such, never as the password it stood in for."""
    return PERSONAL_ACCESS_TOKEN if principal.access_token_id is not None else presented


def _login(principal: Principal, source: str, presented: str, issued: str | None = None) -> PendingEvent:
    token = None
    if principal.access_token_id is not None:
        token = (principal.access_token_id, principal.access_token_name or "")
    method = sign_in_method(principal, presented)
    link = (principal.type, principal.id)
    return login_event(link, principal.login, principal.name, source, method, token=token, issued=issued)


def _fold(row: rows.Row) -> Fold:
    return Fold(row.source, row.window_start, row.last_at, row.failures, row.refused, row.reported)


def _row(address: str, login: str, fold: Fold) -> rows.Row:
    return rows.Row(address, login, **dataclasses.asdict(fold))


def _summary(row: rows.Row) -> PendingEvent:
    fold = _fold(row)
    return folded_failed_login_event(
        row.login, row.source, row.address, (fold.count, fold.refused), row.window_start, row.last_at
    )
