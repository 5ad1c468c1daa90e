"""``shotlog.demo.seed_demo`` into a real database: dated events, every role, thumbnails, an archive.

The demo needs a database of its own (a history cannot go in before events already logged), so
this module makes empty ones instead of copying the session's template, and loads the full demo
once for its tests; the two-run comparison loads the story's first month twice.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

import shotlog
from shotlog.archive import Archive, ArchivePolicy, live_floor
from shotlog.cli import main
from shotlog.demo import DEMO_PROJECT, DemoRefused, DemoReport, seed_demo
from shotlog.demo.story import plot
from shotlog.store.database import normalize_url
from testdbs import ADMIN_URL, BACKEND, admin_engine

NOW = dt.datetime(2026, 6, 30, 15, 20)
SRC = Path(__file__).resolve().parents[2] / "src" / "shotlog"


class EmptyDatabases:
    """New, unmigrated databases (the demo migrates them itself), dropped at the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.made: list[str] = []

    def new(self) -> str:
        if BACKEND == "sqlite":
            return f"sqlite:///{self.directory / f'demo_{uuid.uuid4().hex[:8]}.db'}"
        name = f"shotlog_demo_{uuid.uuid4().hex[:12]}"
        with admin_engine().connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return make_url(normalize_url(ADMIN_URL)).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.made:
            with admin_engine().connect() as conn:
                for name in self.made:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmptyDatabases, Path]]:
    directory = tmp_path_factory.mktemp("demo")
    dbs = EmptyDatabases(directory)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHOTLOG_FILES_URL", str(directory / "files"))  # for PostgreSQL: not ./shotlog-files
        mp.delenv("SHOTLOG_ARCHIVE_LIVE_DAYS", raising=False)
        yield dbs, directory
    dbs.drop_all()


@pytest.fixture(scope="module")
def demo(work: tuple[EmptyDatabases, Path]) -> Iterator[tuple[shotlog.Shotlog, DemoReport, str]]:
    dbs, directory = work
    url = dbs.new()
    archive_url = str(directory / "archive")
    report = seed_demo(url, seed=1, now=NOW, archive_url=archive_url)
    sg = shotlog.connect(url)
    yield sg, report, archive_url
    sg.close()


def _events(sg: shotlog.Shotlog, filters: list[Any] | None = None) -> list[dict[str, Any]]:
    return sg.find(
        "EventLogEntry",
        filters or [],
        ["event_type", "created_at", "description", "user", "attribute_name"],
        order=[{"field_name": "id", "direction": "asc"}],
    )


def test_the_report_and_the_log_span_nine_months(demo: tuple[shotlog.Shotlog, DemoReport, str]) -> None:
    sg, report, _ = demo
    assert report.created and report.project == DEMO_PROJECT
    assert report.first is not None and report.last is not None
    assert report.last - report.first > dt.timedelta(days=260)
    assert report.last < NOW
    live = _events(sg)
    assert len(live) + report.archived_events == report.events
    # the live log holds the last months, dated as they happened, oldest first
    stamps = [e["created_at"].replace(tzinfo=None) for e in live]
    assert stamps == sorted(stamps)
    assert stamps[-1] - stamps[0] > dt.timedelta(days=150)
    assert len({(s.year, s.month) for s in stamps}) >= 6


def test_events_are_dated_at_the_stories_beats(demo: tuple[shotlog.Shotlog, DemoReport, str]) -> None:
    sg, _, _ = demo
    beats = {b.at for b in plot(1, NOW)}
    stamps = {e["created_at"].replace(tzinfo=None) for e in _events(sg)}
    assert stamps <= beats  # every live event at the moment of a beat: nothing dated "now"
    assert len(stamps) > 1000


def test_many_kinds_of_events_and_every_role(demo: tuple[shotlog.Shotlog, DemoReport, str]) -> None:
    sg, _, _ = demo
    types = {e["event_type"] for e in _events(sg)}
    assert {
        "Shotgun_Task_Change",
        "Shotgun_Version_New",
        "Shotgun_Note_New",
        "Shotgun_Reply_New",
        "Shotgun_Playlist_New",
        "Shotgun_Attachment_New",
        "Toolkit_App_Startup",
        "Toolkit_Folders_Create",
    } <= types
    users = sg.find("HumanUser", [], ["login", "permission_rule_set", "sg_status_list"])
    roles = {u["permission_rule_set"]["name"] for u in users}  # links to the sets, named
    assert {"Admin", "Manager", "Artist", "Vendor", "Client"} <= roles
    assert any(u["sg_status_list"] == "dis" for u in users)  # someone left the studio
    authors = {(e["user"] or {}).get("name") for e in _events(sg, [["event_type", "is", "Shotgun_Note_New"]])}
    assert {"Tom Brandt", "Rita Vance"} <= authors
    assert sg.find("Project", [["archived", "is", True]], ["name"])[0]["name"] == "Demo: Saltwater"
    assert sg.find("Shot", [["code", "is", "LH_020_0050"]], retired_only=True)


