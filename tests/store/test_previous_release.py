"""A database made by the previous release upgrades to today's head and reads back unchanged.

The fixtures in tests/fixtures/ were made by the code of release e4810c8 (migrations up to 0012)
with ``make_previous_release.py``: a SQLite file and a plain ``pg_dump`` of the same story, and
what that release read back from each. Today's code upgrades a copy to head, then every entity and
event that release wrote must read the same, and its webhook and delivery must still be there.
The test knows nothing of the migrations after 0012, only that upgrading reaches the head.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

import shotlog
from shotlog.store.database import normalize_url
from shotlog.store.migrate import current_revision, head_revision
from shotlog.webhooks.api import Webhooks
from testdbs import ADMIN_URL, BACKEND, admin_engine

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _plain(value: Any) -> Any:
    """As the fixture stored it: JSON, with dates and the like as their str()."""
    return json.loads(json.dumps(value, default=str))


@pytest.fixture
def previous_release_url(tmp_path: Path) -> Iterator[str]:
    """A database as the previous release left it, untouched by today's code."""
    if BACKEND == "sqlite":
        path = tmp_path / "previous.db"
        with gzip.open(FIXTURES / "previous_release.db.gz", "rb") as packed, path.open("wb") as raw:
            shutil.copyfileobj(packed, raw)
        yield f"sqlite:///{path}"
        return
    name = f"shotlog_prev_{uuid.uuid4().hex[:12]}"
    admin = admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(normalize_url(ADMIN_URL)).set(database=name)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    # psql, as an operator restores a plain dump (it holds psql's own commands: \restrict)
    subprocess.run(
        [
            "psql",
            "--quiet",
            "-v",
            "ON_ERROR_STOP=1",
            "--dbname",
            libpq,
            "-f",
            str(FIXTURES / "previous_release.sql"),
        ],
        check=True,
        capture_output=True,
    )
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_a_previous_release_database_upgrades_to_head_and_reads_back_unchanged(
    previous_release_url: str,
) -> None:
    expected = json.loads((FIXTURES / f"previous_release.{BACKEND}.json").read_text())
    old = shotlog.connect(previous_release_url, migrate=False)
    assert current_revision(old.db) == "0012"  # the fixture is what that release left
    old.close()

    with shotlog.connect(previous_release_url) as sg:  # what serve and every command do on start
        assert current_revision(sg.db) == head_revision()
        for entity_type, rows in expected["entities"].items():
            fields = sorted(rows["rows"][0]) if rows["rows"] else ["id"]  # the one Asset is retired
            now = sg.find(entity_type, [], fields, order=[{"field_name": "id", "direction": "asc"}])
            assert _plain(now) == rows["rows"], entity_type
            retired = sg.find(entity_type, [], ["id"], retired_only=True)
            assert sorted(r["id"] for r in retired) == rows["retired"], entity_type

        events = sg.find(
            "EventLogEntry",
            [["id", "less_than", expected["events"][-1]["id"] + 1]],
            sorted(set(expected["events"][0]) - {"type", "id"}),  # the fields the release read
            order=[{"field_name": "id", "direction": "asc"}],
        )
        assert _plain(events) == expected["events"]

        hooks, _ = Webhooks(sg).list_hooks()
        assert sorted(h["name"] for h in hooks) == expected["hooks"] == ["pipeline"]
        (pipeline,) = hooks
        delivered = Webhooks(sg).list_deliveries(pipeline["id"]).deliveries
        assert [d["status"] for d in delivered] == ["delivered"]
        assert delivered[0]["event_log_entry_id"] == max(
            e["id"] for e in expected["events"] if e["event_type"] == "Shotgun_Shot_Change"
        )

        # and it takes new writes after the old ids
        shot = sg.create("Shot", {"code": "sh040", "project": {"type": "Project", "id": 1}})
        assert shot["id"] > max(r["id"] for r in expected["entities"]["Shot"]["rows"])
