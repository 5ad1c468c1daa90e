"""Turning events into deliveries: the dispatch cursor and its page of events, replays, redeliveries
and service deliveries (test connections). Events are read through ``shotlog.eventlog.read``.

The cursor is safe because event ids become visible in id order (``shotlog.eventlog.log``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shotlog.clock import utcnow
from shotlog.eventlog import read as eventlog
from shotlog.store import driver
from shotlog.store.database import Database
from shotlog.store.tables import webhook_cursor as cur
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.store.tables import webhook_hooks as hk
from shotlog.webhooks.records import (
    HELD,
    PENDING,
    Hook,
    delivery_row,
    hook_from_row,
)
from shotlog.webhooks.states import OWED
from shotlog.webhooks.status import HookStatus

__all__ = [
    "OwedEvents",
    "any_hook",
    "cursor_position",
    "dispatch",
    "insert_service",
    "owed_events",
    "redeliver",
    "replay",
]

# The hot statement, built once: ``driver.executemany`` compiles it once and sends plain driver SQL.
_INSERT_DELIVERY = sa.insert(dlv)
#: the dispatch cursor: a single row (id 1) shared by every worker
_CURSOR = sa.select(cur.c.last_event_id).where(cur.c.id == 1)
#: whether any hook exists (deleted hooks leave no row)
_ANY_HOOK = sa.select(hk.c.id).limit(1)


# -- dispatch ---------------------------------------------------------------------------------------


def dispatch(
    db: Database, match: Any, *, limit: int = 2000, now: dt.datetime | None = None
) -> tuple[int, int]:
    """Turn up to ``limit`` events after the cursor into deliveries, and advance the cursor, in one
    transaction: a crash before the commit leaves both as they were, so no delivery is ever lost or
    made twice. ``match(hooks)`` returns the matcher (see ``dispatcher``).

    The cursor is safe because event ids become visible in id order (``eventlog.log``). On
    PostgreSQL the cursor row is locked with NOWAIT-style SKIP LOCKED: while one worker dispatches,
    the others skip dispatching instead of queueing behind it. Returns (events read, deliveries made);
    (-1, 0) when another worker holds the cursor.
    """
    now = now or utcnow()
    with db.read() as conn:
        # Most wake-ups find nothing new (or events another worker already took): a read decides,
        # so an idle worker never takes the write lock.
        position = conn.execute(_CURSOR).scalar()
        head = eventlog.head_id(conn)
    if position is not None and head <= position:
        return 0, 0
    with db.write() as conn:
        query = _CURSOR
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        cursor = conn.execute(query).scalar()
        if cursor is None:
            if not db.is_sqlite and conn.execute(sa.select(sa.func.count()).select_from(cur)).scalar_one():
                return -1, 0  # the row exists: another worker holds it
            head = eventlog.head_id(conn)
            conn.execute(sa.insert(cur).values(id=1, last_event_id=head))
            return 0, 0
        hooks = [hook_from_row(r) for r in conn.execute(sa.select(hk))]
        subscriptions = match(hooks)
        if not subscriptions:
            # Nothing subscribes: jump to the head without reading the events.
            head = eventlog.head_id(conn)
            if head > cursor:
                conn.execute(sa.update(cur).where(cur.c.id == 1).values(last_event_id=head))
            return head - cursor, 0
        # No hook takes an event at or before its own start (replays aside), so a cursor left
        # behind while there were no hooks jumps to the oldest hook's start without reading.
        start = max(cursor, min(h.start_event_id for h in hooks))
        events = eventlog.page(conn, start, limit)
        if not events:
            if start > cursor:
                conn.execute(sa.update(cur).where(cur.c.id == 1).values(last_event_id=start))
            return 0, 0
        held = {h.id for h in hooks if h.status.holds}
        rows: list[dict[str, Any]] = []
        for ev in events:
            m = ev._mapping
            for hook_id in subscriptions.match(m):
                rows.append(
                    delivery_row(
                        hook_id,
                        m["id"],
                        "event",
                        now,
                        state=HELD if hook_id in held else PENDING,
                        event_time=m["created_at"],
                        entity=(m["entity_type"], m["entity_id"]),
                    )
                )
        if rows:
            driver.executemany(conn, _INSERT_DELIVERY, rows)
        conn.execute(sa.update(cur).where(cur.c.id == 1).values(last_event_id=events[-1].id))
    return len(events), len(rows)


def any_hook(db: Database) -> bool:
    """Whether any hook exists. While none does, the dispatch cursor may stay behind: a hook made
    later starts after the head at its creation (``start_event_id``), and ``dispatch`` skips to the
    oldest hook's start."""
    with db.read() as conn:
        return conn.execute(_ANY_HOOK).first() is not None


