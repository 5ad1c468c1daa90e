"""Schema-as-data rows: entity types and fields to and from their rows, names and columns chosen.

Pure: ``Catalog`` (``store/catalog.py``) runs the statements and the DDL; this module decides what
the rows hold, which column a new field gets, and how FPTR's schema properties change a field.
"""

from __future__ import annotations

import re
from typing import Any

from shotlog.errors import SchemaError
from shotlog.schema.datatypes import Storage
from shotlog.schema.model import EntityType, Field, Schema

__all__ = [
    "MAX_IDENT",
    "assign_columns",
    "custom_field_name",
    "event_log_columns",
    "field_from_row",
    "field_row",
    "field_with_properties",
    "pick_name",
    "type_from_row",
    "type_row",
]

MAX_IDENT = 63  # PostgreSQL's identifier limit


def custom_field_name(display_name: str) -> str:
    """FPTR's rule: "sg_" + the display name lower-cased, runs of non-word characters as "_"."""
    base = re.sub(r"[^a-z0-9]+", "_", display_name.strip().lower()).strip("_")
    if not base:
        raise SchemaError(f"Display name {display_name!r} gives an empty field name")
    return base if base.startswith("sg_") else f"sg_{base}"


def pick_name(name: str, taken: set[str]) -> str:
    candidate = name[:MAX_IDENT]
    n = 1
    while candidate in taken:
        suffix = f"_{n}"
        candidate = name[: MAX_IDENT - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


def assign_columns(field: Field, taken: set[str]) -> Field:
    """Choose the physical column(s) of a new field, avoiding every name already on the table."""
    storage = field.storage
    if field.name == "id":
        return field.with_(column="id")
    if storage is Storage.LINK:
        return field.with_(
            type_column=pick_name(f"{field.name}_type", taken), column=pick_name(f"{field.name}_id", taken)
        )
    if storage is Storage.COLUMN:
        return field.with_(column=pick_name(field.name, taken))
    return field


def event_log_columns(field: Field) -> Field:
    """EventLogEntry's columns are fixed by the migrations; map each field onto them."""
    if field.storage is Storage.LINK:
        return field.with_(type_column=f"{field.name}_type", column=f"{field.name}_id")
    if field.storage is Storage.COLUMN:
        return field.with_(column=field.name)
    return field


_PROPERTY_KEYS = {
    "name": "display_name",
    "description": "description",
    "valid_types": "valid_types",
    "valid_values": "valid_values",
    "display_values": "display_values",
    "hidden_values": "hidden_values",
    "default_value": "default",
    "visible": "visible",
    "mandatory": "mandatory",
    "unique": "unique",
}


def field_with_properties(field: Field, props: dict[str, Any], schema: Schema) -> Field:
    """Apply FPTR schema properties (``name``, ``valid_types``, ``valid_values``...) to a field."""
    changes: dict[str, Any] = {}
    extra = dict(field.properties)
    for key, value in props.items():
        attr = _PROPERTY_KEYS.get(key)
        if attr is None:
            if not isinstance(key, str):
                raise SchemaError(f"Schema property names are strings, got {key!r}")
            extra[key] = value  # e.g. summary_default, regex_validation: kept and read back
            continue
        if attr in ("valid_types", "valid_values", "hidden_values"):
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise SchemaError(
                    f"{field.qualified}: property {key} expects a list of strings, got {value!r}"
                )
            if attr == "valid_types":
                for v in value:
                    if v != "*" and not schema.has_entity(v):
                        raise SchemaError(f"{field.qualified}: valid type {v!r} is not an entity type")
            value = tuple(value)
        elif attr == "display_name":
            if not isinstance(value, str) or not value.strip():
                raise SchemaError(f"{field.qualified}: property name expects non-empty text, got {value!r}")
            value = value.strip()
        elif attr in ("visible", "mandatory", "unique"):
            if not isinstance(value, bool):
                raise SchemaError(f"{field.qualified}: property {key} expects true or false, got {value!r}")
        elif attr == "display_values":
            if not isinstance(value, dict):
                raise SchemaError(f"{field.qualified}: property {key} expects a mapping, got {value!r}")
        elif attr == "description" and not isinstance(value, str):
            raise SchemaError(f"{field.qualified}: property description expects text, got {value!r}")
        changes[attr] = value
    if extra != dict(field.properties):
        changes["properties"] = extra
    updated = field.with_(**changes)
    if (
        updated.storage in (Storage.LINK, Storage.MULTI)
        and not updated.reverse_of
        and not updated.valid_types
    ):
        raise SchemaError(f"{field.qualified}: entity fields need valid_types (a list of entity types)")
    return updated


def type_row(etype: EntityType) -> dict[str, Any]:
    return {
        "name": etype.name,
        "display_name": etype.display_name,
        "table_name": etype.table,
        "display_field": etype.display_field,
        "project_scoped": etype.project_scoped,
        "retirable": etype.retirable,
        "mutable": etype.mutable,
        "builtin": etype.builtin,
        "visible": etype.visible,
        "retired": etype.retired,
    }


def type_from_row(row: Any) -> EntityType:
    return EntityType(
        name=row["name"],
        display_name=row["display_name"],
        table=row["table_name"],
        display_field=row["display_field"],
        project_scoped=row["project_scoped"],
        retirable=row["retirable"],
        mutable=row["mutable"],
        builtin=row["builtin"],
        visible=row["visible"],
        retired=row["retired"],
    )


def field_row(f: Field, position: int) -> dict[str, Any]:
    return {
        "entity_type": f.entity_type,
        "name": f.name,
        "position": position,
        "data_type": f.data_type,
        "display_name": f.display_name,
        "description": f.description,
        "valid_types": list(f.valid_types),
        "valid_values": list(f.valid_values),
        "display_values": dict(f.display_values),
        "hidden_values": list(f.hidden_values),
        "default_value": f.default,
        "editable": f.editable,
        "mandatory": f.mandatory,
        "is_unique": f.unique,
        "builtin": f.builtin,
        "visible": f.visible,
        "reverse_of": f.reverse_of,
        "column_name": f.column,
        "type_column": f.type_column,
        "retired": f.retired,
        "properties": dict(f.properties),
    }


def field_from_row(row: Any) -> Field:
    return Field(
        entity_type=row["entity_type"],
        name=row["name"],
        data_type=row["data_type"],
        display_name=row["display_name"],
        description=row["description"],
        valid_types=tuple(row["valid_types"]),
        valid_values=tuple(row["valid_values"]),
        display_values=dict(row["display_values"]),
        hidden_values=tuple(row["hidden_values"]),
        default=row["default_value"],
        editable=row["editable"],
        mandatory=row["mandatory"],
        unique=row["is_unique"],
        builtin=row["builtin"],
        visible=row["visible"],
        reverse_of=row["reverse_of"],
        column=row["column_name"],
        type_column=row["type_column"],
        retired=row["retired"],
        properties=dict(row["properties"]),
    )
