"""Group commit: write transactions that arrive together share one database commit.

A durable commit costs an fsync (SQLite ``synchronous=FULL``), and SQLite's commits are serialized:
it has one writer. So concurrent writers (the server's request threads, a threaded script) would
each wait for every fsync queued before theirs. Here the writes that queue up while one
commit is in progress are run by the next *leader* thread in one transaction, each in a savepoint
of its own, and committed with one fsync:

* a write that fails rolls back to its savepoint and gets its own error; the others commit;
* if the commit itself (or a savepoint) fails, every write of the group is run again alone, so one
  bad neighbour never fails a write that would have succeeded on its own;
* a write that finds nobody else waiting runs exactly as before, with no savepoint;
* a write the database aborted for a serialization reason (a deadlock victim, see
  ``shotlog.store.retry``) is run again, in a transaction of its own after the group committed,
  until it succeeds or fails for a reason of its own: its savepoint rolled it back completely, and
  the group keeps no lock while a retry waits.

Nothing waits on purpose: a group is whatever queued during the previous commit, so a lone writer
pays no latency for it. Works must be safe to run again (they start from a fresh read of the
database, as ``shotlog.connection`` builds them), because of the fallback and the retries above.

On PostgreSQL writers hold nothing in common (``shotlog.store.eventids``), so each write runs at
once in a transaction of its own (``run_alone``, with the same retries) and the database flushes
overlapping commits together.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

from shotlog import telemetry
from shotlog.store import retry

__all__ = ["CommitGroup"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Write(Generic[T]):
    __slots__ = ("committed", "done", "error", "result", "work")

    def __init__(self, work: Callable[[Connection], T]) -> None:
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None
        self.committed = False  # its transaction committed (errors of its own are in error)
        self.done = False


class CommitGroup:
    """Runs write works so that those queued at the same time commit together."""

    def __init__(self, begin: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._begin = begin  # a write transaction: commits when its block ends, rolls back if it raises
        self._queue: deque[_Write[Any]] = deque()
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()
        #: groups committed and writes in them, and runs again after a serialization failure, for
        #: the benchmarks and tests
        self.groups = 0
        self.writes = 0
        self.retries = 0

    def run(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` inside a write transaction, committed before this returns."""
        item: _Write[T] = _Write(work)
        with self._queue_lock:
            self._queue.append(item)
        with self._leader:
            if not item.done:  # nobody has run it yet: lead a group with everything queued
                with self._queue_lock:
                    group = list(self._queue)
                    self._queue.clear()
                self._commit(group)
        if item.error is not None:
            raise item.error
        return item.result  # type: ignore[return-value]

    def run_alone(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in a transaction of its own, at once, beside any other running (PostgreSQL,
        where commits that overlap share their WAL flushes in the database itself); run again
        while the database aborts it for a serialization reason, as in a group."""
        item: _Write[T] = _Write(work)
        try:
            self._alone(item)
        finally:
            item.done = True
        if item.error is not None:
            raise item.error
        return item.result  # type: ignore[return-value]

    def _commit(self, group: list[_Write[Any]]) -> None:
        try:
            if len(group) == 1:
                self._alone(group[0])
                return
            again: list[tuple[_Write[Any], BaseException]] = []
            try:
                with self._begin() as conn:
                    for item in group:
                        savepoint = conn.begin_nested()
                        try:
                            item.result = item.work(conn)
                        except Exception as exc:
                            savepoint.rollback()
                            if retry.retryable_sqlstate(exc):
                                again.append((item, exc))
                            else:
                                item.error = exc
                        else:
                            savepoint.commit()
                rerun = {id(item) for item, _ in again}
                for item in group:
                    item.committed = id(item) not in rerun
            except Exception:
                n = len(group)
                log.warning("a group of %d writes failed to commit; running each alone", n, exc_info=True)
                for item in group:
                    item.result, item.error = None, None
                    self._alone(item)
                return
            self.groups += 1
            self.writes += len(group) - len(again)
            telemetry.WRITE_COMMITS.inc()
            telemetry.WRITE_GROUP_SIZE.observe(len(group) - len(again))
            for item, aborted in again:
                item.result = None
                self._alone(item, failed=aborted)
        except BaseException as exc:
            # the leader itself was interrupted (KeyboardInterrupt...): nobody may read a result
            # that was never produced as a success
            for item in group:
                if item.error is None and not item.committed:
                    item.error = exc
            raise
        finally:
            for item in group:
                item.done = True

    def _alone(self, item: _Write[Any], failed: BaseException | None = None) -> None:
        """Run ``item`` in a transaction of its own, again while the database aborts it for a
        serialization reason; ``failed`` is the error of a run it already had (in a group)."""
        attempt = 0 if failed is None else 1
        while True:
            if failed is not None:
                delay = retry.delay_before(attempt, failed, random.random())
                if delay is None:
                    item.error = failed
                    return
                # a warning: with shotlog's lock order this should not happen (docs/architecture.md)
                state = retry.retryable_sqlstate(failed) or ""
                log.warning(
                    "the database aborted a write (%s %s); running it again (run %d)",
                    state,
                    retry.RETRYABLE_SQLSTATES.get(state, ""),
                    attempt + 1,
                )
                self.retries += 1
                telemetry.WRITE_RETRIES.inc()
                time.sleep(delay)
            attempt += 1
            try:
                with self._begin() as conn:
                    item.result = item.work(conn)
            except Exception as exc:
                item.result = None
                failed = exc
                continue
            item.committed = True
            self.groups += 1
            self.writes += 1
            telemetry.WRITE_COMMITS.inc()
            telemetry.WRITE_GROUP_SIZE.observe(1)
            return
