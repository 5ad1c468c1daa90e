"""The archive schedule inside a real ``shotlog serve`` process."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import shotlog
from shotlog.archive import archived_through
from shotlog.archive.service import archive_service
from shotlog.store.tables import event_log_entries as ele
from testdbs import start_serve, stop_serve, wait_healthy


def test_serve_archives_on_its_schedule(db_url: str, tmp_path: Path) -> None:
    sg = shotlog.connect(db_url)
    project = sg.create("Project", {"name": "Scheduled"})
    sg.create("Shot", {"code": "old", "project": project})
    boundary = sg.head_event_id()
    sg.create("Shot", {"code": "new", "project": project})
    with sg.db.write() as conn:  # the first events are a year old
        conn.execute(sa.update(ele).where(ele.c.id <= boundary).values(created_at=dt.datetime(2025, 1, 1)))
    env = {"SHOTLOG_ARCHIVE_URL": str(tmp_path / "arch"), "SHOTLOG_ARCHIVE_INTERVAL": "0.5"}
    process, url, log = start_serve(db_url, tmp_path / "serve", env)
    try:
        wait_healthy(url, process, log)
        deadline = time.monotonic() + 60
        while archived_through(sg.db) != boundary:
            assert time.monotonic() < deadline, log.read_text()
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
    finally:
        stop_serve(process, 10)
    assert sg.find("EventLogEntry", [], ["id"], limit=1)[0]["id"] == boundary + 1
    assert list((tmp_path / "arch").rglob("*.jsonl.gz"))
    assert "Traceback" not in log.read_text()
    sg.close()


def test_no_schedule_without_a_destination_or_with_interval_zero(
    sg: shotlog.Shotlog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SHOTLOG_ARCHIVE_URL", raising=False)
    assert archive_service(sg) == []
    monkeypatch.setenv("SHOTLOG_ARCHIVE_URL", str(tmp_path))
    monkeypatch.setenv("SHOTLOG_ARCHIVE_INTERVAL", "0")
    assert archive_service(sg) == []
    monkeypatch.setenv("SHOTLOG_ARCHIVE_INTERVAL", "3600")
    (service,) = archive_service(sg)
    assert service.policy.interval == 3600 and service.first_delay == 60
    monkeypatch.setenv("SHOTLOG_ARCHIVE_LIVE_DAYS", "many")
    assert archive_service(sg) == []  # a bad setting is logged and leaves the server running
