"""Entity types and fields as FPTR's schema_read family returns them. Pure."""

from __future__ import annotations

from typing import Any

from shotlog.schema.model import EntityType, Field

__all__ = ["entity_schema", "field_schema"]


def _p(value: Any, editable: bool = False) -> dict[str, Any]:
    return {"value": value, "editable": editable}


def field_schema(f: Field, *, visible: bool | None = None) -> dict[str, Any]:
    """One field: ``{"data_type": {"value": ..., "editable": ...}, ..., "properties": {...}}``.

    ``visible`` overrides the field's own visibility (a project's setting).
    """
    properties: dict[str, Any] = {
        "default_value": _p(f.default),
        "summary_default": _p(f.properties.get("summary_default", "none"), True),
    }
    if f.data_type in ("entity", "multi_entity", "addressing") or f.reverse_of:
        properties["valid_types"] = _p(list(f.valid_types), True)
    if f.data_type == "list":
        properties["valid_values"] = _p(list(f.valid_values), True)
    if f.data_type == "status_list":
        properties["valid_values"] = _p(list(f.valid_values), True)
        properties["display_values"] = _p(dict(f.display_values), False)
        properties["hidden_values"] = _p(list(f.hidden_values), True)
    if f.data_type == "text":
        properties["regex_validation"] = _p(f.properties.get("regex_validation", ""), True)
        properties["regex_validation_enabled"] = _p(f.properties.get("regex_validation_enabled", False), True)
    if f.data_type == "url":
        properties["open_in_new_window"] = _p(f.properties.get("open_in_new_window", True), True)
    for key, value in f.properties.items():
        properties.setdefault(key, _p(value, True))
    return {
        "data_type": _p(f.data_type),
        "description": _p(f.description, True),
        "editable": _p(f.editable),
        "entity_type": _p(f.entity_type),
        "mandatory": _p(f.mandatory),
        "name": _p(f.display_name, True),
        "properties": properties,
        "unique": _p(f.unique),
        # the visibility of custom fields can be changed (per project too); built-ins stay visible
        "visible": _p(f.visible if visible is None else visible, not f.builtin),
        "ui_value_displayable": _p(True),
        "custom_metadata": _p(f.properties.get("custom_metadata", ""), True),
    }


def entity_schema(etype: EntityType) -> dict[str, Any]:
    return {"name": _p(etype.display_name), "visible": _p(etype.visible)}
