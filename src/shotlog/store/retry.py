"""Which failed write transactions run again, and after how long: pure decisions.

PostgreSQL may abort a transaction that did nothing wrong, only because of what ran beside it: it
picks a victim to break a deadlock (SQLSTATE ``40P01``), or refuses a commit that no serial order
explains (``40001``). The transaction's work is rolled back entirely, so running it again from the
start is safe and is what the database asks for; a client must never see these errors.

Everything else is final, because running it again would fail the same way or hide a real problem:

* a lock timeout (``55P03``): shotlog sets ``lock_timeout`` so that a write behind a transaction
  that holds the event log for too long fails after a bounded wait. Retrying would make that wait
  unbounded again, so it is not retried by design;
* SQLite never aborts a transaction for a serialization reason: it has one writer at a time, each
  transaction starts with ``BEGIN IMMEDIATE``, and ``SQLITE_BUSY`` comes only after its 30-second
  busy timeout (the same case as a lock timeout);
* constraint violations, bad values, lost connections (a commit may or may not have happened)
  and every error of shotlog's own.

Delays grow from a few milliseconds and are spread at random, so two transactions that collided do
not collide again at the same instant.
"""

from __future__ import annotations

from shotlog import backoff

__all__ = ["MAX_ATTEMPTS", "RETRYABLE_SQLSTATES", "delay_before", "retryable_sqlstate", "sqlstate"]

#: SQLSTATEs of a transaction the database aborted for a serialization reason
RETRYABLE_SQLSTATES = {"40001": "serialization failure", "40P01": "deadlock detected"}
#: runs of one transaction at most (the first and the retries)
MAX_ATTEMPTS = 10
_FIRST_DELAY = 0.002
_MAX_DELAY = 0.25


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of the driver error behind ``exc``, looking through wrappers and causes.

    SQLAlchemy wraps the driver's error in ``.orig``; shotlog's own errors keep it as their cause.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            return state
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            current = orig
            continue
        current = current.__cause__ or current.__context__
    return None


def retryable_sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE that makes ``exc`` worth running again, or None when it is final."""
    state = sqlstate(exc)
    return state if state in RETRYABLE_SQLSTATES else None


def delay_before(attempt: int, exc: BaseException, spread: float) -> float | None:
    """Seconds to wait before run ``attempt + 1`` after run ``attempt`` (from 1) failed with
    ``exc``; None when it must not run again. ``spread`` is a random number in [0, 1)."""
    if attempt >= MAX_ATTEMPTS or retryable_sqlstate(exc) is None:
        return None
    base = backoff.delay(attempt, _FIRST_DELAY, _MAX_DELAY)
    return base * (0.5 + spread)