def test_statuses_reach_final_and_work_goes_on(demo: tuple[shotlog.Shotlog, DemoReport, str]) -> None:
    sg, _, _ = demo
    statuses = {t["sg_status_list"] for t in sg.find("Task", [], ["sg_status_list"])}
    assert {"fin", "wtg"} <= statuses and statuses & {"ip", "rev"}
    assert sg.find("Shot", [["sg_status_list", "is", "fin"]])
    approved = sg.find("Version", [["sg_status_list", "is", "apr"]], ["created_at"])
    assert approved


def test_versions_have_thumbnails_through_the_files_service(
    demo: tuple[shotlog.Shotlog, DemoReport, str],
) -> None:
    sg, _, _ = demo
    with_image = sg.find("Version", [["image", "is_not", None]], ["code", "image"])
    assert len(with_image) > 20
    assert all(re.search(r"_(cmp|srf)_v\d{3}$", v["code"]) for v in with_image)
    assert sg.find("Shot", [["image", "is_not", None]])  # an approved comp's image shared to its shot
    images = _events(sg, [["event_type", "is", "Shotgun_Version_Change"], ["attribute_name", "is", "image"]])
    assert images  # the event rows a thumbnail shows on


def test_the_oldest_months_are_archived(demo: tuple[shotlog.Shotlog, DemoReport, str]) -> None:
    sg, report, archive_url = demo
    archive = Archive(sg, ArchivePolicy(url=archive_url))
    segments = archive.segments()
    assert len(segments) >= 2 and [s.key for s in segments] == list(report.segments)
    assert sum(s.event_count for s in segments) == report.archived_events > 1000
    assert all(s.state == "done" for s in segments)
    cutoff = NOW - dt.timedelta(days=ArchivePolicy().live_days)
    assert max(s.last_at for s in segments if s.last_at) < cutoff
    assert live_floor(sg.db) == segments[-1].last_id + 1
    assert all((Path(archive_url) / s.key).is_file() for s in segments)


def test_a_second_run_finds_the_demo(demo: tuple[shotlog.Shotlog, DemoReport, str]) -> None:
    sg, _, archive_url = demo
    head = _events(sg)[-1]["id"]
    again = seed_demo(sg.db.url, now=NOW, archive_url=archive_url)
    assert not again.created and "already there" in again.summary()
    assert _events(sg)[-1]["id"] == head


def test_the_same_seed_writes_the_same_events(work: tuple[EmptyDatabases, Path]) -> None:
    """Twice the story's first month (thumbnails included) into two new databases: the same log.
    (That another seed tells another story is shown on the story itself, without a database.)"""
    dbs, _ = work
    runs = []
    for _ in range(2):
        url = dbs.new()
        seed_demo(url, seed=5, now=NOW, days=30)
        with shotlog.connect(url) as sg:
            runs.append(_events(sg))
    assert len(runs[0]) > 300
    assert {e["event_type"] for e in runs[0]} >= {"Shotgun_Version_Change", "Toolkit_App_Startup"}
    assert runs[0] == runs[1]


def test_a_database_with_newer_events_is_refused(db_url: str) -> None:
    # the session's template was migrated today: its seed events are newer than the story's start
    with pytest.raises(DemoRefused, match="load the demo into a new database"):
        seed_demo(db_url, now=NOW, days=30)
    with shotlog.connect(db_url) as sg:
        assert sg.find_one("Project", [["name", "is", DEMO_PROJECT]]) is None


def test_only_the_demo_dates_writes() -> None:
    """``write_clock`` is for loading a history: no other module (the server's least of all) sets it."""
    setters = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.keyword) and node.arg == "write_clock"
    )
    assert setters == ["demo/__init__.py"]


def test_serve_demo_stops_before_serving_a_database_with_newer_events(db_url: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--database", db_url, "--port", "0", "--demo"])
    assert result.exit_code == 1
    assert "load the demo into a new database" in result.output
    assert "shotlog on" not in result.output  # the server never started
