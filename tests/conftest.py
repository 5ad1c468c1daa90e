"""Fixtures shared by every test: a fresh, migrated database per test, on SQLite or PostgreSQL.

The backend is chosen by ``SHOTLOG_TEST_DATABASE_URL``: unset means SQLite files in a temporary
directory; a ``postgresql://`` URL names a server and a database to connect to for administration.
Either way a template database is migrated once per session and each test gets a copy (a file copy
on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), which keeps hundreds of tests fast.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

import shotlog
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.store.database import Database, normalize_url
from shotlog.store.migrate import upgrade
from testdbs import Databases

# Property-based tests (Hypothesis) run a fixed budget of the same examples on every run: a seed
# derived from each test and no example database, so an outcome in CI never depends on the draw.
# A test's own settings (its max_examples) build on this profile; schemathesis's run (tests/rest/
# test_fuzz.py) has a fixed seed of its own.
hypothesis_settings.register_profile("shotlog", derandomize=True)
hypothesis_settings.load_profile("shotlog")

ADMIN_URL = os.environ.get("SHOTLOG_TEST_DATABASE_URL", "")
BACKEND = "postgresql" if ADMIN_URL.startswith("postgres") else "sqlite"
_TEMPLATE = f"shotlog_tpl_{os.getpid()}"


def pytest_report_header() -> str:
    return f"shotlog backend: {BACKEND}" + (f" ({ADMIN_URL})" if ADMIN_URL else "")


def _admin_engine() -> sa.Engine:
    return sa.create_engine(
        normalize_url(ADMIN_URL), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )


def _pg_url(name: str) -> str:
    return make_url(normalize_url(ADMIN_URL)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        db = Database(f"sqlite:///{path}")
        upgrade(db, events=TransactionEvents)
        db.dispose()  # closing the last connection folds the WAL into the file: a plain copy is complete
        yield str(path)
        return
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_TEMPLATE}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{_TEMPLATE}"')
    db = Database(_pg_url(_TEMPLATE))
    upgrade(db, events=TransactionEvents)
    db.dispose()
    yield _TEMPLATE
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_TEMPLATE}" WITH (FORCE)')
    admin.dispose()


@contextlib.contextmanager
def _pg_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A PostgreSQL database of this test's own (a copy of ``template``, else empty), then dropped."""
    name = f"shotlog_{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    yield _pg_url(name)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def db_url(template: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database for this test alone."""
    if BACKEND == "sqlite":
        path = tmp_path / "shotlog.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    with _pg_database("t", template) as url:
        yield url


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it (no migration has run on it), of the backend under test."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with _pg_database("e") as url:
        yield url


@pytest.fixture(scope="module")
def module_db(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database shared by a module's tests, for modules that start one server for all of them
    (a server per test would dominate the run)."""
    dbs = Databases(template, tmp_path_factory.mktemp("db"))
    yield dbs.new()
    dbs.drop_all()


@pytest.fixture
def sg(db_url: str) -> Iterator[shotlog.Shotlog]:
    conn = shotlog.connect(db_url)
    yield conn
    conn.close()


@pytest.fixture
def project(sg: shotlog.Shotlog) -> dict[str, object]:
    return sg.create("Project", {"name": "Demo"})
