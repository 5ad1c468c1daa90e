"""The shotlog command, run as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

import shotlog
from shotlog.cli import main
from shotlog.store.migrate import head_revision
from testdbs import free_port


def test_db_upgrade_and_current(db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["db", "upgrade", "--database", db_url])
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output
    result = runner.invoke(main, ["db", "current", "--database", db_url])
    assert result.exit_code == 0
    assert result.output.strip() == f"{head_revision()}: up to date"


def test_events_list_json_filters_by_type_pattern(sg: shotlog.Shotlog, db_url: str) -> None:
    shot = sg.create("Shot", {"code": "sh010"})
    sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "events",
            "list",
            "--database",
            db_url,
            "--json",
            "--after",
            "0",
            "--type",
            "Shotgun_Shot_*",
            "--limit",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines()]
    assert {e["event_type"] for e in events} == {"Shotgun_Shot_New", "Shotgun_Shot_Change"}
    last = events[-1]
    assert last["attribute_name"] == "sg_status_list"
    assert last["meta"]["old_value"] == "wtg" and last["meta"]["new_value"] == "ip"
    assert last["created_at"].endswith("Z")


def test_events_list_finds_a_pattern_behind_many_newer_events(sg: shotlog.Shotlog, db_url: str) -> None:
    """Without --after, a shell pattern is matched however far back its newest events are."""
    project = sg.create("Project", {"name": "Pattern"})
    sg.batch(
        [{"request_type": "create", "entity_type": "Asset", "data": {"code": f"a{i}"}} for i in range(300)]
    )
    result = CliRunner().invoke(
        main,
        ["events", "list", "--database", db_url, "--json", "--type", "Shotgun_Project_*", "--limit", "3"],
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines()]
    assert events and all(e["event_type"].startswith("Shotgun_Project_") for e in events)
    assert any(e["entity"] and e["entity"]["id"] == project["id"] for e in events)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)  # newest last


def test_events_list_json_keys_keep_their_order(sg: shotlog.Shotlog, db_url: str) -> None:
    sg.create("Shot", {"code": "sh020"})
    result = CliRunner().invoke(main, ["events", "list", "--database", db_url, "--json", "--limit", "1"])
    assert result.exit_code == 0, result.output
    keys = list(json.loads(result.output.splitlines()[-1]))
    assert keys[:4] == ["type", "id", "event_type", "description"]
    assert keys[-2:] == ["created_at", "session_uuid"]


def test_events_list_table_shows_newest_last(sg: shotlog.Shotlog, db_url: str) -> None:
    sg.create("Asset", {"code": "hero"})
    result = CliRunner().invoke(
        main, ["events", "list", "--database", db_url, "--limit", "2"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0
    assert "Shotgun_Asset_Change" in result.output


def test_schema_fields_unknown_type_is_a_clean_error(db_url: str) -> None:
    result = CliRunner().invoke(main, ["schema", "fields", "--database", db_url, "Nope"])
    assert result.exit_code == 1
    assert "Unknown entity type 'Nope'" in result.output
    assert "Traceback" not in result.output


def test_bad_database_url_is_a_clean_error() -> None:
    result = CliRunner().invoke(main, ["db", "current", "--database", "mysql://x/y"])
    assert result.exit_code == 1
    assert "Unsupported database URL" in result.output


def test_serve_starts_on_a_fresh_database_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "fresh.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "shotlog", "serve", "--database", f"sqlite:///{db}", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert reply.status_code == 200
        body = reply.json()
        assert body["status"] == "ok" and body["backend"] == "sqlite"
        assert body["head_event_id"] > 0  # the database was created and seeded
    finally:
        proc.terminate()
        code = proc.wait(timeout=20)
    assert proc.stdout is not None
    with proc.stdout:
        output = proc.stdout.read().decode()
    # uvicorn finishes in-flight requests, then re-raises SIGTERM so the exit status tells how it stopped.
    assert code in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert db.exists()
