"""Which aborted write transactions run again (``shotlog.store.retry``): pure decisions, table-driven.

The errors are the drivers' own exception classes, wrapped as SQLAlchemy and shotlog wrap them.
"""

from __future__ import annotations

import sqlite3

import psycopg.errors
import pytest
import sqlalchemy as sa

from shotlog.errors import StorageError
from shotlog.store import retry


def _wrapped(orig: Exception) -> sa.exc.DBAPIError:
    """``orig`` as SQLAlchemy raises it from a statement."""
    return sa.exc.DBAPIError.instance("UPDATE x", {}, orig, Exception)


def _translated(orig: Exception) -> StorageError:
    """``orig`` as it leaves the store: a StorageError caused by SQLAlchemy's wrapper."""
    try:
        try:
            raise _wrapped(orig)
        except sa.exc.DBAPIError as exc:
            raise StorageError("Database error") from exc
    except StorageError as err:
        return err


@pytest.mark.parametrize(
    ("error", "state", "again"),
    [
        (psycopg.errors.DeadlockDetected("deadlock detected"), "40P01", True),
        (psycopg.errors.SerializationFailure("could not serialize access"), "40001", True),
        # a bounded wait for a lock stays bounded: see the module's docstring
        (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), "55P03", False),
        (psycopg.errors.UniqueViolation("duplicate key value"), "23505", False),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), "57014", False),
        (sqlite3.OperationalError("database is locked"), None, False),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), None, False),
        (ValueError("not a database error"), None, False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None,
)
def test_only_serialization_failures_are_retryable(error: Exception, state: str | None, again: bool) -> None:
    for shape in (error, _wrapped(error), _translated(error)):
        assert retry.sqlstate(shape) == state
        assert (retry.retryable_sqlstate(shape) is not None) is again
        assert (retry.delay_before(1, shape, 0.5) is not None) is again


def test_delays_grow_are_spread_and_capped() -> None:
    deadlock = _wrapped(psycopg.errors.DeadlockDetected("deadlock detected"))
    middle = [retry.delay_before(n, deadlock, 0.5) for n in range(1, retry.MAX_ATTEMPTS)]
    assert all(d is not None for d in middle)
    values = [d for d in middle if d is not None]
    assert values == sorted(values) and values[0] < 0.01  # the first retry is almost immediate
    assert max(values) <= 0.25
    low, high = retry.delay_before(3, deadlock, 0.0), retry.delay_before(3, deadlock, 0.999)
    assert low is not None and high is not None and high > 1.9 * low  # two colliders drift apart


def test_attempts_are_bounded() -> None:
    deadlock = _wrapped(psycopg.errors.DeadlockDetected("deadlock detected"))
    assert retry.delay_before(retry.MAX_ATTEMPTS - 1, deadlock, 0.5) is not None
    assert retry.delay_before(retry.MAX_ATTEMPTS, deadlock, 0.5) is None


def test_a_cycle_of_causes_ends() -> None:
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a
    assert retry.sqlstate(a) is None
