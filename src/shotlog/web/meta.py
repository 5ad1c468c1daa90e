"""An event's ``meta`` as people read it: a one-line summary and a structured view (pure).

The shapes are those of the event log (docs/event-log.md): ``attribute_change`` with
``old_value``/``new_value`` or ``added``/``removed``, ``new_entity``, ``entity_retirement``,
``entity_revival``, and free-form metas of custom events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MetaView", "describe_meta", "meta_summary", "plain_value"]

_SUMMARY_LIMIT = 80
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
    if meta is None:
        return ""
    if not isinstance(meta, dict):
        return _clip(plain_value(meta))
    kind = meta.get("type")
    if kind == "attribute_change" or "old_value" in meta or "added" in meta:
        if "added" in meta or "removed" in meta:
            parts = [f"+{plain_value(v)}" for v in meta.get("added") or []]
            parts += [f"−{plain_value(v)}" for v in meta.get("removed") or []]
            text = " ".join(parts) or "no change"
        else:
            text = f"{plain_value(meta.get('old_value'))} → {plain_value(meta.get('new_value'))}"
        if meta.get("in_create"):
            text += " (on create)"
        return _clip(text)
    if kind == "new_entity":
        return f"new {meta.get('entity_type', '')} #{meta.get('entity_id', '')}".strip()
    if kind == "entity_retirement":
        return _clip(f"retired {meta.get('display_name') or meta.get('entity_type', '')}")
    if kind == "entity_revival":
        return _clip(f"revived {meta.get('display_name') or meta.get('entity_type', '')}")
    keys = ", ".join(sorted(str(k) for k in meta))
    return _clip(f"{{{keys}}}") if keys else "{}"


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
