"""A stopping ``shotlog serve`` drains its idle keep-alive connections instead of closing them at once.

A proxy reuses idle upstream connections; one it picks as the server closes it carries a request
into a reset, which for a POST it must answer 502 (the request may have been applied). So after
SIGTERM the server refuses new connections but still answers a request on an idle one, with
``Connection: close``, and closes what is still idle only after ``SHOTLOG_SHUTDOWN_DRAIN_SECONDS``.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import time
from pathlib import Path

from sgserver import SCRIPT_KEY, SCRIPT_NAME

from testdbs import Databases, start_serve, stop_serve, wait_healthy


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def _call(conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
    body = json.dumps(
        {"method_name": "info", "params": [{"script_name": SCRIPT_NAME, "script_key": SCRIPT_KEY}]}
    )
    conn.request("POST", "/api3/json", body=body, headers={"content-type": "application/json"})
    reply = conn.getresponse()
    reply.read()
    return reply


def test_a_request_on_an_idle_connection_after_sigterm_is_answered_then_closed(
    template: str, tmp_path: Path
) -> None:
    dbs = Databases(template, tmp_path)
    env = {
        "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
        "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
        "SHOTLOG_SHUTDOWN_DRAIN_SECONDS": "30",
    }
    process, url, log = start_serve(dbs.new(), tmp_path, env)
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        wait_healthy(url, process, log)
        first = _call(conn)
        assert first.status == 200 and first.getheader("connection") is None  # kept alive
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while not _refused(port):  # the server has stopped accepting
            assert time.monotonic() < deadline, "the server still accepts connections"
            time.sleep(0.02)
        assert process.poll() is None, "the server exited instead of draining its idle connection"
        late = _call(conn)  # on the idle connection, as a proxy reusing it would
        assert late.status == 200
        assert late.getheader("connection") == "close"
        # answered and closed: the server has nothing left to wait for
        assert process.wait(30) in (0, -signal.SIGTERM)
    finally:
        conn.close()
        stop_serve(process)
        dbs.drop_all()
