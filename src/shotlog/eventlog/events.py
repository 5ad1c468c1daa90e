"""Building EventLogEntry rows for entity changes. Pure: no database, no clock.

The shapes follow FPTR (event_type naming, ``meta`` per change kind, ``in_create`` on the changes a
create writes, back-reference changes on reverse fields). A ``PendingEvent`` has no id yet: ids are
assigned when the transaction appends its events (``shotlog.eventlog.log.append``), which is also
where a back-reference learns the id of the change it mirrors.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from typing import Any

from shotlog.schema.describe import field_schema
from shotlog.schema.model import EntityType, Field
from shotlog.values import format_meta_value, meta_datetime

__all__ = [
    "DISPLAY_COLUMN",
    "Actor",
    "EventBuilder",
    "LinkInfo",
    "PendingEvent",
    "Subject",
    "display_column_id",
    "failed_login_event",
    "field_changed",
    "field_created",
    "field_retired",
    "field_revived",
    "login_event",
    "logout_event",
    "script_key_event",
    "webhook_event",
]

#: FPTR keeps each field as a row of the DisplayColumn entity type; schema events are its lifecycle
#: events. shotlog has no DisplayColumn table: the type exists only as the subject of those events.
DISPLAY_COLUMN = EntityType(
    name="DisplayColumn", display_name="Field", table="", display_field="name", project_scoped=False
)
#: DisplayColumn attributes a field change is reported on; the rest goes under ``properties``
_COLUMN_ATTRIBUTES = (("display_name", "human_name", "text"), ("description", "description", "text"))


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


@dataclass(slots=True)
class PendingEvent:
    event_type: str
    description: str | None
    entity: tuple[str, int] | None
    project: tuple[str, int] | None
    attribute_name: str | None
    meta: dict[str, Any] | None
    #: a back-reference points at the change it mirrors; its id fills original_event_log_entry_id
    original: PendingEvent | None = None
    id: int | None = field(default=None)
    user: tuple[str, int] | None = None
    session_uuid: str | None = None
    created_at: dt.datetime | None = None


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, LinkInfo):
        return value.name or f"{value.type} #{value.id}"
    if isinstance(value, dict) and "type" in value and "id" in value:
        return str(value.get("name") or f"{value['type']} #{value['id']}")
    if isinstance(value, dt.datetime):
        return meta_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _names(items: list[LinkInfo]) -> str:
    return ", ".join(f'"{_show(i)}"' for i in items)


class EventBuilder:
    """Builds the events of one write, attributed to one actor."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.who = actor.name or (f"{actor.type} #{actor.id}" if actor.type else "shotlog")

    def _meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        if self.actor.sudo_actual is not None:
            meta["sudo_actual_user"] = self.actor.sudo_actual.link()
        return meta

    def _on(self, subject: Subject) -> str:
        return f"{subject.etype.display_name} {subject.name or f'#{subject.id}'}"

    def new_entity(self, subject: Subject) -> PendingEvent:
        return PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_New",
            description=f"{self.who} created new {self._on(subject)}",
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=None,
            meta=self._meta(
                {"type": "new_entity", "entity_type": subject.etype.name, "entity_id": subject.id}
            ),
        )

    def scalar_change(
        self, subject: Subject, fld: Field, old: Any, new: Any, *, in_create: bool = False
    ) -> PendingEvent:
        """A change of a column or single-entity field; link values are LinkInfo or None."""
        meta: dict[str, Any] = {
            "type": "attribute_change",
            "attribute_name": fld.name,
            "entity_type": subject.etype.name,
            "entity_id": subject.id,
            "field_data_type": fld.data_type,
            "old_value": old.link() if isinstance(old, LinkInfo) else format_meta_value(fld, old),
            "new_value": new.link() if isinstance(new, LinkInfo) else format_meta_value(fld, new),
        }
        if in_create:
            meta["in_create"] = True
            text = (
                f'{self.who} set "{fld.display_name}" to "{_show(meta["new_value"])}" on {self._on(subject)}'
            )
        else:
            text = (
                f'{self.who} changed "{fld.display_name}" from "{_show(meta["old_value"])}" '
                f'to "{_show(meta["new_value"])}" on {self._on(subject)}'
            )
        if fld.data_type == "password":
            text = f'{self.who} changed "{fld.display_name}" on {self._on(subject)}'
        return PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=text,
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=fld.name,
            meta=self._meta(meta),
        )

    def multi_change(
        self,
        subject: Subject,
        fld: Field,
        added: list[LinkInfo],
        removed: list[LinkInfo],
        *,
        in_create: bool = False,
    ) -> PendingEvent:
        meta: dict[str, Any] = {
            "type": "attribute_change",
            "attribute_name": fld.name,
            "entity_type": subject.etype.name,
            "entity_id": subject.id,
            "field_data_type": fld.data_type,
            "added": [a.meta_item() for a in added],
            "removed": [r.meta_item() for r in removed],
        }
        if in_create:
            meta["in_create"] = True
        return PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=self._delta_text(fld.display_name, subject, added, removed),
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=fld.name,
            meta=self._meta(meta),
        )

    def tags_change(
        self, subject: Subject, fld: Field, added: list[str], removed: list[str], *, in_create: bool = False
    ) -> PendingEvent:
        meta: dict[str, Any] = {
            "type": "attribute_change",
            "attribute_name": fld.name,
            "entity_type": subject.etype.name,
            "entity_id": subject.id,
            "field_data_type": fld.data_type,
            "added": added,
            "removed": removed,
        }
        if in_create:
            meta["in_create"] = True
        parts = []
        if added:
            parts.append("added " + ", ".join(f'"{a}"' for a in added))
        if removed:
            parts.append("removed " + ", ".join(f'"{r}"' for r in removed))
        return PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=f'{self.who} changed "{fld.display_name}" on {self._on(subject)}: {"; ".join(parts)}',
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=fld.name,
            meta=self._meta(meta),
        )

    def back_reference(
        self,
        target: Subject,
        reverse: Field,
        source: LinkInfo,
        source_field: Field,
        *,
        added: bool,
        original: PendingEvent,
        in_create: bool,
    ) -> PendingEvent:
        """The change seen from the other side: ``Shot.tasks`` gains a Task when ``Task.entity`` is set.

        As in FPTR, the event is on the target (``entity`` = the Shot, ``attribute_name`` = "tasks")
        while ``meta.entity_type``/``entity_id``/``field_data_type`` describe the source side.
        """
        meta: dict[str, Any] = {
            "type": "attribute_change",
            "attribute_name": reverse.name,
            "entity_type": source.type,
            "entity_id": source.id,
            "field_data_type": source_field.data_type,
            "actual_attribute_changed": source_field.qualified,
            "original_event_log_entry_id": None,  # filled in when ids are assigned
            "added": [source.meta_item()] if added else [],
            "removed": [] if added else [source.meta_item()],
        }
        if in_create:
            meta["in_create"] = True
        return PendingEvent(
            event_type=f"Shotgun_{target.etype.name}_Change",
            description=self._delta_text(
                reverse.display_name, target, [source] if added else [], [] if added else [source]
            ),
            entity=(target.etype.name, target.id),
            project=target.project,
            attribute_name=reverse.name,
            meta=self._meta(meta),
            original=original,
        )

    def _delta_text(
        self, display: str, subject: Subject, added: list[LinkInfo], removed: list[LinkInfo]
    ) -> str:
        parts = []
        if added:
            parts.append(f"added {_names(added)}")
        if removed:
            parts.append(f"removed {_names(removed)}")
        return f'{self.who} changed "{display}" on {self._on(subject)}: {"; ".join(parts) or "no change"}'

    def retirement(self, subject: Subject, when: dt.datetime) -> list[PendingEvent]:
        stamp = meta_datetime(when)
        change = PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=f'{self.who} changed "Date Retired" from "" to "{stamp}" on {self._on(subject)}',
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name="retirement_date",
            meta=self._meta(
                {
                    "type": "attribute_change",
                    "attribute_name": "retirement_date",
                    "entity_type": subject.etype.name,
                    "entity_id": subject.id,
                    "field_data_type": "date_time",
                    "old_value": None,
                    "new_value": stamp,
                }
            ),
        )
        retired = PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Retirement",
            description=f"{self.who} retired {self._on(subject)}",
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=None,
            meta=self._meta(
                {
                    "type": "entity_retirement",
                    "entity_type": subject.etype.name,
                    "entity_id": subject.id,
                    "id": subject.id,
                    "class_name": subject.etype.name,
                    "display_name": subject.name,
                    "retirement_date": stamp,
                }
            ),
        )
        return [change, retired]

    def revival(self, subject: Subject, retired_at: dt.datetime | None) -> list[PendingEvent]:
        change = PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Change",
            description=(
                f'{self.who} changed "Date Retired" from '
                f'"{meta_datetime(retired_at) if retired_at else ""}" to "" on {self._on(subject)}'
            ),
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name="retirement_date",
            meta=self._meta(
                {
                    "type": "attribute_change",
                    "attribute_name": "retirement_date",
                    "entity_type": subject.etype.name,
                    "entity_id": subject.id,
                    "field_data_type": "date_time",
                    "old_value": meta_datetime(retired_at) if retired_at else None,
                    "new_value": None,
                }
            ),
        )
        revived = PendingEvent(
            event_type=f"Shotgun_{subject.etype.name}_Revival",
            description=f"{self.who} revived {self._on(subject)}",
            entity=(subject.etype.name, subject.id),
            project=subject.project,
            attribute_name=None,
            # "type" for current consumers; class_name/id/display_name are the legacy keys.
            meta=self._meta(
                {
                    "type": "entity_revival",
                    "entity_type": subject.etype.name,
                    "entity_id": subject.id,
                    "id": subject.id,
                    "class_name": subject.etype.name,
                    "display_name": subject.name,
                }
            ),
        )
        return [change, revived]


