"""An event's ``meta`` as people read it: a one-line summary and a structured view (pure).

The shapes are those of the event log (docs/event-log.md): ``attribute_change`` with
``old_value``/``new_value`` or ``added``/``removed``, ``new_entity``, ``entity_retirement``,
``entity_revival``, and free-form metas of custom events.

Lists (the event log, an entity's history, the live tail) show every event in a line: its
description and meta summary are clipped there (``list_cells``), with a link to the event's page,
which shows them whole. The API and exports always give the full values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LIST_TEXT_LIMIT",
    "ListCells",
    "MetaView",
    "describe_meta",
    "list_cells",
    "meta_summary",
    "plain_value",
]

_SUMMARY_LIMIT = 80
#: longest description an event list shows (an update's description quotes the old and new text)
LIST_TEXT_LIMIT = 300
#: keys shown in the structured part of the view, not again in the "other keys" table
_SHOWN = {
    "type",
    "attribute_name",
    "entity_type",
    "entity_id",
    "field_data_type",
    "old_value",
    "new_value",
    "added",
    "removed",
}


def plain_value(value: Any) -> str:
    """A value as short text: links by name, lists joined, null as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if "type" in value and "id" in value:
            name = value.get("name")
            return str(name) if name else f"{value['type']} #{value['id']}"
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, list):
        return ", ".join(plain_value(v) for v in value) if value else "[]"
    if value == "":
        return '""'
    return str(value)


def _clip(text: str, limit: int = _SUMMARY_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def meta_summary(meta: Any) -> str:
    """One line for the event list: ``rev → apr``, ``+Ann -Bob`` (with a minus sign), ``new Shot #12``..."""
    return _clip(_summary(meta))


@dataclass(frozen=True)
class ListCells:
    """What an event list shows of an event's description and meta, and whether either was clipped."""

    description: str
    description_clipped: bool
    meta: str
    meta_clipped: bool


def list_cells(description: str | None, meta: Any) -> ListCells:
    """An event's description and meta summary as a list shows them, each clipped with an ellipsis."""
    text = description or ""
    summary = _summary(meta)
    return ListCells(
        _clip(text, LIST_TEXT_LIMIT),
        len(text) > LIST_TEXT_LIMIT,
        _clip(summary),
        len(summary) > _SUMMARY_LIMIT,
    )


def _summary(meta: Any) -> str:
    if meta is None:
        return ""
    if not isinstance(meta, dict):
        return plain_value(meta)
    kind = meta.get("type")
    if kind == "attribute_change" or "old_value" in meta or "added" in meta:
        if "added" in meta or "removed" in meta:
            parts = [f"+{plain_value(v)}" for v in meta.get("added") or []]
            parts += [f"−{plain_value(v)}" for v in meta.get("removed") or []]
            text = " ".join(parts) or "no change"
        else:
            # each side cut just past what a line shows: a value stored before the limits may be huge
            old, new = (plain_value(meta.get(k))[: _SUMMARY_LIMIT + 1] for k in ("old_value", "new_value"))
            text = f"{old} → {new}"
        if meta.get("in_create"):
            text += " (on create)"
        return text
    if kind == "new_entity":
        return f"new {meta.get('entity_type', '')} #{meta.get('entity_id', '')}".strip()
    if kind == "entity_retirement":
        return f"retired {meta.get('display_name') or meta.get('entity_type', '')}"
    if kind == "entity_revival":
        return f"revived {meta.get('display_name') or meta.get('entity_type', '')}"
    keys = ", ".join(sorted(str(k) for k in meta))
    return f"{{{keys}}}" if keys else "{}"


@dataclass
class MetaView:
    """What the event page shows of a meta."""

    kind: str  # change, multi, lifecycle, other, none
    title: str = ""
    old: Any = None
    new: Any = None
    added: list[Any] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)  # other keys, as text
    pretty: str = ""  # the whole meta as indented JSON


def describe_meta(meta: Any) -> MetaView:
    if meta is None:
        return MetaView("none")
    pretty = json.dumps(meta, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    if not isinstance(meta, dict):
        return MetaView("other", pretty=pretty)
    extra = [(str(k), plain_value(v)) for k, v in sorted(meta.items(), key=lambda kv: str(kv[0]))]
    kind = meta.get("type")
    attribute = meta.get("attribute_name")
    if "added" in meta or "removed" in meta:
        return MetaView(
            "multi",
            title=f"{attribute}" if attribute else "Change",
            added=list(meta.get("added") or []),
            removed=list(meta.get("removed") or []),
            extra=[(k, v) for k, v in extra if k not in _SHOWN],
            pretty=pretty,
        )
    if kind == "attribute_change" or "old_value" in meta or "new_value" in meta:
        return MetaView(
            "change",
            title=f"{attribute}" if attribute else "Change",
            old=meta.get("old_value"),
            new=meta.get("new_value"),
            extra=[(k, v) for k, v in extra if k not in _SHOWN],
            pretty=pretty,
        )
    if kind in ("new_entity", "entity_retirement", "entity_revival"):
        titles = {"new_entity": "Created", "entity_retirement": "Retired", "entity_revival": "Revived"}
        return MetaView(
            "lifecycle",
            title=f"{titles[kind]} {meta.get('entity_type', '')} #{meta.get('entity_id', '')}",
            extra=[(k, v) for k, v in extra if k not in ("type",)],
            pretty=pretty,
        )
    return MetaView("other", extra=extra, pretty=pretty)
