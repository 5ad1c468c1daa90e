"""The declared database schema.

System tables are declared here once and created by the Alembic migrations (a test compares the two).
Entity tables are different: their columns are the fields of the schema-as-data, so they are built at
run time by ``entity_table`` from the ``schema_fields`` rows, and custom fields become columns added
with ``ALTER TABLE``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from shotlog.schema.datatypes import Storage
from shotlog.schema.model import EntityType, Field

__all__ = [
    "ID",
    "JSON",
    "column_type",
    "entity_links",
    "entity_table",
    "entity_tags",
    "event_log_entries",
    "field_column",
    "follows",
    "metadata",
    "schema_entity_types",
    "schema_fields",
    "schema_state",
    "script_keys",
    "session_tokens",
]

# SQLite only turns INTEGER PRIMARY KEY into the rowid alias; BIGINT would lose autoincrement there.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

naming = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=naming)

schema_state = sa.Table(
    "schema_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # bumped by every schema change, so other processes know to reload their cached Schema
    sa.Column("version", sa.BigInteger, nullable=False),
)

schema_entity_types = sa.Table(
    "schema_entity_types",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("table_name", sa.String(63), nullable=False, unique=True),
    sa.Column("display_field", sa.String(64), nullable=False),
    sa.Column("project_scoped", sa.Boolean, nullable=False),
    sa.Column("retirable", sa.Boolean, nullable=False),
    sa.Column("mutable", sa.Boolean, nullable=False),
    sa.Column("builtin", sa.Boolean, nullable=False),
    sa.Column("visible", sa.Boolean, nullable=False),
    sa.Column("retired", sa.Boolean, nullable=False),
)

schema_fields = sa.Table(
    "schema_fields",
    metadata,
    sa.Column("entity_type", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("data_type", sa.String(32), nullable=False),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("valid_types", JSON, nullable=False),
    sa.Column("valid_values", JSON, nullable=False),
    sa.Column("display_values", JSON, nullable=False),
    sa.Column("hidden_values", JSON, nullable=False),
    sa.Column("default_value", JSON, nullable=True),
    sa.Column("editable", sa.Boolean, nullable=False),
    sa.Column("mandatory", sa.Boolean, nullable=False),
    sa.Column("is_unique", sa.Boolean, nullable=False),
    sa.Column("builtin", sa.Boolean, nullable=False),
    sa.Column("visible", sa.Boolean, nullable=False),
    sa.Column("reverse_of", sa.String(200), nullable=True),
    sa.Column("column_name", sa.String(63), nullable=True),
    sa.Column("type_column", sa.String(63), nullable=True),
    sa.Column("retired", sa.Boolean, nullable=False),
    sa.Column("properties", JSON, nullable=False),
)

# The event log. Ids are assigned by shotlog under the event-log write lock (see
# shotlog.eventlog.log), never by a sequence, so they become visible in commit order with no holes.
event_log_entries = sa.Table(
    "event_log_entries",
    metadata,
    # INTEGER on SQLite makes it the rowid: no second B-tree to maintain for every event.
    sa.Column("id", ID, primary_key=True, autoincrement=False),
    sa.Column("event_type", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("entity_type", sa.String(64), nullable=True),
    sa.Column("entity_id", sa.BigInteger, nullable=True),
    sa.Column("project_type", sa.String(64), nullable=True),
    sa.Column("project_id", sa.BigInteger, nullable=True),
    sa.Column("user_type", sa.String(64), nullable=True),
    sa.Column("user_id", sa.BigInteger, nullable=True),
    sa.Column("attribute_name", sa.String(255), nullable=True),
    sa.Column("meta", JSON, nullable=True),
    sa.Column("session_uuid", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("cached_display_name", sa.Text, nullable=True),
    sa.Column("image", sa.Text, nullable=True),
    sa.Column("filmstrip_image", sa.Text, nullable=True),
    sa.Column("image_source_entity_type", sa.String(64), nullable=True),
    sa.Column("image_source_entity_id", sa.BigInteger, nullable=True),
    sa.Column("image_blur_hash", sa.Text, nullable=True),
    # The consumer queries of event-log.md §9: by entity, by project (optionally with event_type),
    # by event_type and by user, each ending in id so "first page in id order" is an index range scan.
    sa.Index("ix_event_log_entries_entity", "entity_type", "entity_id", "id"),
    sa.Index("ix_event_log_entries_project", "project_id", "id"),
    sa.Index("ix_event_log_entries_project_type", "project_id", "event_type", "id"),
    sa.Index("ix_event_log_entries_event_type", "event_type", "id"),
    sa.Index("ix_event_log_entries_user", "user_type", "user_id", "id"),
    sa.Index("ix_event_log_entries_created_at", "created_at"),
)

# Multi-entity values: one row per link, in the order the caller gave them.
entity_links = sa.Table(
    "entity_links",
    metadata,
    sa.Column("field", sa.String(200), primary_key=True),  # "Shot.assets"
    sa.Column("src_id", sa.BigInteger, primary_key=True),
    sa.Column("dst_type", sa.String(64), primary_key=True),
    sa.Column("dst_id", sa.BigInteger, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_entity_links_dst", "dst_type", "dst_id", "field"),
)

# tag_list values: one row per tag.
entity_tags = sa.Table(
    "entity_tags",
    metadata,
    sa.Column("field", sa.String(200), primary_key=True),
    sa.Column("owner_id", sa.BigInteger, primary_key=True),
    sa.Column("tag", sa.String(255), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_entity_tags_tag", "field", "tag"),
)


# Script keys of ApiUsers. A key is a high-entropy random string, so a SHA-256 digest is enough to
# keep it unreadable at rest; HumanUser passwords are Argon2 hashes in HumanUser.password_proxy.
script_keys = sa.Table(
    "script_keys",
    metadata,
    sa.Column("api_user_id", sa.BigInteger, primary_key=True),
    sa.Column("key_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Session tokens from get_session_token and the REST access tokens; stored as SHA-256 digests.
session_tokens = sa.Table(
    "session_tokens",
    metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # session, access, refresh
    sa.Column("user_type", sa.String(64), nullable=False),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Index("ix_session_tokens_expires_at", "expires_at"),
)

# follow / unfollow / followers
follows = sa.Table(
    "follows",
    metadata,
    sa.Column("user_type", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("entity_type", sa.String(64), primary_key=True),
    sa.Column("entity_id", sa.BigInteger, primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_follows_entity", "entity_type", "entity_id"),
)


# -- webhooks (migration 0003) ---------------------------------------------------------------------------

# -- event archive (migration 0004) ----------------------------------------------------------------------

# -- event daemon (migration 0005) -----------------------------------------------------------------------


def column_type(field: Field) -> sa.types.TypeEngine[Any]:
    kind = field.dtype.kind
    if kind == "str":
        return sa.Text()
    if kind == "int":
        return sa.BigInteger()
    if kind == "float":
        return sa.Float()
    if kind == "bool":
        return sa.Boolean()
    if kind == "date":
        return sa.Date()
    if kind == "datetime":
        return sa.DateTime()
    return JSON


def field_column(field: Field) -> sa.Column[Any]:
    """The column of a COLUMN-stored field. Checkboxes are never NULL: FPTR reads them as false."""
    assert field.column is not None
    if field.data_type == "checkbox":
        return sa.Column(field.column, sa.Boolean(), nullable=False, server_default=sa.false())
    return sa.Column(field.column, column_type(field), nullable=True)


def entity_table(md: sa.MetaData, etype: EntityType, fields: list[Field]) -> sa.Table:
    """The SQLAlchemy table of one entity type, with a column (or two) per stored field."""
    if etype.name == "EventLogEntry":
        return event_log_entries
    cols: list[sa.Column[Any]] = [sa.Column("id", ID, primary_key=True, autoincrement=True)]
    if etype.retirable:
        cols.append(sa.Column("retirement_date", sa.DateTime, nullable=True))
    indexes: list[sa.Index] = []
    for f in fields:
        if f.name == "id" or f.column is None:
            continue
        if f.storage is Storage.LINK:
            assert f.type_column is not None
            cols.append(sa.Column(f.type_column, sa.String(64), nullable=True))
            cols.append(sa.Column(f.column, sa.BigInteger, nullable=True))
            indexes.append(sa.Index(f"ix_{etype.table}_{f.column}", f.column, f.type_column))
        elif f.storage is Storage.COLUMN:
            cols.append(field_column(f))
    return sa.Table(etype.table, md, *cols, *indexes)
