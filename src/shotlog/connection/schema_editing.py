"""Reading and changing the schema through the Python API (part of ``Shotlog``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shotlog.errors import UnknownField
from shotlog.eventlog.events import Actor
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.schema.describe import entity_schema, field_schema
from shotlog.store.catalog import Catalog

__all__ = ["SchemaEditing"]


class SchemaEditing:
    """The ``schema_*`` methods: FPTR's schema reads and schema changes, with their events."""

    catalog: Catalog
    #: Visibility's: refuses a user whose permission rule set may not edit the schema
    _may_edit_schema: Callable[[str], None]
    #: Visibility's: the fields of a type the user's permission rule set hides
    _hidden_fields: Callable[[str], frozenset[str]]

    @property
    def actor(self) -> Actor:
        raise NotImplementedError  # Shotlog's: the user the connection acts as

    def schema_read(self) -> dict[str, dict[str, Any]]:
        schema = self.catalog.schema
        out = {}
        for t in schema.types:
            hidden = self._hidden_fields(t)
            out[t] = {n: field_schema(f) for n, f in schema.fields[t].items() if n not in hidden}
        return out

    def schema_entity_read(self) -> dict[str, Any]:
        schema = self.catalog.schema
        return {t: entity_schema(e) for t, e in schema.types.items()}

    def schema_field_read(self, entity_type: str, field_name: str | None = None) -> dict[str, Any]:
        self.catalog.refresh_if_unknown(entity_type, field_name)
        schema = self.catalog.schema
        # a field hidden from the user's permission set is not in their schema either
        hidden = self._hidden_fields(schema.entity(entity_type).name)
        if field_name is None:
            return {n: field_schema(f) for n, f in schema.fields_of(entity_type).items() if n not in hidden}
        if field_name in hidden:
            raise UnknownField(entity_type, field_name)
        return {field_name: field_schema(schema.field(entity_type, field_name))}

    def schema_field_create(
        self,
        entity_type: str,
        data_type: str,
        display_name: str,
        properties: Mapping[str, Any] | None = None,
    ) -> str:
        self._may_edit_schema("schema_field_create")
        return self.catalog.create_field(
            entity_type,
            data_type,
            display_name,
            dict(properties or {}),
            actor=self.actor,
            events=TransactionEvents,
        )

    def schema_field_update(self, entity_type: str, field_name: str, properties: Mapping[str, Any]) -> bool:
        self._may_edit_schema("schema_field_update")
        self.catalog.update_field(
            entity_type, field_name, dict(properties), actor=self.actor, events=TransactionEvents
        )
        return True

    def schema_field_delete(self, entity_type: str, field_name: str) -> bool:
        self._may_edit_schema("schema_field_delete")
        self.catalog.delete_field(entity_type, field_name, actor=self.actor, events=TransactionEvents)
        return True

    def schema_field_revive(self, entity_type: str, field_name: str) -> bool:
        self._may_edit_schema("schema_field_revive")
        self.catalog.revive_field(entity_type, field_name, actor=self.actor, events=TransactionEvents)
        return True

    def schema_entity_create(
        self, entity_type: str, display_name: str | None = None, *, project_scoped: bool = True
    ) -> bool:
        self._may_edit_schema("schema_entity_create")
        self.catalog.create_entity_type(entity_type, display_name, project_scoped=project_scoped)
        return True

    def schema_entity_update(
        self, entity_type: str, *, display_name: str | None = None, visible: bool | None = None
    ) -> bool:
        self._may_edit_schema("schema_entity_update")
        self.catalog.update_entity_type(entity_type, display_name=display_name, visible=visible)
        return True

    def schema_entity_delete(self, entity_type: str) -> bool:
        self._may_edit_schema("schema_entity_delete")
        self.catalog.delete_entity_type(entity_type)
        return True
