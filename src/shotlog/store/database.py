"""Engines, transactions and the SQLite/PostgreSQL differences.

One database URL picks the backend. Writes are serialized:

* SQLite allows one writer at a time anyway. shotlog makes that explicit: every write transaction
  starts with ``BEGIN IMMEDIATE`` on a dedicated writer connection, guarded by an in-process lock, so
  threads queue on the lock instead of spinning on SQLITE_BUSY, and other processes wait on the
  database lock (``busy_timeout``). Reads use their own pooled connections and, thanks to WAL, never
  wait for the writer. The writer connection stays checked out between transactions, so anything
  that is not a write goes through ``reader``.
* PostgreSQL runs write transactions concurrently, appending events included: each append
  reserves its ids (``shotlog.store.eventids``) and readers stop at the horizon below the ids still
  reserved, so commits overlap and share their WAL flushes (docs/architecture.md).

Entity writes run again when the database aborts them for a serialization reason
(``shotlog.store.retry``). Driver errors are translated here into ``StorageError`` /
``ConflictError``.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine, make_url

from shotlog.errors import ConflictError, ShotlogError, StorageError, ValidationError, incident_ref
from shotlog.settings import DATABASE_URL
from shotlog.store import driver, eventids, retry
from shotlog.store.commitgroup import CommitGroup

__all__ = ["DEFAULT_URL", "Database", "normalize_url"]

log = logging.getLogger(__name__)

DEFAULT_URL = DATABASE_URL.default

T = TypeVar("T")

#: how long a PostgreSQL entity write waits for a row lock (or the moment's allocation of event ids)
#: before it fails: a transaction that keeps rows locked must not stall every writer for ever
EVENT_LOG_LOCK_TIMEOUT = "30s"


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and pick the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class Database:
    def __init__(self, url: str = DEFAULT_URL, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = normalize_url(url)
        parsed = make_url(self.url)
        self.backend = parsed.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise StorageError(f"Unsupported database URL {url!r}: use sqlite:/// or postgresql://")
        self._write_lock = threading.RLock()
        self._write_conn: Connection | None = None  # SQLite: the writer connection, kept checked out
        # SQLite: the reader connection ``read_value`` keeps checked out, and who is using it
        self._value_conn: Any = None
        self._value_lock = threading.Lock()
        self.commits = CommitGroup(self._appending)
        self.hints: eventids.Notifier | None = None
        if self.backend == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                raise StorageError("SQLite needs a file (sqlite:///path.db): readers and the writer share it")
            sync = sqlite_synchronous.upper()
            if sync not in ("OFF", "NORMAL", "FULL", "EXTRA"):
                raise StorageError(f"Unknown SQLite synchronous setting {sqlite_synchronous!r}")
            self.writer = self._sqlite_engine(sync, immediate=True, pool_size=1)
            self.reader = self._sqlite_engine(sync, immediate=False, pool_size=8)
        else:
            engine = sa.create_engine(
                self.url,
                pool_size=10,
                max_overflow=20,
                # no pool_pre_ping: its SELECT 1 was a round trip on every checkout; ``_still_open``
                # below asks the socket instead
                # the connection used last goes out first: a server with few requests in flight keeps
                # using the same one or two, whose prepared statements are ready, instead of turning
                # through all ten
                pool_use_lifo=True,
                json_deserializer=orjson.loads,
                json_serializer=_json_dumps,
            )
            # every session can reserve event ids (shotlog.store.eventids), and bounds its waits for
            # locks (set once here rather than in every write transaction: a round trip each)
            sa_event.listen(
                engine,
                "connect",
                lambda dbapi_conn, _record: eventids.install(dbapi_conn, lock_timeout=EVENT_LOG_LOCK_TIMEOUT),
            )
            sa_event.listen(engine, "checkout", _still_open)
            # a write's BEGIN waits to go with its first statement (``driver``'s commit tail): one sent
            # through SQLAlchemy sends it first
            sa_event.listen(engine, "before_cursor_execute", _send_pending)
            self.writer = self.reader = engine
            # the wake-up hints of this process's writers, sent by a thread of their own
            self.hints = eventids.Notifier(self._hint_connection)

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def _sqlite_engine(self, synchronous: str, *, immediate: bool, pool_size: int) -> Engine:
        engine = sa.create_engine(
            self.url,
            poolclass=sa.pool.QueuePool,
            pool_size=pool_size,
            max_overflow=0 if immediate else 16,
            connect_args={"check_same_thread": False, "timeout": 30},
            # every event's meta is JSON: orjson reads and writes it several times faster
            json_deserializer=orjson.loads,
            json_serializer=_json_dumps,
        )

        @sa_event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's begin listener own transactions instead of pysqlite's implicit ones.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            # SQLite's own lower()/upper() fold ASCII only; case-insensitive filters must fold
            # "Élan" like PostgreSQL does.
            dbapi_conn.create_function("lower", 1, _lower, deterministic=True)
            dbapi_conn.create_function("upper", 1, _upper, deterministic=True)

        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @sa_event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # straight to the driver: no statement object or result is needed for BEGIN
            conn.connection.dbapi_connection.execute(begin)  # type: ignore[union-attr]

        return engine

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with _translated(), self.reader.connect() as conn, conn.begin():
            yield conn

    def read_value(self, sql: str, params: tuple[Any, ...]) -> tuple[bool, Any]:
        """The first value of ``sql``'s first row (``?`` placeholders), read as a statement of its
        own, outside a transaction: no BEGIN or COMMIT round trip, no statement compiled. For a
        lookup by primary key made on every request (a script's credentials epoch). It sees every
        commit that ended before it began, as a read transaction would.

        Returns (True, value), value None for no row; (False, None) when the driver failed, with the
        connection discarded: the caller then reads through ``read``, which reconnects and reports
        a lasting failure as every read does."""
        if self.is_sqlite:
            return self._sqlite_value(sql, params)
        try:
            raw = self.reader.raw_connection()
        except sa.exc.DBAPIError:  # no connection: ``read`` reports it as every read does
            return False, None
        try:
            dbapi: Any = raw.driver_connection
            dbapi.autocommit = True
            try:
                rows = dbapi.execute(sql.replace("?", "%s"), params).fetchall()
            finally:
                dbapi.autocommit = False
        except Exception:  # the driver's own errors: the ordinary path retries with a fresh connection
            log.debug("a single-statement read failed; reading in a transaction", exc_info=True)
            raw.invalidate()
            return False, None
        finally:
            raw.close()
        return True, rows[0][0] if rows else None

    def _sqlite_value(self, sql: str, params: tuple[Any, ...]) -> tuple[bool, Any]:
        """``read_value`` on SQLite: on one reader connection kept checked out for it (a pool
        checkout and its reset on return cost several times the lookup), a statement at a time.
        Outside a transaction each statement reads the newest commit, as a new one would."""
        with self._value_lock:
            try:
                if self._value_conn is None:
                    self._value_conn = self.reader.raw_connection()
                # the reader's connections leave transactions to SQLAlchemy's begin: none here, and
                # fetchall ends the statement
                rows = self._value_conn.driver_connection.execute(sql, params).fetchall()
            except Exception:  # the driver's own errors: the ordinary path retries with a fresh connection
                log.debug("a single-statement read failed; reading in a transaction", exc_info=True)
                if self._value_conn is not None:
                    self._value_conn.invalidate()
                    self._value_conn = None
                return False, None
        return True, rows[0][0] if rows else None

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with _translated(), self._transaction() as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(self, *, tail: bool = False) -> Iterator[Connection]:
        """``tail``: the block's last statements may wait for the commit (PostgreSQL, see
        ``shotlog.store.driver``'s commit tail); nothing may run on the connection after them."""
        # driver errors pass through untranslated, so a retry can tell what aborted it
        if self.is_sqlite:
            with self._write_lock:
                # One writer at a time holds the lock, so the one connection stays checked out
                # rather than going through the pool (and its reset-on-return) per transaction.
                # After a connection error SQLAlchemy reconnects it on next use.
                conn = self._write_conn
                if conn is None or conn.closed:
                    conn = self._write_conn = self.writer.connect()
                with conn.begin():
                    yield conn
        else:
            with self.writer.connect() as conn:
                try:
                    with conn.begin():
                        if tail:
                            driver.open_tail(conn)
                        yield conn
                        if tail:
                            # the held-back UPDATE, the event INSERT and the COMMIT: one round trip
                            driver.commit_tail(conn)
                finally:
                    driver.close_tail(conn)
                    # the wake-up hint of the event ids it reserved, once they are decided
                    assert self.hints is not None
                    eventids.wake(conn, self.hints)

    @contextlib.contextmanager
    def _appending(self) -> Iterator[Connection]:
        """An entity write's transaction (``write_grouped``).

        PostgreSQL: its events take their ids at the end (``shotlog.store.eventids``), holding
        nothing other writers wait for, so entity writes run and commit concurrently. Its waits for
        row locks are bounded by the session's ``lock_timeout`` (``EVENT_LOG_LOCK_TIMEOUT``). Its
        work ends with the writer's ``finish``, whose statements go with the commit."""
        with self._transaction(tail=True) as conn:
            yield conn

    def write_grouped(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in a write transaction: on SQLite one that may be shared with concurrent
        writers, each in a savepoint of its own, to share one commit (see
        ``shotlog.store.commitgroup``); on PostgreSQL one of its own, committed beside the others.

        It runs again when the database aborts it for a serialization reason
        (``shotlog.store.retry``), so ``work`` must be safe to run again from a fresh read."""
        with _translated():
            if self.is_sqlite:
                return self.commits.run(work)
            # PostgreSQL: writers hold nothing in common (shotlog.store.eventids), so each runs and
            # commits at once on a connection of its own; the database flushes overlapping commits
            # together
            return self.commits.run_alone(work)

    def _hint_connection(self) -> Any:
        """A PostgreSQL connection outside the pool, for the wake-up hints' thread."""
        import psycopg

        url = make_url(self.url).set(drivername="postgresql")
        return psycopg.connect(url.render_as_string(hide_password=False))

    def dispose(self) -> None:
        if self.hints is not None:
            self.hints.close()
        with self._write_lock:
            if self._write_conn is not None:
                self._write_conn.close()
                self._write_conn = None
        with self._value_lock:
            if self._value_conn is not None:
                self._value_conn.close()
                self._value_conn = None
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def _still_open(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection about to be handed out: refused if the server has ended it.

    An idle session hears nothing from its server unless the server is ending it (a restart, a
    terminated backend: a last message, then the socket closes), so a socket with something to
    read means the connection is most likely gone. Only then is it really pinged, and a dead one
    makes the pool connect again (``DisconnectionError``). Asking the socket costs no round trip,
    where ``pool_pre_ping`` sent a ``SELECT 1`` on every checkout."""
    try:
        fd = dbapi_conn.pgconn.socket
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        quiet = not poller.poll(0)
    except Exception:  # no socket any more: closed
        raise sa.exc.DisconnectionError("the connection is closed") from None
    if quiet:
        return
    try:
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT 1")
        dbapi_conn.rollback()  # psycopg opened a transaction for it
    except Exception as exc:
        raise sa.exc.DisconnectionError("the server ended the connection") from exc


def _send_pending(conn: Connection, *_args: Any) -> None:
    driver.send_pending(conn)


def _json_dumps(value: Any) -> str:
    # non-str keys: the stdlib encoder accepted them (as strings), so stored documents must too
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """Driver errors become shotlog's own, whose messages carry no driver text and no SQL.

    The driver's message (which may quote SQL, parameters, relation names or process ids) goes to
    the log under a short reference; the client is told the reference only. The filter compiler and
    value coercion refuse what they can foresee with a fault naming the field; what reaches this
    point is either a server failure or a value the database refused for a reason they missed."""
    try:
        yield
    except ShotlogError:
        raise
    except sa.exc.IntegrityError as exc:
        ref = incident_ref()
        log.warning("ref %s: the database refused a write (constraint): %s", ref, exc.orig)
        raise ConflictError(
            f"The change conflicts with a uniqueness or reference rule of the database (ref {ref})",
            ref=ref,
        ) from exc
    except sa.exc.OperationalError as exc:
        ref = incident_ref()
        state = retry.retryable_sqlstate(exc)
        if state is not None:
            # a transaction nobody ran again, or one aborted on every run: the driver's text
            # (process ids, relations) says nothing a client can use
            log.error("ref %s: the database aborted a write (%s)", ref, state, exc_info=True)
            raise StorageError(
                "The database aborted this write because of concurrent writes "
                f"({retry.RETRYABLE_SQLSTATES[state]}); try again (ref {ref})",
                ref=ref,
            ) from exc
        log.error("ref %s: database operation failed", ref, exc_info=True)
        raise StorageError(_FAILED.format(ref=ref), ref=ref) from exc
    except sa.exc.DataError as exc:
        # a value of the request the database cannot hold or compare (out of range, bad encoding):
        # the caller's mistake, though one the validation before the query did not foresee
        ref = incident_ref()
        log.warning("ref %s: the database refused a value: %s", ref, exc.orig)
        raise ValidationError(
            f"A value in this request cannot be stored or compared by the database (ref {ref})",
            ref=ref,
        ) from exc
    except sa.exc.DBAPIError as exc:
        ref = incident_ref()
        log.error("ref %s: database error", ref, exc_info=True)
        raise StorageError(_FAILED.format(ref=ref), ref=ref) from exc


#: what a client learns of a database failure: a reference to the log entry, nothing of the driver's
_FAILED = "Database error (ref {ref}); the server log has the details"
