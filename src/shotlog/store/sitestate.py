"""Site state kept outside entity tables: changed preferences, per-user project access times and
user subscriptions. Plain statements on a connection; the callers decide what to write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.store.tables import (
    field_visibility,
    note_readings,
    project_accesses,
    site_preferences,
    user_subscriptions,
    work_weeks,
)

__all__ = [
    "last_accesses",
    "mark_read",
    "project_visibility",
    "read_notes",
    "read_preferences",
    "read_subscriptions",
    "read_work_weeks",
    "record_access",
    "set_project_visibility",
    "write_preference",
    "write_subscriptions",
    "write_work_week",
]


# Values are stored wrapped in an object: SQLite gives a JSON column numeric affinity, so a bare
# number would come back as a REAL rather than JSON text.


def read_preferences(conn: Connection) -> dict[str, Any]:
    """The preferences changed from their defaults."""
    return {row.name: row.value["v"] for row in conn.execute(sa.select(site_preferences))}


def write_preference(conn: Connection, name: str, value: Any, now: dt.datetime) -> None:
    conn.execute(sa.delete(site_preferences).where(site_preferences.c.name == name))
    conn.execute(sa.insert(site_preferences).values(name=name, value={"v": value}, updated_at=now))


def record_access(conn: Connection, project_id: int, user: tuple[str, int], now: dt.datetime) -> None:
    key = (
        project_accesses.c.project_id == project_id,
        project_accesses.c.user_type == user[0],
        project_accesses.c.user_id == user[1],
    )
    # delete then insert: one statement pair that works the same on both backends
    conn.execute(sa.delete(project_accesses).where(*key))
    conn.execute(
        sa.insert(project_accesses).values(
            project_id=project_id, user_type=user[0], user_id=user[1], accessed_at=now
        )
    )


def last_accesses(
    conn: Connection, project_ids: Iterable[int], user: tuple[str, int]
) -> dict[int, dt.datetime]:
    ids = sorted(set(project_ids))
    if not ids:
        return {}
    rows = conn.execute(
        sa.select(project_accesses.c.project_id, project_accesses.c.accessed_at).where(
            project_accesses.c.user_type == user[0],
            project_accesses.c.user_id == user[1],
            project_accesses.c.project_id.in_(ids),
        )
    )
    return {row.project_id: row.accessed_at for row in rows}


def read_subscriptions(conn: Connection) -> dict[int, Any]:
    rows = conn.execute(sa.select(user_subscriptions).order_by(user_subscriptions.c.user_id))
    return {row.user_id: row.subscription["v"] for row in rows}


def write_subscriptions(conn: Connection, assigned: Mapping[int, Any], now: dt.datetime) -> None:
    for user_id, subscription in assigned.items():
        conn.execute(sa.delete(user_subscriptions).where(user_subscriptions.c.user_id == user_id))
        conn.execute(
            sa.insert(user_subscriptions).values(
                user_id=user_id, subscription={"v": subscription}, updated_at=now
            )
        )


def read_notes(conn: Connection, note_ids: Iterable[int], user: tuple[str, int]) -> set[int]:
    """Which of ``note_ids`` ``user`` has read."""
    ids = sorted(set(note_ids))
    if not ids:
        return set()
    rows = conn.execute(
        sa.select(note_readings.c.note_id).where(
            note_readings.c.user_type == user[0],
            note_readings.c.user_id == user[1],
            note_readings.c.note_id.in_(ids),
        )
    )
    return {row.note_id for row in rows}


def mark_read(conn: Connection, note_id: int, user: tuple[str, int], read: bool, now: dt.datetime) -> bool:
    """Set the read state; whether it changed."""
    key = (
        note_readings.c.note_id == note_id,
        note_readings.c.user_type == user[0],
        note_readings.c.user_id == user[1],
    )
    was = conn.execute(sa.select(sa.literal(1)).where(*key)).first() is not None
    if was == read:
        return False
    if read:
        conn.execute(
            sa.insert(note_readings).values(note_id=note_id, user_type=user[0], user_id=user[1], read_at=now)
        )
    else:
        conn.execute(sa.delete(note_readings).where(*key))
    return True


def project_visibility(conn: Connection, project_id: int) -> dict[tuple[str, str], bool]:
    """(entity type, field) → visible, for the fields whose visibility ``project_id`` sets."""
    rows = conn.execute(sa.select(field_visibility).where(field_visibility.c.project_id == project_id))
    return {(row.entity_type, row.field_name): row.visible for row in rows}


def set_project_visibility(
    conn: Connection, project_id: int, entity_type: str, field_name: str, visible: bool, now: dt.datetime
) -> None:
    conn.execute(
        sa.delete(field_visibility).where(
            field_visibility.c.project_id == project_id,
            field_visibility.c.entity_type == entity_type,
            field_visibility.c.field_name == field_name,
        )
    )
    conn.execute(
        sa.insert(field_visibility).values(
            project_id=project_id,
            entity_type=entity_type,
            field_name=field_name,
            visible=visible,
            updated_at=now,
        )
    )


def read_work_weeks(
    conn: Connection, scopes: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], frozenset[int]]:
    """The stored work weeks of ``scopes`` (``("studio", 0)``, ``("Project", id)``, ``("HumanUser", id)``)."""
    wanted = list(scopes)
    if not wanted:
        return {}
    rows = conn.execute(
        sa.select(work_weeks).where(sa.tuple_(work_weeks.c.scope_type, work_weeks.c.scope_id).in_(wanted))
    )
    return {(row.scope_type, row.scope_id): frozenset(row.days["v"]) for row in rows}


def write_work_week(
    conn: Connection, scope: tuple[str, int], days: Iterable[int] | None, now: dt.datetime
) -> None:
    """Store a scope's work week; None removes it, so the scope follows the one above it again."""
    key = (work_weeks.c.scope_type == scope[0], work_weeks.c.scope_id == scope[1])
    conn.execute(sa.delete(work_weeks).where(*key))
    if days is not None:
        conn.execute(
            sa.insert(work_weeks).values(
                scope_type=scope[0], scope_id=scope[1], days={"v": sorted(days)}, updated_at=now
            )
        )
