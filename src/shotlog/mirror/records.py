"""A site's event as a row of shotlog's log, every field as the site gave it: a pure conversion.

Nothing is dropped: a field of the wrong shape is kept as near as the column allows and the event
is counted (``Row.anomalies``, shown by ``shotlog mirror status``). The names of the linked
entities go to ``shotlog.store.mirrors`` so the mirrored events read with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shotlog.eventlog import EVENT_FIELDS

__all__ = ["FIELDS", "FORGET", "Row", "to_row"]

#: what the mirror asks the site for: every field of an event, its image too
FIELDS: tuple[str, ...] = (*EVENT_FIELDS, "image")
#: a link the site no longer names (its entity was retired)
FORGET = object()

#: the text fields, with the length their column holds (None: any)
_TEXTS: tuple[tuple[str, int | None], ...] = (
    ("event_type", 255),
    ("description", None),
    ("attribute_name", 255),
    ("session_uuid", 64),
    ("image", None),
)
#: the link fields, with their columns
_LINKS: tuple[tuple[str, str, str], ...] = (
    ("entity", "entity_type", "entity_id"),
    ("project", "project_type", "project_id"),
    ("user", "user_type", "user_id"),
)
_TYPE_LIMIT = 64


@dataclass
class Row:
    values: dict[str, Any]
    #: counters this event adds to: malformed, unknown_entity_type, odd_meta
    anomalies: list[str] = field(default_factory=list)
    #: (type, id) -> the name the site gave, or FORGET
    links: dict[tuple[str, int], Any] = field(default_factory=dict)


def _naive_utc(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return _naive_utc(parsed)
    return None


def _link(value: Any, row: Row) -> tuple[str, int] | None:
    if value is None:
        return None
    if (
        isinstance(value, (dict, Mapping))  # dict first: the ABC's check is the slower
        and isinstance(value.get("type"), str)
        and isinstance(value.get("id"), int)
        and len(value["type"]) <= _TYPE_LIMIT
    ):
        ref = (value["type"], int(value["id"]))
        row.links[ref] = value.get("name")
        return ref
    row.anomalies.append("malformed")
    return None


def to_row(event: Mapping[str, Any], known_type: Callable[[str], bool], fallback_time: dt.datetime) -> Row:
    """``event`` (with an int id) as the values of an ``event_log_entries`` row.

    ``known_type``: whether an entity type is in this database's schema (a link to another one is kept and
    counted); ``fallback_time``: the ``created_at`` of an event without a readable one (the event
    before it), which must have one in the log.

    Run for every mirrored event, so written for speed: one lookup per field, the usual shapes
    (text as ``str``, links as dicts, ``created_at`` as a naive UTC datetime) tested first."""
    row = Row({"id": int(event["id"])})
    values, anomalies = row.values, row.anomalies
    get = event.get
    for name, limit in _TEXTS:
        text = get(name)
        if text is not None:
            if not isinstance(text, str):
                text = str(text)
                anomalies.append("malformed")
            if limit is not None and len(text) > limit:
                text = text[:limit]
                anomalies.append("malformed")
        values[name] = text
    if values["event_type"] is None:
        values["event_type"] = ""
        anomalies.append("malformed")
    if values["image"] == "":
        values["image"] = None
    for name, type_column, id_column in _LINKS:
        ref = _link(get(name), row)
        values[type_column], values[id_column] = ref if ref else (None, None)
    entity_type = values["entity_type"]
    if entity_type is not None and not known_type(entity_type):
        anomalies.append("unknown_entity_type")
    meta = get("meta")
    if meta is not None and not isinstance(meta, dict):
        anomalies.append("odd_meta")
    values["meta"] = meta
    created = get("created_at")
    if type(created) is not dt.datetime or created.tzinfo is not None:
        created = _naive_utc(created)
        if created is None:
            created = fallback_time
            anomalies.append("malformed")
    values["created_at"] = created
    _retirement(values, meta, row)
    if anomalies:
        row.anomalies = sorted(set(anomalies))
    return row


def _retirement(values: Mapping[str, Any], meta: Any, row: Row) -> None:
    """A retired entity reads as a null link from then on (as FPTR shows it); a revival's event
    names it again."""
    etype = values["event_type"]
    if not (etype.startswith("Shotgun_") and etype.endswith("_Retirement")) or not isinstance(meta, dict):
        return
    t, i = meta.get("entity_type"), meta.get("entity_id")
    if isinstance(t, str) and isinstance(i, int):
        row.links[(t, i)] = FORGET
