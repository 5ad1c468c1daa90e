"""The statements of ``user_preferences`` (migration 0010): a person's own settings of the web UI,
one row per user and name. What a value may be is decided by ``shotlog.site.time_zones``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.store.tables import user_preferences

__all__ = ["read", "write"]

t = user_preferences

# Values are stored wrapped in an object, as site_preferences does: SQLite gives a JSON column
# numeric affinity, so a bare number would come back as a REAL rather than JSON text.


def read(conn: Connection, user: tuple[str, int], name: str) -> Any:
    """The user's value of ``name``, or None when they have not set it."""
    value = conn.execute(
        sa.select(t.c.value).where(t.c.user_type == user[0], t.c.user_id == user[1], t.c.name == name)
    ).scalar_one_or_none()
    return None if value is None else value.get("v")


def write(conn: Connection, user: tuple[str, int], name: str, value: Any, now: dt.datetime) -> None:
    """Set the user's ``name`` to ``value``; None removes it (back to the default)."""
    key = (t.c.user_type == user[0], t.c.user_id == user[1], t.c.name == name)
    # delete then insert: one statement pair that works the same on both backends
    conn.execute(sa.delete(t).where(*key))
    if value is not None:
        conn.execute(
            sa.insert(t).values(
                user_type=user[0], user_id=user[1], name=name, value={"v": value}, updated_at=now
            )
        )