def display_column_id(entity_type: str, field_name: str) -> int:
    """The id a field has as a DisplayColumn: stable across processes, backends and restarts.

    shotlog's fields are keyed by (entity type, name) and have no row id, so the id is a 31-bit
    checksum of ``Type.field``: the same field always gets the same id, and two fields get the same
    one with a probability of about one in 2**31 per pair.
    """
    return zlib.crc32(f"{entity_type}.{field_name}".encode()) & 0x7FFFFFFF


def _column_subject(fld: Field) -> Subject:
    return Subject(DISPLAY_COLUMN, display_column_id(fld.entity_type, fld.name), fld.name, None)


def _column_properties(fld: Field) -> dict[str, Any]:
    """What FPTR's DisplayColumn ``properties`` attribute holds: the data-type properties, by the
    names ``schema_field_read`` uses."""
    described = field_schema(fld)["properties"]
    return {"data_type_properties": {k: v["value"] for k, v in described.items()}}


def _column_change(
    builder: EventBuilder, fld: Field, attribute: str, data_type: str, old: Any, new: Any, *, in_create: bool
) -> PendingEvent:
    subject = _column_subject(fld)
    meta: dict[str, Any] = {
        "type": "attribute_change",
        "attribute_name": attribute,
        "entity_type": DISPLAY_COLUMN.name,
        "entity_id": subject.id,
        "field_data_type": data_type,
        "old_value": old,
        "new_value": new,
    }
    if in_create:
        meta["in_create"] = True
    shown = "" if isinstance(new, dict) else f' to "{_show(new)}"'
    return PendingEvent(
        event_type="Shotgun_DisplayColumn_Change",
        description=f'{builder.who} changed "{attribute}"{shown} on Field {fld.qualified}',
        entity=(DISPLAY_COLUMN.name, subject.id),
        project=None,
        attribute_name=attribute,
        meta=builder._meta(meta),
    )


