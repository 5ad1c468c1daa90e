"""Entity types and fields as immutable values, and the ``Schema`` that holds them.

The store persists these rows in ``schema_entity_types`` / ``schema_fields`` and builds a ``Schema``
from them; everything above the store asks the ``Schema`` what a type or field is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from shotlog.errors import UnknownEntityType, UnknownField
from shotlog.schema.datatypes import DataType, Storage, data_type

__all__ = ["EntityType", "Field", "Schema"]


@dataclass(frozen=True, slots=True)
class Field:
    entity_type: str
    name: str
    data_type: str
    display_name: str
    description: str = ""
    valid_types: tuple[str, ...] = ()
    valid_values: tuple[str, ...] = ()
    display_values: Mapping[str, str] = field(default_factory=dict)
    hidden_values: tuple[str, ...] = ()
    default: Any = None
    editable: bool = True
    mandatory: bool = False
    unique: bool = False
    builtin: bool = True
    visible: bool = True
    #: for REVERSE fields: "Type.field" of the link field this one mirrors
    reverse_of: str | None = None
    #: physical column(s); set by the store when the field is created
    column: str | None = None
    type_column: str | None = None
    retired: bool = False
    properties: Mapping[str, Any] = field(default_factory=dict)
    # Derived once: both are read many times on every write and read of the field.
    dtype: DataType = field(init=False, repr=False, compare=False)
    storage: Storage = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dtype = data_type(self.data_type)
        object.__setattr__(self, "dtype", dtype)
        object.__setattr__(self, "storage", Storage.REVERSE if self.reverse_of else dtype.storage)

    @property
    def qualified(self) -> str:
        return f"{self.entity_type}.{self.name}"

    def reverse_source(self) -> tuple[str, str]:
        assert self.reverse_of is not None
        entity_type, _, name = self.reverse_of.partition(".")
        return entity_type, name

    def with_(self, **changes: Any) -> Field:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class EntityType:
    name: str
    display_name: str
    table: str
    display_field: str
    project_scoped: bool = True
    #: can be deleted (retired) and revived; EventLogEntry cannot
    retirable: bool = True
    #: rows can be updated and deleted through the API; EventLogEntry rows cannot
    mutable: bool = True
    builtin: bool = True
    visible: bool = True
    retired: bool = False

    def with_(self, **changes: Any) -> EntityType:
        return replace(self, **changes)


class Schema:
    """A consistent snapshot of every entity type and field, with the reverse-link index."""

    def __init__(self, types: Iterable[EntityType], fields: Iterable[Field], version: int = 0):
        self.version = version
        self.types: dict[str, EntityType] = {t.name: t for t in types if not t.retired}
        self.fields: dict[str, dict[str, Field]] = {name: {} for name in self.types}
        self.retired_fields: dict[str, dict[str, Field]] = {name: {} for name in self.types}
        for f in fields:
            if f.entity_type not in self.types:
                continue
            (self.retired_fields if f.retired else self.fields)[f.entity_type][f.name] = f
        # source "Type.field" -> reverse fields that mirror it
        self.reverses: dict[str, list[Field]] = {}
        for per_type in self.fields.values():
            for f in per_type.values():
                if f.reverse_of:
                    self.reverses.setdefault(f.reverse_of, []).append(f)

    def entity(self, name: object) -> EntityType:
        if isinstance(name, str):
            found = self.types.get(name)
            if found is not None:
                return found
        raise UnknownEntityType(name)

    def has_entity(self, name: object) -> bool:
        return isinstance(name, str) and name in self.types

    def field(self, entity_type: str, name: object) -> Field:
        per_type = self.fields.get(entity_type)
        if per_type is None:
            raise UnknownEntityType(entity_type)
        if isinstance(name, str):
            found = per_type.get(name)
            if found is not None:
                return found
        raise UnknownField(entity_type, name)

    def has_field(self, entity_type: str, name: str) -> bool:
        return name in self.fields.get(entity_type, {})

    def fields_of(self, entity_type: str) -> dict[str, Field]:
        self.entity(entity_type)
        return self.fields[entity_type]

    def reverse_fields(self, entity_type: str, field_name: str) -> list[Field]:
        return self.reverses.get(f"{entity_type}.{field_name}", [])

    def display_field(self, entity_type: str) -> str:
        return self.entity(entity_type).display_field
