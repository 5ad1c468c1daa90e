"""Credentials epochs: a counter per user that ends every token issued before it moved.

Tokens (api3 session tokens, REST access and refresh tokens, web sessions) are rows of
``session_tokens`` that record the epoch of their user when they were issued; a token is good
only while its epoch is still the user's. The writer moves the epoch in the same transaction as a
password change, a disabling (any change of ``sg_status_list``) or a retirement, and
``Credentials.set_script_key`` does for a new script key. So every token issued before the change
is dead the moment it commits, in every server process (each check reads the epoch), and a token
minted by a sign-in that raced the change carries the old epoch and is dead too. Re-enabling a user
brings none of them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shotlog.schema.model import Field
from shotlog.store.tables import credential_epochs

__all__ = ["USER_TYPES", "bump", "current", "current_now", "ends_sessions"]

#: the entity types that sign in
USER_TYPES = ("HumanUser", "ApiUser")


def ends_sessions(entity_type: str, fields: Iterable[Field]) -> bool:
    """Whether changing ``fields`` of an ``entity_type`` ends that user's sessions (pure)."""
    if entity_type not in USER_TYPES:
        return False
    return any(f.data_type == "password" or f.name == "sg_status_list" for f in fields)


def current(conn: Any, user_type: str, user_id: int) -> int:
    """The user's epoch (0 when it never moved)."""
    value = conn.execute(
        sa.select(credential_epochs.c.epoch).where(
            credential_epochs.c.user_type == user_type, credential_epochs.c.user_id == user_id
        )
    ).scalar()
    return int(value or 0)


# ``current`` as plain SQL, for ``Database.read_value``: one primary-key lookup
_CURRENT_SQL = "SELECT epoch FROM credential_epochs WHERE user_type = ? AND user_id = ?"


def current_now(db: Any, user_type: str, user_id: int) -> int:
    """``current`` read as a statement of its own (``Database.read_value``), for a check made on
    every request: about a tenth of a read transaction's cost, and as up to date."""
    done, value = db.read_value(_CURRENT_SQL, (user_type, user_id))
    if not done:
        with db.read() as conn:
            return current(conn, user_type, user_id)
    return int(value or 0)


def bump(conn: Any, user_type: str, user_id: int, now: dt.datetime) -> None:
    """Move the user's epoch on by one, ending every token it holds (one statement: an upsert)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(credential_epochs).values(user_type=user_type, user_id=user_id, epoch=1, changed_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[credential_epochs.c.user_type, credential_epochs.c.user_id],
        set_={"epoch": credential_epochs.c.epoch + 1, "changed_at": now},
    )
    conn.execute(stmt)