def field_created(builder: EventBuilder, fld: Field) -> list[PendingEvent]:
    """``Shotgun_DisplayColumn_New``, then one ``in_create`` Change per attribute it was given."""
    subject = _column_subject(fld)
    new = PendingEvent(
        event_type="Shotgun_DisplayColumn_New",
        description=f"{builder.who} created new Field {fld.qualified}",
        entity=(DISPLAY_COLUMN.name, subject.id),
        project=None,
        attribute_name=None,
        meta=builder._meta(
            {"type": "new_entity", "entity_type": DISPLAY_COLUMN.name, "entity_id": subject.id}
        ),
    )
    values = [
        ("name", "text", fld.name),
        ("human_name", "text", fld.display_name),
        ("entity_type", "entity_type", fld.entity_type),
        ("data_type", "text", fld.data_type),
        ("description", "text", fld.description or None),
        ("properties", "serializable", _column_properties(fld)),
    ]
    changes = [
        _column_change(builder, fld, attr, kind, None, value, in_create=True)
        for attr, kind, value in values
        if value is not None
    ]
    return [new, *changes]


def field_changed(builder: EventBuilder, old: Field, new: Field) -> list[PendingEvent]:
    """One ``Shotgun_DisplayColumn_Change`` per DisplayColumn attribute whose value moved."""
    events = []
    for attr, column, kind in _COLUMN_ATTRIBUTES:
        before, after = getattr(old, attr), getattr(new, attr)
        if before != after:
            events.append(_column_change(builder, new, column, kind, before, after, in_create=False))
    if old.visible != new.visible:
        events.append(
            _column_change(builder, new, "visible", "checkbox", old.visible, new.visible, in_create=False)
        )
    before_props, after_props = _column_properties(old), _column_properties(new)
    if before_props != after_props:
        events.append(
            _column_change(
                builder, new, "properties", "serializable", before_props, after_props, in_create=False
            )
        )
    return events


