"""Now, as every DateTime column of shotlog stores it: naive UTC.

The one place the two precisions shotlog uses are decided:

* ``utcnow()`` keeps microseconds. Leases, retry times, heartbeats and cursor stamps (webhooks,
  daemon) are compared with each other in fractions of a second: the test suite scales webhook
  retries to milliseconds, and a lease must not look expired up to a second early.
* ``utcnow_seconds()`` drops them. Entity and event timestamps (``created_at``, ``updated_at``)
  reach clients through api3, whose wire has no fractions; storing whole seconds keeps what a client
  reads equal to what a filter on it compares (``created_at is <what you read>``).

Decisions that span minutes (the sign-in throttle's windows) take a ``Clock`` instead, so tests
can move time on without sleeping: ``SHOTLOG_TEST_CLOCK_FILE`` names a file holding a number of
seconds added to the real time, which a test rewrites while the server runs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from shotlog.settings import TEST_CLOCK_FILE

__all__ = ["Clock", "ShiftedClock", "WriteClock", "clock", "utcnow", "utcnow_seconds"]

#: what dates a connection's writes (``shotlog.connect(write_clock=...)``): ``utcnow_seconds``, or
#: for loading a history that happened before (the demo), the time of each write in that history
WriteClock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """Now as naive UTC, to the microsecond."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def utcnow_seconds() -> dt.datetime:
    """Now as naive UTC, to whole seconds (what entity and event timestamps hold)."""
    return utcnow().replace(microsecond=0)


class Clock:
    """The real time, as naive UTC to the microsecond."""

    def now(self) -> dt.datetime:
        return utcnow()


class ShiftedClock(Clock):
    """The real time plus the seconds written in ``path`` (a test's hand on the clock).

    The file is read again only when it changes, so the clock costs one
    ``stat`` per reading; a missing or unreadable file means no shift."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[tuple[int, int, int], float] = ((-1, -1, -1), 0.0)

    def now(self) -> dt.datetime:
        return utcnow() + dt.timedelta(seconds=self._shift())

    def _shift(self) -> float:
        try:
            status = os.stat(self.path)
        except OSError:
            return 0.0
        # the inode and size too: two writes within one tick of the file system's clock share a time
        stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
        if stamp != self._seen[0]:
            try:
                shift = float(self.path.read_text().strip() or 0)
            except (OSError, ValueError):
                shift = 0.0
            self._seen = (stamp, shift)
        return self._seen[1]


def clock() -> Clock:
    """The clock of this process: shifted by ``SHOTLOG_TEST_CLOCK_FILE`` when it is set."""
    path = TEST_CLOCK_FILE.read()
    return Clock() if path is None else ShiftedClock(path)
