"""Records, errors and query parameters in FPTR's REST shapes. Pure.

A record is ``{"type", "id", "attributes": {...}, "relationships": {field: {"data": link(s)}},
"links": {"self": ...}}``; an error is ``{"errors": [{"id", "status", "code", "title", "source",
"detail"}]}``. URLs name entity types in plural snake case (``/entity/shots``,
``/entity/published_files``); the type's own name (``Shot``) is accepted too, in any case.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from shotlog.errors import (
    ConflictError,
    FilterError,
    NotFound,
    PermissionDenied,
    ShotlogError,
    StorageError,
    UnknownEntityType,
)
from shotlog.query.filters import to_wire
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import Field, Schema

__all__ = [
    "BASE",
    "MAX_CONDITIONS",
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_VALUES",
    "MAX_SORT",
    "bounded_filters",
    "error",
    "failure_ref",
    "http_status",
    "internal_error",
    "parse_fields",
    "parse_simple_filters",
    "parse_sort",
    "record",
    "search_filters",
    "type_from_url",
    "url_name",
]

BASE = "/api/v1"
#: How deeply ``_search`` filter groups may nest (deeper trees are refused, not recursed into).
MAX_FILTER_DEPTH = 32
#: Conditions and filter values one request may carry, and sort terms: beyond these a database
#: refuses the query (SQLite's expression depth of 1000, PostgreSQL's 65535 parameters), which is
#: the client's doing and answers 400, not a server error.
MAX_CONDITIONS = 200
MAX_FILTER_VALUES = 10_000
MAX_SORT = 100


def _snake(entity_type: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", entity_type).lower()


def url_name(entity_type: str) -> str:
    """``PublishedFile`` → ``published_files``."""
    snake = _snake(entity_type)
    if snake.endswith("y") and not snake.endswith(("ay", "ey", "oy", "uy")):
        return snake[:-1] + "ies"
    if snake.endswith(("s", "x", "ch", "sh")):
        return snake + "es"
    return snake + "s"


def type_from_url(schema: Schema, name: str) -> str | None:
    """The entity type a URL segment names (``shots``, ``Shot``, ``shot``, ``published_file``), or None."""
    folded = name.lower()
    for t in schema.types:
        if folded in (t.lower(), url_name(t), _snake(t)):
            return t
    return None


#: Longest error title: a message that echoes a huge bad value is cut here.
MAX_TITLE = 1000


def error(
    status: int,
    title: str,
    *,
    code: int | None = None,
    source: Mapping[str, Any] | None = None,
    ref: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """The JSON error envelope; ``ref`` (the id of a failure's log entry) becomes the error's id."""
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 3] + "..."
    return {
        "errors": [
            {
                "id": ref or uuid.uuid4().hex,
                "status": status,
                "code": code if code is not None else status,
                "title": title,
                "source": dict(source or {}),
                "detail": detail,
                "meta": None,
            }
        ]
    }


def record(schema: Schema, row: Mapping[str, Any]) -> dict[str, Any]:
    entity_type = row["type"]
    fields = schema.fields.get(entity_type, {})
    attributes: dict[str, Any] = {}
    relationships: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("type", "id"):
            continue
        f = fields.get(key)
        if f is not None and f.storage in (Storage.LINK, Storage.MULTI, Storage.REVERSE):
            rel: dict[str, Any] = {"data": value}
            if isinstance(value, Mapping) and "type" in value:
                rel["links"] = {"related": f"{BASE}/entity/{url_name(value['type'])}/{value['id']}"}
            relationships[key] = rel
        else:
            attributes[key] = value
    return {
        "type": entity_type,
        "attributes": attributes,
        "relationships": relationships,
        "id": row["id"],
        "links": {"self": f"{BASE}/entity/{url_name(entity_type)}/{row['id']}"},
    }


def parse_fields(raw: str | None, schema: Schema, entity_type: str) -> list[str]:
    """``fields=code,sg_status_list``, ``*`` (every field) or both (``*,project.Project.name``)."""
    if raw is None or not raw.strip():
        raw = "*"
    names = [f.strip() for f in raw.split(",") if f.strip()]
    if "*" not in names:
        return names
    every = [n for n, f in schema.fields[entity_type].items() if f.data_type != "password"]
    return every + [n for n in names if n != "*" and n not in every]


def parse_sort(raw: str | None) -> list[dict[str, str]] | None:
    """``sort=-created_at,code`` → api3 sorts."""
    if not raw:
        return None
    out = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        desc = part.startswith("-")
        out.append({"field_name": part.lstrip("-+"), "direction": "desc" if desc else "asc"})
    if len(out) > MAX_SORT:
        raise FilterError(f"sort has {len(out)} fields; at most {MAX_SORT} are allowed", parameter="sort")
    return out


def parse_simple_filters(params: Mapping[str, str], schema: Schema, entity_type: str) -> list[list[Any]]:
    """``filter[sg_status_list]=ip,rev`` → ``[["sg_status_list", "in", ["ip", "rev"]]]``.

    Query-string values are text; each is read as the filtered field's type: a number for number
    fields (``filter[id]=5``), ``true``/``false`` for checkboxes, ``Type:id`` (or a bare id when the
    field links to one type only) for entity fields. ``null`` is no value.
    """
    out: list[list[Any]] = []
    for key, value in params.items():
        if not key.startswith("filter["):
            continue
        m = re.fullmatch(r"filter\[([^\[\]]+)\]", key)
        if not m:
            raise FilterError(f"Expected filter[<field>]=<value>, got parameter {key!r}", parameter=key)
        path = m.group(1)
        f = _field_at(schema, entity_type, path)
        parts = [_typed(v, f) for v in value.split(",")]
        out.append([path, "in", parts] if len(parts) > 1 else [path, "is", parts[0]])
    return out


def _field_at(schema: Schema, entity_type: str, path: str) -> Field | None:
    """The field a (deep) path ends on: ``code``, ``project.Project.name``; None if unknown."""
    parts = path.split(".")
    if len(parts) % 2 == 0:
        return None
    for i in range(0, len(parts) - 1, 2):
        entity_type = parts[i + 1]
    return schema.fields.get(entity_type, {}).get(parts[-1])


def _typed(text: str, f: Field | None) -> Any:
    if text.strip().lower() == "null":
        return None
    kind = None if f is None else f.dtype.kind
    if kind is None:  # an unknown field: the store names it in its error
        return text
    stripped = text.strip()
    if kind == "int" and re.fullmatch(r"[-+]?\d+", stripped):
        return int(stripped)
    if kind == "float" and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", stripped):
        return float(stripped)
    if kind == "bool" and stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    if kind in ("link", "links") and f is not None:
        m = re.fullmatch(r"([A-Za-z]\w*):(\d+)", stripped)
        if m:
            return {"type": m.group(1), "id": int(m.group(2))}
        if re.fullmatch(r"\d+", stripped) and len(f.valid_types) == 1:
            return {"type": f.valid_types[0], "id": int(stripped)}
    return text


def search_filters(raw: Any) -> dict[str, Any]:
    """``_search`` filters: an array of ``[field, relation, value]`` or a hash with
    ``logical_operator`` and ``conditions`` whose items are arrays or nested hashes."""
    _check_depth(raw)
    if raw is None:
        return to_wire([])
    if isinstance(raw, list):
        return to_wire(raw)
    if isinstance(raw, Mapping):
        return to_wire(_hash_group(raw))
    raise FilterError(f"filters must be an array or an object, got {raw!r}", value=raw)


def bounded_filters(filters: Any) -> dict[str, Any]:
    """Filters in the wire form, refused when they hold more conditions or values than allowed."""
    wire = to_wire(filters)
    conditions = values = 0
    stack: list[Any] = [wire]
    while stack:
        group = stack.pop()
        for c in group["conditions"]:
            if "conditions" in c:
                stack.append(c)
                continue
            conditions += 1
            todo = list(c["values"])
            while todo:
                v = todo.pop()
                if isinstance(v, list | tuple):
                    todo.extend(v)
                else:
                    values += 1
    if conditions > MAX_CONDITIONS:
        raise FilterError(f"filters have {conditions} conditions; at most {MAX_CONDITIONS} are allowed")
    if values > MAX_FILTER_VALUES:
        raise FilterError(f"filters have {values} values; at most {MAX_FILTER_VALUES} are allowed")
    return wire


def _check_depth(raw: Any) -> None:
    """Refuse filter trees nested deeper than ``MAX_FILTER_DEPTH`` groups, without recursing."""
    stack: list[tuple[Any, int]] = [(raw, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > 2 * MAX_FILTER_DEPTH + 4:  # a group is two JSON levels (hash + conditions)
            raise FilterError(f"filters are nested too deeply (at most {MAX_FILTER_DEPTH} groups)")
        if isinstance(node, Mapping):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


_LOGICAL = {"and": "all", "or": "any"}


def _hash_group(raw: Mapping[str, Any]) -> dict[str, Any]:
    op = raw.get("logical_operator", "and")
    if not isinstance(op, str) or op.lower() not in _LOGICAL:
        raise FilterError(f"logical_operator must be 'and' or 'or', got {op!r}", value=op)
    conditions = raw.get("conditions", [])
    if not isinstance(conditions, list):
        raise FilterError(f"conditions must be an array, got {conditions!r}", value=conditions)
    extra = sorted(set(raw) - {"logical_operator", "conditions"})
    if extra:
        raise FilterError(f"A filter hash has logical_operator and conditions only, got {extra!r}")
    items: list[Any] = []
    for c in conditions:
        if isinstance(c, Mapping) and ("conditions" in c or "logical_operator" in c):
            items.append(_hash_group(c))
        else:
            items.append(c)
    return {"filter_operator": _LOGICAL[op.lower()], "filters": items}


def internal_error(ref: str) -> dict[str, Any]:
    """The envelope of a server failure: its log reference and nothing of the exception's text."""
    return error(500, f"Internal error (ref {ref}); the server log has the details", ref=ref)


def failure_ref(exc: ShotlogError) -> str | None:
    """The log reference a translated database failure carries (``shotlog.store.database``)."""
    ref = exc.details.get("ref")
    return ref if isinstance(ref, str) else None


def http_status(exc: ShotlogError) -> int:
    """The HTTP status of a shotlog error in the REST envelope (a database outage is 503, not 400)."""
    if isinstance(exc, NotFound | UnknownEntityType):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, StorageError):
        return 503
    return 400
