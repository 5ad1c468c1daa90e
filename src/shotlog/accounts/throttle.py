"""The sign-in throttle's decisions and the folding of failed sign-ins, as pure functions.

Failed sign-ins are kept per client address and login tried, one ``Fold`` each, for a window
that begins with its first attempt and lasts ``Limits.window``:

* **Throttling.** The failures of a login (summed over addresses) and of an address (summed over
  logins), counting the folds whose window is still open, are compared with ``Limits``; at the
  limit, further sign-ins are refused unchecked (``refusal``) until enough of those folds end that
  the sum falls below it. An admin's unlock ends a login's folds at once.
* **Folding.** The event log is append-only, so an event cannot grow a count later. The first
  failure of a window is written at once, as FPTR writes each one, so a first wrong password is
  visible immediately; every later attempt of the window, failed or refused, only counts. When the
  window ends (seen by the next attempt of the pair, or by a sweep), one summary event carries the
  count, its first and last time, if there was anything past the first (``needs_summary``). So
  300 attempts of one pair in a window write two events.
* Attempts refused for a login that has no fold of its own from that address are counted on the
  address's fold with login ``""`` (``ANY_LOGIN``): a spray of logins from a throttled address
  folds into one, instead of one event per login.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from shotlog.settings import SIGNIN_ADDRESS_FAILURES, SIGNIN_LOGIN_FAILURES, SIGNIN_WINDOW_SECONDS

__all__ = ["ANY_LOGIN", "Fold", "Limits", "Refusal", "Step", "needs_summary", "refusal", "step"]

#: the login of the fold that counts refusals of logins with no fold of their own
ANY_LOGIN = ""


@dataclass(frozen=True, slots=True)
class Limits:
    """Failures allowed per login and per address in a window (0: no limit), and the window."""

    per_login: int
    per_address: int
    window: dt.timedelta

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            SIGNIN_LOGIN_FAILURES.read(),
            SIGNIN_ADDRESS_FAILURES.read(),
            dt.timedelta(seconds=SIGNIN_WINDOW_SECONDS.read()),
        )


@dataclass(frozen=True, slots=True)
class Refusal:
    """A sign-in turned away unchecked: which limit (``login`` or ``address``) and for how long."""

    scope: str
    retry_after: int  # whole seconds, at least 1

    def message(self, login: str) -> str:
        who = f"login {login!r}" if self.scope == "login" else "this address"
        return (
            f"Too many failed sign-ins for {who}; sign-ins are refused without a password check "
            f"for {self.retry_after} more seconds (an admin can lift it: shotlog users unlock)."
        )


@dataclass(frozen=True, slots=True)
class Fold:
    """The attempts of one (address, login) pair in one window."""

    source: str  # the way in of the window's first attempt: web, api3 or rest
    window_start: dt.datetime
    last_at: dt.datetime
    failures: int  # passwords checked and wrong
    refused: int  # attempts refused unchecked
    reported: int  # 1 when the first attempt was written as its own event

    @property
    def count(self) -> int:
        return self.failures + self.refused


def _open(start: dt.datetime, now: dt.datetime, window: dt.timedelta) -> bool:
    return now < start + window


def _wait(
    counts: Iterable[tuple[dt.datetime, int]], limit: int, now: dt.datetime, window: dt.timedelta
) -> dt.datetime | None:
    """When the open failures in ``counts`` fall below ``limit``; None when they are below it now."""
    live = sorted((start, n) for start, n in counts if n > 0 and _open(start, now, window))
    total = sum(n for _, n in live)
    if limit <= 0 or total < limit:
        return None
    until = now
    for start, n in live:  # the oldest folds end first
        total -= n
        until = start + window
        if total < limit:
            break
    return until


def refusal(
    limits: Limits,
    now: dt.datetime,
    by_login: Iterable[tuple[dt.datetime, int]],
    by_address: Iterable[tuple[dt.datetime, int]],
) -> Refusal | None:
    """Whether a sign-in at ``now`` is refused, given the (window start, failures) of the folds of
    its login and of its address; the longer wait wins when both limits are reached."""
    waits = [
        (until, scope)
        for scope, counts, limit in (
            ("login", by_login, limits.per_login),
            ("address", by_address, limits.per_address),
        )
        if (until := _wait(counts, limit, now, limits.window)) is not None
    ]
    if not waits:
        return None
    until, scope = max(waits)
    return Refusal(scope, max(1, math.ceil((until - now).total_seconds())))


def needs_summary(fold: Fold) -> bool:
    """Whether a window that ended holds attempts no event has told of yet."""
    return fold.count > fold.reported


@dataclass(frozen=True, slots=True)
class Step:
    """What one attempt does to its pair's fold."""

    fold: Fold  # the fold to keep
    ended: Fold | None  # a window this attempt found over (its summary is due if ``needs_summary``)
    first: bool  # write this attempt as its own event now


def step(fold: Fold | None, now: dt.datetime, window: dt.timedelta, *, refused: bool, source: str) -> Step:
    """Count one attempt (a wrong password, or ``refused`` unchecked) on its pair's fold."""
    ended = None
    if fold is not None and not _open(fold.window_start, now, window):
        ended, fold = fold, None
    if fold is None:
        # a window opens; its first attempt is told at once unless it was refused unchecked
        first = not refused
        opened = Fold(source, now, now, int(not refused), int(refused), int(first))
        return Step(opened, ended, first)
    counted = replace(
        fold,
        last_at=max(fold.last_at, now),
        failures=fold.failures + int(not refused),
        refused=fold.refused + int(refused),
    )
    return Step(counted, ended, False)
