"""The schema registry: schema-as-data rows, the SQLAlchemy tables built from them, and DDL.

``Catalog.schema`` is an immutable snapshot. Every schema change runs in a write transaction that
updates the rows, issues the DDL (``CREATE TABLE`` / ``ALTER TABLE ADD COLUMN``) and bumps
``schema_state.version``; other processes notice the new version within ``REFRESH_SECONDS`` (or at
once when they meet a type or field they do not know) and reload.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection

from shotlog.clock import utcnow_seconds
from shotlog.errors import SchemaError, UnknownEntityType, UnknownField
from shotlog.schema.datatypes import Storage, data_type
from shotlog.schema.defaults import common_fields, default_entity_types, default_fields
from shotlog.schema.model import EntityType, Field, Schema
from shotlog.store import tables as t
from shotlog.store.changes import SchemaChange
from shotlog.store.database import Database
from shotlog.store.ports import RecorderFactory
from shotlog.store.schemarows import (
    assign_columns,
    custom_field_name,
    event_log_columns,
    field_from_row,
    field_row,
    field_with_properties,
    pick_name,
    type_from_row,
    type_row,
)
from shotlog.store.subjects import DISPLAY_COLUMN, Actor, display_column_id

__all__ = ["REFRESH_SECONDS", "Catalog", "custom_field_name"]

REFRESH_SECONDS = 1.0
_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,62}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


class Catalog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._schema: Schema | None = None
        self._tables: dict[str, sa.Table] = {}
        self._checked_at = 0.0

    # -- reading ---------------------------------------------------------------------------------

    @property
    def schema(self) -> Schema:
        if self._schema is None or time.monotonic() - self._checked_at > REFRESH_SECONDS:
            self.refresh()
        assert self._schema is not None
        return self._schema

    def table(self, entity_type: str) -> sa.Table:
        if self._schema is None:
            self.refresh()
        try:
            return self._tables[entity_type]
        except KeyError:
            raise UnknownEntityType(entity_type) from None

    def refresh(self, *, force: bool = False) -> None:
        with self.db.read() as conn:
            version = conn.execute(sa.select(t.schema_state.c.version)).scalar()
            if force or self._schema is None or version != self._schema.version:
                self._load(conn, version or 0)
        self._checked_at = time.monotonic()

    def refresh_if_unknown(self, entity_type: str, field: str | None = None) -> bool:
        """Reload when a name is missing: another process may have just created it."""
        schema = self.schema
        known = schema.has_entity(entity_type) and (field is None or schema.has_field(entity_type, field))
        if known:
            return False
        # a version check, not a reload: only a schema change (which bumps the version) adds names
        self.refresh()
        return True

    def _load(self, conn: Connection, version: int) -> None:
        types = [type_from_row(r) for r in conn.execute(sa.select(t.schema_entity_types)).mappings()]
        rows = conn.execute(
            sa.select(t.schema_fields).order_by(t.schema_fields.c.entity_type, t.schema_fields.c.position)
        ).mappings()
        fields = [field_from_row(r) for r in rows]
        schema = Schema(types, fields, version)
        md = sa.MetaData()
        tables = {
            name: t.entity_table(
                md, etype, list(schema.fields[name].values()) + list(schema.retired_fields[name].values())
            )
            for name, etype in schema.types.items()
        }
        with self._lock:
            self._schema, self._tables = schema, tables

    # -- changing ----------------------------------------------------------------------------------

    def apply_defaults(self) -> None:
        """Add the default entity types and fields that this database does not have yet."""
        with self.db.write() as conn:
            have_types = {r.name for r in conn.execute(sa.select(t.schema_entity_types.c.name))}
            have_fields = {
                (r.entity_type, r.name)
                for r in conn.execute(sa.select(t.schema_fields.c.entity_type, t.schema_fields.c.name))
            }
            changed = False
            by_type: dict[str, list[Field]] = {}
            for f in default_fields():
                by_type.setdefault(f.entity_type, []).append(f)
            for etype in default_entity_types():
                new_fields = [
                    f for f in by_type.get(etype.name, []) if (etype.name, f.name) not in have_fields
                ]
                if etype.name not in have_types:
                    self._create_type(conn, etype, new_fields)
                    changed = True
                elif new_fields:
                    for f in new_fields:
                        self._add_field(conn, etype, f)
                    changed = True
            if changed:
                _bump(conn)
        self.refresh(force=True)

    def _create_type(self, conn: Connection, etype: EntityType, fields: list[Field]) -> None:
        conn.execute(sa.insert(t.schema_entity_types).values(**type_row(etype)))
        taken = {"id", "retirement_date"}
        placed: list[Field] = []
        for pos, f in enumerate(fields):
            f = event_log_columns(f) if etype.name == "EventLogEntry" else assign_columns(f, taken)
            conn.execute(sa.insert(t.schema_fields).values(**field_row(f, pos)))
            placed.append(f)
        if etype.name != "EventLogEntry":  # the event log's table comes from the migrations
            t.entity_table(sa.MetaData(), etype, placed).create(conn)

    def _add_field(self, conn: Connection, etype: EntityType, field: Field) -> Field:
        existing = list(
            conn.execute(
                sa.select(
                    t.schema_fields.c.column_name, t.schema_fields.c.type_column, t.schema_fields.c.position
                ).where(t.schema_fields.c.entity_type == etype.name)
            )
        )
        taken = {"id", "retirement_date"} | {c for r in existing for c in (r[0], r[1]) if c}
        field = assign_columns(field, taken)
        position = max((r[2] for r in existing), default=-1) + 1
        conn.execute(sa.insert(t.schema_fields).values(**field_row(field, position)))
        ops = Operations(MigrationContext.configure(conn))
        if field.storage is Storage.LINK:
            assert field.type_column and field.column
            ops.add_column(etype.table, sa.Column(field.type_column, sa.String(64), nullable=True))
            ops.add_column(etype.table, sa.Column(field.column, sa.BigInteger, nullable=True))
            ops.create_index(
                f"ix_{etype.table}_{field.column}", etype.table, [field.column, field.type_column]
            )
        elif field.storage is Storage.COLUMN:
            ops.add_column(etype.table, t.field_column(field))
        return field

    def create_field(
        self,
        entity_type: str,
        data_type_name: str,
        display_name: str,
        properties: dict[str, Any] | None = None,
        *,
        name: str | None = None,
        actor: Actor | None = None,
        events: RecorderFactory,
    ) -> str:
        """Create a custom field (``sg_`` prefix) and return its internal name.

        Schema changes write FPTR's DisplayColumn events in the same transaction, attributed to
        ``actor`` (none: written without a user), recorded by the recorder ``events`` makes.
        """
        dtype = data_type(data_type_name)
        if dtype.storage in (Storage.VIRTUAL,):
            raise SchemaError(
                f"Fields of data type {data_type_name!r} are computed by FPTR and cannot be created"
            )
        if not isinstance(display_name, str) or not display_name.strip():
            raise SchemaError(f"A field needs a display name, got {display_name!r}")
        props = dict(properties or {})
        with self.db.write() as conn:
            schema = self._reload_in(conn)
            etype = schema.entity(entity_type)
            if not etype.mutable:
                raise SchemaError(f"Fields cannot be added to {entity_type}")
            wanted = name or custom_field_name(display_name)
            if not wanted.startswith("sg_") or not _FIELD_NAME.match(wanted):
                raise SchemaError(f"Custom field names must match sg_[a-z0-9_]+, got {wanted!r}")
            taken = set(schema.fields[entity_type]) | set(schema.retired_fields[entity_type])
            field_name = wanted
            n = 1
            while field_name in taken:
                field_name = f"{wanted}_{n}"
                n += 1
            field = field_with_properties(
                Field(
                    entity_type=entity_type,
                    name=field_name,
                    data_type=dtype.name,
                    display_name=display_name.strip(),
                    builtin=False,
                ),
                props,
                schema,
            )
            self._add_field(conn, etype, field)
            _bump(conn)
            _log(conn, self.db, actor, events, SchemaChange("created", field))
        self.refresh(force=True)
        return field_name

    def update_field(
        self,
        entity_type: str,
        field_name: str,
        properties: dict[str, Any],
        *,
        actor: Actor | None = None,
        events: RecorderFactory,
    ) -> None:
        with self.db.write() as conn:
            schema = self._reload_in(conn)
            field = schema.field(entity_type, field_name)
            updated = field_with_properties(field, properties, schema)
            row = field_row(updated, 0)
            row.pop("position")
            conn.execute(
                sa.update(t.schema_fields)
                .where(t.schema_fields.c.entity_type == entity_type, t.schema_fields.c.name == field_name)
                .values(**row)
            )
            _bump(conn)
            _log(conn, self.db, actor, events, SchemaChange("changed", updated, before=field))
        self.refresh(force=True)

    def delete_field(
        self, entity_type: str, field_name: str, *, actor: Actor | None = None, events: RecorderFactory
    ) -> None:
        """Retire a custom field. Its column and data stay, so nothing is lost; FPTR does the same."""
        with self.db.write() as conn:
            schema = self._reload_in(conn)
            field = schema.field(entity_type, field_name)
            if field.builtin:
                raise SchemaError(f"{field.qualified} is a built-in field and cannot be deleted")
            conn.execute(
                sa.update(t.schema_fields)
                .where(t.schema_fields.c.entity_type == entity_type, t.schema_fields.c.name == field_name)
                .values(retired=True)
            )
            _bump(conn)
            _log(conn, self.db, actor, events, SchemaChange("retired", field, when=utcnow_seconds()))
        self.refresh(force=True)

    def revive_field(
        self, entity_type: str, field_name: str, *, actor: Actor | None = None, events: RecorderFactory
    ) -> None:
        with self.db.write() as conn:
            schema = self._reload_in(conn)
            schema.entity(entity_type)
            retired = schema.retired_fields[entity_type].get(field_name)
            if retired is None:
                raise UnknownField(entity_type, field_name)
            conn.execute(
                sa.update(t.schema_fields)
                .where(t.schema_fields.c.entity_type == entity_type, t.schema_fields.c.name == field_name)
                .values(retired=False)
            )
            _bump(conn)
            retired_at = _retired_at(conn, retired)
            _log(conn, self.db, actor, events, SchemaChange("revived", retired, when=retired_at))
        self.refresh(force=True)

    def create_entity_type(
        self, name: str, display_name: str | None = None, *, project_scoped: bool = True
    ) -> None:
        """A custom entity type with the common fields and ``code`` as its display field.

        Re-creating a deleted custom type revives it, with its table and rows.
        """
        if not isinstance(name, str) or not _TYPE_NAME.match(name):
            raise SchemaError(f"Entity type names must be CamelCase letters and digits, got {name!r}")
        with self.db.write() as conn:
            existing = conn.execute(
                sa.select(t.schema_entity_types.c.retired).where(t.schema_entity_types.c.name == name)
            ).first()
            if existing is not None and not existing.retired:
                raise SchemaError(f"Entity type {name} already exists")
            if existing is not None:
                conn.execute(
                    sa.update(t.schema_entity_types)
                    .where(t.schema_entity_types.c.name == name)
                    .values(retired=False)
                )
            else:
                table_names = {r[0] for r in conn.execute(sa.select(t.schema_entity_types.c.table_name))}
                etype = EntityType(
                    name=name,
                    display_name=(display_name or name).strip(),
                    table=pick_name(f"entity_{name.lower()}", table_names),
                    display_field="code",
                    project_scoped=project_scoped,
                    builtin=False,
                )
                own = [
                    Field(name, "code", "text", f"{etype.display_name} Name"),
                    Field(name, "description", "text", "Description"),
                    Field(name, "sg_status_list", "status_list", "Status", valid_values=("wtg", "ip", "fin")),
                ]
                self._create_type(conn, etype, common_fields(name, project_scoped) + own)
            _bump(conn)
        self.refresh(force=True)

    def update_entity_type(
        self, name: str, *, display_name: str | None = None, visible: bool | None = None
    ) -> None:
        values: dict[str, Any] = {}
        if display_name is not None:
            if not isinstance(display_name, str) or not display_name.strip():
                raise SchemaError(f"Display name must be non-empty text, got {display_name!r}")
            values["display_name"] = display_name.strip()
        if visible is not None:
            values["visible"] = bool(visible)
        with self.db.write() as conn:
            self._reload_in(conn).entity(name)
            if values:
                conn.execute(
                    sa.update(t.schema_entity_types)
                    .where(t.schema_entity_types.c.name == name)
                    .values(**values)
                )
                _bump(conn)
        self.refresh(force=True)

    def delete_entity_type(self, name: str) -> None:
        """Retire a custom entity type; its table and rows stay and come back if it is re-created."""
        with self.db.write() as conn:
            etype = self._reload_in(conn).entity(name)
            if etype.builtin:
                raise SchemaError(f"{name} is a built-in entity type and cannot be deleted")
            conn.execute(
                sa.update(t.schema_entity_types)
                .where(t.schema_entity_types.c.name == name)
                .values(retired=True)
            )
            _bump(conn)
        self.refresh(force=True)

    def _reload_in(self, conn: Connection) -> Schema:
        version = conn.execute(sa.select(t.schema_state.c.version)).scalar() or 0
        self._load(conn, version)
        assert self._schema is not None
        return self._schema


def _log(
    conn: Connection, db: Database, actor: Actor | None, events: RecorderFactory, change: SchemaChange
) -> None:
    """Append a schema change's events as the last step of its transaction (they commit with it).

    An ApiUser whose generate_event_log_entries is off logs nothing, as for its data writes.
    """
    recorder = events(conn, db, actor or Actor(), utcnow_seconds())
    recorder.record(change)
    recorder.flush()


def _retired_at(conn: Connection, fld: Field) -> dt.datetime | None:
    """When a field was retired: fields keep no date, its newest Retirement event does."""
    ele = t.event_log_entries
    return conn.execute(
        sa.select(ele.c.created_at)
        .where(
            ele.c.event_type == "Shotgun_DisplayColumn_Retirement",
            ele.c.entity_type == DISPLAY_COLUMN.name,
            ele.c.entity_id == display_column_id(fld.entity_type, fld.name),
        )
        .order_by(ele.c.id.desc())
        .limit(1)
    ).scalar()


def _bump(conn: Connection) -> None:
    conn.execute(sa.update(t.schema_state).values(version=t.schema_state.c.version + 1))
