"""The operands of filters: limits, and each filter value checked against its field's data type.

Pure: the SQL builder (``store/querybuilder.py``) asks these before binding a value, so that a value
the database cannot compare is a ``FilterError`` naming the filter, never a driver error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from shotlog.errors import FilterError, ShotlogError, shown
from shotlog.schema.model import Field, Schema
from shotlog.values import to_storage_datetime

__all__ = [
    "MAX_JOINS",
    "MAX_PATH_HOPS",
    "MAX_PATTERN_LENGTH",
    "MAX_SORTS",
    "NEGATIVE",
    "check_hops",
    "column_value",
    "is_int",
    "is_text",
    "link_value",
    "one",
    "pattern_text",
    "type_name",
]

MAX_SORTS = 100
#: links a field path may follow (``entity.Shot.sg_sequence.Sequence.code`` follows two): each hop
#: is a join or a nested subquery, and SQLite's parser overflows its stack near twenty of them
MAX_PATH_HOPS = 8
#: distinct linked paths one query may join (SQLite refuses a join of more than 64 tables)
MAX_JOINS = 48
#: characters of a contains/starts_with/ends_with/name_* text: SQLite refuses to evaluate a LIKE
#: pattern over 50,000 bytes, and escaping doubles each % and _ (4 bytes a character at worst)
MAX_PATTERN_LENGTH = 10_000

#: each negative relation and the positive one it is the exact complement of
NEGATIVE = {
    "is_not": "is",
    "not_in": "in",
    "not_contains": "contains",
    "not_between": "between",
    "not_in_last": "in_last",
    "not_in_next": "in_next",
    "type_is_not": "type_is",
    "name_not_contains": "name_contains",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def is_int(value: object) -> bool:
    """An integer the database can bind: larger ones are a driver error, not an empty result."""
    return isinstance(value, int) and not isinstance(value, bool) and _INT_MIN <= value <= _INT_MAX


def is_text(value: object) -> bool:
    # PostgreSQL rejects NUL in text parameters and neither driver can encode an unpaired
    # surrogate: both are the caller's mistake, on both backends.
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_hops(path: object) -> None:
    """Refuse a path that follows more than ``MAX_PATH_HOPS`` links (the database would fail on it)."""
    if isinstance(path, str) and path.count(".") > 2 * MAX_PATH_HOPS:
        raise FilterError(
            f"Field path {path[:200]!r} follows more than {MAX_PATH_HOPS} links",
            field=path[:200],
        )


def column_value(f: Field, path: str, relation: str, value: Any) -> Any:
    """``value`` checked and converted for comparing with column field ``f`` (None passes)."""
    if value is None:
        return None
    kind = "int" if f.name == "id" else f.dtype.kind
    ok = True
    if kind in ("str", "json"):
        ok = is_text(value)
    elif kind == "int":
        if isinstance(value, float) and value.is_integer():  # as the writer accepts 10.0 for 10
            value = int(value)
        ok = is_int(value)
    elif kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        # Same spelling the writer accepts: fromisoformat alone would also take "20240229".
        ok = isinstance(value, str) and _DATE.fullmatch(value) is not None
        if ok:
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                ok = False
    elif kind == "datetime":
        try:
            return to_storage_datetime(value)
        except (ShotlogError, OverflowError, ValueError):  # also years out of range after a shift
            ok = False
    if not ok:
        raise FilterError(
            f"Filter [{path!r}, {relation!r}]: {value!r} is not a valid value for "
            f"{f.qualified} ({f.data_type})",
            entity_type=f.entity_type,
            field=path,
            value=value,
        )
    return value


def one(path: str, relation: str, values: list[Any]) -> Any:
    """The single value of a relation that takes one."""
    if len(values) != 1:
        raise FilterError(
            f"Filter [{path!r}, {relation!r}] expects one value, got {values!r}", field=path, value=values
        )
    return values[0]


def pattern_text(path: str, relation: str, value: Any) -> str:
    """The text of a pattern relation (contains, starts_with, name_is...)."""
    if not is_text(value):
        raise FilterError(
            f"Filter [{path!r}, {relation!r}] expects text, got {shown(value)}", field=path, value=value
        )
    if len(value) > MAX_PATTERN_LENGTH:
        raise FilterError(
            f"Filter [{path!r}, {relation!r}]: the text is {len(value)} characters long; "
            f"at most {MAX_PATTERN_LENGTH} are allowed",
            field=path,
        )
    return str(value)


def link_value(f: Field, path: str, value: Any) -> tuple[str, int] | None:
    """An entity link filter value as ``(type, id)``, or None."""
    if value is None:
        return None
    if isinstance(value, Mapping) and isinstance(value.get("type"), str) and is_int(value.get("id")):
        return (value["type"], value["id"])
    raise FilterError(
        f"Filter on {path!r}: expected an entity link {{'type': ..., 'id': ...}} or None, got {value!r}",
        entity_type=f.entity_type,
        field=path,
        value=value,
    )


def type_name(schema: Schema, path: str, value: Any) -> str:
    """An entity type name the schema knows."""
    if not isinstance(value, str):
        raise FilterError(
            f"Filter on {path!r}: expected an entity type name, got {value!r}", field=path, value=value
        )
    if not schema.has_entity(value):
        raise FilterError(f"Filter on {path!r}: unknown entity type {value!r}", field=path, value=value)
    return value
