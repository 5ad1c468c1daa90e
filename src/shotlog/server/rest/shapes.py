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

from shotlog.errors import FilterError
from shotlog.query.filters import to_wire
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import Schema

__all__ = [
    "BASE",
    "error",
    "parse_fields",
    "parse_simple_filters",
    "parse_sort",
    "record",
    "search_filters",
    "type_from_url",
    "url_name",
]

BASE = "/api/v1"


def url_name(entity_type: str) -> str:
    """``PublishedFile`` → ``published_files``."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", entity_type).lower()
    if snake.endswith("y") and not snake.endswith(("ay", "ey", "oy", "uy")):
        return snake[:-1] + "ies"
    if snake.endswith(("s", "x", "ch", "sh")):
        return snake + "es"
    return snake + "s"


def type_from_url(schema: Schema, name: str) -> str | None:
    """The entity type a URL segment names, or None."""
    folded = name.lower()
    for t in schema.types:
        if folded in (t.lower(), url_name(t)):
            return t
    return None


def error(
    status: int, title: str, *, code: int | None = None, source: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "errors": [
            {
                "id": uuid.uuid4().hex,
                "status": status,
                "code": code if code is not None else status,
                "title": title,
                "source": dict(source or {}),
                "detail": None,
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
    """``fields=code,sg_status_list`` or ``*`` (every field)."""
    if raw is None or raw.strip() in ("", "*"):
        return [n for n, f in schema.fields[entity_type].items() if f.data_type != "password"]
    return [f.strip() for f in raw.split(",") if f.strip()]


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
    return out


def parse_simple_filters(params: Mapping[str, str]) -> list[list[Any]]:
    """``filter[sg_status_list]=ip,rev`` → ``[["sg_status_list", "in", ["ip", "rev"]]]``.

    Values are strings in a query string; an all-digit value compares as a number, as FPTR does for
    ``filter[id]=5``.
    """
    out: list[list[Any]] = []
    for key, value in params.items():
        m = re.fullmatch(r"filter\[([^\]]+)\]", key)
        if not m:
            continue
        parts = [_scalar(v) for v in value.split(",")] if "," in value else [_scalar(value)]
        out.append([m.group(1), "in", parts] if len(parts) > 1 else [m.group(1), "is", parts[0]])
    return out


def _scalar(text: str) -> Any:
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text.lower() in ("null", "none"):
        return None
    return text


def search_filters(raw: Any) -> dict[str, Any]:
    """``_search`` filters: an array of ``[field, relation, value]`` or a hash with
    ``logical_operator`` and ``conditions`` whose items are arrays or nested hashes."""
    if raw is None:
        return to_wire([])
    if isinstance(raw, list):
        return to_wire(raw)
    if isinstance(raw, Mapping):
        return to_wire(_hash_group(raw))
    raise FilterError(f"filters must be an array or an object, got {raw!r}", value=raw)


def _hash_group(raw: Mapping[str, Any]) -> dict[str, Any]:
    op = raw.get("logical_operator", "and")
    conditions = raw.get("conditions", [])
    if not isinstance(conditions, list):
        raise FilterError(f"conditions must be an array, got {conditions!r}", value=conditions)
    items: list[Any] = []
    for c in conditions:
        if isinstance(c, Mapping) and ("conditions" in c or "logical_operator" in c):
            items.append(_hash_group(c))
        else:
            items.append(c)
    return {"filter_operator": "any" if op == "or" else "all", "filters": items}
