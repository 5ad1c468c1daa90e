"""A plugin's cursor as its worker keeps it: two tiers, one per kind of durability.

1. **The progress file** (``progress.ProgressFile``), written after *every* event whose callbacks
   ran: a copy into a memory-mapped file, which outlives a kill -9 of the daemon. It is what makes
   "never skip, never repeat more than the event in flight" cheap.
2. **The database cursor** (``cursors.CursorStore``, the ``daemon_cursors`` row), which status, lag,
   the REST endpoint and the web UI show and operators move. It is committed every
   ``commit_every`` handled events or ``commit_interval`` seconds, when the plugin stops, pauses or
   fails, and event by event while an imported backlog (``pending``) is worked through.

Why two: a database commit per event costs more than the rest of the daemon's work on it. Measured
with ``bench/daemon.py`` (20,441 events, a no-op callback on every event, the direct source): the
batched commits drain 42,900 events/s on SQLite and 31,700/s on PostgreSQL, a commit per event
(``commit_every = 1``) 11,200/s and 5,000/s even through a dedicated driver connection in
autocommit (how the daemon used to commit), below the goal of ten times a shotgunEvents-style
poller. Through the state database's ordinary connections, as now, a commit costs more again.
Events no callback matched go to the file at the end of each page: re-examining them after a crash
has no effect.

At start the worker takes the newer of the two tiers, the file only when it provably continues the
database cursor (``Record.continues``); anything else and the database wins: events may run again,
none is skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shotlog.daemon.cursors import Cursor, CursorStore
from shotlog.daemon.events import Event
from shotlog.daemon.progress import ProgressFile

__all__ = ["Checkpoint", "CursorState"]

log = logging.getLogger("engine")


@dataclass
class CursorState:
    """Where a worker is, and what of it the two tiers hold."""

    position: int
    last_event_id: int | None
    #: the database cursor's ``resume_token`` this state builds on (an operator's act changes it)
    token: int
    #: imported backlog ids still to process, and the callbacks already done on the next event
    pending: list[int]
    done_callbacks: set[str]
    #: the position the database cursor holds, and the one the progress file holds
    committed: int
    in_file: int
    #: not in the database yet: events handled, callback failures, handled events since the last
    #: commit and when that was, whether ``pending`` changed
    handled: int = 0
    failures: int = 0
    since_commit: int = 0
    committed_at: float = field(default_factory=time.monotonic)
    pending_dirty: bool = False

    @classmethod
    def of(cls, cursor: Cursor) -> CursorState:
        return cls(
            position=cursor.position,
            last_event_id=cursor.last_event_id,
            token=cursor.resume_token,
            pending=list(cursor.pending),
            done_callbacks=set(cursor.done_callbacks),
            committed=cursor.position,
            in_file=cursor.position,
        )

    def passed(self, ev: Event) -> None:
        self.position = ev.position
        if self.last_event_id is None or ev.id > self.last_event_id:
            self.last_event_id = ev.id


class Checkpoint:
    """One plugin's cursor: its state in memory, its progress file, its database row."""

    def __init__(
        self,
        store: CursorStore,
        key: tuple[str, str],
        file: ProgressFile,
        cursor: Cursor,
        *,
        every: int,
        interval: float,
        ordered: bool,
        on_moved: Callable[[int], None],
    ) -> None:
        self.store = store
        self.key = key
        self.file = file
        self.state = CursorState.of(cursor)
        self._every = every
        self._interval = interval
        #: ordered sources (direct, stream) work ``pending`` off by id; the polling source by fence
        self._ordered = ordered
        #: told the operator's new token when a commit finds the cursor moved meanwhile
        self._on_moved = on_moved
        self._continue_from_file(cursor)

    def _continue_from_file(self, cursor: Cursor) -> None:
        """After a kill -9 the progress file is ahead of the database cursor: take it, if it provably
        continues that cursor, and commit it at once."""
        record = self.file.read()
        if record is None or cursor.pending or not record.continues(cursor.position, cursor.resume_token):
            self.save()
            return
        log.info(
            "plugin %s continues at position %d from its progress file (database cursor: %d)",
            self.key[1],
            record.position,
            cursor.position,
        )
        s = self.state
        s.position = s.in_file = record.position
        if record.last_event_id is not None:
            s.last_event_id = max(s.last_event_id or 0, record.last_event_id)
        s.handled, s.failures = record.handled, record.failures
        self.commit()

    # -- events -------------------------------------------------------------------------------------

    def handled(self, ev: Event, failures: int) -> None:
        """The callbacks ran on ``ev``: record it in the progress file (tier 1), and commit the
        database cursor (tier 2) when due, or at once while an imported backlog is worked off."""
        s = self.state
        s.handled += 1
        s.failures += failures
        s.passed(ev)
        if s.pending or s.pending_dirty:
            self.commit()
            return
        self._write()
        s.since_commit += 1
        if s.since_commit >= self._every or time.monotonic() - s.committed_at >= self._interval:
            self.commit()

    def skipped(self, ev: Event) -> None:
        """No callback matched ``ev``: recorded with the next handled event or at the end of the page."""
        self.state.passed(ev)

    def backlog_done(self, event_id: int, *, found: bool) -> None:
        """An imported backlog id below the cursor is done (ordered sources): committed at once."""
        s = self.state
        s.pending.remove(event_id)
        self.store.advance(
            *self.key,
            position=s.position,
            event_id=event_id,
            handled=1 if found else 0,
            token=s.token,
            pending=tuple(s.pending),
        )

    def end_of_page(self) -> None:
        self.save()
        self.commit_if_due()

    # -- the two tiers ------------------------------------------------------------------------------

    def _write(self) -> None:
        s = self.state
        self.file.write(s.position, s.last_event_id, s.token, s.committed, s.handled, s.failures)
        s.in_file = s.position

    def save(self, *, force: bool = False) -> None:
        """Write the progress file if the position moved since (events no callback matched)."""
        if force or self.state.position != self.state.in_file:
            self._write()

    def commit(self) -> None:
        """Commit the cursor to the database (the progress file then restarts from it)."""
        s = self.state
        if s.position == s.committed and not s.handled and not s.failures and not s.pending_dirty:
            return
        pending = tuple(s.pending) if not self._ordered else None
        event_id = s.last_event_id if s.last_event_id is not None else s.position
        while not self.store.advance(
            *self.key,
            position=s.position,
            event_id=event_id,
            handled=s.handled,
            failures=s.failures,
            token=s.token,
            pending=pending,
        ):
            # An operator resumed or moved the cursor meanwhile: keep a move, else record again.
            fresh = self.store.get(*self.key)
            if fresh is None:
                return
            if fresh.moved or fresh.position != s.committed:
                self._on_moved(fresh.resume_token)
                return
            s.token = fresh.resume_token
        s.committed = s.position
        s.handled = s.failures = s.since_commit = 0
        s.pending_dirty = False
        s.committed_at = time.monotonic()
        self.save(force=True)

    def commit_if_due(self) -> None:
        s = self.state
        if s.position != s.committed and (
            s.since_commit >= self._every or time.monotonic() - s.committed_at >= self._interval
        ):
            self.commit()

    def reset_to(self, fresh: Cursor) -> None:
        """Take the database cursor as it is (an operator moved or resumed it)."""
        self.state = CursorState.of(fresh)
        self.save(force=True)

    def close(self) -> None:
        self.file.close()
