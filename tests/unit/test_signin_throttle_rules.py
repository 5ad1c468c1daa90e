"""The sign-in throttle's pure rules (``shotlog.accounts.throttle``); through the servers in
tests/server/test_signin_throttle.py."""

from __future__ import annotations

import datetime as dt

import pytest

from shotlog.accounts.throttle import Fold, Limits, Refusal, needs_summary, refusal, step

T0 = dt.datetime(2026, 1, 1, 12, 0, 0)
WINDOW = dt.timedelta(seconds=600)
LIMITS = Limits(per_login=3, per_address=5, window=WINDOW)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("by_login", "by_address", "now", "expected"),
    [
        ([], [], 0, None),
        ([(at(0), 2)], [(at(0), 2)], 10, None),
        ([(at(0), 3)], [(at(0), 3)], 10, Refusal("login", 590)),
        # a window that ended no longer counts
        ([(at(0), 3)], [(at(0), 3)], 600, None),
        # two windows: the wait is until enough of the oldest ones end
        ([(at(0), 2), (at(100), 2)], [], 150, Refusal("login", 450)),
        ([(at(0), 1), (at(100), 3)], [], 150, Refusal("login", 550)),
        # the address's limit, from failures of many logins
        ([(at(0), 1)], [(at(0), 1), (at(50), 4)], 60, Refusal("address", 540)),
        # both reached: the longer wait
        ([(at(0), 3)], [(at(200), 5)], 300, Refusal("address", 500)),
        # never less than a second
        ([(at(0), 3)], [], 599.9, Refusal("login", 1)),
    ],
)
def test_refusal(
    by_login: list[tuple[dt.datetime, int]],
    by_address: list[tuple[dt.datetime, int]],
    now: float,
    expected: Refusal | None,
) -> None:
    assert refusal(LIMITS, at(now), by_login, by_address) == expected


def test_a_limit_of_zero_is_no_limit() -> None:
    off = Limits(per_login=0, per_address=0, window=WINDOW)
    assert refusal(off, at(1), [(at(0), 1000)], [(at(0), 1000)]) is None


def test_a_window_folds_every_attempt_after_its_first() -> None:
    first = step(None, at(0), WINDOW, refused=False, source="web")
    assert first.first and first.ended is None
    fold = first.fold
    for n in range(1, 300):
        taken = step(fold, at(n), WINDOW, refused=n >= 3, source="api3")
        assert not taken.first and taken.ended is None
        fold = taken.fold
    assert fold == Fold("web", at(0), at(299), 3, 297, 1)
    assert needs_summary(fold)
    later = step(fold, at(600), WINDOW, refused=False, source="rest")
    assert later.ended == fold and later.first
    assert later.fold == Fold("rest", at(600), at(600), 1, 0, 1)
    # a window of one failure was told in full by its own event
    assert not needs_summary(later.fold)


def test_a_window_opened_by_a_refusal_is_told_only_by_its_summary() -> None:
    taken = step(None, at(0), WINDOW, refused=True, source="api3")
    assert not taken.first and taken.fold == Fold("api3", at(0), at(0), 0, 1, 0)
    assert needs_summary(taken.fold)
