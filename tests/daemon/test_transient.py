"""Which callback errors are retried with back-off before counting as failures; an unreachable site."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from xmlrpc.client import ProtocolError

import pytest

from shotlog.daemon.calls import is_transient
from testdbs import free_port


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (ConnectionAbortedError(103, "aborted"), True),
        # dropped mid-call: earlier calls of the callback may have changed data, so it is not run again
        (ConnectionResetError(104, "reset"), False),
        (BrokenPipeError(32, "broken pipe"), False),
        (TimeoutError("timed out"), True),
        (ProtocolError("http://x", 503, "Service Unavailable", {}), True),
        (ProtocolError("http://x", 429, "Too Many Requests", {}), True),
        (ProtocolError("http://x", 404, "Not Found", {}), False),
        (ValueError("a bug in the plugin"), False),
        (KeyError("code"), False),
        (FileNotFoundError(2, "missing"), False),
    ],
)
def test_transient_errors(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_an_unreachable_site_is_retried_and_reported_not_a_crash_loop(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    conf = tmp_path / "daemon.conf"
    port = free_port()  # nothing listens there
    conf.write_text(
        f"[daemon]\nlogPath = {tmp_path}\nconn_retry_sleep = 1\nmax_conn_retries = 2\n"
        f"[shotgun]\nserver = http://127.0.0.1:{port}\nname = s\nkey = k\n"
        f"[plugins]\npaths = {plugins}\n"
        f"[shotlog]\nsource = stream\nstate_url = sqlite:///{tmp_path / 'state.db'}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    with (tmp_path / "stdout.txt").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "shotlog", "daemon", "run", "--config", str(conf)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    log = tmp_path / "shotgunEventDaemon"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "sleeping 1 s" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.1)
    try:
        assert proc.poll() is None, (tmp_path / "stdout.txt").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    text = log.read_text()
    assert "WARNING - Reaching the event source failed" in text and "retry 1 in 0.5 s" in text
    assert "ERROR - Reaching the event source failed 2 times in a row" in text
    assert "Traceback" not in text
