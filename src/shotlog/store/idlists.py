"""A list of ids bound as one statement parameter: a JSON array on SQLite, an array on PostgreSQL.

``column IN (1, 2, 3, ...)`` with a bind per id is rendered anew for every length of list (and on
PostgreSQL each bind carries a cast), which costs more than running the lookup. With the list as
one parameter a statement is compiled once whatever the number of ids: SQLite reads it with
``json_each``, PostgreSQL with ``= ANY``. Both look each id up in the column's index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = ["among", "param"]


def among(
    column: sa.ColumnElement[Any], name: str, *, sqlite: bool, ids: Iterable[int] | None = None
) -> sa.ColumnElement[bool]:
    """``column`` is one of the ids bound as ``name`` (give ``ids`` to bind them in the statement,
    or pass ``param(ids)`` as ``name`` at execution)."""
    type_: Any = sa.String if sqlite else postgresql.ARRAY(sa.BigInteger)
    bind = (
        sa.bindparam(name, type_=type_)
        if ids is None
        else sa.bindparam(name, param(ids, sqlite=sqlite), type_=type_)
    )
    if sqlite:
        each = sa.func.json_each(bind).table_valued("value")
        return column.in_(sa.select(each.c.value))
    return column == sa.any_(bind)


def param(ids: Iterable[int], *, sqlite: bool) -> Any:
    """The parameter value of ``ids`` for a condition made by ``among``."""
    return orjson.dumps(list(ids)).decode() if sqlite else list(ids)
