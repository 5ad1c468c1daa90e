"""The one back-off rule, and the rhythms of the daemon's three users of it, pinned as numbers."""

from __future__ import annotations

import math

import pytest

from shotlog import backoff


@pytest.mark.parametrize(
    ("attempt", "first", "cap", "expected"),
    [
        (1, 0.5, math.inf, 0.5),
        (2, 0.5, math.inf, 1.0),
        (4, 0.5, math.inf, 4.0),
        (0, 0.5, math.inf, 0.5),  # below 1 counts as the first retry
        (-3, 0.5, math.inf, 0.5),
        (3, 0.5, 1.5, 1.5),  # capped
        (10_000, 0.5, 30.0, 30.0),  # no overflow however long the outage
        (10_000, 0.002, math.inf, 0.002 * 2.0**60),
        (5, 0.002, 0.25, 0.032),
        (9, 0.002, 0.25, 0.25),
    ],
)
def test_delay(attempt: int, first: float, cap: float, expected: float) -> None:
    assert backoff.delay(attempt, first, cap) == pytest.approx(expected)


def test_a_callbacks_transient_retries() -> None:
    """daemon/calls.py: four retries, from half a second, uncapped."""
    assert [backoff.delay(n, 0.5) for n in range(1, 5)] == [0.5, 1.0, 2.0, 4.0]


def test_an_unreachable_event_source() -> None:
    """daemon/sources/polling.py ``Retry`` (stream and api3 sources): from 0.5 s up to conn_retry_sleep."""
    assert [backoff.delay(n, 0.5, 60.0) for n in range(1, 10)] == [0.5, 1, 2, 4, 8, 16, 32, 60, 60]


def test_an_unreadable_event_log() -> None:
    """daemon/sources/direct.py: from 1 s (the retry after the first failure) up to 30 s."""
    assert [backoff.delay(f + 1, 0.5, 30.0) for f in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
