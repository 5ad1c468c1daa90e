"""Exponential back-off: how long to wait before trying again. One pure function, no clock, no sleep.

Every place that retries something the network or a database refused (a callback's transient error,
an event source out of reach, a write transaction PostgreSQL aborted) waits ``first``, then twice
that, four times, ..., up to ``cap``. The callers keep their own policy (how many tries, what to log,
whether to add jitter); only the arithmetic is shared, so the rhythms cannot drift apart by accident.
"""

from __future__ import annotations

import math

__all__ = ["delay"]

#: doublings beyond this are never needed (2**60 times any useful ``first`` exceeds any cap) and
#: would overflow a float for large attempt counts
_MAX_DOUBLINGS = 60


def delay(attempt: int, first: float, cap: float = math.inf) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry): ``first`` doubled
    ``attempt - 1`` times, at most ``cap``. Attempts below 1 count as 1."""
    doublings = min(max(attempt - 1, 0), _MAX_DOUBLINGS)
    return float(min(cap, first * 2.0**doublings))
