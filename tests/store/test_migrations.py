"""The Alembic migrations produce exactly the declared schema, and entity tables match the registry."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import shotlog
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.store.catalog import Catalog
from shotlog.store.database import Database
from shotlog.store.migrate import current_revision, head_revision, upgrade
from shotlog.store.tables import metadata


def test_migrations_match_declared_tables(db_url: str) -> None:
    db = Database(db_url)
    with db.reader.connect() as conn:
        entity_tables = {
            r[0] for r in conn.execute(sa.text("SELECT table_name FROM schema_entity_types"))
        } - {"event_log_entries"}

        def include(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
            # Entity tables are declared by the schema registry, not by the migrations.
            return not (kind == "table" and name in entity_tables | {"alembic_version"})

        ctx = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True})
        diff = compare_metadata(ctx, metadata)
    db.dispose()
    assert diff == []


def test_database_is_at_head_and_upgrade_is_idempotent(db_url: str) -> None:
    db = Database(db_url)
    assert current_revision(db) == head_revision() is not None
    upgrade(db, events=TransactionEvents)  # a second run changes nothing and does not fail
    assert current_revision(db) == head_revision()
    db.dispose()


def test_entity_tables_match_the_registry(db_url: str) -> None:
    db = Database(db_url)
    catalog = Catalog(db)
    inspector = sa.inspect(db.reader)
    for name in catalog.schema.types:
        declared = catalog.table(name)
        actual = {c["name"] for c in inspector.get_columns(declared.name)}
        assert actual == set(declared.c.keys()), name
    db.dispose()


def test_custom_field_column_survives_reconnect(db_url: str) -> None:
    with shotlog.connect(db_url) as sg:
        name = sg.schema_field_create("Shot", "number", "Frame Handles")
    with shotlog.connect(db_url) as sg:
        table = sg.catalog.table("Shot")
        assert name == "sg_frame_handles"
        assert name in table.c
        cols = {c["name"] for c in sa.inspect(sg.db.reader).get_columns(table.name)}
        assert name in cols
