"""What `shotlog serve` prints at start never carries the database's password (it may go to a log)."""

from __future__ import annotations

from pathlib import Path

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
