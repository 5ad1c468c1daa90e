"""FPTR's DisplayColumn events: a field created, changed, retired or revived. Pure.

shotlog has no DisplayColumn table; a field is a DisplayColumn only as the subject of these events,
with a stable id (``shotlog.store.changes.display_column_id``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shotlog.eventlog.events import EventBuilder, PendingEvent, shown
from shotlog.schema.describe import field_schema
from shotlog.schema.model import Field
from shotlog.store.subjects import DISPLAY_COLUMN, Subject, display_column_id

__all__ = ["field_changed", "field_created", "field_retired", "field_revived"]

#: DisplayColumn attributes a field change is reported on; the rest goes under ``properties``
_COLUMN_ATTRIBUTES = (("display_name", "human_name", "text"), ("description", "description", "text"))


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
    to = "" if isinstance(new, dict) else f' to "{shown(new)}"'
    return PendingEvent(
        event_type="Shotgun_DisplayColumn_Change",
        description=f'{builder.who} changed "{attribute}"{to} on Field {fld.qualified}',
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