def cursor_position(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(_CURSOR).scalar() or 0)


def redeliver(db: Database, delivery_id: str, now: dt.datetime) -> str | None:
    """A new pending delivery of the same event to the same hook, linked to the original."""
    with db.write() as conn:
        row = conn.execute(sa.select(dlv).where(dlv.c.id == delivery_id)).first()
        if row is None:
            return None
        status = conn.execute(sa.select(hk.c.status).where(hk.c.id == row.hook_id)).scalar()
        new = delivery_row(
            row.hook_id,
            row.event_id,
            row.kind,
            now,
            state=HELD
            if status is not None and HookStatus(status).holds and row.kind != "status"
            else PENDING,
            event_time=row.event_time,
            entity=(row.entity_type, row.entity_id),
            service_data=row.service_data,
            redelivery_of=row.id,
        )
        conn.execute(sa.insert(dlv).values(new))
    return str(new["id"])


def replay(
    db: Database,
    hook: Hook,
    matcher: Any,
    *,
    after_id: int = 0,
    to_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime,
    chunk: int = 5000,
) -> int:
    """Queue the hook's matching events of an id or time range again (kind ``replay``)."""
    total = 0
    cursor = after_id
    while True:
        with db.write() as conn:
            events = eventlog.page(conn, cursor, chunk, to_id=to_id, since=since, until=until)
            if not events:
                return total
            state = HELD if hook.status.holds else PENDING
            rows = [
                delivery_row(
                    hook.id,
                    e.id,
                    "replay",
                    now,
                    state=state,
                    event_time=e.created_at,
                    entity=(e.entity_type, e.entity_id),
                )
                for e in events
                if matcher.match(e._mapping)
            ]
            if rows:
                conn.execute(sa.insert(dlv), rows)
        total += len(rows)
        cursor = events[-1].id


def insert_service(
    db: Database,
    hook_id: str,
    kind: str,
    data: Any,
    now: dt.datetime,
    *,
    claimed_until: dt.datetime | None = None,
) -> str:
    """Queue a service delivery (no event-log row); ``claimed_until`` inserts it already claimed, by
    a caller that sends it itself (a test connection), so no worker can take it meanwhile."""
    row = delivery_row(hook_id, 0, kind, now, service_data=data)
    row["claimed_until"] = claimed_until
    with db.write() as conn:
        conn.execute(sa.insert(dlv).values(row))
    return str(row["id"])


# -- what receivers are still owed ------------------------------------------------------------------


@dataclass(frozen=True)
class OwedEvents:
    """The events webhooks still need from the log (the archive leaves them live)."""

    #: the last event the dispatcher has turned into deliveries: later ones are not matched yet
    dispatched_through: int
    #: the oldest event of a pending or held delivery, None when none is owed
    first_owed: int | None


def owed_events(db: Database) -> OwedEvents | None:
    """What webhooks still need from the event log; None while no hook exists (nothing is needed).

    A delivery is built from its event row when it is sent, so events of pending or held
    deliveries (a Failed or Disabled hook holds its deliveries until an operator acts) must stay,
    and so must those the dispatcher has not reached yet.
    """
    with db.read() as conn:
        if conn.execute(_ANY_HOOK).first() is None:
            return None
        position = int(conn.execute(_CURSOR).scalar() or 0)
        first = conn.execute(
            sa.select(sa.func.min(dlv.c.event_id)).where(dlv.c.state.in_(OWED), dlv.c.event_id > 0)
        ).scalar()
    return OwedEvents(position, None if first is None else int(first))
