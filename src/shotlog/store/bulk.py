"""``executemany`` of a SQLAlchemy statement, compiled once and sent as plain driver SQL.

A batch writes runs of identical statements (the UPDATEs of 100 Shots, the INSERT of their 100
events). Through ``Connection.execute`` SQLAlchemy builds and processes every parameter set on
each call, which costs more CPU than SQLite spends running the statements. Here a statement is
compiled once per (statement, parameter names, dialect); each run only converts values with the
column types' own bind processors (so what is stored is exactly what ``execute`` would store) and
hands the rows to ``exec_driver_sql``, which keeps SQLAlchemy's transaction, events and error
wrapping.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["executemany"]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: bool
    names: tuple[str, ...]  # bind names in the order the SQL expects them
    processors: tuple[Callable[[Any], Any] | None, ...]


# statement -> {(dialect name, parameter names): compiled}; entries go with their statement objects
_CACHE: weakref.WeakKeyDictionary[ClauseElement, dict[tuple[str, tuple[str, ...]], _Compiled]] = (
    weakref.WeakKeyDictionary()
)


def _compile(stmt: ClauseElement, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled = cast(SQLCompiler, stmt.compile(dialect=dialect, column_keys=list(keys)))
    if compiled.positional:
        names = tuple(compiled.positiontup or ())
    else:
        names = tuple(compiled.binds)
    processors = []
    for name in names:
        bind = compiled.binds[name]
        processors.append(bind.type.dialect_impl(dialect).bind_processor(dialect))
    return _Compiled(compiled.string, bool(compiled.positional), names, tuple(processors))


def executemany(conn: Connection, stmt: ClauseElement, rows: Sequence[dict[str, Any]]) -> None:
    """Run ``stmt`` once per row; every row must have the same keys (those of ``rows[0]``)."""
    keys = tuple(rows[0])
    per_stmt = _CACHE.get(stmt)
    if per_stmt is None:
        per_stmt = _CACHE[stmt] = {}
    key = (conn.dialect.name, keys)
    c = per_stmt.get(key)
    if c is None:
        c = per_stmt[key] = _compile(stmt, conn.dialect, keys)
    # Column by column: a batch repeats values (updated_at, the actor) in every row, and a value
    # that is the same object throughout is converted once. Processors see None too: a JSON column
    # turns it into JSON null, as execute() would.
    columns: list[list[Any]] = []
    for name, process in zip(c.names, c.processors, strict=True):
        values = [row[name] for row in rows]
        if process is not None:
            first = values[0]
            if all(v is first for v in values):
                values = [process(first)] * len(values)
            else:
                values = [process(v) for v in values]
        columns.append(values)
    params: list[Any] = list(zip(*columns, strict=True)) if columns else [()] * len(rows)
    if not c.positional:
        params = [dict(zip(c.names, p, strict=True)) for p in params]
    conn.exec_driver_sql(c.sql, params)
