"""Wake-ups for consumers of the event log: "new events may have been committed, look again".

Every consumer (webhook dispatcher, daemon, event stream) keeps its own cursor and re-reads the log
after a wake-up, so a wake-up is only a hint: spurious ones are harmless and a missed one costs no more
than the consumer's timeout. That keeps this module small and the log itself the only source of truth.

- PostgreSQL: ``LISTEN shotlog_events`` on a dedicated connection; each process's writers hand their
  newest ids to one thread that sends the NOTIFY soon after their commits (``store.eventids.Notifier``),
  one for all the commits that ended while it sent the last.
  Notifications that queue up while the consumer is busy are drained together: one wake-up, one re-read.
- SQLite: there is no cross-process notification, so the waiter polls ``PRAGMA data_version`` on a
  connection of its own. The pragma changes whenever another connection commits to the file, costs a
  few microseconds, and needs no help from writers (so writes pay nothing for it). The interval bounds
  the added latency (2 ms by default).

``open_wakeup`` is for asyncio code; ``BlockingWakeup`` is the same for threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from typing import Protocol

import psycopg
from sqlalchemy.engine import make_url

from shotlog.eventlog.log import NOTIFY_CHANNEL
from shotlog.store.database import normalize_url

__all__ = ["SQLITE_POLL_INTERVAL", "BlockingWakeup", "Wakeup", "open_wakeup"]

log = logging.getLogger(__name__)

#: seconds between two looks at SQLite's data_version
SQLITE_POLL_INTERVAL = 0.002
#: seconds to wait before reconnecting a lost LISTEN connection
_RECONNECT_DELAY = 0.5


class Wakeup(Protocol):
    async def wait(self, timeout: float) -> bool:
        """Return True as soon as new events may be visible (maybe spuriously), False after ``timeout``."""

    async def close(self) -> None: ...


async def open_wakeup(database_url: str, *, poll_interval: float = SQLITE_POLL_INTERVAL) -> Wakeup:
    """A wake-up source for the database at ``database_url`` (the same URL the store uses)."""
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "postgresql":
        pg = _PgWakeup(_libpq_conninfo(database_url))
        await pg.connect()
        return pg
    return _SqliteWakeup(_sqlite_path(database_url), poll_interval)


#: A round trip on the listening connection. The server sends a session its pending notifications
#: before it reports the statement done, so after it every notification of a commit that finished
#: before the wake-up is in the client's queue: a burst folds into one wake-up, not into as many as
#: the network happened to split it into.
_FLUSH = "SELECT 1"


class BlockingWakeup:
    """The thread-friendly twin of ``open_wakeup``: ``wait`` blocks the calling thread."""

    def __init__(self, database_url: str, *, poll_interval: float = SQLITE_POLL_INTERVAL) -> None:
        url = make_url(normalize_url(database_url))
        self._poll_interval = poll_interval
        self._pg_conninfo: str | None = None
        self._pg: psycopg.Connection | None = None
        self._sqlite: _DataVersion | None = None
        if url.get_backend_name() == "postgresql":
            self._pg_conninfo = _libpq_conninfo(database_url)
            self._pg = self._listen()
        else:
            self._sqlite = _DataVersion(_sqlite_path(database_url))

    def _listen(self) -> psycopg.Connection:
        assert self._pg_conninfo is not None
        conn = psycopg.connect(self._pg_conninfo, autocommit=True)
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    def wait(self, timeout: float) -> bool:
        if self._sqlite is not None:
            deadline = time.monotonic() + timeout
            while True:
                if self._sqlite.changed():
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                time.sleep(min(self._poll_interval, left))
        try:
            if self._pg is None:
                self._pg = self._listen()
                return True  # events may have come and gone while we were disconnected
            got = any(True for _ in self._pg.notifies(timeout=timeout, stop_after=1))
            if got:
                self._pg.execute(_FLUSH)
                for _ in self._pg.notifies(timeout=0):  # fold the queued ones into this wake-up
                    pass
            return got
        except psycopg.Error as exc:
            log.warning("event wake-up connection lost (%s); reconnecting", exc)
            self._drop_pg()
            time.sleep(min(_RECONNECT_DELAY, timeout))
            return True

    def _drop_pg(self) -> None:
        if self._pg is not None:
            with contextlib.suppress(psycopg.Error):
                self._pg.close()
            self._pg = None

    def close(self) -> None:
        self._drop_pg()
        if self._sqlite is not None:
            self._sqlite.close()


class _PgWakeup:
    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._conn: psycopg.AsyncConnection | None = None

    async def connect(self) -> None:
        conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        self._conn = conn

    async def wait(self, timeout: float) -> bool:
        try:
            if self._conn is None:
                await self.connect()
                return True  # events may have come and gone while we were disconnected
            got = False
            async for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                got = True
            if got:
                await self._conn.execute(_FLUSH)
                async for _ in self._conn.notifies(timeout=0):  # fold the queued ones into this wake-up
                    pass
            return got
        except psycopg.Error as exc:
            log.warning("event wake-up connection lost (%s); reconnecting", exc)
            await self._drop()
            await asyncio.sleep(min(_RECONNECT_DELAY, timeout))
            return True

    async def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
            self._conn = None

    async def close(self) -> None:
        await self._drop()


class _SqliteWakeup:
    def __init__(self, path: str, poll_interval: float) -> None:
        self._version = _DataVersion(path)
        self._poll_interval = poll_interval

    async def wait(self, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._version.changed():
                return True
            left = deadline - loop.time()
            if left <= 0:
                return False
            await asyncio.sleep(min(self._poll_interval, left))

    async def close(self) -> None:
        self._version.close()


class _DataVersion:
    """SQLite's per-connection commit counter of other connections, read on a private connection."""

    def __init__(self, path: str) -> None:
        # check_same_thread=False: an asyncio waiter may be created on one thread and awaited on another;
        # the connection is only ever used by one waiter at a time.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._last = self._read()

    def _read(self) -> int:
        row = self._conn.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def changed(self) -> bool:
        now = self._read()
        if now != self._last:
            self._last = now
            return True
        return False

    def close(self) -> None:
        self._conn.close()


def _libpq_conninfo(database_url: str) -> str:
    """The SQLAlchemy URL as a plain libpq URI (no ``+psycopg`` driver suffix)."""
    url = make_url(normalize_url(database_url)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sqlite_path(database_url: str) -> str:
    path = make_url(normalize_url(database_url)).database
    if not path:
        raise ValueError(f"SQLite URL without a file: {database_url!r}")
    return path
