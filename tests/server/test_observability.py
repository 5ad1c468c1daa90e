"""Metrics, readiness and the request log of a real ``shotlog serve`` (issue 21, items 2 and 3).

Each test runs against a server process of its own module on a fresh database, with the real
shotgun_api3 client and plain HTTP: ``/metrics`` behind its bearer token or on its own address,
``/readyz`` while the database answers and while it does not, and the JSON log lines with their
request ids, which must never hold a credential the sessions used.
"""

from __future__ import annotations

import json
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import shotgun_api3
import sqlalchemy as sa
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sgserver import Server
from sqlalchemy.engine import make_url

from shotlog.cli import main
from shotlog.clock import utcnow
from shotlog.store import mirrors
from shotlog.store.database import Database
from testdbs import BACKEND, admin_engine, free_port
from waiting import wait_for

TOKEN = "metrics-" + uuid.uuid4().hex
PASSWORD = "a long passphrase nobody logs " + uuid.uuid4().hex[:8]


def scrape(
    server: Server, token: str = TOKEN, url: str | None = None
) -> dict[tuple[str, tuple[Any, ...]], float]:
    """Every sample of one scrape, by name and sorted labels."""
    reply = httpx.get(
        f"{url or server.url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[tuple[str, tuple[Any, ...]], float] = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[Any, ...]], float], metric: str, /, **labels: str) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


def json_lines(text: str) -> list[dict[str, Any]]:
    """The log's JSON lines (a line that is not one fails: every line must be JSON)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("{"):
            assert not line.strip(), f"not a JSON line: {line!r}"
            continue
        lines.append(json.loads(line))
    return lines


@dataclass
class Servers:
    """The module's three servers, each on a database of its own.

    * ``observed``: metrics need ``TOKEN``, the log is JSON lines;
    * ``fragile``: no metrics, a JSON log, a database a test makes unreachable;
    * ``own_address``: metrics on a listener of their own at ``metrics_port``, the default (text) log.
    """

    observed: Server
    fragile: Server
    own_address: Server
    metrics_port: int


@pytest.fixture(scope="module")
def servers(start_server: Any) -> Servers:
    """The three servers, started together (a start is mostly waiting for the machine); each test
    waits until its own answers."""
    port = free_port()
    observed = {
        "SHOTLOG_METRICS_TOKEN": TOKEN,
        "SHOTLOG_LOG_FORMAT": "json",
        "SHOTLOG_WEBHOOKS_ALLOW_PRIVATE": "1",
        "SHOTLOG_WEBHOOKS_RETRY_SCALE": "0.01",
    }
    return Servers(
        observed=start_server(env=observed, wait=False),
        fragile=start_server(env={"SHOTLOG_LOG_FORMAT": "json", "SHOTLOG_WEBHOOKS": "0"}, wait=False),
        own_address=start_server(env={"SHOTLOG_METRICS_ADDRESS": f"127.0.0.1:{port}"}, wait=False),
        metrics_port=port,
    )


@pytest.fixture(scope="module")
def observed(servers: Servers) -> Server:
    """A server whose metrics need ``TOKEN`` and whose log is JSON lines."""
    servers.observed.wait_healthy()
    return servers.observed


def test_a_scrape_without_the_right_token_is_refused(observed: Server) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        reply = httpx.get(f"{observed.url}/metrics", headers=headers, timeout=30)
        assert reply.status_code == 401, reply.text
        assert reply.headers["www-authenticate"] == "Bearer"
        (error,) = reply.json()["errors"]
        assert error["status"] == 401 and "bearer token" in error["title"].lower()
        assert "shotlog_" not in reply.text
    assert value(scrape(observed), "shotlog_database_up") == 1


def test_api3_calls_are_counted_by_method_and_outcome(observed: Server) -> None:
    sg = observed.client()
    sg.find("Project", [], ["name"])  # the client's first call asks for info too
    before = scrape(observed)
    project = sg.create("Project", {"name": f"metrics-{uuid.uuid4().hex[:8]}"})
    for _ in range(3):
        sg.find("Project", [["id", "is", project["id"]]], ["name"])
    with pytest.raises(shotgun_api3.Fault):
        sg.find("NoSuchType", [], [])
    wrong = observed.client(script_name=observed.script_name, api_key="not-the-key")
    with pytest.raises(shotgun_api3.AuthenticationFault):
        wrong.find("Project", [], [])
    after = scrape(observed)

    def delta(metric: str, /, **labels: str) -> float:
        return value(after, metric, **labels) - value(before, metric, **labels)

    assert delta("shotlog_api3_calls_total", method="read", outcome="ok") == 3
    assert delta("shotlog_api3_calls_total", method="create", outcome="ok") == 1
    assert delta("shotlog_api3_calls_total", method="read", outcome="fault") == 1
    assert delta("shotlog_api3_calls_total", method="read", outcome="auth_failed") >= 1
    assert delta("shotlog_api3_call_duration_seconds_count", method="read") >= 5
    assert delta("shotlog_write_commits_total") >= 1
    assert delta("shotlog_write_group_size_count") >= 1
    requests = delta("shotlog_http_requests_total", interface="api3", method="POST", status="200")
    calls = sum(
        n - before.get(key, 0.0)
        for key, n in after.items()
        if key[0] == "shotlog_api3_call_duration_seconds_count"
    )
    assert requests == calls == 7  # with the second client's info call
    assert (
        value(after, "shotlog_event_log_head_event_id")
        == sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])["id"]
    )


def test_a_stalled_hook_shows_its_backlog_and_lag(observed: Server) -> None:
    grant = {"grant_type": "client_credentials", "client_id": observed.script_name}
    reply = httpx.post(
        f"{observed.url}/api/v1/auth/access_token",
        data={**grant, "client_secret": observed.script_key},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    bearer = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    name = f"stalled-{uuid.uuid4().hex[:8]}"
    # port 9 refuses every connection: each attempt fails and the delivery stays pending
    made = httpx.post(
        f"{observed.url}/api/v1/webhook/hooks",
        json={"name": name, "url": "http://127.0.0.1:9/", "entity_types": {"Shot": {"create": []}}},
        headers=bearer,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    hook = made.json()["data"]["id"]
    sg = observed.client()
    project = sg.create("Project", {"name": name})
    sg.create("Shot", {"code": "sh010", "project": project})

    def backlog() -> dict[tuple[str, tuple[Any, ...]], float] | None:
        samples = scrape(observed)
        pending = value(samples, "shotlog_webhook_deliveries", hook=hook, name=name, state="pending")
        lag = value(samples, "shotlog_webhook_lag_seconds", hook=hook, name=name)
        return samples if pending >= 1 and lag > 0 else None

    samples = wait_for(backlog, "the hook's pending delivery in the metrics")
    assert value(samples, "shotlog_webhook_delivered_total", hook=hook, name=name) == 0
    statuses = [
        value(samples, "shotlog_webhook_status", hook=hook, name=name, status=s)
        for s in ("active", "unstable")
    ]
    assert sum(statuses) == 1
    assert value(samples, "shotlog_webhook_dispatch_lag_events") >= 0
    assert TOKEN not in observed.log()


def test_every_line_a_request_caused_has_its_id_and_no_secret_is_logged(observed: Server) -> None:
    mark = observed.log_mark()
    sent_id = f"test-{uuid.uuid4().hex}"
    reply = httpx.get(f"{observed.url}/healthz", headers={"X-Request-Id": sent_id}, timeout=30)
    assert reply.headers["x-request-id"] == sent_id
    forged = 'x" 200 OK\nINFO forged'
    reply = httpx.get(
        f"{observed.url}/healthz", headers={"X-Request-Id": forged.replace("\n", " ")}, timeout=30
    )
    made_id = reply.headers["x-request-id"]
    assert made_id != forged and len(made_id) == 16

    # real sessions, each with a credential of its own kind
    script = observed.client()
    login = f"observer-{uuid.uuid4().hex[:8]}"
    script.create(
        "HumanUser",
        {
            "login": login,
            "firstname": "O",
            "lastname": "B",
            "password_proxy": PASSWORD,
            "sg_status_list": "act",
        },
    )
    person = observed.client(login=login, password=PASSWORD)
    person.find("Project", [], ["name"])
    session_token = person.get_session_token()
    by_token = observed.client(session_token=session_token)
    by_token.find("Project", [], ["name"])
    with pytest.raises(shotgun_api3.AuthenticationFault):
        observed.client(login=login, password=PASSWORD + "-wrong").find("Project", [], [])
    grant = httpx.post(
        f"{observed.url}/api/v1/auth/access_token",
        data={"grant_type": "password", "username": login, "password": PASSWORD},
        timeout=30,
    )
    assert grant.status_code == 200, grant.text
    access_token = grant.json()["access_token"]
    listed = httpx.get(
        f"{observed.url}/api/v1/entity/projects",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=30,
    )
    assert listed.status_code == 200, listed.text
    scrape(observed)
    marker = f"marker-{uuid.uuid4().hex}"
    httpx.get(f"{observed.url}/healthz", headers={"X-Request-Id": marker}, timeout=30)

    def logged() -> list[dict[str, Any]] | None:
        lines = json_lines(observed.log_since(mark))
        return lines if any(line.get("request_id") == marker for line in lines) else None

    lines = wait_for(logged, "the marker request's line")
    text = observed.log_since(mark)
    for secret in (observed.script_key, PASSWORD, session_token, access_token, TOKEN):
        assert secret not in text, f"a credential reached the log: {secret[:6]}…"
    assert "INFO forged" not in text

    requests = [line for line in lines if line["logger"] == "shotlog.request"]
    assert [line["target"] for line in requests if line["request_id"] == sent_id] == ["/healthz"]
    assert any(line["request_id"] == made_id for line in requests)
    for line in requests:
        assert len(line["request_id"]) >= 16 and line["status"] in (200, 201)
    api3 = [line for line in requests if line["target"] == "/api3/json"]
    assert {line.get("api3_method") for line in api3} >= {"create", "read", "get_session_token"}
    assert any(line.get("api3_outcome") == "auth_failed" for line in api3)
    ids = [line["request_id"] for line in requests]
    assert len(ids) == len(set(ids)), "each request has a line of its own, with an id of its own"


@pytest.fixture
def fragile(
    servers: Servers,
) -> Iterator[tuple[Server, Callable[[], None], Callable[[], None]]]:
    """A server on a database of its own, with a way to make that database unreachable and back."""
    server = servers.fragile
    server.wait_healthy()
    url = make_url(server.db_url)
    if BACKEND == "postgresql":
        name = url.database

        def cut() -> None:
            with admin_engine().connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                conn.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                    {"n": name},
                )

        def mend() -> None:
            with admin_engine().connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    else:
        path = str(url.database)

        def cut() -> None:
            # SQLite has no server to lose: the file turning unreadable is the nearest failure
            for part in (path, f"{path}-wal", f"{path}-shm"):
                try:
                    with open(part, "r+b") as fh:
                        size = fh.seek(0, 2)
                        fh.seek(0)
                        fh.write(b"garbage!" * (size // 8 + 1))
                except FileNotFoundError:
                    pass

        def mend() -> None:
            pass

    try:
        yield server, cut, mend
    finally:
        mend()
        server.stop()


def test_readyz_answers_503_naming_the_database_while_it_is_unreachable(
    fragile: tuple[Server, Callable[[], None], Callable[[], None]],
) -> None:
    server, cut, mend = fragile
    # without a token or an address of their own, metrics are off
    reply = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer anything"}, timeout=30)
    assert reply.status_code == 404
    title = reply.json()["errors"][0]["title"]
    assert "SHOTLOG_METRICS_TOKEN" in title and "SHOTLOG_METRICS_ADDRESS" in title
    ready = httpx.get(f"{server.url}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready" and ready.json()["checks"]["database"]["head_event_id"] >= 0
    sg = server.client()
    sg.find("Project", [], [])
    mark = server.log_mark()
    cut()
    probe_id = f"probe-{uuid.uuid4().hex}"
    down = httpx.get(f"{server.url}/readyz", headers={"X-Request-Id": probe_id}, timeout=30)
    assert down.status_code == 503, down.text
    body = down.json()
    assert body["status"] == "unavailable" and body["failed"] == ["database"]
    error = body["checks"]["database"]["error"]
    assert "database" in error and "ref " in error
    assert "SELECT" not in down.text and "Traceback" not in down.text
    with pytest.raises(shotgun_api3.Fault) as fault:
        sg.find("Project", [], [])
    api3_ref = str(fault.value).split("ref ")[1].split(")")[0]
    probe_ref = error.split("ref ")[1].split(")")[0]

    def both_logged() -> list[dict[str, Any]] | None:
        lines = json_lines(server.log_since(mark))
        found = [
            line
            for line in lines
            if f"ref {probe_ref}" in line["message"] or f"ref {api3_ref}" in line["message"]
        ]
        return lines if len(found) >= 2 else None

    lines = wait_for(both_logged, "the failures' log lines")
    (probe_failure,) = [line for line in lines if f"ref {probe_ref}" in line["message"]]
    assert probe_failure["request_id"] == probe_id  # logged on the probe's own request
    # the api3 call failed in a worker thread: its line carries the id of that call's request
    (api3_failure,) = [line for line in lines if f"ref {api3_ref}" in line["message"]]
    (api3_line,) = [
        line
        for line in lines
        if line["logger"] == "shotlog.request" and line.get("request_id") == api3_failure.get("request_id")
    ]
    assert api3_line["target"] == "/api3/json" and api3_line["api3_outcome"] == "internal_error"
    if BACKEND == "postgresql":
        mend()
        wait_for(lambda: httpx.get(f"{server.url}/readyz", timeout=30).status_code == 200, "readiness again")


def test_metrics_on_an_address_of_their_own(servers: Servers) -> None:
    server = servers.own_address
    url, log_path, db_url = server.url, server.log_path, server.db_url
    try:
        server.wait_healthy()  # the metrics listener starts before the application
        metrics_url = f"http://127.0.0.1:{servers.metrics_port}"
        samples = _scrape_open(metrics_url)
        assert samples is not None
        assert "shotlog_database_up 1.0" in samples
        marker = f"plain-{uuid.uuid4().hex}"
        ready = httpx.get(f"{metrics_url}/readyz", headers={"X-Request-Id": marker}, timeout=30)
        assert ready.json()["status"] == "ready"
        # the default log is text lines, with the request's id in brackets
        line = wait_for(
            lambda: next((ln for ln in log_path.read_text().splitlines() if marker in ln), None),
            "the request's text line",
        )
        assert f"INFO shotlog.request [{marker}] 127.0.0.1:" in line
        assert '"GET /readyz HTTP/1.1" 200 OK' in line
        elsewhere = httpx.get(f"{url}/metrics", timeout=30)
        assert elsewhere.status_code == 404
        assert "SHOTLOG_METRICS_ADDRESS" in elsewhere.json()["errors"][0]["title"]
        assert httpx.get(f"{metrics_url}/api3/json", timeout=30).status_code == 404
        assert "shotlog_mirror_lag_events" not in samples  # this database mirrors no site
        # the database becomes a mirror, 5 events behind its site
        db = Database(db_url)
        try:
            with db.write() as conn:
                mirrors.start_state(conn, "https://studio.example", 40, utcnow())
                mirrors.save_progress(
                    conn,
                    cursor=40,
                    holes={},
                    counts={},
                    site_head=(45, utcnow()),
                    now=utcnow(),
                    mirrored=True,
                )
        finally:
            db.dispose()
        mirrored = _scrape_open(metrics_url) or ""
        assert 'shotlog_mirror_lag_events{site="https://studio.example"} 5.0' in mirrored
        assert 'shotlog_mirror_last_event_id{site="https://studio.example"} 40.0' in mirrored
    finally:
        server.stop()
    assert "Traceback" not in log_path.read_text()


def _scrape_open(url: str) -> str | None:
    try:
        reply = httpx.get(f"{url}/metrics", timeout=5)
    except httpx.TransportError:
        return None
    return reply.text if reply.status_code == 200 else None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SHOTLOG_METRICS_ADDRESS": "9464"}, "SHOTLOG_METRICS_ADDRESS"),
        ({"SHOTLOG_LOG_FORMAT": "xml"}, "SHOTLOG_LOG_FORMAT"),
    ],
)
def test_a_bad_setting_stops_serve_naming_it(tmp_path: Any, env: dict[str, str], named: str) -> None:
    result = CliRunner().invoke(
        main, ["serve", "--database", f"sqlite:///{tmp_path / 'never.db'}"], env=env, catch_exceptions=False
    )
    assert result.exit_code != 0 and named in result.output, result.output
    assert not (tmp_path / "never.db").exists()  # refused before anything started


def test_a_metrics_address_in_use_stops_serve_naming_it(tmp_path: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = CliRunner().invoke(
            main,
            ["serve", "--port", "0", "--database", f"sqlite:///{tmp_path / 'busy.db'}"],
            env={"SHOTLOG_METRICS_ADDRESS": address},
        )
    assert result.exit_code == 1, result.output
    assert f"SHOTLOG_METRICS_ADDRESS: cannot listen on {address}" in result.output
    assert "Traceback" not in result.output


def test_the_dashboard_and_alert_rules_read_metrics_the_server_has(observed: Server) -> None:
    reply = httpx.get(f"{observed.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    names: set[str] = set()
    for family in text_string_to_metric_families(reply.text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in ("_total", "_bucket", "_sum", "_count"))
    root = Path(__file__).resolve().parents[2] / "deploy"
    # the mirror's families exist on a mirror only (test_metrics_on_an_address_of_their_own)
    source = (root.parent / "src" / "shotlog" / "server" / "site_metrics.py").read_text()
    names.update(re.findall(r'"(shotlog_mirror_[a-z_]+)"', source))
    for path in (root / "grafana" / "shotlog.json", root / "prometheus" / "shotlog-alerts.yml"):
        used = set(re.findall(r"\b(?:shotlog|process)_[a-z0-9_]+", path.read_text()))
        assert used, path
        assert used <= names, f"{path.name} reads metrics the server does not have: {sorted(used - names)}"
    json.loads((root / "grafana" / "shotlog.json").read_text())
