"""What `shotlog serve` prints at start never carries the database's password (it may go to a log),
and with SHOTLOG_LOG_FORMAT=json every line it writes, from the first, is a JSON object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from tests.testdbs import start_serve, stop_serve, wait_healthy

PASSWORD = "not-for-the-journal-7f3a"


def test_the_start_line_names_the_database_without_its_password(db_url: str, tmp_path: Path) -> None:
    url = make_url(db_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a SQLite URL has no password to hide")
    # the test server trusts local connections, so the password is accepted and ignored
    with_password = url.set(password=PASSWORD).render_as_string(hide_password=False)
    process, base, log_path = start_serve(with_password, tmp_path, {})
    try:
        wait_healthy(base, process, log_path)
    finally:
        stop_serve(process)
    log = log_path.read_text(errors="replace")
    # Rich wraps the start line at the terminal's width: read it as one line
    start = log[log.index("shotlog on") :].replace("\n", "")
    assert url.database is not None and url.database in start
    assert "postgres:***@" in start
    assert PASSWORD not in log


def _json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of the log as JSON (a line that is not one fails the test)."""
    lines = []
    for line in text.splitlines():
        if line.strip():
            try:
                lines.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"not a JSON line: {line!r}\n{text}") from None
    return lines


def test_with_json_logs_every_line_serve_writes_is_json(db_url: str, tmp_path: Path) -> None:
    # no script or admin named: a fresh database's note about the ones it was given is logged too
    env = {"SHOTLOG_LOG_FORMAT": "json"}
    process, base, log_path = start_serve(db_url, tmp_path, env)
    try:
        wait_healthy(base, process, log_path)
        httpx.get(f"{base}/api3/json")  # any answer: its request line is logged
    finally:
        stop_serve(process)
    records = _json_lines(log_path.read_text(errors="replace"))
    started = [
        r for r in records if r["logger"] == "shotlog.serve" and r["message"].startswith("shotlog on ")
    ]
    assert len(started) == 1, records
    assert started[0]["message"].startswith(f"shotlog on {base} with ")
    assert started[0]["level"] == "INFO" and started[0]["time"].endswith("Z")
    assert any(r["logger"] == "shotlog.request" for r in records), records


def test_with_json_logs_a_failed_start_is_a_json_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    # a script name without its key: refused once the database is open, before the start line
    env.update(SHOTLOG_LOG_FORMAT="json", SHOTLOG_SCRIPT_NAME="only_a_name")
    done = subprocess.run(
        [sys.executable, "-m", "shotlog", "serve", "--database", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 1, done.stderr
    (record,) = _json_lines(done.stdout + done.stderr)
    assert record["level"] == "ERROR" and record["logger"] == "shotlog.serve"
    assert "SHOTLOG_SCRIPT_NAME and SHOTLOG_SCRIPT_KEY" in record["message"], record
