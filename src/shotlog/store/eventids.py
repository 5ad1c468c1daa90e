"""Event ids on PostgreSQL: handed out without serializing commits, read up to a safe horizon.

The ordering guarantee (a reader of ``id > cursor ORDER BY id`` never skips an event) needs every
id a reader passes to be decided: committed and visible, or never to be committed. On SQLite the
database's single write lock gives that for free (``shotlog.eventlog.log`` assigns ``max(id) + 1``
under it). On PostgreSQL writers commit concurrently, so that their commits (and WAL flushes)
overlap, and the guarantee is kept by two halves that live here together:

* **Reserving** (``reserve``, run by the appending transaction): under a short allocation lock
  (a session advisory lock taken and given back inside one function call, never held while
  anything else is awaited) the next ids are chosen above every id that is committed or reserved
  by a transaction still running, and the reservation is published as transaction advisory locks
  on its first and last id. PostgreSQL releases those at commit, at rollback (of the transaction
  or of the savepoint that took them) and when the session dies, after the commit became visible.
* **The horizon** (``horizon``, run by every reader before it reads the log): the newest id
  below the smallest id still reserved by another transaction. Every id up to it is decided, so a
  page read with a later snapshot and bounded by it skips nothing. A transaction that stays open
  holds the horizon (readers wait there, writers do not); a rolled-back one leaves a gap readers
  pass once its locks are gone.

The proof is in docs/architecture.md ("The event log and its ordering guarantee"). The function
that reserves is created per connection in ``pg_temp`` (``install``): a schema object would need a
migration, and a temporary function is compiled once per session rather than per write.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.store import driver

log = logging.getLogger(__name__)

__all__ = [
    "ALLOCATION_KEY",
    "HORIZON_SQL",
    "RESERVE_ONE",
    "horizon",
    "install",
    "refused",
    "reserve",
    "reserved",
    "wake",
]

#: the session advisory lock that makes "look at every reservation, then take the next ids" one step
ALLOCATION_KEY = 0x5E7A_4541
# Reservations are transaction advisory locks on the bigint key (_CLASS << 32) + id: pg_locks shows
# them with classid _CLASS + (id >> 32) and objid the id's low 32 bits (ids below 2**40).
_CLASS = 0x5E7A_4500
_CLASS_END = _CLASS + 0x100
_BASE = _CLASS << 32
_RESERVED_ID = f"(((l.classid::bigint - {_CLASS}) << 32) | l.objid::bigint)"
# pg_locks shows the whole cluster's locks: only this database's are its reservations
_RESERVATIONS = (
    "FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted"
    " AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())"
    f" AND l.classid::bigint >= {_CLASS} AND l.classid::bigint < {_CLASS_END}"
)

# One function call per append. Each SQL statement of a plpgsql function takes a new snapshot (READ
# COMMITTED), so the log's max(id) is read *after* the locks: a writer that committed in between is
# visible there, because PostgreSQL releases a transaction's locks only after its commit is
# visible. ``wanted`` reserves given ids (a mirrored site's events), refused unless above them all.
_FUNCTION = f"""
CREATE OR REPLACE FUNCTION pg_temp.shotlog_event_ids(n bigint, wanted bigint) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    reserved bigint;
    committed bigint;
    first_id bigint;
BEGIN
    PERFORM pg_advisory_lock({ALLOCATION_KEY});
    BEGIN
        SELECT max({_RESERVED_ID}) INTO reserved {_RESERVATIONS};
        SELECT coalesce(max(id), 0) INTO committed FROM event_log_entries;
        first_id := greatest(coalesce(reserved, 0), committed) + 1;
        IF wanted IS NOT NULL THEN
            IF wanted < first_id THEN
                RAISE EXCEPTION 'event id % does not come after %, the log''s head', wanted, first_id - 1
                    USING ERRCODE = 'P0001', HINT = 'shotlog.event_ids';
            END IF;
            first_id := wanted;
        END IF;
        PERFORM pg_advisory_xact_lock({_BASE} + first_id), pg_advisory_xact_lock({_BASE} + first_id + n - 1);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM pg_advisory_unlock({ALLOCATION_KEY});
        RAISE;
    END;
    PERFORM pg_advisory_unlock({ALLOCATION_KEY});
    RETURN first_id;
