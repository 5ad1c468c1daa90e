"""Who a request is: script keys, user passwords and session tokens.

* ApiUser script keys are random and long, so they are stored as SHA-256 digests (``script_keys``)
  and compared in constant time.
* HumanUser passwords are Argon2id hashes in ``HumanUser.password_proxy``. Argon2 is slow on purpose
  (tens of milliseconds), so a verified (hash, password) pair is remembered in memory: the stored
  hash is still read on every request, so a password change or a disabled user takes effect at once.
  Checks are bounded and timed the same for unknown and known logins by ``shotlog.passwords``.
* Session and REST access tokens are random, stored as SHA-256 digests with an expiry.

Sign-in events are written by ``signins`` (``shotlog.signins``), shared by every way in.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shotlog.connection import Shotlog
from shotlog.eventlog import log
from shotlog.eventlog.events import Actor, EventBuilder, script_key_event
from shotlog.passwords import checks, plausible
from shotlog.signins import SignIns
from shotlog.store.tables import script_keys, session_tokens
from shotlog.values import utcnow

__all__ = ["Credentials", "Principal", "new_secret"]

SESSION_TTL = dt.timedelta(hours=24)
SCRIPT_CACHE_SECONDS = 2.0
ACCESS_TTL = dt.timedelta(minutes=10)
REFRESH_TTL = dt.timedelta(days=1)
_TTL = {"session": SESSION_TTL, "access": ACCESS_TTL, "refresh": REFRESH_TTL, "web": SESSION_TTL}


def new_secret() -> str:
    return secrets.token_hex(32)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    type: str  # HumanUser or ApiUser
    id: int
    name: str | None
    login: str | None = None
    permission_rule_set: str | None = None

    def link(self) -> dict[str, object]:
        return {"type": self.type, "id": self.id, "name": self.name}


class Credentials:
    def __init__(self, store: Shotlog) -> None:
        self.store = store
        self._verified: dict[tuple[str, str], bool] = {}  # successes only
        self._scripts: dict[tuple[str, str], tuple[Principal, float]] = {}
        self._lock = threading.Lock()
        self.signins = SignIns(store)

    # -- scripts ----------------------------------------------------------------------------------

    def set_script_key(self, api_user_id: int, key: str, *, by: Actor | None = None) -> None:
        """Give a script a new key (its previous one stops working), and log the change as FPTR's
        ``Shotgun_ApiUser_Change`` on ``salted_password``, attributed to ``by``, in one transaction.
        Setting the key it already has (``serve`` does at every start) changes and logs nothing."""
        actor = by or Actor()
        with self.store.db.write() as conn:
            current = conn.execute(
                sa.select(script_keys.c.key_sha256).where(script_keys.c.api_user_id == api_user_id)
            ).scalar()
            if current is not None and hmac.compare_digest(current, _digest(key)):
                return
            conn.execute(sa.delete(script_keys).where(script_keys.c.api_user_id == api_user_id))
            conn.execute(
                sa.insert(script_keys).values(
                    api_user_id=api_user_id, key_sha256=_digest(key), created_at=utcnow()
                )
            )
            if actor.generates_events:
                event = script_key_event(EventBuilder(actor), ("ApiUser", api_user_id), None)
                log.append(conn, self.store.db, [event], actor, utcnow())

    def script(self, script_name: object, script_key: object) -> Principal | None:
        if not isinstance(script_name, str) or not isinstance(script_key, str):
            return None
        # Scripts authenticate on every api3 call. A success is remembered for SCRIPT_CACHE_SECONDS,
        # so a disabled or re-keyed script stops working within that time; failures are never kept.
        key = (script_name, _digest(script_key))
        now = time.monotonic()
        with self._lock:
            hit = self._scripts.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        principal = self._script(script_name, script_key)
        with self._lock:
            if principal is None:
                self._scripts.pop(key, None)
            else:
                if len(self._scripts) > 10_000:
                    self._scripts.clear()
                self._scripts[key] = (principal, now + SCRIPT_CACHE_SECONDS)
        return principal

    def _script(self, script_name: str, script_key: str) -> Principal | None:
        schema = self.store.catalog.schema
        table = self.store.catalog.table("ApiUser")
        fields = schema.fields["ApiUser"]
        name_col = table.c[fields["firstname"].column or "firstname"]
        status = table.c[fields["sg_status_list"].column or "sg_status_list"]
        rules = table.c[fields["permission_rule_set"].column or "permission_rule_set"]
        stmt = (
            sa.select(table.c.id, name_col.label("name"), rules.label("rules"), script_keys.c.key_sha256)
            .join(script_keys, script_keys.c.api_user_id == table.c.id)
            .where(
                name_col == script_name,
                table.c.retirement_date.is_(None),
                sa.func.coalesce(status, "act") == "act",
            )
        )
        with self.store.db.read() as conn:
            rows = conn.execute(stmt).all()
        wanted = _digest(script_key)
        for row in rows:
            if hmac.compare_digest(row.key_sha256, wanted):
                return Principal("ApiUser", row.id, row.name, None, row.rules)
        return None

    # -- people -----------------------------------------------------------------------------------

    def user(self, login: object, password: object) -> Principal | None:
        """The active HumanUser ``login`` if ``password`` is theirs (blocks while the check waits).

        Raises ``PasswordsBusy`` when too many passwords are being checked (``shotlog.passwords``).
        """
        if not isinstance(login, str) or not isinstance(password, str) or not plausible(login, password):
            return None
        row = self._human_by_login(login)
        known = self._remembered(row, password)
        if known is None:
            known = checks.verify(row.hash if row is not None else None, password)
        return self._settle(row, password, known)

    async def user_async(self, login: object, password: object) -> Principal | None:
        """``user`` for an event loop: the wait for a free password check holds no thread."""
        if not isinstance(login, str) or not isinstance(password, str) or not plausible(login, password):
            return None
        row = await asyncio.to_thread(self._human_by_login, login)
        known = self._remembered(row, password)
        if known is None:
            known = await checks.verify_async(row.hash if row is not None else None, password)
        return self._settle(row, password, known)

    def _remembered(self, row: sa.Row[Any] | None, password: str) -> bool | None:
        """True when this (hash, password) pair was verified before; None means: check it."""
        if row is None or not row.hash:
            return None  # checked against the dummy hash: a missing account costs the same time
        with self._lock:
            return self._verified.get((row.hash, _digest(password)))

    def _settle(self, row: sa.Row[Any] | None, password: str, known: bool) -> Principal | None:
        if row is None or not row.hash or not known:
            # Failures are not remembered: a repeated wrong password answering faster than a first
            # one would tell that the account exists (an unknown login is never remembered).
            return None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[(row.hash, _digest(password))] = True
        return Principal("HumanUser", row.id, row.name, row.login, row.rules)

    def _human_by_login(self, login: str) -> sa.Row[Any] | None:
        schema = self.store.catalog.schema
        table = self.store.catalog.table("HumanUser")
        fields = schema.fields["HumanUser"]

        def col(name: str) -> sa.ColumnElement[object]:
            return table.c[fields[name].column or name]

        stmt = sa.select(
            table.c.id,
            col("name").label("name"),
            col("login").label("login"),
            col("password_proxy").label("hash"),
            col("permission_rule_set").label("rules"),
        ).where(
            col("login") == login,
            table.c.retirement_date.is_(None),
            sa.func.coalesce(col("sg_status_list"), "act") == "act",
        )
        with self.store.db.read() as conn:
            return conn.execute(stmt).first()

    def human(self, login: object) -> Principal | None:
        """The active HumanUser with ``login`` (for sudo), without checking a password."""
        row = self._human_by_login(login) if isinstance(login, str) else None
        return None if row is None else Principal("HumanUser", row.id, row.name, row.login, row.rules)

    # -- tokens -----------------------------------------------------------------------------------

    def issue(self, principal: Principal, kind: str = "session") -> tuple[str, dt.datetime]:
        token = new_secret()
        now = utcnow()
        expires = now + _TTL[kind]
        with self.store.db.write() as conn:
            conn.execute(sa.delete(session_tokens).where(session_tokens.c.expires_at < now))
            conn.execute(
                sa.insert(session_tokens).values(
                    token_sha256=_digest(token),
                    kind=kind,
                    user_type=principal.type,
                    user_id=principal.id,
                    created_at=now,
                    expires_at=expires,
                )
            )
        return token, expires

    def token(self, token: object, kind: str = "session") -> Principal | None:
        if not isinstance(token, str) or not token:
            return None
        with self.store.db.read() as conn:
            row = conn.execute(
                sa.select(session_tokens.c.user_type, session_tokens.c.user_id).where(
                    session_tokens.c.token_sha256 == _digest(token),
                    session_tokens.c.kind == kind,
                    session_tokens.c.expires_at > utcnow(),
                )
            ).first()
        if row is None:
            return None
        return self._principal(row.user_type, row.user_id)

    def revoke(self, token: str) -> None:
        with self.store.db.write() as conn:
            conn.execute(sa.delete(session_tokens).where(session_tokens.c.token_sha256 == _digest(token)))

    def _principal(self, user_type: str, user_id: int) -> Principal | None:
        """The active (not retired, not disabled) user a token was issued to."""
        fields = (
            ["name", "login", "permission_rule_set", "sg_status_list"]
            if user_type == "HumanUser"
            else ["firstname", "permission_rule_set", "sg_status_list"]
        )
        rows = self.store.find(user_type, [["id", "is", user_id]], fields)
        if not rows or (rows[0].get("sg_status_list") or "act") != "act":
            return None
        r = rows[0]
        name = r.get("name") if user_type == "HumanUser" else r.get("firstname")
        return Principal(user_type, user_id, name, r.get("login"), r.get("permission_rule_set"))
