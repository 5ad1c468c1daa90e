"""Reading the event log: the head, pages after a cursor, rows by id, events as consumers see them.

Every reader of ``event_log_entries`` above the store goes through here (or, for the lean fast
paths, through ``shotlog.eventlog.rows``, whose column list and driver SQL this module uses too).
A reader reads ``id > cursor ORDER BY id`` and never skips an event. On SQLite ids become visible in
id order (``shotlog.eventlog.log``); on PostgreSQL writers commit concurrently, so every read that
follows the log (the head, pages after a cursor, the daemon's direct source) is bounded by the
*horizon* (``horizon``, from ``shotlog.store.eventids``): the newest id below every id another
transaction still holds. ``find("EventLogEntry")`` applies the same bound (``shotlog.store.reader``).
Reads of given ids or of a given id range are not bounded: they follow nothing. A cursor behind the
live log is checked by ``shotlog.eventlog.floor``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.eventlog.rows import COLUMNS, IMAGE_COLUMNS, ids_sql, link_refs, page_sql, shape
from shotlog.store import eventids
from shotlog.store.database import Database
from shotlog.store.names import names_of
from shotlog.store.tables import event_log_entries as ele

if TYPE_CHECKING:
    from shotlog.store.catalog import Catalog

__all__ = [
    "DATE_SLACK",
    "bounds",
    "count_between",
    "created_at_from",
    "created_at_through",
    "created_span",
    "date_id_bounds",
    "estimate_between",
    "events_after",
    "events_by_id",
    "first_id_since",
    "head_id",
    "horizon",
    "iter_rows",
    "page",
    "rows_by_id",
]

_MAX_ID = sa.select(sa.func.coalesce(sa.func.max(ele.c.id), 0))
# Two scalar subqueries, not min() and max() in one select: SQLite answers a lone min() or max()
# with one index seek, but both in one select scan the whole table.
_BOUNDS = sa.select(
    sa.select(sa.func.min(ele.c.id)).scalar_subquery(), sa.select(sa.func.max(ele.c.id)).scalar_subquery()
)
#: ``EventRow`` columns through SQLAlchemy (meta decoded, created_at a naive UTC datetime)
_SELECT = sa.select(*(ele.c[name] for name in COLUMNS))
_SELECT_ALL = sa.select(*(ele.c[name] for name in COLUMNS + IMAGE_COLUMNS))


def horizon(conn: Connection) -> int | None:
    """The highest id a reader may pass now (None: any visible id, on SQLite). Every id up to it is
    decided: committed and visible to a later statement, or never to be committed. Read it before
    the page it bounds (``shotlog.store.eventids``)."""
    return eventids.horizon(conn, conn.dialect.name == "sqlite")


def head_id(conn: Connection) -> int:
    """The newest event id a reader may pass (0 for an empty log): the newest event on SQLite, the
    horizon on PostgreSQL, below an event a transaction still holds."""
    upto = horizon(conn)
    return int(conn.execute(_MAX_ID).scalar_one()) if upto is None else upto


def bounds(conn: Connection) -> tuple[int, int] | None:
    """The lowest and highest event id in the live log that a reader may pass (the highest up to
    the horizon), None when there is none."""
    upto = horizon(conn)
    first, last = conn.execute(_BOUNDS).one()
    if upto is not None and last is not None:
        last = upto
    return None if first is None or last is None or last < first else (int(first), int(last))


def count_between(conn: Connection, first: int, last: int) -> int:
    """How many events have ``first <= id <= last``: exact, an index range scan of that many ids."""
    if last < first:
        return 0
    return int(conn.execute(sa.select(sa.func.count()).where(ele.c.id.between(first, last))).scalar_one())


def estimate_between(conn: Connection, first: int, last: int) -> int:
    """About how many events have ``first <= id <= last``, from two index seeks: the width of that
    range within the live log's ids. An upper bound: ids a rolled-back write took leave gaps, and
    so would events archived out of the middle (the archive cuts the oldest, so rarely)."""
    span = bounds(conn)
    if span is None:
        return 0
    low, high = max(first, span[0]), min(last, span[1])
    return max(0, high - low + 1)


def first_id_since(conn: Connection, since: dt.datetime) -> int | None:
    """The lowest id of an event created at or after ``since``, None if there is none."""
    found = conn.execute(sa.select(sa.func.min(ele.c.id)).where(ele.c.created_at >= since)).scalar()
    return None if found is None else int(found)


def created_at_from(conn: Connection, at_or_after: int) -> dt.datetime | None:
    """When the first event with an id of at least ``at_or_after`` was created (ids may have gaps)."""
    return conn.execute(
        sa.select(ele.c.created_at).where(ele.c.id >= at_or_after).order_by(ele.c.id).limit(1)
    ).scalar()


def created_at_through(conn: Connection, at_or_before: int) -> dt.datetime | None:
    """When the last event with an id of at most ``at_or_before`` was created."""
    return conn.execute(
        sa.select(ele.c.created_at).where(ele.c.id <= at_or_before).order_by(ele.c.id.desc()).limit(1)
    ).scalar()


def created_span(conn: Connection, first: int, last: int) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The oldest and newest ``created_at`` of the events ``first..last``."""
    oldest, newest = conn.execute(
        sa.select(sa.func.min(ele.c.created_at), sa.func.max(ele.c.created_at)).where(
            ele.c.id.between(first, last)
        )
    ).one()
    return oldest, newest


