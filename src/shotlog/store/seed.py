"""Records every shotlog database has: the ``shotlog`` ApiUser that in-process writes act as."""

from __future__ import annotations

import sqlalchemy as sa

from shotlog.clock import WriteClock, utcnow_seconds
from shotlog.store.catalog import Catalog
from shotlog.store.database import Database
from shotlog.store.permission_rules import convert_text_fields, ensure_default_sets, permission_rules
from shotlog.store.ports import RecorderFactory
from shotlog.store.subjects import Actor
from shotlog.store.writer import WriteTransaction

__all__ = ["DEFAULT_SCRIPT", "ensure_default_script"]

DEFAULT_SCRIPT = "shotlog"


def ensure_default_script(
    db: Database,
    catalog: Catalog,
    events: RecorderFactory,
    now: WriteClock = utcnow_seconds,
) -> None:
    with db.write() as conn:
        # a database stamped past migration 0015 while that step was still empty gets it here
        permission_rules.create(conn, checkfirst=True)
        converted = convert_text_fields(conn, now())
    if converted:
        catalog.refresh(force=True)
    schema = catalog.schema
    table = catalog.table("ApiUser")
    column = schema.fields["ApiUser"]["firstname"].column or "firstname"
    with db.write() as conn:
        ensure_default_sets(conn, now())  # before the script, which links to API Admin
        exists = conn.execute(sa.select(table.c.id).where(table.c[column] == DEFAULT_SCRIPT).limit(1)).first()
        if exists is None:
            tx = WriteTransaction(db, catalog, conn, schema, Actor(), now(), events=events)
            tx.create(
                "ApiUser",
                {
                    "firstname": DEFAULT_SCRIPT,
                    "description": "Writes made in process through shotlog.connect()",
                },
            )
            tx.finish()
