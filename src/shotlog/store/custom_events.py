"""A custom EventLogEntry's values, checked: what a client may set, and how long it may be. Pure.

The writer then checks what needs the database (the linked entities exist, the actor may write a
type shotlog writes itself) and has the event recorder append it at once, so the caller gets its id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from shotlog.errors import ReadOnlyField, ValidationError
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import Field, Schema
from shotlog.store.changes import CustomEvent
from shotlog.store.tables import event_log_entries as ele
from shotlog.values import coerce, coerce_link

__all__ = ["EVENT_WRITABLE", "plan_event"]

#: what a custom event's create may set; ``user`` too, but only there (tk-core names the artist)
EVENT_WRITABLE = frozenset({"event_type", "description", "entity", "project", "attribute_name", "meta"})
_EVENT_CREATE_ONLY = frozenset({"user"})


def _varchar_limits(table: sa.Table, names: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in names:
        col_type = table.c[name].type
        if isinstance(col_type, sa.String) and col_type.length:
            out[name] = col_type.length
    return out


#: VARCHAR columns of event_log_entries a custom event fills: checked here, because longer text
#: fails in the PostgreSQL driver without naming the field (SQLite would silently accept it)
_EVENT_TEXT_LIMITS = _varchar_limits(ele, ("event_type", "attribute_name"))


def plan_event(
    schema: Schema, data: Mapping[str, Any]
) -> tuple[CustomEvent, list[tuple[Field, tuple[str, int]]]]:
    """The event ``data`` asks for, and its links (each with its field), which must exist."""
    if not isinstance(data, Mapping):
        raise ValidationError(
            f"create(EventLogEntry) expects a dict of field values, got {data!r}", value=data
        )
    values: dict[str, Any] = {}
    links: list[tuple[Field, tuple[str, int]]] = []
    for name, value in data.items():
        f = schema.field("EventLogEntry", name)
        if name not in EVENT_WRITABLE and name not in _EVENT_CREATE_ONLY:
            raise ReadOnlyField("EventLogEntry", f.name)
        if f.storage is Storage.LINK:
            link = None if value is None else coerce_link(f, value)
            values[name] = link
            if link is not None:
                links.append((f, link))
            continue
        v = coerce(f, value)
        limit = _EVENT_TEXT_LIMITS.get(name)
        if limit is not None and v is not None and len(v) > limit:
            raise ValidationError(
                f"EventLogEntry.{name} is limited to {limit} characters, got {len(v)}: {v[:60]!r}...",
                entity_type="EventLogEntry",
                field=name,
                value=v,
            )
        values[name] = v
    event_type = values.get("event_type")
    if not event_type:
        raise ValidationError(
            "EventLogEntry.event_type is required", entity_type="EventLogEntry", field="event_type"
        )
    event = CustomEvent(
        event_type=event_type,
        description=values.get("description"),
        entity=values.get("entity"),
        project=values.get("project"),
        attribute_name=values.get("attribute_name"),
        meta=values.get("meta"),
        user=values.get("user"),
    )
    return event, links
