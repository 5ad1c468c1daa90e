"""People's personal access tokens: named, expiring, revocable secrets a person's programs sign in with.

A token stands in for its owner's password wherever a program presents one (api3's
``login``/``password``, the REST password grant), never in the web UI's sign-in or to confirm a
password change: a leaked token can be revoked without the password changing, and cannot be turned
into the password. A token is recognised by its prefix (``PREFIX``), so checking one costs a
SHA-256 digest and one indexed read, never an Argon2 hash.

This module owns ``access_tokens``. Each token is kept as the SHA-256 digest of a 256-bit secret,
shown once when it is made. Its owner makes it; its owner or a user administrator lists and revokes
it, and a user administrator lists everyone's (``everyone``), as FPTR's admins manage people's
credentials. Making one writes FPTR's ``ShotGrid_PAT_Added``, revoking it ``ShotGrid_PAT_Removed``
(whoever revokes it: its owner or an administrator), and a REST grant that trades one for access
tokens ``ShotGrid_PAT_Exchanged``. A token works while its owner is active (a disabled or retired
person's tokens stop at once) and until it expires; a password change leaves it alone, since it is
a credential of its own that its owner can see and revoke. Its last use is recorded to the minute
(``LAST_USE_EVERY``), so a program calling many times a second does not write on every call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shotlog.access.authority import Authority, may_administer_users
from shotlog.clock import utcnow_seconds
from shotlog.connection import Shotlog
from shotlog.errors import NotFound, ValidationError
from shotlog.eventlog import log
from shotlog.eventlog.events import Actor, EventBuilder, PendingEvent
from shotlog.store.tables import access_tokens

__all__ = [
    "DEFAULT_DAYS",
    "LAST_USE_EVERY",
    "MAX_DAYS",
    "MAX_NAME",
    "PREFIX",
    "AccessToken",
    "AccessTokens",
    "expiry",
    "is_token",
    "token_event",
    "token_refusal",
]

#: every personal access token starts with it: a password never needs to be tried as one
PREFIX = "slpat_"
#: a token lives this many days unless its owner says otherwise, and at most ``MAX_DAYS``
DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_NAME = 100
#: a token's last use is written again only when the recorded one is older than this
LAST_USE_EVERY = dt.timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_token(secret: object) -> bool:
    """Whether a presented password is a personal access token (pure)."""
    return isinstance(secret, str) and secret.startswith(PREFIX)


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A token as its owner sees it: never its secret."""

    id: int
    user_id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    last_used_address: str | None

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at <= now

    def as_json(self, now: dt.datetime, owner_name: str | None = None) -> dict[str, Any]:
        """The token in the REST API's shape; ``owner_name``: its owner's HumanUser.name."""

        def stamp(value: dt.datetime | None) -> str | None:
            return None if value is None else value.isoformat(timespec="seconds") + "Z"

        return {
            "id": self.id,
            "user": {"type": "HumanUser", "id": self.user_id, "name": owner_name},
            "name": self.name,
            "created_at": stamp(self.created_at),
            "expires_at": stamp(self.expires_at),
            "last_used_at": stamp(self.last_used_at),
            "last_used_address": self.last_used_address,
            "expired": self.expired(now),
        }


def expiry(name: object, days: object, now: dt.datetime) -> tuple[str, dt.datetime]:
    """The checked name and expiry of a new token lasting ``days`` (None: ``DEFAULT_DAYS``); a
    ``ValidationError`` naming the field and value otherwise (pure)."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"name: a token needs a name (what uses it), got {name!r}", field="name")
    if len(name.strip()) > MAX_NAME:
        raise ValidationError(f"name: at most {MAX_NAME} characters, got {len(name.strip())}", field="name")
    if days is None or days == "":
        days = DEFAULT_DAYS
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days.strip())
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValidationError(
            f"expires_in_days: a whole number of days from 1 to {MAX_DAYS}, got {days!r}",
            field="expires_in_days",
        )
    return name.strip(), now + dt.timedelta(days=days)


def token_refusal(who: Authority, owner_id: int, action: str) -> str | None:
    """Why ``who`` may not ``action`` ("make", "list", "revoke") a token of HumanUser ``owner_id``.

    A person makes their own tokens only (an administrator cannot mint a credential that acts as
    someone else); a person lists and revokes their own, a user administrator anyone's."""
    own = (who.kind, who.id) == ("HumanUser", owner_id)
    if own or (action != "make" and may_administer_users(who)):
        return None
    if action == "make":
        return (
            f"Personal access tokens are made by their owner: {who.label()} may not make one "
            f"for HumanUser {owner_id}"
        )
    return (
        f"Only HumanUser {owner_id} or a user administrator may {action} its personal access tokens; "
        f"{who.label()} may not"
    )


def token_event(kind: str, actor: Actor, token: AccessToken, description: str) -> PendingEvent:
    """FPTR's ``ShotGrid_PAT_<kind>`` (Added, Removed, Exchanged) about ``token``; never its secret."""
    meta: dict[str, Any] = {
        "type": f"pat_{kind.lower()}",
        "token_id": token.id,
        "name": token.name,
        "user_id": token.user_id,
        "expires_at": token.expires_at.isoformat(timespec="seconds") + "Z",
    }
    if actor.sudo_actual is not None:
        meta["sudo_actual_user"] = actor.sudo_actual.link()
    return PendingEvent(
        event_type=f"ShotGrid_PAT_{kind}",
        description=description,
        entity=("HumanUser", token.user_id),
        project=None,
        attribute_name=None,
        meta=meta,
        user=actor.link(),
        session_uuid=actor.session_uuid,
    )


