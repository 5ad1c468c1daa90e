"""Connections as long-lived clients hold them: idle gaps, a server restart over HTTPS, the idle bound.

shotgun_api3 keeps one keep-alive connection per ``Shotgun`` object and does not retry a call whose
connection the server closed while the client was idle (over plain HTTP). Every test here uses the
client exactly as a pipeline script does: created once, idle between calls.
"""

from __future__ import annotations

import http.client
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import shotgun_api3
import trustme
from click.testing import CliRunner
from sgserver import SCRIPT_KEY, SCRIPT_NAME, Server

from shotlog.cli import main
from shotlog.server.listener import ListenerSettings, longest_idle
from testdbs import BACKEND, Databases, free_port, start_serve, stop_serve, wait_healthy


@pytest.mark.skipif(
    BACKEND == "postgresql",
    reason="keep-alive is the HTTP listener's alone, whatever the database: the 66 s wait runs on SQLite",
)
def test_a_client_idle_past_the_old_timeouts_keeps_working(server: Server) -> None:
    """6 s is past uvicorn's default of 5 s; 66 s past the 60-65 s many proxies and servers use."""
    early = server.client()
    late = server.client()
    project = early.create("Project", {"name": f"idle-{uuid.uuid4().hex[:8]}"})
    assert late.find_one("Project", [["id", "is", project["id"]]], ["name"])["name"] == project["name"]

    time.sleep(6)
    renamed = f"{project['name']}-6s"
    assert early.update("Project", project["id"], {"name": renamed})["name"] == renamed

    time.sleep(60)
    assert late.find_one("Project", [["id", "is", project["id"]]], ["name"])["name"] == renamed
    assert early.find_one("Project", [["id", "is", project["id"]]], ["id"]) is not None


@dataclass
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A private CA and a certificate it signed for 127.0.0.1, as a studio's own CA would issue."""
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    files = TlsFiles(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    ca.cert_pem.write_to_path(str(files.ca))
    issued.private_key_pem.write_to_path(str(files.key))
    for i, pem in enumerate(issued.cert_chain_pems):
        pem.write_to_path(str(files.cert), append=i > 0)
    return files


@pytest.fixture
def fresh_db(databases: Databases) -> str:
    return databases.new()


@contextmanager
def _serving(db_url: str, directory: Path, env: dict[str, str], port: int, ca: Path) -> Iterator[str]:
    process, url, log_path = start_serve(db_url, directory, env, port=port)
    try:
        wait_healthy(url, process, log_path, ca_file=ca)
        yield url
    finally:
        stop_serve(process)


def test_a_client_over_https_survives_a_server_restart(tls: TlsFiles, fresh_db: str, tmp_path: Path) -> None:
    env = {
        "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
        "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
        "SHOTLOG_TLS_CERT": str(tls.cert),
        "SHOTLOG_TLS_KEY": str(tls.key),
    }
    port = free_port()
    with _serving(fresh_db, tmp_path / "first", env, port, tls.ca) as url:
        assert url.startswith("https://")
        sg = shotgun_api3.Shotgun(url, script_name=SCRIPT_NAME, api_key=SCRIPT_KEY, ca_certs=str(tls.ca))
        project = sg.create("Project", {"name": "before the restart"})
    # stopped (SIGTERM): the server closed the client's idle connection on its way out
    try:
        with _serving(fresh_db, tmp_path / "second", env, port, tls.ca):
            found = sg.find_one("Project", [["id", "is", project["id"]]], ["name"])
            assert found is not None and found["name"] == "before the restart"
            assert sg.update("Project", project["id"], {"name": "after"})["name"] == "after"
    finally:
        sg.close()


def _keep_alive_request(conn: http.client.HTTPConnection) -> None:
    conn.request("GET", "/healthz")
    reply = conn.getresponse()
    reply.read()
    assert reply.status == 200 and not reply.will_close


def _closed_by_server(conn: http.client.HTTPConnection, within: float = 10.0) -> bool:
    """True once the server's FIN is readable on the connection's socket (a positive signal)."""
    sock = conn.sock
    assert sock is not None
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False


def test_idle_connections_past_the_bound_close_the_longest_idle_first(start_server: object) -> None:
    server: Server = start_server(env={"SHOTLOG_MAX_IDLE_CONNECTIONS": "2"})  # type: ignore[operator]
    host, port = server.url.removeprefix("http://").split(":")
    conns = [http.client.HTTPConnection(host, int(port), timeout=10) for _ in range(3)]
    try:
        for conn in conns:  # one after the other: conns[0] has been idle the longest
            _keep_alive_request(conn)
        assert _closed_by_server(conns[0])
        for conn in conns[1:]:  # the two newest stay open and serve another request on the same socket
            sock = conn.sock
            _keep_alive_request(conn)
            assert conn.sock is sock
        assert "closing a keep-alive connection idle for" in server.log()
    finally:
        for conn in conns:
            conn.close()


@dataclass
class _Conn:
    name: str
    idle_since: float | None


@pytest.mark.parametrize(
    ("idle", "limit", "closed"),
    [
        ({"a": 1.0, "b": 2.0}, 2, []),
        ({"a": 1.0, "b": 2.0, "c": 3.0}, 2, ["a"]),
        ({"a": 3.0, "b": 1.0, "c": 2.0, "d": 4.0}, 1, ["b", "c", "a"]),
        ({"busy": None, "a": 5.0, "b": 6.0}, 1, ["a"]),  # a connection serving a request is never chosen
        ({"busy": None, "other": None}, 1, []),
    ],
)
def test_longest_idle_is_chosen_first(idle: dict[str, float | None], limit: int, closed: list[str]) -> None:
    conns = [_Conn(name, since) for name, since in idle.items()]
    assert sorted(c.name for c in longest_idle(conns, limit)) == sorted(closed)
    chosen = longest_idle(conns, limit)
    assert [c.name for c in chosen] == sorted(closed, key=lambda n: idle[n] or 0.0)


def test_listener_settings_refuse_half_a_tls_pair_and_nonsense(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not checked here")
    with pytest.raises(ValueError, match="needs both a certificate"):
        ListenerSettings("127.0.0.1", 8000, tls_cert=cert)
    with pytest.raises(ValueError, match="no such file"):
        ListenerSettings("127.0.0.1", 8000, tls_cert=cert, tls_key=tmp_path / "missing.pem")
    with pytest.raises(ValueError, match="keep-alive"):
        ListenerSettings("127.0.0.1", 8000, keepalive_seconds=0)
    with pytest.raises(ValueError, match="idle connection bound"):
        ListenerSettings("127.0.0.1", 8000, max_idle_connections=0)


def test_serve_refuses_a_certificate_without_its_key(tls: TlsFiles, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["serve", "--database", f"sqlite:///{tmp_path / 'x.db'}", "--tls-cert", str(tls.cert)]
    )
    assert result.exit_code != 0
    assert "HTTPS needs both a certificate (--tls-cert) and its key (--tls-key)" in result.output
    assert not (tmp_path / "x.db").exists()
