"""SQLAlchemy statements compiled once and run as plain driver SQL: the write path's hot statements.

Through ``Connection.execute`` SQLAlchemy builds an execution context, fires its events and wraps a
result on every call. For the handful of statements every write runs (read the row, UPDATE it,
INSERT its event) that costs several times what SQLite spends running them, and for a batch's run
of 100 identical UPDATEs it is paid 100 times. Here a statement is compiled once per (statement,
parameter names, dialect); each run only converts values with the column types' own bind and
result processors, so what is stored and read back is exactly what ``execute`` would store and
read, and hands the SQL to the driver cursor of the connection's open transaction.

Driver errors are wrapped as SQLAlchemy wraps them (``IntegrityError``, ``OperationalError``...),
so callers translate them in one place (``shotlog.store.database``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["Record", "execute", "executemany", "fetch_all", "fetch_one"]


@dataclass(slots=True)
class _Compiled:
    sql: str
    positional: bool
    names: tuple[str, ...]  # bind names in the order the SQL expects them
    processors: tuple[Callable[[Any], Any] | None, ...]
    literals: dict[str, Any]  # values of the binds the statement carries itself (``coalesce(x, 0)``)
    columns: tuple[str, ...]  # result column names (SELECT and RETURNING)
    types: tuple[Any, ...]  # their SQLAlchemy types
    # their result processors, made at the first fetch: some need the driver's type codes
    results: tuple[Callable[[Any], Any] | None, ...] | None = None


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
    literals: dict[str, Any] = {}
    for name in names:
        bind = compiled.binds[name]
        processors.append(bind.type.dialect_impl(dialect).bind_processor(dialect))
        if name not in keys:
            literals[name] = bind.effective_value
    columns = tuple(col.keyname for col in compiled._result_columns)
    types = tuple(col.type.dialect_impl(dialect) for col in compiled._result_columns)
    return _Compiled(
        compiled.string,
        bool(compiled.positional),
        names,
        tuple(processors),
        literals,
        columns,
        types,
    )


def _compiled(conn: Connection, stmt: ClauseElement, keys: tuple[str, ...]) -> _Compiled:
    per_stmt = _CACHE.get(stmt)
    if per_stmt is None:
        per_stmt = _CACHE[stmt] = {}
    key = (conn.dialect.name, keys)
    c = per_stmt.get(key)
    if c is None:
        c = per_stmt[key] = _compile(stmt, conn.dialect, keys)
    return c


def _run(conn: Connection, sql: str, args: Any, many: bool = False) -> Any:
    """The driver cursor after running ``sql`` in ``conn``'s transaction; errors wrapped as SQLAlchemy's."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cursor.executemany(sql, args)
        elif args:
            cursor.execute(sql, args)
        else:
            # no parameters: psycopg then uses the simple protocol, which runs several statements
            cursor.execute(sql)
    except conn.dialect.loaded_dbapi.Error as exc:
        cursor.close()
        raise sa.exc.DBAPIError.instance(
            sql, args, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect, ismulti=many
        ) from exc
    return cursor


def _args(c: _Compiled, params: Mapping[str, Any]) -> Any:
    if c.literals:
        params = {**c.literals, **params}
    values = [
        params[name] if process is None else process(params[name])
        for name, process in zip(c.names, c.processors, strict=True)
    ]
    return values if c.positional else dict(zip(c.names, values, strict=True))


def execute(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any]) -> None:
    """Run ``stmt`` once with ``params`` (an INSERT, UPDATE or DELETE)."""
    c = _compiled(conn, stmt, tuple(params))
    _run(conn, c.sql, _args(c, params)).close()


def fetch_one(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any]) -> Record | None:
    """The first row ``stmt`` returns (a SELECT, or a statement with RETURNING), or None."""
    c = _compiled(conn, stmt, tuple(params))
    cursor = _run(conn, c.sql, _args(c, params))
    try:
        raw = cursor.fetchone()
        return None if raw is None else _records(conn, c, cursor, [raw])[0]
    finally:
        cursor.close()


def fetch_all(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any]) -> list[Record]:
    """Every row ``stmt`` returns."""
    c = _compiled(conn, stmt, tuple(params))
    cursor = _run(conn, c.sql, _args(c, params))
    try:
        raws = cursor.fetchall()
        return _records(conn, c, cursor, raws) if raws else []
    finally:
        cursor.close()


def _records(conn: Connection, c: _Compiled, cursor: Any, raws: Sequence[Sequence[Any]]) -> list[Record]:
    if c.results is None:
        codes = [d[1] for d in cursor.description]
        c.results = tuple(
            t.result_processor(conn.dialect, code) for t, code in zip(c.types, codes, strict=True)
        )
    columns, results = c.columns, c.results
    return [
        Record(
            dict(
                zip(
                    columns,
                    [v if p is None or v is None else p(v) for v, p in zip(raw, results, strict=True)],
                    strict=True,
                )
            )
        )
        for raw in raws
    ]


def executemany(conn: Connection, stmt: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run ``stmt`` once per row; every row must have the same keys (those of ``rows[0]``)."""
    keys = tuple(rows[0])
    c = _compiled(conn, stmt, keys)
    # Column by column: a batch repeats values (updated_at, the actor) in every row, and a value
    # that is the same object throughout is converted once. Processors see None too: a JSON column
    # turns it into JSON null, as execute() would.
    columns: list[list[Any]] = []
    for name, process in zip(c.names, c.processors, strict=True):
        if name in c.literals:
            values = [c.literals[name]] * len(rows)
        else:
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
    _run(conn, c.sql, params, many=True).close()


class Record:
    """A row read through the driver: its columns as attributes, like a SQLAlchemy ``Row``."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def _asdict(self) -> dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        return f"Record({self._values!r})"
