"""Who writes and what events name: the actor, an entity as a link or as an event's subject. Pure.

These are the store's words for what the event log builds events from (``shotlog.store.changes``
holds the changes themselves); they live below the event log so that the store never imports it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from shotlog.schema.model import EntityType

__all__ = ["DISPLAY_COLUMN", "Actor", "LinkInfo", "Resolved", "Subject", "display_column_id"]


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """What events say about an entity: its link plus status, for multi-entity metas."""

    type: str
    id: int
    name: str | None
    status: str | None = None

    def link(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name}

    def meta_item(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name, "status": self.status, "valid": "valid"}


#: (type, id) -> (LinkInfo, project link or None); absent when missing (or retired, unless asked)
Resolved = dict[tuple[str, int], tuple[LinkInfo, tuple[str, int] | None]]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a write is attributed to: ``user`` on events, ``created_by``/``updated_by`` on entities."""

    type: str | None = None
    id: int | None = None
    name: str | None = None
    #: False for an ApiUser whose generate_event_log_entries is off: its writes log nothing
    generates_events: bool = True
    #: under sudo, the real principal (meta.sudo_actual_user)
    sudo_actual: LinkInfo | None = None
    session_uuid: str | None = None

    def link(self) -> tuple[str, int] | None:
        return (self.type, self.id) if self.type and self.id is not None else None


@dataclass(frozen=True, slots=True)
class Subject:
    """The entity an event is about."""

    etype: EntityType
    id: int
    name: str | None
    project: tuple[str, int] | None


#: FPTR keeps each field as a row of the DisplayColumn entity type; schema events are its lifecycle
#: events. shotlog has no DisplayColumn table: the type exists only as the subject of those events.
DISPLAY_COLUMN = EntityType(
    name="DisplayColumn", display_name="Field", table="", display_field="name", project_scoped=False
)


def display_column_id(entity_type: str, field_name: str) -> int:
    """The id a field has as a DisplayColumn: stable across processes, backends and restarts.

    shotlog's fields are keyed by (entity type, name) and have no row id, so the id is a 31-bit
    checksum of ``Type.field``: the same field always gets the same id, and two fields get the same
    one with a probability of about one in 2**31 per pair.
    """
    return zlib.crc32(f"{entity_type}.{field_name}".encode()) & 0x7FFFFFFF
