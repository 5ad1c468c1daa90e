"""Now, as every DateTime column of shotlog stores it: naive UTC.

The one place the two precisions shotlog uses are decided:

* ``utcnow()`` keeps microseconds. Leases, retry times, heartbeats and cursor stamps (webhooks,
  daemon) are compared with each other in fractions of a second: the test suite scales webhook
  retries to milliseconds, and a lease must not look expired up to a second early.
* ``utcnow_seconds()`` drops them. Entity and event timestamps (``created_at``, ``updated_at``)
  reach clients through api3, whose wire has no fractions; storing whole seconds keeps what a client
  reads equal to what a filter on it compares (``created_at is <what you read>``).
"""

from __future__ import annotations

import datetime as dt

__all__ = ["utcnow", "utcnow_seconds"]


def utcnow() -> dt.datetime:
    """Now as naive UTC, to the microsecond."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def utcnow_seconds() -> dt.datetime:
    """Now as naive UTC, to whole seconds (what entity and event timestamps hold)."""
    return utcnow().replace(microsecond=0)
