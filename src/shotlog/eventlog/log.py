"""Appending events so that readers never skip one (reading them: ``shotlog.eventlog.read``).

The ordering guarantee: a consumer that reads ``id > cursor ORDER BY id`` never skips an event.

* SQLite: every write transaction already holds the database's single write lock (``BEGIN
  IMMEDIATE``, see ``shotlog.store.database``), so ids are assigned as ``max(id) + 1`` and become
  visible in id order; a transaction that rolls back leaves no hole, because the next appender
  reads ``max(id)`` again.
* PostgreSQL: writers commit concurrently. Each append reserves its ids above every id committed
  or still reserved (``shotlog.store.eventids``), and readers read only up to the horizon below
  the smallest id another transaction still holds (``shotlog.eventlog.read``), so a page never
  passes an id that may yet commit. A rolled-back reservation leaves a gap unless it was the
  newest (the next one then takes its ids again).

On PostgreSQL a wake-up hint (``NOTIFY shotlog_events``) follows the end of a transaction that
reserved ids (``shotlog.store.eventids.wake``); polling stays the correctness path.

On a database that mirrors an FPTR site the log's ids are the site's (``append_foreign``), so
``append`` keeps shotlog's own events there apart, in ``shotlog.store.local_events``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.eventlog.events import Actor, PendingEvent
from shotlog.store import driver, eventids, local_events, mirrors
from shotlog.store.database import Database
from shotlog.store.tables import event_log_entries as ele

__all__ = ["NOTIFY_CHANNEL", "ForeignIdError", "append", "append_foreign", "remove_archived"]

NOTIFY_CHANNEL = "shotlog_events"

_INSERT = sa.insert(ele)
_MAX_ID = sa.select(sa.func.coalesce(sa.func.max(ele.c.id), 0))
# One event in one statement: the id is computed inside the INSERT (RETURNING: PostgreSQL, SQLite 3.35+).
_INSERT_NEXT = sa.insert(ele).values(id=(_MAX_ID.scalar_subquery() + 1)).returning(ele.c.id)
# PostgreSQL: the id reserved by the INSERT itself (shotlog.store.eventids)
_INSERT_RESERVED = sa.insert(ele).values(id=sa.literal_column(eventids.RESERVE_ONE)).returning(ele.c.id)


def append(
    conn: Connection, db: Database, events: Sequence[PendingEvent], actor: Actor, now: dt.datetime
) -> None:
    """Assign ids to ``events`` and insert them: the last step of a write transaction.

    On a mirrored database they are kept as its local events instead, and get no id."""
    if not events:
        return
    if mirrors.mirrored_site(db) is not None:
        # The mirror appends the site's next id here: a local event taking it would be passed by
        # every reader of ``id > cursor`` and stop the mirror (issue 20).
        local_events.record(conn, [_row(ev, actor, now) for ev in events])
        return
    sqlite = db.is_sqlite
    # SQLite: this transaction holds the only right to append, so the common case (one event) can
    # compute max(id) + 1 inside its INSERT; several events need their ids up front for
    # back-references. PostgreSQL: one event reserves its id inside its INSERT, several reserve
    # theirs first.
    single = len(events) == 1
    if single:
        next_id = 0
    elif sqlite:
        next_id = int(conn.execute(_MAX_ID).scalar_one()) + 1
    else:
        next_id = eventids.reserve(conn, len(events))
    rows: list[dict[str, Any]] = []
    for ev in events:
        ev.id = next_id or None
        next_id += 1
        row = _row(ev, actor, now)
        if not single:
            row["id"] = ev.id
        rows.append(row)
    if single:

        def took(inserted: driver.Record | None) -> None:
            assert inserted is not None  # RETURNING always gives the row it inserted
            new_id = int(inserted.id)
            events[0].id = new_id
            if not sqlite:
                eventids.reserved(conn, new_id)

        # at a write's end on PostgreSQL the INSERT goes with the COMMIT, and its id is known after
        # it (only the wake-up hint needs it then: shotlog.store.driver's commit tail)
        driver.fetch_one_later(conn, _INSERT_NEXT if sqlite else _INSERT_RESERVED, rows[0], took)
    else:
        driver.executemany(conn, _INSERT, rows)


def _row(ev: PendingEvent, actor: Actor, now: dt.datetime) -> dict[str, Any]:
    """The event's row, without its id; fills in what the actor and the time give."""
    if ev.user is None:
        ev.user = actor.link()
    if ev.session_uuid is None:
        ev.session_uuid = actor.session_uuid
    if ev.created_at is None:
        ev.created_at = now
    if ev.original is not None and ev.meta is not None:
        ev.meta["original_event_log_entry_id"] = ev.original.id
    return {
        "event_type": ev.event_type,
        "description": ev.description,
        "entity_type": ev.entity[0] if ev.entity else None,
        "entity_id": ev.entity[1] if ev.entity else None,
        "project_type": ev.project[0] if ev.project else None,
        "project_id": ev.project[1] if ev.project else None,
        "user_type": ev.user[0] if ev.user else None,
        "user_id": ev.user[1] if ev.user else None,
        "attribute_name": ev.attribute_name,
        "meta": ev.meta,
        "session_uuid": ev.session_uuid,
        "created_at": ev.created_at,
    }


