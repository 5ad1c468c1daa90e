"""shotlog's own events on a database that mirrors an FPTR site (``mirror_local_events``).

A mirror's ``event_log_entries`` holds the site's events with the site's ids, and nothing else:
every reader of ``id > cursor`` (webhooks, the daemon's direct source, the live stream, export,
the archive) takes its ids for the site's, and the mirror appends the site's next id there. What
shotlog does on the mirror's database by itself (a webhook created or changed, a script made or
given a key, a personal access token, a permission rule edit, a sign-in and its throttling, the
admin and script ``shotlog serve`` sets up) is still written down, with the same fields an event
has, here: ``shotlog.eventlog.log.append`` sends a mirrored database's events to ``record`` in the
transaction that made the change. They have ids of their own, and are read by
``shotlog mirror local-events``, the mirror's status (CLI, REST, the web UI's daemon page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.store import driver
from shotlog.store.tables import mirror_local_events as mle

__all__ = ["COLUMNS", "count", "newest", "record"]

#: the columns of a local event (an event's, without the log's id and image fields)
COLUMNS = tuple(c.name for c in mle.columns if c.name != "id")
_INSERT = sa.insert(mle)
_COUNT = sa.select(sa.func.count()).select_from(mle)


def record(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Keep these events (the values of event rows, without ids) as the mirror's own."""
    if rows:
        driver.executemany(conn, _INSERT, [{k: r.get(k) for k in COLUMNS} for r in rows])


def count(conn: Connection) -> int:
    return int(conn.execute(_COUNT).scalar_one())


def _link(row: Any, name: str) -> dict[str, Any] | None:
    t, i = getattr(row, f"{name}_type"), getattr(row, f"{name}_id")
    return None if t is None or i is None else {"type": t, "id": int(i)}


def _iso(value: dt.datetime) -> str:
    return value.isoformat() + "Z"


def newest(conn: Connection, limit: int = 20, before: int | None = None) -> list[dict[str, Any]]:
    """The newest local events (below id ``before``), newest first, as JSON-ready dicts."""
    stmt = sa.select(mle).order_by(mle.c.id.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(mle.c.id < before)
    return [
        {
            "id": int(r.id),
            "created_at": _iso(r.created_at),
            "event_type": r.event_type,
            "description": r.description,
            "user": _link(r, "user"),
            "entity": _link(r, "entity"),
            "project": _link(r, "project"),
            "attribute_name": r.attribute_name,
            "meta": r.meta,
            "session_uuid": r.session_uuid,
        }
        for r in conn.execute(stmt)
    ]
