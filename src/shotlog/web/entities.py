"""Reading entities for the web UI: one entity with its fields (retired ones too), and lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shotlog.connection import Shotlog
from shotlog.schema.model import Field

__all__ = ["EntityList", "attachments_of", "entity_fields", "get_entity", "list_entities"]

#: data types with nothing to show on a page
_HIDDEN_TYPES = {"password", "summary", "pivot_column"}


def entity_fields(store: Shotlog, entity_type: str) -> list[Field]:
    """The fields shown on an entity page: the display field first, then by display name."""
    schema = store.catalog.schema
    display = schema.display_field(entity_type)
    fields = [
        f
        for f in schema.fields_of(entity_type).values()
        if f.data_type not in _HIDDEN_TYPES and f.visible and f.name != "id"
    ]
    return sorted(fields, key=lambda f: (f.name != display, f.display_name.lower()))


def get_entity(store: Shotlog, entity_type: str, entity_id: int) -> tuple[dict[str, Any] | None, bool]:
    """The entity with every shown field, and whether it is retired; (None, False) if it never was."""
    names = [f.name for f in entity_fields(store, entity_type)]
    filters = [["id", "is", entity_id]]
    found = store.find_one(entity_type, filters, names)
    if found is not None:
        return found, False
    retired = store.find(entity_type, filters, names, retired_only=True, limit=1)
    return (retired[0], True) if retired else (None, False)


def attachments_of(
    store: Shotlog, entity_type: str, entity_id: int, limit: int = 100
) -> list[dict[str, Any]]:
    """The files linked to an entity (the Attachments whose ``attachment_links`` name it, FPTR's
    Files tab), newest first; none for a type Attachments cannot link to."""
    links = store.catalog.schema.fields.get("Attachment", {}).get("attachment_links")
    if links is None or entity_type not in links.valid_types:
        return []
    return store.find(
        "Attachment",
        [["attachment_links", "is", {"type": entity_type, "id": entity_id}]],
        ["filename", "this_file", "file_size", "description", "created_at"],
        order=[{"field_name": "id", "direction": "desc"}],
        limit=limit,
    )


@dataclass
class EntityList:
    rows: list[dict[str, Any]]
    columns: list[Field]
    has_next: bool
    page: int
    size: int
    total: int | None = None  # every matching entity (exact: entity tables are counted)


_LIST_TYPES = ("status_list", "entity", "date", "date_time", "list", "text")


def list_entities(
    store: Shotlog, entity_type: str, *, text: str = "", page: int = 1, size: int = 50
) -> EntityList:
    """A page of entities, newest first, optionally those whose display name contains ``text``."""
    schema = store.catalog.schema
    display = schema.display_field(entity_type)
    fields = schema.fields_of(entity_type)
    wanted = [display, "sg_status_list", "project", "entity", "sg_sequence", "created_at", "updated_at"]
    columns = [fields[n] for n in dict.fromkeys(wanted) if n in fields and n != "id"]
    filters: list[Any] = []
    if text and fields[display].data_type in ("text", "list", "status_list"):
        filters.append([display, "contains", text])
    rows, more, total = store.find_page(
        entity_type,
        filters,
        [c.name for c in columns],
        [{"field_name": "id", "direction": "desc"}],
        limit=size,
        offset=(page - 1) * size,
        count=True,
    )
    return EntityList(rows, columns, more, page, size, total)