def page(
    conn: Connection,
    after: int,
    limit: int,
    *,
    to_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Sequence[sa.Row[Any]]:
    """Up to ``limit`` rows (``EventRow`` columns) with ``id > after`` in id order; optionally only
    ids up to ``to_id`` and events created in ``[since, until]`` (naive UTC, both inclusive). Never
    past the horizon."""
    conds = [ele.c.id > after]
    upto = horizon(conn)
    if upto is not None:
        to_id = upto if to_id is None else min(to_id, upto)
    if to_id is not None:
        conds.append(ele.c.id <= to_id)
    if since is not None:
        conds.append(ele.c.created_at >= since)
    if until is not None:
        conds.append(ele.c.created_at <= until)
    return conn.execute(_SELECT.where(*conds).order_by(ele.c.id).limit(limit)).all()


def rows_by_id(conn: Connection, ids: Sequence[int], *, chunk: int = 1000) -> dict[int, Mapping[str, Any]]:
    """``{id: row}`` (``EventRow`` columns as a dict) of the given ids that are in the live log."""
    wanted = sorted(set(ids))
    out: dict[int, Mapping[str, Any]] = {}
    for start in range(0, len(wanted), chunk):
        for r in conn.execute(_SELECT.where(ele.c.id.in_(wanted[start : start + chunk]))):
            out[r.id] = dict(r._mapping)
    return out


def iter_rows(db: Database, after_id: int = 0, *, batch: int = 1000) -> Iterator[sa.Row[Any]]:
    """Every raw event row (every column) with ``id > after_id`` in id order, a batch per query
    (flat memory)."""
    cursor = after_id
    while True:
        with db.read() as conn:
            upto = horizon(conn)
            query = _SELECT_ALL.where(ele.c.id > cursor)
            if upto is not None:
                query = query.where(ele.c.id <= upto)
            rows = conn.execute(query.order_by(ele.c.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        cursor = rows[-1].id


#: longer than any write transaction lasts: see date_id_bounds
DATE_SLACK = dt.timedelta(days=1)


def date_id_bounds(
    conn: Connection, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[int | None, int | None]:
    """Ids ``(after, before)`` that enclose every event created in ``[since, until)`` (naive UTC),
    from two index seeks: every such event has ``after < id < before`` (None: no bound).

    A date range ordered by id has no index that serves both: SQLite walks the id order from the
    head and tests every row's date, millions of rows for a day a year back. Ids grow with time,
    though not strictly: ``created_at`` is when a write began, the id is given when it ends. So
    with P the event created last before ``since - SLACK``, every event created at or after
    ``since`` began after P had ended (no write lasts SLACK) and has a higher id; likewise every
    event created before ``until`` has a lower id than the first one created at or after
    ``until + SLACK``.
    """
    after = before = None
    if since is not None:
        after = conn.execute(
            sa.select(ele.c.id)
            .where(ele.c.created_at < since - DATE_SLACK)
            .order_by(ele.c.created_at.desc())
            .limit(1)
        ).scalar()
    if until is not None:
        before = conn.execute(
            sa.select(ele.c.id)
            .where(ele.c.created_at >= until + DATE_SLACK)
            .order_by(ele.c.created_at.asc())
            .limit(1)
        ).scalar()
    return (None if after is None else int(after)), (None if before is None else int(before))


# -- the fast path: driver rows shaped as consumers see them -----------------------------------------


def _events(
    db: Database,
    catalog: Catalog,
    sql: str,
    params: Sequence[Any],
    *,
    bounded: bool = False,
    **options: Any,
) -> list[dict[str, Any]]:
    """Rows straight from the log, their links named in one query per page (``names_of``: a retired
    subject reads as a null link, as ``find`` reads it), shaped by ``rows.shape``. ``bounded``: the
    statement's last parameter is the horizon, read here first (PostgreSQL).

    Plain SQL on the driver's cursor: no statement compilation and no per-row result objects (the
    event daemon reads every event this way)."""
    with db.read() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if bounded:
                cursor.execute(eventids.HORIZON_SQL)
                row = cursor.fetchone()
                assert row is not None  # an aggregate always has its row
                params = (*params, row[0])
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        refs = link_refs(rows)
        names = names_of(conn, catalog, catalog.schema, refs) if refs else {}
    return shape(rows, names, **options)


_AFTER_SQL: dict[tuple[bool, int, bool], str] = {}


def _omit(options: Mapping[str, Any]) -> tuple[str, ...]:
    """Columns the shaped events leave out, so the statement need not read them."""
    return () if options.get("description", True) else ("description",)


def events_after(
    db: Database, catalog: Catalog, after: int, limit: int, **options: Any
) -> list[dict[str, Any]]:
    """Up to ``limit`` events with ``id > after``, in id order, as ``rows.shape`` makes them
    (``options`` are its keyword arguments)."""
    omit = _omit(options)
    key = (db.is_sqlite, limit, bool(omit))
    sql = _AFTER_SQL.get(key)
    if sql is None:
        sql = _AFTER_SQL[key] = page_sql(db.is_sqlite, limit, omit=omit, upto=not db.is_sqlite)[0]
    return _events(db, catalog, sql, (after,), bounded=not db.is_sqlite, **options)


def events_by_id(db: Database, catalog: Catalog, ids: Sequence[int], **options: Any) -> list[dict[str, Any]]:
    """The events with these ids that are in the live log, in id order, as ``events_after``."""
    wanted = sorted({int(i) for i in ids})
    out: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 500):  # bounded statements (SQLite's parameter limit)
        chunk = wanted[start : start + 500]
        sql = ids_sql(db.is_sqlite, len(chunk), omit=_omit(options))
        out += _events(db, catalog, sql, chunk, **options)
    return out
