"""A hook's status (FPTR's four) and the pacing of a down receiver's probes. Pure.

What counts is the **failed request**: an HTTP request to the hook's URL that did not get a status
below 400 in time (a batched request is one). FPTR counts failed deliveries and never retries, so
each of its deliveries is one request; shotlog retries, and counting requests keeps one event
retried all day from looking like a hundred.

A failed request pauses its hook; after the pause a single request probes the receiver, and the
first success resumes full speed. The pause after the n-th failed request in a row is
``probe_delay(n)``: 5 s, 30 s, 2 min, 5 min, then a steady interval short enough that a receiver
that stays down fails ``threshold`` probes well within the 24-hour window (the arithmetic is on
``probe_interval``). A short outage therefore costs a handful of failures; a receiver that stays
down makes its hook Failed within the day, as on FPTR.
"""

from __future__ import annotations

import datetime as dt
import enum
import random

from shotlog.settings import WEBHOOKS_FAILURE_THRESHOLD

__all__ = [
    "FAILURE_THRESHOLD",
    "FAILURE_WINDOW",
    "PROBE_LADDER",
    "HookStatus",
    "next_status",
    "probe_delay",
    "probe_interval",
    "time_to_failed",
]


class HookStatus(enum.StrEnum):
    """FPTR's statuses of a hook; the value is what REST, the database and the payloads carry."""

    #: no failed request in the window
    ACTIVE = "active"
    #: some failed requests in the window, fewer than the threshold
    UNSTABLE = "unstable"
    #: the threshold of failed requests within the window: nothing but status changes is sent, new
    #: events are held until a user enables the hook again
    FAILED = "failed"
    #: set by a user: nothing but status changes is sent, new events are held
    DISABLED = "disabled"

    @property
    def holds(self) -> bool:
        """Whether the hook's events wait (held) instead of being sent."""
        return self in (HookStatus.FAILED, HookStatus.DISABLED)

    @property
    def alarming(self) -> bool:
        """Whether entering this status is worth a person's attention (the notification)."""
        return self in (HookStatus.UNSTABLE, HookStatus.FAILED)


#: FPTR's rule: this many failed requests within FAILURE_WINDOW make a hook Failed
FAILURE_THRESHOLD = WEBHOOKS_FAILURE_THRESHOLD.default
FAILURE_WINDOW = dt.timedelta(hours=24)
#: the first pauses of a hook whose requests fail in a row (seconds): a receiver back within
#: minutes gets its backlog within seconds of coming back
PROBE_LADDER: tuple[float, ...] = (5, 30, 2 * 60, 5 * 60)
#: the steady probe interval is at most this (a receiver back after an hour waits at most 10 min)
MAX_PROBE_INTERVAL = 10 * 60.0
#: +/- this fraction of each pause, so the probes of many hooks do not arrive in lock step
JITTER = 0.2
#: the steady interval spreads 1.5 x the threshold over the window, so even with every pause at
#: +20 % jitter the threshold is reached after 0.8 of the window (plus the ladder's 7.6 minutes)
SPREAD = 1.5


def next_status(
    current: HookStatus, failures_in_window: int, *, threshold: int = FAILURE_THRESHOLD
) -> HookStatus:
    """A hook's status given its failed requests in the window (FPTR's rules).

    Disabled is the user's to set and clear; Failed stays until a user enables the hook.
    """
    current = HookStatus(current)
    if current.holds:
        return current
    if failures_in_window >= threshold:
        return HookStatus.FAILED
    if failures_in_window > 0:
        return HookStatus.UNSTABLE
    return HookStatus.ACTIVE


def probe_interval(threshold: int = FAILURE_THRESHOLD, window: dt.timedelta = FAILURE_WINDOW) -> float:
    """Seconds between probes of a receiver that stays down, once past the ladder.

    ``window / (1.5 x threshold)``, at most 10 minutes: 9.6 minutes for FPTR's 100 in 24 h. A
    receiver down from its first failed request then fails its 100th request after
    4 + 95 probes: 7.6 min + 95 x 9.6 min = 15.3 h (18.4 h with every pause at +20 %), inside the
    window, so the hook is Failed within the day (``time_to_failed``).
    """
    return min(MAX_PROBE_INTERVAL, window.total_seconds() / (SPREAD * max(1, threshold)))


def probe_delay(
    failures_in_a_row: int,
    *,
    threshold: int = FAILURE_THRESHOLD,
    retry_after: float | None = None,
    scale: float = 1.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds a hook waits after its ``failures_in_a_row``-th failed request in a row (1 = the
    first) before it is probed again.

    A ``Retry-After`` longer than that wins, up to a day: the receiver is up and asked for time
    (it may then stay Unstable longer than a dead one would). ``scale`` multiplies the result, as
    ``SHOTLOG_WEBHOOKS_RETRY_SCALE`` multiplies the window.
    """
    steady = probe_interval(threshold)
    step = PROBE_LADDER[failures_in_a_row - 1] if failures_in_a_row <= len(PROBE_LADDER) else steady
    delay = min(step, steady) * (1 + (rng or random).uniform(-JITTER, JITTER))
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, 24 * 3600.0)
    return delay * scale


def time_to_failed(
    threshold: int = FAILURE_THRESHOLD, window: dt.timedelta = FAILURE_WINDOW, *, jitter: float = 0.0
) -> float:
    """Seconds from the first failed request to the ``threshold``-th, for a receiver that stays down
    and one request at a time, with every pause stretched by ``jitter`` (0.2: the worst case)."""
    total = 0.0
    for n in range(1, threshold):
        steady = probe_interval(threshold, window)
        step = PROBE_LADDER[n - 1] if n <= len(PROBE_LADDER) else steady
        total += min(step, steady) * (1 + jitter)
    return total
