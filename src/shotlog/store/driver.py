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

**The commit's tail (PostgreSQL).** A write's last statements need no answer before the commit:
the UPDATE a write held back and the INSERT of its event, whose new id is only needed afterwards
(for the wake-up hint). Sent one by one they cost a round trip each, and the COMMIT one more. A
transaction that ends with them (``Database.write_grouped``) gets a tail (``open_tail``); inside
``last_statements`` they are queued on it instead of sent, and ``commit_tail`` sends them and the
COMMIT together in psycopg's pipeline mode: one round trip. A statement whose answer is needed sends
what is queued first, in order, so every statement still sees the ones before it.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

__all__ = [
    "Record",
    "close_tail",
    "commit_tail",
    "execute",
    "executemany",
    "fetch_all",
    "fetch_one",
    "fetch_one_later",
    "last_statements",
    "open_tail",
    "send_pending",
]


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
    tail = _tail_of(conn)
    if tail is not None and (tail.begin or tail.queued):
        if args and not many:
            # the BEGIN and what was queued go first, in the same round trip
            return _send(conn, tail, then=(sql, args))
        _send(conn, tail)
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
    """Run ``stmt`` once with ``params`` (an INSERT, UPDATE or DELETE); inside ``last_statements``,
    queue it for the commit."""
    c = _compiled(conn, stmt, tuple(params))
    tail = _tail_of(conn)
    if tail is not None and tail.collecting:
        tail.queued.append((c, _args(c, params), None))
        return
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


def fetch_one_later(
    conn: Connection, stmt: ClauseElement, params: Mapping[str, Any], took: Callable[[Record | None], None]
) -> None:
    """``took(fetch_one(...))``: at once, or, inside ``last_statements``, once the statement was
    sent with the commit (``took`` then runs after the commit)."""
    tail = _tail_of(conn)
    if tail is not None and tail.collecting:
        c = _compiled(conn, stmt, tuple(params))
        tail.queued.append((c, _args(c, params), took))
        return
    took(fetch_one(conn, stmt, params))


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
    tail = _tail_of(conn)
    if tail is not None and tail.collecting:
        # one statement per row in the commit's pipeline: what executemany itself would send
        tail.queued += [(c, p, None) for p in params]
        return
    _run(conn, c.sql, params, many=True).close()


# -- the commit's tail (PostgreSQL) ------------------------------------------------------------------

#: ``Connection.info`` key of the open transaction's tail
_TAIL = "shotlog.commit_tail"
#: libpq's PQTRANS_IDLE: no transaction open, nothing in flight
_IDLE = 0


class _Tail:
    """What waits to be sent with a statement of one PostgreSQL transaction: its BEGIN, until its
    first statement, and the statements queued for its COMMIT."""

    __slots__ = ("autocommit", "begin", "collecting", "queued")

    def __init__(self) -> None:
        self.autocommit = False  # the tail put the connection in autocommit mode (``open_tail``)
        self.begin = False  # the BEGIN is not sent yet: it goes with the first statement
        self.collecting = False  # inside ``last_statements``: statements that need no answer wait
        # (compiled statement, its driver arguments, what to hand its first row to)
        self.queued: list[tuple[_Compiled, Any, Callable[[Record | None], None] | None]] = []


#: not empty once this process opened a tail: a process on SQLite alone never looks for one
_TAILS: list[bool] = []


def _tail_of(conn: Connection) -> _Tail | None:
    if not _TAILS:
        return None
    tail: _Tail | None = conn.info.get(_TAIL)
    return tail


