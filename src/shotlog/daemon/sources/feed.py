"""The shared feed every plugin worker reads from: one pump, one ring buffer, many cursors.

A source has two halves. The *pump* (one thread per daemon) follows the head of the log — pushed
by a wake-up, a server-sent stream or a poll — and appends new events to a bounded in-memory ring
buffer. *Workers* (one thread per plugin) call ``read(after, limit)``: when the buffer holds every
event after ``after`` the answer comes from memory, so a hundred caught-up plugins cost one query;
a worker that is behind (a replay, a plugin resumed after a pause) reads the source directly with
``fetch`` until it catches up. Positions are the source's cursor values: event ids for the direct
and stream sources, journal sequence numbers for the polling source.

The pump never runs more than ``capacity`` events ahead of the most advanced *running* worker, so
a drain does not read far ahead of every worker and evict what they are about to read; a slow,
paused or failed plugin holds nobody back: it falls behind the buffer and reads with ``fetch``.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from shotlog.daemon.events import Event

__all__ = ["Feed", "Pump"]

log = logging.getLogger("engine")


class Pump(Protocol):
    """The source-specific half."""

    kind: str
    #: positions are event ids and ids become visible in order (no gap handling needed)
    ordered: bool

    def fetch(self, after: int, limit: int) -> list[Event]:
        """Events with a position greater than ``after``, in position order (a direct read)."""

    def fetch_ids(self, ids: Sequence[int]) -> list[Event]:
        """The events with these ids that exist (for imported backlogs)."""

    def head(self) -> tuple[int, int]:
        """(newest position, newest event id)."""

    def follow(self, feed: Feed, stop: threading.Event) -> None:
        """Run until ``stop``: push new events into ``feed`` with ``feed.publish`` (the pump thread)."""

    def close(self) -> None: ...


class Feed:
    def __init__(self, pump: Pump, *, capacity: int = 20_000, batch: int = 500) -> None:
        self.pump = pump
        self.capacity = capacity
        self.batch = batch
        # The buffer, sorted by position, with the positions alongside for bisection. Evicted
        # events are cut from the front in chunks (``_start``): O(1) amortized, no deque indexing.
        self._buffer: list[Event] = []
        self._positions: list[int] = []
        self._start = 0
        self._floor = 0  # every event with floor < position <= head is in the buffer
        self._head = 0
        self._head_event_id = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: the position the pump's lead is measured from (the engine: the most advanced worker)
        self.low_water: Callable[[], int | None] = lambda: None
        self.error: str | None = None  # why the pump cannot reach the source, for status

    # -- the pump's side ----------------------------------------------------------------------------

    def start(self, after: int) -> None:
        self._floor = self._head = after
        self._thread = threading.Thread(target=self._run, name=f"feed-{self.pump.kind}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.pump.follow(self, self._stop)
        except Exception:
            log.exception("the %s event feed stopped", self.pump.kind)

    @property
    def head(self) -> int:
        return self._head

    @property
    def head_event_id(self) -> int:
        return self._head_event_id

    def publish(self, events: Sequence[Event], head_event_id: int | None = None) -> None:
        """Append events that follow the current head (called by the pump thread only)."""
        with self._cond:
            for ev in events:
                if ev.position <= self._head:
                    continue  # already published (a re-read after a reconnect)
                self._buffer.append(ev)
                self._positions.append(ev.position)
                self._head = ev.position
                self._head_event_id = max(self._head_event_id, ev.id)
            if head_event_id is not None:
                self._head_event_id = max(self._head_event_id, head_event_id)
            excess = len(self._buffer) - self._start - self.capacity
            if excess > 0:
                self._start += excess
                self._floor = self._positions[self._start - 1]
                if self._start >= self.capacity:  # compact now and then
                    del self._buffer[: self._start]
                    del self._positions[: self._start]
                    self._start = 0
            self._cond.notify_all()

    def room(self, timeout: float) -> bool:
        """Wait (up to ``timeout``) until the pump may run further ahead (see ``low_water``)."""
        deadline_wait = timeout
        with self._cond:
            while not self._stop.is_set():
                low = self.low_water()
                if low is None or self._head - low < self.capacity:
                    return True
                if not self._cond.wait(deadline_wait):
                    return False
            return False

    def progress(self) -> None:
        """A worker moved: the pump may have room again."""
        with self._cond:
            self._cond.notify_all()

    @property
    def last_published(self) -> int:
        return self._head

    # -- the workers' side --------------------------------------------------------------------------

    def read(self, after: int, limit: int) -> list[Event]:
        with self._cond:
            if after >= self._floor:
                first = bisect.bisect_right(self._positions, after, self._start)
                return self._buffer[first : first + limit]
        return self.pump.fetch(after, limit)

    def wait(self, after: int, timeout: float) -> bool:
        """Block until an event after ``after`` has been published; False on timeout or stop."""
        with self._cond:
            if self._head > after:
                return True
            self._cond.wait(timeout)
            return self._head > after

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self.pump.close()  # unblocks a pump waiting on the network
        if self._thread is not None:
            self._thread.join(timeout=10)
