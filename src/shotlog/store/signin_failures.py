"""The statements of ``signin_failures`` (migration 0009): one row per client address and login
tried, for the window its first attempt opened. What the rows mean and what to write is decided
by ``shotlog.accounts.throttle``; these only read, lock and write them.

Lock order on PostgreSQL: a transaction locks its pair's row, then (sweeping) other ended rows
with ``SKIP LOCKED``, and appends events last, after every row it touches, as "Lock order" in
docs/architecture.md asks of appenders other than entity writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from shotlog.store.tables import signin_failures

__all__ = ["Row", "counts", "delete", "ended", "insert", "lock", "of_login", "open_rows", "update"]

t = signin_failures


@dataclass(frozen=True, slots=True)
class Row:
    """A row as stored: its pair and its columns (the throttle makes a ``Fold`` of them)."""

    address: str
    login: str
    source: str
    window_start: dt.datetime
    last_at: dt.datetime
    failures: int
    refused: int
    reported: int


_COLUMNS = (
    t.c.address,
    t.c.login,
    t.c.source,
    t.c.window_start,
    t.c.last_at,
    t.c.failures,
    t.c.refused,
    t.c.reported,
)


def _rows(result: Iterable[Any]) -> list[Row]:
    return [Row(*r) for r in result]


def counts(
    conn: Connection, login: str, address: str, since: dt.datetime
) -> tuple[list[tuple[dt.datetime, int]], list[tuple[dt.datetime, int]]]:
    """The (window start, failures) of the windows opened after ``since``: of ``login`` from any
    address, and of ``address`` for any login (rows without failures left out)."""
    by_login = conn.execute(
        sa.select(t.c.window_start, t.c.failures).where(
            t.c.login == login, t.c.window_start > since, t.c.failures > 0
        )
    ).all()
    by_address = conn.execute(
        sa.select(t.c.window_start, t.c.failures).where(
            t.c.address == address, t.c.window_start > since, t.c.failures > 0
        )
    ).all()
    return [(r[0], r[1]) for r in by_login], [(r[0], r[1]) for r in by_address]


def lock(conn: Connection, address: str, login: str) -> Row | None:
    """The pair's row, locked until the transaction ends (PostgreSQL; SQLite's writer is alone)."""
    found = _rows(
        conn.execute(sa.select(*_COLUMNS).where(t.c.address == address, t.c.login == login).with_for_update())
    )
    return found[0] if found else None


def insert(conn: Connection, row: Row) -> bool:
    """Add the pair's row; False when a concurrent transaction added it first (nothing written)."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        dialect_insert(t)
        .values(**_values(row))
        .on_conflict_do_nothing(index_elements=[t.c.address, t.c.login])
        .returning(t.c.address)
    )
    # the row coming back says it was added (the driver's rowcount is -1 here on PostgreSQL)
    return conn.execute(stmt).first() is not None


def update(conn: Connection, row: Row) -> None:
    values = _values(row)
    del values["address"], values["login"]
    conn.execute(sa.update(t).where(t.c.address == row.address, t.c.login == row.login).values(**values))


def ended(conn: Connection, opened_before: dt.datetime, limit: int) -> list[Row]:
    """Up to ``limit`` rows whose window opened before ``opened_before`` (so has ended), locked;
    rows another transaction holds are skipped: it is dealing with them."""
    stmt = (
        sa.select(*_COLUMNS)
        .where(t.c.window_start <= opened_before)
        .order_by(t.c.window_start)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return _rows(conn.execute(stmt))


def of_login(conn: Connection, login: str) -> list[Row]:
    """Every row of ``login`` (from any address), locked."""
    stmt = sa.select(*_COLUMNS).where(t.c.login == login).order_by(t.c.address).with_for_update()
    return _rows(conn.execute(stmt))


def open_rows(conn: Connection, since: dt.datetime, limit: int) -> list[Row]:
    """The rows whose window opened after ``since``, most failures first (for listing)."""
    stmt = (
        sa.select(*_COLUMNS)
        .where(t.c.window_start > since)
        .order_by(t.c.failures.desc(), t.c.refused.desc(), t.c.address, t.c.login)
        .limit(limit)
    )
    return _rows(conn.execute(stmt))


def delete(conn: Connection, rows: Iterable[Row]) -> None:
    for row in rows:
        conn.execute(sa.delete(t).where(t.c.address == row.address, t.c.login == row.login))


def _values(row: Row) -> dict[str, Any]:
    return dataclasses.asdict(row)
