"""Bringing a database up to date: Alembic migrations, then the default schema.

Safe to run from several processes at once: on PostgreSQL an advisory lock serializes them, on
SQLite the ``BEGIN IMMEDIATE`` write transaction does.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from shotlog.clock import WriteClock, utcnow_seconds
from shotlog.errors import StorageError
from shotlog.store import tables as t
from shotlog.store.database import Database
from shotlog.store.ports import RecorderFactory

__all__ = [
    "NewerSchema",
    "alembic_config",
    "check_not_newer",
    "current_revision",
    "head_revision",
    "known_revisions",
    "open_schema",
    "upgrade",
]

_MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x5107_106  # arbitrary advisory-lock key for "shotlog migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    """Every revision this shotlog's migrations know, old and head."""
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(db: Database) -> str | None:
    with db.read() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class NewerSchema(StorageError):
    """The database was migrated by a newer shotlog: this one does not know its revision."""


def check_not_newer(db: Database) -> str | None:
    """The database's revision, after refusing one this code does not know.

    A revision missing from our chain can only come from a later release (ours never delete one),
    and the tables of that schema may mean things this code would misread or overwrite: refusing
    to start is the one safe answer; the fix is to run the newer shotlog, or restore a backup."""
    revision = current_revision(db)
    if revision is not None and revision not in known_revisions():
        head = head_revision()
        raise NewerSchema(
            f"the database is at schema revision {revision!r}, newer than this shotlog knows "
            f"(its latest is {head!r}): it was upgraded by a later shotlog release. Run that release "
            "(or later), or restore a backup taken before the upgrade; shotlog will not start on it",
            revision=revision,
            head=head,
        )
    return revision


def upgrade(
    db: Database,
    *,
    defaults: bool = True,
    events: RecorderFactory | None = None,
    now: WriteClock = utcnow_seconds,
) -> None:
    """Apply pending migrations and make sure the default schema and seed rows are present.

    ``events`` records the seed rows' events (``shotlog.eventlog.recorder.TransactionEvents``):
    the store does not import the event log, so whoever upgrades with ``defaults`` hands it in.
    ``now`` stamps the seed rows (a connection's ``write_clock``: the demo's history begins with
    them)."""
    if defaults and events is None:
        raise TypeError("upgrade(defaults=True) needs events=, the recorder of the seed rows' events")
    if check_not_newer(db) != head_revision():
        cfg = alembic_config()
        with db.write() as conn:
            if not db.is_sqlite:
                # another process's migration may take longer than the session's lock_timeout
                conn.execute(sa.text("SET LOCAL lock_timeout = 0"))
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            if conn.execute(sa.select(sa.func.count()).select_from(t.schema_state)).scalar() == 0:
                conn.execute(sa.insert(t.schema_state).values(id=1, version=1))
    if defaults:
        from shotlog.store.catalog import Catalog
        from shotlog.store.seed import ensure_default_script

        catalog = Catalog(db)
        catalog.apply_defaults()
        assert events is not None
        ensure_default_script(db, catalog, events, now)


def open_schema(db: Database, *, migrate: bool, events: RecorderFactory, now: WriteClock) -> None:
    """What opening a database does (``shotlog.connect``, so every command and ``serve``): upgrade
    it, or with ``migrate=False`` only refuse a newer schema (an older one is the caller's choice).
    A refusal disposes ``db``: nothing may hold the database open after the error."""
    try:
        if migrate:
            upgrade(db, events=events, now=now)
        else:
            check_not_newer(db)
    except BaseException:
        db.dispose()
        raise