def _row(row: Any) -> AccessToken:
    return AccessToken(
        row.id, row.user_id, row.name, row.created_at, row.expires_at, row.last_used_at, row.last_used_address
    )


_COLUMNS = (
    access_tokens.c.id,
    access_tokens.c.user_id,
    access_tokens.c.name,
    access_tokens.c.created_at,
    access_tokens.c.expires_at,
    access_tokens.c.last_used_at,
    access_tokens.c.last_used_address,
)


class AccessTokens:
    """Making, listing, revoking and checking tokens in one store."""

    def __init__(self, store: Shotlog) -> None:
        self.store = store

    def create(
        self, actor: Actor, user_id: int, name: object, days: object = None
    ) -> tuple[AccessToken, str]:
        """A new token of HumanUser ``user_id`` and its secret (shown once), with its event."""
        now = utcnow_seconds()
        name, expires = expiry(name, days, now)
        if self.store.find_one("HumanUser", [["id", "is", user_id]], ["id"]) is None:
            raise NotFound("HumanUser", user_id)
        secret = PREFIX + secrets.token_urlsafe(32)
        with self.store.db.write() as conn:
            made = conn.execute(
                sa.insert(access_tokens).values(
                    user_id=user_id,
                    name=name,
                    token_sha256=_digest(secret),
                    created_at=now,
                    expires_at=expires,
                )
            )
            new_id = made.inserted_primary_key[0]  # type: ignore[index]
            token = AccessToken(int(new_id), user_id, name, now, expires, None, None)
            if actor.generates_events:
                said = f"{_who(actor)} added personal access token {name!r} of HumanUser {user_id}"
                log.append(conn, self.store.db, [token_event("Added", actor, token, said)], actor, now)
        return token, secret

    def everyone(self) -> list[AccessToken]:
        """Every person's tokens, newest first: what a user administrator reviews."""
        stmt = sa.select(*_COLUMNS).order_by(access_tokens.c.created_at.desc(), access_tokens.c.id.desc())
        with self.store.db.read() as conn:
            return [_row(r) for r in conn.execute(stmt)]

    def owners(self, tokens: Iterable[AccessToken]) -> dict[int, dict[str, Any]]:
        """The active owners of ``tokens`` by id, with their name and login (a retired person's
        tokens are refused, and the person is left out)."""
        ids = sorted({t.user_id for t in tokens})
        if not ids:
            return {}
        return {int(p["id"]): p for p in self.store.find("HumanUser", [["id", "in", ids]], ["name", "login"])}

    def list(self, user_id: int) -> list[AccessToken]:
        """HumanUser ``user_id``'s tokens, newest first (expired ones too, until revoked)."""
        stmt = (
            sa.select(*_COLUMNS)
            .where(access_tokens.c.user_id == user_id)
            .order_by(access_tokens.c.created_at.desc(), access_tokens.c.id.desc())
        )
        with self.store.db.read() as conn:
            return [_row(r) for r in conn.execute(stmt)]

    def get(self, token_id: int) -> AccessToken | None:
        with self.store.db.read() as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(access_tokens.c.id == token_id)).first()
        return None if row is None else _row(row)

    def revoke(self, actor: Actor, token_id: int) -> AccessToken:
        """Delete token ``token_id`` (refused from the next check on, in every process), with its event."""
        now = utcnow_seconds()
        with self.store.db.write() as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(access_tokens.c.id == token_id)).first()
            if row is None:
                raise NotFound("PersonalAccessToken", token_id)
            token = _row(row)
            conn.execute(sa.delete(access_tokens).where(access_tokens.c.id == token_id))
            if actor.generates_events:
                said = (
                    f"{_who(actor)} removed personal access token {token.name!r} of HumanUser {token.user_id}"
                )
                log.append(conn, self.store.db, [token_event("Removed", actor, token, said)], actor, now)
        return token

    def exchanged(self, actor: Actor, token: AccessToken, what: str) -> None:
        """Record that ``token`` was traded for other tokens (``what``: "REST access tokens")."""
        now = utcnow_seconds()
        said = f"{_who(actor)} exchanged personal access token {token.name!r} for {what}"
        with self.store.db.write() as conn:
            log.append(conn, self.store.db, [token_event("Exchanged", actor, token, said)], actor, now)

    def holder(self, user_id: int, secret: str, address: str = "") -> AccessToken | None:
        """The live token ``secret`` of HumanUser ``user_id``, its last use recorded; None otherwise.

        Whether the owner is active is the caller's to check (with the login it read)."""
        now = utcnow_seconds()
        with self.store.db.read() as conn:
            row = conn.execute(
                sa.select(*_COLUMNS, access_tokens.c.token_sha256).where(
                    access_tokens.c.token_sha256 == _digest(secret), access_tokens.c.expires_at > now
                )
            ).first()
        # the digest found the row; comparing the owner in constant time keeps a near miss silent
        if row is None or not hmac.compare_digest(str(row.user_id), str(user_id)):
            return None
        token = _row(row)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USE_EVERY:
            with self.store.db.write() as conn:
                conn.execute(
                    sa.update(access_tokens)
                    .where(access_tokens.c.id == token.id)
                    .values(last_used_at=now, last_used_address=address[:64] or None)
                )
        return token


def _who(actor: Actor) -> str:
    return EventBuilder(actor).who