def open_tail(conn: Connection) -> None:
    """Give this PostgreSQL transaction, which has sent nothing yet, a tail: its BEGIN goes with its
    first statement, and the statements of ``last_statements`` with its COMMIT, which must then be
    made with ``commit_tail``. Every statement sent through SQLAlchemy must first call
    ``send_pending`` (``shotlog.store.database`` listens for them), and ``close_tail`` must follow
    the transaction's end."""
    if not _TAILS:
        _TAILS.append(True)
    tail = _Tail()
    dbapi: Any = conn.connection.driver_connection
    if dbapi.pgconn.transaction_status == _IDLE and not dbapi.autocommit:
        # psycopg sends BEGIN before the first statement and waits for its answer: a round trip of
        # its own. In autocommit mode it sends none, and the BEGIN is sent here, with that statement.
        dbapi.autocommit = True
        tail.autocommit = tail.begin = True
    conn.info[_TAIL] = tail


def close_tail(conn: Connection) -> None:
    """After the transaction ended, committed or rolled back: forget its tail, and give the pooled
    connection back its own transactions (a connection that cannot take them is invalidated, so
    no later transaction runs in autocommit mode)."""
    if not _TAILS:
        return
    try:
        tail = conn.info.pop(_TAIL, None)
    except Exception:  # an invalidated connection has no info: nothing to forget or give back
        return
    if tail is not None and tail.autocommit:
        try:
            conn.connection.driver_connection.autocommit = False  # type: ignore[union-attr]
        except Exception:  # still in a transaction, or broken: never to be used again
            conn.invalidate()


def send_pending(conn: Connection) -> None:
    """Before a statement sent another way (through SQLAlchemy): the BEGIN and the queued
    statements, in order, so that it runs in the transaction after them."""
    tail = _tail_of(conn)
    if tail is not None and (tail.begin or tail.queued):
        _send(conn, tail)


@contextlib.contextmanager
def last_statements(conn: Connection) -> Iterator[None]:
    """The transaction's last statements: with a tail open, those that need no answer now
    (``execute``, ``executemany``, ``fetch_one_later``) wait to go with the commit."""
    tail = _tail_of(conn)
    if tail is None:
        yield
        return
    tail.collecting = True
    try:
        yield
    finally:
        tail.collecting = False


def commit_tail(conn: Connection) -> None:
    """Send what the tail queued and COMMIT, in one round trip; SQLAlchemy's own commit that
    follows then finds the transaction ended and sends nothing. Without queued statements, nothing
    is done here (the commit is SQLAlchemy's, as for any transaction)."""
    tail = _tail_of(conn)
    if tail is not None and tail.queued:
        _send(conn, tail, commit=True)


def _send(conn: Connection, tail: _Tail, *, then: tuple[str, Any] | None = None, commit: bool = False) -> Any:
    """In psycopg's pipeline mode, sent together and answered together: the BEGIN if it is still
    due, the queued statements, ``then`` (whose cursor is returned) and the COMMIT. The first error
    is raised, wrapped as SQLAlchemy's, and the statements after it are not run."""
    queued, tail.queued = tail.queued, []
    begin, tail.begin = tail.begin, False
    dbapi: Any = conn.connection.driver_connection
    done: list[tuple[Any, _Compiled, Callable[[Record | None], None] | None]] = []
    last = None
    try:
        with dbapi.pipeline():
            if begin:
                dbapi.cursor().execute("BEGIN")
            for c, args, took in queued:
                cursor = dbapi.cursor()
                cursor.execute(c.sql, args)
                done.append((cursor, c, took))
            if then is not None:
                last = dbapi.cursor()
                last.execute(*then)
            if commit:
                dbapi.cursor().execute("COMMIT")
    except conn.dialect.loaded_dbapi.Error as exc:
        for cursor, _c, _took in done:
            cursor.close()
        if last is not None:
            last.close()
        sql = "; ".join(
            (["BEGIN"] if begin else [])
            + [c.sql for c, _args, _took in queued]
            + ([then[0]] if then else [])
            + (["COMMIT"] if commit else [])
        )
        raise sa.exc.DBAPIError.instance(
            sql, [a for _c, a, _t in queued], exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from exc
    for cursor, c, took in done:
        try:
            if took is not None:
                raw = cursor.fetchone()
                took(None if raw is None else _records(conn, c, cursor, [raw])[0])
        finally:
            cursor.close()
    return last


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
