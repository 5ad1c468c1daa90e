"""Turning shotgun_api3-style filters into the wire form, and checking the wire form's shape. Pure.

Callers write ``[["code", "is", "s1"], {"filter_operator": "any", "filters": [...]}]``; the api3
wire carries ``{"logical_operator": "and", "conditions": [{"path", "relation", "values"}, ...]}``.
Everything below this module works on the wire form only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shotlog.errors import FilterError

__all__ = ["MAX_CONDITIONS", "MAX_DEPTH", "MAX_VALUES", "Condition", "Group", "check_wire", "to_wire"]

# Bounds that keep a filter inside what both databases compile: SQLite's expression depth (1000)
# and PostgreSQL's bind-parameter count (65,535). Far beyond what a real query needs.
MAX_CONDITIONS = 200
MAX_DEPTH = 32
MAX_VALUES = 10_000

Condition = dict[str, Any]
Group = dict[str, Any]

_OPERATORS = {"all": "and", "and": "and", "any": "or", "or": "or"}


def _operator(value: object) -> str:
    if value is None:
        return "and"
    if isinstance(value, str) and value.lower() in _OPERATORS:
        return _OPERATORS[value.lower()]
    raise FilterError(f"Unknown filter_operator {value!r}; use 'all' or 'any'", value=value)


def to_wire(filters: Any, filter_operator: str | None = None) -> Group:
    """Normalize a list of filters (or an already-wire dict) into a wire group, within the bounds."""
    try:
        group = _to_wire(filters, filter_operator)
    except RecursionError:  # nesting far beyond MAX_DEPTH: refuse it as _check_bounds would
        raise FilterError(f"Filter groups nest more than {MAX_DEPTH} levels deep") from None
    _check_bounds(group)
    return group


def _check_bounds(group: Group) -> None:
    count = 0

    def walk(node: Group, depth: int) -> None:
        nonlocal count
        if depth > MAX_DEPTH:
            raise FilterError(f"Filter groups nest more than {MAX_DEPTH} levels deep")
        for c in node["conditions"]:
            if "conditions" in c:
                walk(c, depth + 1)
                continue
            count += 1
            if len(c["values"]) > MAX_VALUES:
                raise FilterError(
                    f"Filter on {c['path']!r} has {len(c['values'])} values; "
                    f"at most {MAX_VALUES} are allowed",
                    field=c["path"],
                )

    walk(group, 1)
    if count > MAX_CONDITIONS:
        raise FilterError(f"filters have {count} conditions; at most {MAX_CONDITIONS} are allowed")


def _to_wire(filters: Any, filter_operator: str | None = None) -> Group:
    if filters is None:
        filters = []
    if isinstance(filters, Mapping):
        if "conditions" in filters or "logical_operator" in filters:
            return check_wire(filters)
        if "filters" in filters:
            return _group(filters)
        raise FilterError(f"Filters must be a list or a wire filter dict, got {dict(filters)!r}")
    if not isinstance(filters, Sequence) or isinstance(filters, str | bytes):
        raise FilterError(f"Filters must be a list, got {filters!r}", value=filters)
    return {"logical_operator": _operator(filter_operator), "conditions": [_item(f) for f in filters]}


def _group(spec: Mapping[str, Any]) -> Group:
    inner = spec.get("filters")
    if not isinstance(inner, Sequence) or isinstance(inner, str | bytes):
        raise FilterError(f"A filter group needs a list under 'filters', got {inner!r}", value=inner)
    return {
        "logical_operator": _operator(spec.get("filter_operator")),
        "conditions": [_item(f) for f in inner],
    }


def _item(item: Any) -> Condition | Group:
    if isinstance(item, Mapping):
        if "filter_operator" in item or "filters" in item:
            return _group(item)
        if "conditions" in item or "logical_operator" in item:
            return check_wire(item)
        if "path" in item and "relation" in item:
            return _check_condition(item)
        raise FilterError(f"Not a filter: {dict(item)!r}", value=dict(item))
    if isinstance(item, Sequence) and not isinstance(item, str | bytes):
        if len(item) < 2:
            raise FilterError(
                f"A filter needs at least a field and a relation, got {list(item)!r}", value=list(item)
            )
        path, relation, *values = item
        # As shotgun_api3 does: a single list argument is the list of values.
        if len(values) == 1 and isinstance(values[0], list | tuple):
            values = list(values[0])
        return _check_condition({"path": path, "relation": relation, "values": values})
    raise FilterError(f"Not a filter: {item!r}", value=item)


def _check_condition(cond: Mapping[str, Any]) -> Condition:
    path, relation, values = cond.get("path"), cond.get("relation"), cond.get("values", [])
    if not isinstance(path, str) or not path:
        raise FilterError(f"A filter's field must be a non-empty string, got {path!r}", value=path)
    if not isinstance(relation, str):
        raise FilterError(
            f"Filter on {path!r}: the relation must be a string, got {relation!r}", value=relation
        )
    if not isinstance(values, list | tuple):
        values = [values]
    return {"path": path, "relation": relation, "values": list(values)}


def check_wire(group: Mapping[str, Any]) -> Group:
    """Validate a wire group's shape (recursively) and return a clean copy."""
    op = group.get("logical_operator", "and")
    if op not in ("and", "or"):
        raise FilterError(f"logical_operator must be 'and' or 'or', got {op!r}", value=op)
    conditions = group.get("conditions", [])
    if not isinstance(conditions, list | tuple):
        raise FilterError(f"conditions must be a list, got {conditions!r}", value=conditions)
    out: list[Condition | Group] = []
    for c in conditions:
        if not isinstance(c, Mapping):
            raise FilterError(f"Not a filter condition: {c!r}", value=c)
        if "conditions" in c or "logical_operator" in c:
            out.append(check_wire(c))
        elif "filters" in c or "filter_operator" in c:
            out.append(_group(c))
        else:
            out.append(_check_condition(c))
    return {"logical_operator": op, "conditions": out}