def field_retired(builder: EventBuilder, fld: Field, when: dt.datetime) -> list[PendingEvent]:
    """A deleted field: the ``retirement_date`` Change, then ``Shotgun_DisplayColumn_Retirement``."""
    return builder.retirement(_column_subject(fld), when)


def field_revived(builder: EventBuilder, fld: Field, retired_at: dt.datetime | None) -> list[PendingEvent]:
    """A revived field: the ``retirement_date`` Change, then ``Shotgun_DisplayColumn_Revival``."""
    return builder.revival(_column_subject(fld), retired_at)


# -- global events: sign-ins, hooks, keys --------------------------------------------------------


def login_event(
    user: tuple[str, int], login: str | None, name: str | None, source: str, auth: str
) -> PendingEvent:
    """``Shotgun_User_Login``: a session of ``user`` started through ``source`` (web, api3, rest)."""
    return PendingEvent(
        event_type="Shotgun_User_Login",
        description=f"{name or login} logged in ({source})",
        entity=user,
        project=None,
        attribute_name=None,
        meta={"type": "login", "source": source, "login": login, "auth": auth},
        user=user,
    )


def logout_event(user: tuple[str, int], login: str | None, name: str | None, source: str) -> PendingEvent:
    return PendingEvent(
        event_type="Shotgun_User_Logout",
        description=f"{name or login} logged out ({source})",
        entity=user,
        project=None,
        attribute_name=None,
        meta={"type": "logout", "source": source, "login": login},
        user=user,
    )


def failed_login_event(login: str, source: str, auth: str) -> PendingEvent:
    """``Shotgun_User_FailedLogin``: nobody is signed in, so no user; the login tried is in meta."""
    return PendingEvent(
        event_type="Shotgun_User_FailedLogin",
        description=f"Failed {source} login for {login!r}",
        entity=None,
        project=None,
        attribute_name=None,
        meta={"type": "failedlogin", "source": source, "login": login, "auth": auth},
    )


#: Webhook operations and their FPTR event types
WEBHOOK_EVENT_TYPES = {
    "created": "Shotgun_Webhook_Created",
    "updated": "Shotgun_Webhook_Updated",
    "deleted": "Shotgun_Webhook_Deleted",
}


def webhook_event(
    builder: EventBuilder, operation: str, hook_id: str, hook_name: str, changes: dict[str, Any]
) -> PendingEvent:
    """A hook created, updated (status included) or deleted. Hooks are not entities: no entity;
    ``changes`` maps each field to ``{"old", "new"}`` (secrets only as set or not)."""
    verb = operation
    return PendingEvent(
        event_type=WEBHOOK_EVENT_TYPES[operation],
        description=f"{builder.who} {verb} webhook {hook_name or hook_id}",
        entity=None,
        project=None,
        attribute_name=None,
        meta=builder._meta({"type": f"webhook_{operation}", "webhook_id": hook_id, "changes": changes}),
    )


def script_key_event(builder: EventBuilder, api_user: tuple[str, int], name: str | None) -> PendingEvent:
    """A script's key replaced: FPTR's ApiUser keeps it in ``salted_password``, a password field,
    so the Change names the field and never carries a value (the old key is revoked with it)."""
    return PendingEvent(
        event_type="Shotgun_ApiUser_Change",
        description=f'{builder.who} changed "Application Key" on Script {name or api_user[1]}',
        entity=api_user,
        project=None,
        attribute_name="salted_password",
        meta=builder._meta(
            {
                "type": "attribute_change",
                "attribute_name": "salted_password",
                "entity_type": "ApiUser",
                "entity_id": api_user[1],
                "field_data_type": "password",
                "old_value": None,
                "new_value": None,
            }
        ),
    )