END
$fn$
"""

#: the horizon in one statement: its snapshot is taken before pg_locks is read, which the proof needs
HORIZON_SQL = (
    "SELECT coalesce(max(id), 0) FROM event_log_entries WHERE id < coalesce("
    f"(SELECT min({_RESERVED_ID}) {_RESERVATIONS} AND l.pid <> pg_backend_pid()), 9223372036854775807)"
)
_HORIZON = sa.text(HORIZON_SQL)
_RESERVE = sa.select(
    sa.func.pg_temp.shotlog_event_ids(
        sa.cast(sa.bindparam("n"), sa.BigInteger),
        sa.cast(sa.bindparam("wanted"), sa.BigInteger),
        type_=sa.BigInteger,
    ).label("first_id")
)
#: SQL for an INSERT that reserves its one event's id itself (one round trip for the common case)
RESERVE_ONE = "pg_temp.shotlog_event_ids(1, NULL)"


# conn.info key: the newest id this connection's transaction reserved, for ``wake``
_WAKE = "shotlog.event_ids_reserved"
# one round trip, no parameters: the driver sends the statements together
_NOTIFY = "BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_notify('shotlog_events', '{last}'); COMMIT"


def install(dbapi_connection: Any, *, lock_timeout: str) -> None:
    """Create the reserving function for a new PostgreSQL session (its own, in ``pg_temp``), and set
    the session's ``lock_timeout``, which also bounds a wait for the allocation lock."""
    with dbapi_connection.cursor() as cur:
        cur.execute(_FUNCTION)
        cur.execute(f"SET lock_timeout = '{lock_timeout}'")
    dbapi_connection.commit()


def reserve(conn: Connection, count: int, first: int | None = None) -> int:
    """Reserve ``count`` consecutive ids for this PostgreSQL transaction and return the first;
    with ``first``, exactly those ids (refused with an error unless above every id committed or
    reserved). The reservation ends with the transaction, or with the savepoint it was made in;
    consumers are woken then (``reserved``, ``wake``)."""
    row = driver.fetch_one(conn, _RESERVE, {"n": count, "wanted": first})
    assert row is not None
    first_id = int(row.first_id)
    reserved(conn, first_id + count - 1)
    return first_id


def reserved(conn: Connection, last: int) -> None:
    """Note that this transaction holds ids up to ``last`` (``RESERVE_ONE`` in an INSERT tells
    its id only afterwards), so that ``wake`` sends the hint when the transaction ends."""
    info = conn.info
    info[_WAKE] = max(last, info.get(_WAKE, 0))


def wake(conn: Connection) -> None:
    """After a transaction that reserved ids ended, committed or rolled back: ``NOTIFY
    shotlog_events`` with the newest id it held, in a short transaction of its own.

    Not inside the writing transaction: PostgreSQL serializes the commits of every transaction
    that notifies (a lock on the database's notification queue from before the commit's flush to
    its end), which would undo the overlap of commits this module exists for. This transaction
    commits asynchronously (it writes nothing worth a flush). After a rollback the hint matters
    too: readers waiting at the horizon below the released ids may now pass them. A hint that
    fails is only logged: the write it follows is already decided, and polling is the
    correctness path."""
    try:
        last = conn.info.pop(_WAKE, None)
    except Exception:  # a connection SQLAlchemy invalidated has no info: nothing was reserved on it since
        return
    if last is None:
        return
    try:
        # one round trip: the driver connection is idle between transactions, and in autocommit
        # mode the statements below run as the one transaction they spell out
        raw: Any = conn.connection.driver_connection
        raw.autocommit = True
        try:
            raw.execute(_NOTIFY.format(last=int(last)).encode())
        finally:
            raw.autocommit = False
    except Exception:  # the hint is best effort; the consumers' timeout covers a lost one
        log.warning("could not send the event log's wake-up hint", exc_info=True)


def horizon(conn: Connection, sqlite: bool) -> int | None:
    """The highest event id a reader may pass now, or None when every visible id is safe (SQLite,
    whose one writer makes ids visible in order). Read it *before* the page it bounds: the page's
    statement must take its snapshot later."""
    if sqlite:
        return None
    return int(conn.execute(_HORIZON).scalar_one())


def refused(exc: BaseException) -> bool:
    """Whether a driver error is ``reserve``'s refusal of given ids that are not above the head."""
    orig = getattr(exc, "orig", exc)
    diag = getattr(orig, "diag", None)
    return getattr(diag, "message_hint", None) == "shotlog.event_ids"
