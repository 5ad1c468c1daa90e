"""Filters on an event's meta values: ``meta.old_value`` and ``meta.new_value`` of EventLogEntry.

FPTR cannot filter on ``meta`` (a serializable field); shotlog can on these two keys, so "status
changed to fin" is one condition (``["meta.new_value", "is", "fin"]``) that pages, counts and live
tails like any other. A value is compared as text: a string as it is, a number or boolean as its
JSON text on PostgreSQL and its SQL text on SQLite (so compare strings; entity links match by
``contains`` on their JSON text, e.g. a name).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shotlog.errors import FilterError
from shotlog.store.querymembers import Clause

__all__ = ["META_PATHS", "META_RELATIONS", "meta_condition"]

#: the filterable meta paths and the key each reads
META_PATHS = {"meta.old_value": "old_value", "meta.new_value": "new_value"}
META_RELATIONS = ("is", "is_not", "contains", "not_contains", "starts_with", "in")


def meta_condition(meta: sa.ColumnElement[Any], path: str, relation: str, values: list[Any]) -> Clause:
    """The SQL of ``[path, relation, *values]`` on an event's ``meta`` column."""
    key = META_PATHS[path]
    if relation not in META_RELATIONS:
        raise FilterError(
            f"Relation {relation!r} is not valid for EventLogEntry.{path}; "
            f"valid relations are {', '.join(META_RELATIONS)}",
            entity_type="EventLogEntry",
            field=path,
            value=relation,
        )
    texts: list[str | None] = []
    for value in values:
        if value is not None and not isinstance(value, str | int | float):
            raise FilterError(
                f"EventLogEntry.{path} is compared with text, got {value!r}", field=path, value=value
            )
        texts.append(None if value is None else str(value))
    if relation != "in" and len(texts) != 1:
        raise FilterError(f"Filter [{path!r}, {relation!r}] expects one value, got {values!r}", field=path)
    text = sa.cast(meta[key].as_string(), sa.Text)
    if relation == "in":
        present = [t for t in texts if t is not None]
        clause: Clause = text.in_(present) if present else sa.false()
        return sa.or_(clause, text.is_(None)) if None in texts else clause
    wanted = texts[0]
    if relation in ("is", "is_not"):
        positive = text.is_(None) if wanted is None else sa.and_(text == wanted)
    else:
        if wanted is None:
            raise FilterError(f"Filter [{path!r}, {relation!r}] needs text, got None", field=path)
        if relation == "starts_with":
            positive = sa.and_(text.istartswith(wanted, autoescape=True))
        else:
            positive = sa.and_(text.icontains(wanted, autoescape=True))
    if relation in ("is_not", "not_contains"):
        # NOT(x = v) is NULL when x is NULL: coalesce keeps events without the key in the complement
        return sa.not_(sa.func.coalesce(positive, sa.false(), type_=sa.Boolean))
    return positive
