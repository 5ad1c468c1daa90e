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
import os
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.store import driver

log = logging.getLogger(__name__)

__all__ = [
    "ALLOCATION_KEY",
    "HORIZON_SQL",
    "RESERVE_ONE",
    "Notifier",
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
#: the hint's statement, on the notifier's own autocommit connection (its transaction writes nothing
#: worth a flush: ``synchronous_commit`` is off for that session)
_NOTIFY = "SELECT pg_notify('shotlog_events', %s)"


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


def wake(conn: Connection, notifier: Notifier) -> None:
    """After a transaction that reserved ids ended, committed or rolled back: hand the newest id it
    held to ``notifier``, which sends ``NOTIFY shotlog_events`` soon after, without this thread
    waiting for it.

    Not inside the writing transaction: PostgreSQL serializes the commits of every transaction
    that notifies (a lock on the database's notification queue from before the commit's flush to
    its end), which would undo the overlap of commits this module exists for. After a rollback the
    hint matters too: readers waiting at the horizon below the released ids may now pass them."""
    try:
        last = conn.info.pop(_WAKE, None)
    except Exception:  # a connection SQLAlchemy invalidated has no info: nothing was reserved on it since
        return
    if last is not None:
        notifier.hint(int(last))


class Notifier:
    """The wake-up hints of one process's writers to one PostgreSQL database, sent by a thread of
    its own on a connection of its own.

    A hint is a few hundred µs of a round trip and a short transaction; sent by each writer after
    its commit, it was one more transaction per update that the request waited for. Here the writer
    only notes its newest id and goes on; the thread sends one NOTIFY carrying the newest id noted
    so far, so hints of commits that end while one is being sent share the next one. A waiter is
    woken a round trip after the commit, as before. A hint that cannot be sent is only logged:
    consumers poll too (``shotlog.eventlog.wakeup``), so a lost one delays and never loses."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect  # a new psycopg connection of the notifier's own
        self._cond = threading.Condition()
        self._pending = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self._pid = 0

    def hint(self, last: int) -> None:
        with self._cond:
            if self._closed:
                return
            self._pending = max(self._pending, last)
            # started on first use, and again in a forked child (whose parent's thread is not there)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="shotlog-event-hints", daemon=True)
                self._thread.start()
            self._cond.notify()

    def close(self) -> None:
        """Send what is pending, then stop the thread and close its connection (a later hint,
        from a store used again after ``dispose``, starts them again)."""
        with self._cond:
            self._closed = True
            thread = self._thread
            self._cond.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        with self._cond:
            self._closed = False

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                last, self._pending = self._pending, 0
                closed = self._closed
            if last:
                self._send(last)
            if closed:
                self._disconnect()
                return

    def _send(self, last: int) -> None:
        # twice: a connection that died while idle (a restarted database, a killed backend) is only
        # found by using it, and the hint then goes on a new one
        for attempt in (1, 2):
            try:
                if self._conn is None or self._pid != os.getpid() or self._conn.closed:
                    # a connection made before a fork is the parent's: left alone, never closed here
                    self._conn, self._pid = None, os.getpid()
                    conn = self._connect()
                    conn.autocommit = True
                    conn.execute("SET synchronous_commit = off")
                    self._conn = conn
                self._conn.execute(_NOTIFY, (str(last),))
                return
            except Exception:  # the hint is best effort; the consumers' timeout covers a lost one
                self._disconnect()
                if attempt == 2:
                    log.warning("could not send the event log's wake-up hint", exc_info=True)

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and self._pid == os.getpid():
            try:
                conn.close()
            except Exception:  # closing a broken connection: nothing left to do
                log.debug("closing the hint connection failed", exc_info=True)


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
