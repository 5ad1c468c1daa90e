"""Who follows which entity (shotgun_api3's follow, unfollow, followers, following)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.clock import utcnow_seconds
from shotlog.errors import ValidationError
from shotlog.store.tables import follows

__all__ = ["follow", "followers", "following", "link_ref", "unfollow"]


def link_ref(link: object, what: str) -> tuple[str, int]:
    """``(type, id)`` of a follow argument's entity link; a ValidationError naming ``what`` and the
    value otherwise (pure). ``True`` is an int to Python, and SQLite would store it as 1, so a bool
    id is refused by name."""
    if isinstance(link, dict):
        kind, ident = link.get("type"), link.get("id")
        if isinstance(kind, str) and kind and isinstance(ident, int) and not isinstance(ident, bool):
            return kind, ident
        if "id" in link and (isinstance(ident, bool) or not isinstance(ident, int)):
            raise ValidationError(
                f"{what} must be an entity link whose id is an integer, got id {ident!r} in {link!r}",
                parameter=what,
                value=link,
            )
    raise ValidationError(
        f"{what} must be an entity link {{'type': ..., 'id': ...}}, got {link!r}", parameter=what, value=link
    )


def follow(conn: Connection, user: tuple[str, int], entity: tuple[str, int]) -> None:
    exists = conn.execute(
        sa.select(sa.literal(1)).where(
            follows.c.user_type == user[0],
            follows.c.user_id == user[1],
            follows.c.entity_type == entity[0],
            follows.c.entity_id == entity[1],
        )
    ).first()
    if exists is None:
        conn.execute(
            sa.insert(follows).values(
                user_type=user[0],
                user_id=user[1],
                entity_type=entity[0],
                entity_id=entity[1],
                created_at=utcnow_seconds(),
            )
        )


def unfollow(conn: Connection, user: tuple[str, int], entity: tuple[str, int]) -> None:
    conn.execute(
        sa.delete(follows).where(
            follows.c.user_type == user[0],
            follows.c.user_id == user[1],
            follows.c.entity_type == entity[0],
            follows.c.entity_id == entity[1],
        )
    )


def followers(conn: Connection, entity: tuple[str, int]) -> list[tuple[str, int]]:
    rows = conn.execute(
        sa.select(follows.c.user_type, follows.c.user_id)
        .where(follows.c.entity_type == entity[0], follows.c.entity_id == entity[1])
        .order_by(follows.c.created_at, follows.c.user_id)
    )
    return [(r.user_type, r.user_id) for r in rows]


def following(
    conn: Connection, user: tuple[str, int], entity_type: str | None = None
) -> list[tuple[str, int]]:
    stmt: Any = sa.select(follows.c.entity_type, follows.c.entity_id).where(
        follows.c.user_type == user[0], follows.c.user_id == user[1]
    )
    if entity_type:
        stmt = stmt.where(follows.c.entity_type == entity_type)
    return [(r.entity_type, r.entity_id) for r in conn.execute(stmt.order_by(follows.c.created_at))]
