"""Who a request is: script keys, user passwords and session tokens.

* ApiUser script keys are random and long, so they are stored as SHA-256 digests (``script_keys``)
  and compared in constant time. A script's success is remembered for ``SCRIPT_CACHE_SECONDS``, but
  each call still reads the script's credentials epoch, so a new key, a revoked one, a disabling or
  a retirement refuses the old key from the change's commit on, in every server process.
* People's personal access tokens (``shotlog.accounts.access_tokens``) are accepted where a program
  presents a password (``tokens=True``: api3 and the REST password grant), never by the web UI.
* HumanUser passwords are Argon2id hashes in ``HumanUser.password_proxy``. Argon2 is slow on purpose
  (tens of milliseconds), so a verified (hash, password) pair is remembered in memory: the stored
  hash is still read on every request, so a password change or a disabled user takes effect at once.
  Checks are bounded and timed the same for unknown and known logins by ``shotlog.access.passwords``.
* Session, web and REST tokens are random, stored as SHA-256 digests with an expiry and the
  user's credentials epoch at issue (``shotlog.store.epochs``). A password change, a disabling, a
  retirement or a new script key moves the epoch in its own transaction, so every token issued
  before it is refused from that commit on, in every process: token checks are never cached.
* REST refresh tokens are single-use. A grant starts a token family; a refresh spends its token and
  issues the next pair in the same family. A spent refresh token presented again means one of two
  holders is not who they claim: the whole family (every access and refresh token it issued) is
  revoked, as the OAuth 2.0 Security BCP recommends.

Sign-in events are written by ``signins`` (``shotlog.accounts.signins``), shared by every way in.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from shotlog.access.passwords import checks, plausible
from shotlog.accounts.access_tokens import AccessTokens, is_token
from shotlog.accounts.signins import SignIns
from shotlog.clock import utcnow_seconds
from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError
from shotlog.eventlog import log
from shotlog.eventlog.events import Actor, EventBuilder, script_key_event
from shotlog.store import epochs
from shotlog.store.permission_rules import code_column
from shotlog.store.tables import credential_epochs, script_keys, session_tokens

__all__ = ["Credentials", "Grant", "Principal", "RefreshReused", "new_script_key", "new_secret"]

SESSION_TTL = dt.timedelta(hours=24)
SCRIPT_CACHE_SECONDS = 2.0
ACCESS_TTL = dt.timedelta(minutes=10)
REFRESH_TTL = dt.timedelta(days=1)
_TTL = {"session": SESSION_TTL, "access": ACCESS_TTL, "refresh": REFRESH_TTL, "web": SESSION_TTL}


def new_secret() -> str:
    return secrets.token_hex(32)


def new_script_key() -> str:
    """A new script key: 256 random bits, shown once to whoever made it and kept as a digest."""
    return secrets.token_urlsafe(32)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    type: str  # HumanUser or ApiUser
    id: int
    name: str | None
    login: str | None = None
    permission_rule_set: str | None = None
    #: the user's credentials epoch when these credentials were checked (None: not known)
    epoch: int | None = None
    #: the personal access token these credentials were, when they were one, and its name
    access_token_id: int | None = None
    access_token_name: str | None = None

    def link(self) -> dict[str, object]:
        return {"type": self.type, "id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class Grant:
    """The tokens of a REST grant: an access token, and the refresh token that replaces both."""

    access_token: str
    refresh_token: str
    expires_in: int


class RefreshReused(ShotlogError):
    """A refresh token was presented after it had been spent: its family is revoked."""

    def __init__(self) -> None:
        super().__init__(
            "The refresh token was already used; every token of its grant is now revoked. Sign in again."
        )


def _epoch_of(user_type: Any, user_id: Any) -> sa.ColumnElement[int]:
    """The current epoch of the user in ``user_type``/``user_id`` (0 when it never moved)."""
    return sa.func.coalesce(
        sa.select(credential_epochs.c.epoch)
        .where(credential_epochs.c.user_type == user_type, credential_epochs.c.user_id == user_id)
        .scalar_subquery(),
        0,
    )


class Credentials:
    def __init__(self, store: Shotlog) -> None:
        self.store = store
        self._verified: dict[tuple[str, str], bool] = {}  # successes only
        self._scripts: dict[tuple[str, str], tuple[Principal, float]] = {}
        self._lock = threading.Lock()
        self.signins = SignIns(store)
        self.access_tokens = AccessTokens(store)

    # -- scripts ----------------------------------------------------------------------------------

    def set_script_key(
        self, api_user_id: int, key: str, *, by: Actor | None = None, name: str | None = None
    ) -> None:
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
            # the script's REST tokens die with its old key
            epochs.bump(conn, "ApiUser", api_user_id, utcnow_seconds())
            conn.execute(
                sa.insert(script_keys).values(
                    api_user_id=api_user_id, key_sha256=_digest(key), created_at=utcnow_seconds()
                )
            )
            if actor.generates_events:
                event = script_key_event(EventBuilder(actor), ("ApiUser", api_user_id), name)
                log.append(conn, self.store.db, [event], actor, utcnow_seconds())

    def revoke_script_key(
        self, api_user_id: int, *, by: Actor | None = None, name: str | None = None
    ) -> bool:
        """Take a script's key away (the script signs in no more until it gets a new one), ending its
        tokens and logging the change as ``set_script_key`` does; False when it had no key."""
        actor = by or Actor()
        with self.store.db.write() as conn:
            gone = conn.execute(sa.delete(script_keys).where(script_keys.c.api_user_id == api_user_id))
            if gone.rowcount == 0:
                return False
            epochs.bump(conn, "ApiUser", api_user_id, utcnow_seconds())
            if actor.generates_events:
                event = script_key_event(EventBuilder(actor), ("ApiUser", api_user_id), name, revoked=True)
                log.append(conn, self.store.db, [event], actor, utcnow_seconds())
        return True

    def script_keys_made(self) -> dict[int, dt.datetime]:
        """When each script that has a key got it, by ApiUser id."""
        with self.store.db.read() as conn:
            rows = conn.execute(sa.select(script_keys.c.api_user_id, script_keys.c.created_at)).all()
        return {int(r.api_user_id): r.created_at for r in rows}

    def script(self, script_name: object, script_key: object) -> Principal | None:
        if not isinstance(script_name, str) or not isinstance(script_key, str):
            return None
        # Scripts authenticate on every api3 call. A success is remembered for SCRIPT_CACHE_SECONDS
        # (what it saves is the join by name), but the script's epoch is read on every call: a new or
        # revoked key, a disabling or a retirement moved it in its own commit, so the old key is
        # refused at once in every process. Failures are never kept.
        key = (script_name, _digest(script_key))
        now = time.monotonic()
        with self._lock:
            hit = self._scripts.get(key)
        if (
            hit is not None
            and hit[1] > now
            and epochs.current_now(self.store.db, "ApiUser", hit[0].id) == hit[0].epoch
        ):
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
            sa.select(
                table.c.id,
                name_col.label("name"),
                code_column(self.store.catalog, rules).label("rules"),
                script_keys.c.key_sha256,
                _epoch_of("ApiUser", table.c.id).label("epoch"),
            )
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
                return Principal("ApiUser", row.id, row.name, None, row.rules, row.epoch)
        return None

    # -- people -----------------------------------------------------------------------------------

    def user(
        self, login: object, password: object, *, tokens: bool = False, address: str = ""
    ) -> Principal | None:
        """The active HumanUser ``login`` if ``password`` is theirs (blocks while the check waits);
        with ``tokens``, ``password`` may be one of their personal access tokens (used from ``address``).

        Raises ``PasswordsBusy`` when too many passwords are being checked (``shotlog.access.passwords``).
        """
        if not isinstance(login, str) or not isinstance(password, str) or not plausible(login, password):
            return None
        if tokens and is_token(password):
            return self._token_user(login, password, address)
        row = self._human_by_login(login)
        known = self._remembered(row, password)
        if known is None:
            known = checks.verify(row.hash if row is not None else None, password)
        return self._settle(row, password, known)

    async def user_async(
        self, login: object, password: object, *, tokens: bool = False, address: str = ""
    ) -> Principal | None:
        """``user`` for an event loop: the wait for a free password check holds no thread."""
        if not isinstance(login, str) or not isinstance(password, str) or not plausible(login, password):
            return None
        if tokens and is_token(password):
            # a digest and an indexed read, no Argon2: nothing to wait for
            return await asyncio.to_thread(self._token_user, login, password, address)
        row = await asyncio.to_thread(self._human_by_login, login)
        known = self._remembered(row, password)
        if known is None:
            known = await checks.verify_async(row.hash if row is not None else None, password)
        return self._settle(row, password, known)

    def _token_user(self, login: str, secret: str, address: str) -> Principal | None:
        """The active HumanUser ``login`` if ``secret`` is one of their live personal access tokens."""
        row = self._human_by_login(login)
        if row is None:
            return None
        token = self.access_tokens.holder(row.id, secret, address)
        if token is None:
            return None
        return Principal("HumanUser", row.id, row.name, row.login, row.rules, row.epoch, token.id, token.name)

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
        return Principal("HumanUser", row.id, row.name, row.login, row.rules, row.epoch)

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
            code_column(self.store.catalog, col("permission_rule_set")).label("rules"),
            # read with the hash: a token issued for this check carries the epoch it was made in
            _epoch_of("HumanUser", table.c.id).label("epoch"),
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

    def issue(
        self, principal: Principal, kind: str = "session", *, family: str | None = None
    ) -> tuple[str, dt.datetime]:
        """A new token of ``kind`` for ``principal``, good while its epoch is the user's.

        A principal without a known epoch (one not read with its credentials) gets the current one.
        """
        now = utcnow_seconds()
        with self.store.db.write() as conn:
            conn.execute(sa.delete(session_tokens).where(session_tokens.c.expires_at < now))
            epoch = principal.epoch
            if epoch is None:
                epoch = epochs.current(conn, principal.type, principal.id)
            return self._insert(conn, principal.type, principal.id, kind, epoch, family, now)

    def grant(self, principal: Principal) -> Grant:
        """A REST grant's access and refresh tokens, the first of a new family."""
        family = new_secret()
        access, _ = self.issue(principal, "access", family=family)
        refresh, _ = self.issue(principal, "refresh", family=family)
        return Grant(access, refresh, int(ACCESS_TTL.total_seconds()))

    def refresh(self, token: object) -> tuple[Principal, Grant] | None:
        """Spend the refresh ``token`` for the next pair of its family; None when it is not good.

        Raises ``RefreshReused`` (after revoking the family) when it was spent already.
        """
        if not isinstance(token, str) or not token:
            return None
        digest, now = _digest(token), utcnow_seconds()
        t = session_tokens
        with self.store.db.read() as conn:
            row = conn.execute(
                sa.select(t.c.user_type, t.c.user_id, t.c.epoch, t.c.family, t.c.used_at).where(
                    t.c.token_sha256 == digest,
                    t.c.kind == "refresh",
                    t.c.expires_at > now,
                    t.c.epoch == _epoch_of(t.c.user_type, t.c.user_id),
                )
            ).first()
        if row is None:
            return None
        principal = self._principal(row.user_type, row.user_id)
        if principal is None:
            return None
        principal = replace(principal, epoch=row.epoch)
        family = row.family or new_secret()  # tokens from before families start one
        reused = row.used_at is not None
        with self.store.db.write() as conn:
            if not reused:
                # spent exactly once, even by two requests at the same moment: one UPDATE wins
                spent = conn.execute(
                    sa.update(t)
                    .where(t.c.token_sha256 == digest, t.c.used_at.is_(None))
                    .values(used_at=now, family=family)  # a token from before families joins one
                )
                reused = spent.rowcount != 1
            if reused:
                # committed before the refusal is raised: the revocation must stand
                # the family as spending recorded it (a token from before families got one then)
                spent_in = conn.execute(sa.select(t.c.family).where(t.c.token_sha256 == digest)).scalar()
                whole = t.c.family == spent_in if spent_in else t.c.token_sha256 == digest
                conn.execute(sa.delete(t).where(whole))
            else:
                access, _ = self._insert(conn, row.user_type, row.user_id, "access", row.epoch, family, now)
                fresh, _ = self._insert(conn, row.user_type, row.user_id, "refresh", row.epoch, family, now)
        if reused:
            raise RefreshReused()
        return principal, Grant(access, fresh, int(ACCESS_TTL.total_seconds()))

    @staticmethod
    def _insert(
        conn: Any, user_type: str, user_id: int, kind: str, epoch: int, family: str | None, now: dt.datetime
    ) -> tuple[str, dt.datetime]:
        token = new_secret()
        expires = now + _TTL[kind]
        conn.execute(
            sa.insert(session_tokens).values(
                token_sha256=_digest(token),
                kind=kind,
                user_type=user_type,
                user_id=user_id,
                created_at=now,
                expires_at=expires,
                epoch=epoch,
                family=family,
            )
        )
        return token, expires

    def token(self, token: object, kind: str = "session") -> Principal | None:
        """The active user a token of ``kind`` was issued to, while its epoch is still theirs.

        Read from the database on every call (no cache), so a password change or a disabling in
        any process ends the token at once."""
        if not isinstance(token, str) or not token:
            return None
        t = session_tokens
        with self.store.db.read() as conn:
            row = conn.execute(
                sa.select(t.c.user_type, t.c.user_id, t.c.epoch).where(
                    t.c.token_sha256 == _digest(token),
                    t.c.kind == kind,
                    t.c.expires_at > utcnow_seconds(),
                    t.c.epoch == _epoch_of(t.c.user_type, t.c.user_id),
                )
            ).first()
        if row is None:
            return None
        principal = self._principal(row.user_type, row.user_id)
        return None if principal is None else replace(principal, epoch=row.epoch)

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
        rule_set = r.get("permission_rule_set")  # a link; the principal carries the set's name
        code = rule_set.get("name") if isinstance(rule_set, dict) else rule_set
        return Principal(user_type, user_id, name, r.get("login"), code)
