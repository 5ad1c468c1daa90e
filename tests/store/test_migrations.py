"""The Alembic migrations produce exactly the declared schema, and entity tables match the registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

import shotlog
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.store.catalog import Catalog
from shotlog.store.database import Database
from shotlog.store.migrate import alembic_config, current_revision, head_revision, upgrade
from shotlog.store.tables import metadata
from shotlog.store.tables import webhook_attempt_deliveries as carried
from shotlog.store.tables import webhook_attempts as att
from shotlog.webhooks import deliverylog


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


def _migrate(db: Database, step: Callable[[Config, str], None], revision: str) -> None:
    cfg = alembic_config()
    with db.write() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, revision)


def test_0013_moves_single_delivery_links_onto_the_attempt_and_back(empty_url: str) -> None:
    """A 0012 database's attempts each linked to one delivery get it on their row and lose the link;
    a batched attempt keeps its links; an attempt with none stays without. Downgrading links again."""
    db = Database(empty_url)
    _migrate(db, command.upgrade, "0012")
    now = dt.datetime(2026, 12, 7, 12, 0, 0)
    links = [("d1", "alone1"), ("d1", "batch"), ("d2", "batch"), ("d3", "alone3")]
    with db.write() as conn:
        for i, attempt_id in enumerate(["alone1", "batch", "alone3", "unlinked"]):
            started = now + dt.timedelta(seconds=i)
            conn.execute(
                # the 0012 columns only: the table as declared today has one more
                sa.insert(att).values(
                    id=attempt_id,
                    hook_id="h",
                    started_at=started,
                    succeeded=False,
                    process_time=0.1,
                    request_headers={},
                    request_body="{}",
                )
            )
        conn.execute(sa.insert(carried), [{"delivery_id": d, "attempt_id": a} for d, a in links])

    _migrate(db, command.upgrade, "0013")
    with db.read() as conn:
        named = dict(conn.execute(sa.select(att.c.id, att.c.delivery_id)).all())
        kept = {tuple(r) for r in conn.execute(sa.select(carried.c.delivery_id, carried.c.attempt_id))}
    assert named == {"alone1": "d1", "batch": None, "alone3": "d3", "unlinked": None}
    assert kept == {("d1", "batch"), ("d2", "batch")}
    # the delivery log reads both: d1 went alone, then in the batch
    assert [a["id"] for a in deliverylog.attempts_of(db, "d1")] == ["alone1", "batch"]
    assert [a["id"] for a in deliverylog.attempts_of(db, "d2")] == ["batch"]
    assert [a["id"] for a in deliverylog.attempts_of(db, "d3")] == ["alone3"]

    _migrate(db, command.downgrade, "0012")
    with db.read() as conn:
        restored = {tuple(r) for r in conn.execute(sa.select(carried.c.delivery_id, carried.c.attempt_id))}
    columns = {c["name"] for c in sa.inspect(db.reader).get_columns("webhook_attempts")}
    db.dispose()
    assert restored == set(links)
    assert "delivery_id" not in columns
