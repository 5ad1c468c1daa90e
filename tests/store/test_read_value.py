"""``Database.read_value``: the single-statement read every script's api3 call makes of its
credentials epoch. Whatever it keeps between calls (on SQLite, a reader connection of its own), a
change committed by another connection is seen by the very next call, and a broken connection
falls back to an ordinary read and is replaced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from shotlog.store import epochs
from shotlog.store.database import Database

NOW = dt.datetime(2026, 12, 8, tzinfo=dt.UTC)


@pytest.fixture
def two(db_url: str) -> Iterator[tuple[Database, Database]]:
    """Two database objects on one database: what two server processes hold."""
    first, second = Database(db_url), Database(db_url)
    yield first, second
    first.dispose()
    second.dispose()


def test_a_commit_elsewhere_is_read_by_the_next_call(two: tuple[Database, Database]) -> None:
    reader, writer = two
    assert epochs.current_now(reader, "ApiUser", 7) == 0
    for expected in (1, 2, 3):
        with writer.write() as conn:
            epochs.bump(conn, "ApiUser", 7, NOW)
        assert epochs.current_now(reader, "ApiUser", 7) == expected  # no wait, no retry


def test_a_broken_connection_falls_back_and_is_replaced(two: tuple[Database, Database]) -> None:
    reader, writer = two
    assert reader.read_value("SELECT 1", ()) == (True, 1)
    if reader.is_sqlite:
        kept = reader._value_conn
        assert kept is not None
        kept.driver_connection.close()  # as a connection lost under it
    with writer.write() as conn:
        epochs.bump(conn, "ApiUser", 8, NOW)
    # the failing statement reports (False, None); current_now then reads in a transaction
    assert epochs.current_now(reader, "ApiUser", 8) == 1
    assert reader.read_value("SELECT 2", ()) == (True, 2)
    if reader.is_sqlite:
        assert reader._value_conn is not None and reader._value_conn is not kept