class ForeignIdError(ValueError):
    """Events with given ids that would not come after the log's head."""


#: the columns an event from elsewhere may set (its id included); the rest stay NULL
FOREIGN_COLUMNS = frozenset(
    (
        "id",
        "event_type",
        "description",
        "entity_type",
        "entity_id",
        "project_type",
        "project_id",
        "user_type",
        "user_id",
        "attribute_name",
        "meta",
        "session_uuid",
        "created_at",
        "image",
        "cached_display_name",
    )
)


def append_foreign(conn: Connection, db: Database, rows: Sequence[dict[str, Any]]) -> None:
    """Insert events that already have their ids and every field (a mirrored site's events), as
    the last step of a write transaction.

    They take the same right to append as ``append``, and their ids must be above the log's head
    and rising, so the ordering guarantee holds for them too: a reader of ``id > cursor`` never
    skips one. Ids may leave gaps (the site's own). Raises ``ForeignIdError`` otherwise.
    """
    if not rows:
        return
    # SQLite: the write lock makes max(id) the head. PostgreSQL: the reservation below refuses ids
    # that are not above every id committed or reserved (shotlog.store.eventids).
    previous = int(conn.execute(_MAX_ID).scalar_one()) if db.is_sqlite else 0
    for row in rows:
        unknown = set(row) - FOREIGN_COLUMNS
        if unknown:
            raise ForeignIdError(f"not an event column: {sorted(unknown)}")
        if int(row["id"]) <= previous:
            raise ForeignIdError(f"event id {row['id']} does not come after {previous}, the log's head")
        previous = int(row["id"])
    if not db.is_sqlite:
        first = int(rows[0]["id"])
        try:
            with conn.begin_nested():
                eventids.reserve(conn, previous - first + 1, first)
        except sa.exc.DBAPIError as exc:
            if not eventids.refused(exc):
                raise
            raise ForeignIdError(f"event id {first} does not come after the log's head") from exc
    driver.executemany(conn, _INSERT, [dict(r) for r in rows])


def remove_archived(conn: Connection, first: int, last: int) -> int:
    """Delete the events ``first..last``, which the archive has stored; how many rows went.

    The only path that removes events from the live log: the archive job calls it in the
    transaction that also moves the live floor, and nothing else may (the API refuses deletes of
    EventLogEntry). Removing a prefix of ids keeps every cursor after it valid.
    """
    return int(conn.execute(sa.delete(ele).where(ele.c.id.between(first, last))).rowcount)


def set_image(conn: Connection, event_id: int, field: str, stored: str | None) -> bool:
    """Set an event's ``image`` or ``filmstrip_image`` (a thumbnail uploaded for it, as Toolkit
    does for its own events); the only change an appended event ever takes, and it logs none.
    False when there is no such event."""
    if field not in ("image", "filmstrip_image"):
        raise ValueError(f"EventLogEntry.{field} is not a thumbnail field")
    done = conn.execute(ele.update().where(ele.c.id == event_id).values({field: stored}))
    return bool(done.rowcount)
