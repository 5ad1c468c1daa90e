"""When a delivery is tried again, and what counts as a success. Pure.

This is the schedule of one delivery whose request failed while its hook was otherwise up (a
receiver refusing one payload). A receiver that is down is a matter of the whole hook: it is
paused and probed at the pace of ``shotlog.webhooks.status.probe_delay``, and a failed probe does
not use up its delivery's retries.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "RETRY_DELAYS",
    "Retry",
    "is_success",
    "parse_retry_after",
    "retry_decision",
]


#: Seconds to wait after the n-th failed attempt of a delivery (n = 1, 2, ...). Seconds and minutes
#: first, so a receiver back after a short outage gets its backlog within minutes; then hours, for
#: about three days in all. After the last one the delivery is given up (state ``failed``).
RETRY_DELAYS: tuple[float, ...] = (
    5,
    30,
    2 * 60,
    5 * 60,
    15 * 60,
    30 * 60,
    60 * 60,
    2 * 3600,
    4 * 3600,
    8 * 3600,
    12 * 3600,
    24 * 3600,
    24 * 3600,
)
#: +/- this fraction of each delay, so retries of many hooks do not arrive in lock step
JITTER = 0.2
#: Retry-After is honoured up to this many seconds
MAX_RETRY_AFTER = 24 * 3600.0


def is_success(status_code: int | None) -> bool:
    """FPTR's rule: any HTTP status below 400 is a success; no answer at all is a failure."""
    return status_code is not None and 0 < status_code < 400


@dataclass(frozen=True)
class Retry:
    """The decision after a failed attempt: give up, or wait ``delay`` seconds."""

    give_up: bool
    delay: float


def retry_decision(
    attempts: int,
    retry_after: float | None = None,
    *,
    scale: float = 1.0,
    delays: Sequence[float] = RETRY_DELAYS,
    rng: random.Random | None = None,
) -> Retry:
    """After ``attempts`` failed attempts (1 = the first failed), when to try again.

    ``scale`` multiplies every delay (tests run the schedule in milliseconds). A ``Retry-After``
    longer than the scheduled delay wins, capped at a day.
    """
    if attempts > len(delays):
        return Retry(True, 0.0)
    base = delays[attempts - 1]
    jitter = (rng or random).uniform(-JITTER, JITTER)
    delay = base * (1 + jitter)
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, MAX_RETRY_AFTER)
    return Retry(False, delay * scale)


def parse_retry_after(headers: Mapping[str, str], now: dt.datetime) -> float | None:
    """``Retry-After`` as seconds from ``now`` (delta-seconds or an HTTP date), None when absent or bad."""
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    aware_now = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    return max(0.0, (when - aware_now).total_seconds())
