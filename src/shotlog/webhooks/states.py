"""What a delivery is, and what came of one request. Pure.

Two words, each with one meaning, kept apart from a hook's status (``schedule``):

* ``DeliveryState``: where a delivery stands, one value per delivery (its ``state`` column). A
  delivery being retried is ``pending`` (with its next attempt time), not "failed": ``failed`` is
  final, the retries are spent.
* ``AttemptOutcome``: what one HTTP request got: ``succeeded``, ``rejected`` (an answer of 400 or
  more) or ``unanswered`` (a timeout, a refused or reset connection, a TLS error).

FPTR's REST listing has a third notion, a delivery's ``status`` (``delivered`` or ``failed``: the
outcome of its last attempt, whatever comes next); ``fptr_status`` derives it for that listing only.
"""

from __future__ import annotations

import enum

__all__ = ["FINISHED", "OWED", "AttemptOutcome", "DeliveryState", "fptr_status", "outcome_of"]


class DeliveryState(enum.StrEnum):
    """Where a delivery stands. Stored as its value; compares equal to it."""

    #: waiting for its first or next attempt (``next_attempt_at``), possibly claimed by a worker
    PENDING = "pending"
    #: a request carrying it succeeded
    DELIVERED = "delivered"
    #: given up: every retry of the schedule failed (redeliver or replay it to try again)
    FAILED = "failed"
    #: kept, not sent, while its hook is Failed or Disabled, until an operator releases or discards it
    HELD = "held"
    #: a held delivery an operator gave up
    DISCARDED = "discarded"


#: the states nothing happens to any more (what retention purges)
FINISHED = (DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.DISCARDED)
#: the states whose event a receiver is still owed (what keeps an event out of the archive)
OWED = (DeliveryState.PENDING, DeliveryState.HELD)


class AttemptOutcome(enum.StrEnum):
    """What one request to a receiver got."""

    SUCCEEDED = "succeeded"
    #: the receiver answered 400 or more
    REJECTED = "rejected"
    #: no answer: a timeout, a refused or reset connection, a TLS error, an address the guard refused
    UNANSWERED = "unanswered"


def outcome_of(status_code: int | None, error: str | None = None) -> AttemptOutcome:
    """FPTR's rule: an answer below 400 (within the timeout) succeeded; no answer at all did not.

    A recorded rejection carries an error too (``HTTP 500``): an answer's code decides. ``error``
    alone (no code) is a request that got no answer.
    """
    if status_code is None or status_code <= 0:
        return AttemptOutcome.UNANSWERED
    if status_code >= 400:
        return AttemptOutcome.REJECTED
    return AttemptOutcome.SUCCEEDED if error is None else AttemptOutcome.UNANSWERED


def fptr_status(state: str, attempts: int) -> str:
    """FPTR's ``status`` of a delivery in the REST listing: ``delivered``, ``failed`` when its last
    attempt failed (retrying or given up: ``state`` tells which), else its state."""
    if state == DeliveryState.DELIVERED:
        return "delivered"
    if attempts > 0:
        return "failed"
    return str(state)
