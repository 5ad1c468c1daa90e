"""A database upgraded by a newer shotlog is refused at start, naming both revisions, and left as it is.

After an upgrade goes wrong, an operator may start the old release again on the upgraded database:
it must not run on tables whose meaning it does not know (it would misread them, or write rows the
new code does not expect), and it must not touch them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import shotlog
from shotlog.cli import main
from shotlog.store.database import Database
from shotlog.store.migrate import NewerSchema, head_revision
from testdbs import start_serve

FUTURE = "0999_from_a_later_release"


def _from_the_future(db_url: str) -> int:
    """Stamp the database with a revision no migration of ours has; returns its event count."""
    with shotlog.connect(db_url) as sg:
        sg.create("Project", {"name": "Feature"})
    db = Database(db_url)
    with db.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    with db.read() as conn:
        events = int(conn.execute(sa.text("SELECT count(*) FROM event_log_entries")).scalar_one())
    db.dispose()
    return events


def _state(db_url: str) -> tuple[str, int]:
    db = Database(db_url)
    with db.read() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        events = int(conn.execute(sa.text("SELECT count(*) FROM event_log_entries")).scalar_one())
    db.dispose()
    return str(version), events


@pytest.mark.parametrize("migrate", [True, False])
def test_connect_refuses_a_newer_schema_naming_both_revisions(db_url: str, migrate: bool) -> None:
    events = _from_the_future(db_url)
    with pytest.raises(NewerSchema) as refused:
        shotlog.connect(db_url, migrate=migrate)
    message = str(refused.value)
    assert FUTURE in message and repr(head_revision()) in message
    assert "later shotlog release" in message
    assert _state(db_url) == (FUTURE, events)


def test_db_upgrade_refuses_a_newer_schema(db_url: str) -> None:
    events = _from_the_future(db_url)
    result = CliRunner().invoke(main, ["db", "upgrade", "--database", db_url])
    assert result.exit_code == 1
    assert FUTURE in result.output and "Traceback" not in result.output
    assert _state(db_url) == (FUTURE, events)
    result = CliRunner().invoke(main, ["db", "current", "--database", db_url])
    assert f"{FUTURE}: newer than this shotlog" in result.output


def test_serve_refuses_to_start_on_a_newer_schema(db_url: str, tmp_path: Path) -> None:
    events = _from_the_future(db_url)
    process, _, log_path = start_serve(db_url, tmp_path, {})
    try:
        assert process.wait(60) == 1
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    log = log_path.read_text()
    assert FUTURE in log and repr(head_revision()) in log, log
    assert "Traceback" not in log, log
    assert _state(db_url) == (FUTURE, events)
