"""The production layout of docs/operations.md, run on one machine from the repository's deploy/ files.

Debian's nginx serves the site file over HTTPS (a test CA's certificate) in front of two
``shotlog serve`` processes started by the serve unit's command and environment; ``shotlog worker``
processes are the worker unit's, started with them. Official shotgun_api3 clients call through
nginx without a pause (a create, then a read of it) while one server is stopped (SIGTERM) and
started again: no call fails, nginx never answers a call with an error of its own (which the client
would quietly send again), and every create exists once, with its one event. A worker killed with
-9 while it delivers leaves its deliveries to the other, which finishes them; the only repeats are
those docs/webhooks.md allows (sent by the killed worker, outcome not recorded).
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import shotgun_api3
import sqlalchemy as sa
import trustme
from layoutfiles import NGINX, Nginx, Unit, render_site

import shotlog
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.records import DELIVERED
from shotlog.webhooks.settings import WebhookSettings
from testdbs import BACKEND, free_port, stop_serve, wait_healthy
from webhooks.receivers import Receiver
from webhooks.webhookkit import wait_until

pytestmark = [
    pytest.mark.skipif(not NGINX.exists(), reason="Debian's nginx is not installed"),
    # the layout's database: several servers on one SQLite file work, but this is not that layout
    pytest.mark.skipif(BACKEND != "postgresql", reason="the production layout runs on PostgreSQL"),
]

SCRIPT_NAME = "layout_tests"
SCRIPT_KEY = "k3y-" + "fedcba9876543210" * 4
CLIENTS = 4
WORKER_SITES = ("http://worker1/", "http://worker2/")
#: a line of the site's access log format
ACCESS = re.compile(
    r'"(?P<request>[^"]*)" (?P<status>\d+) .* upstream=(?P<upstream>.*) status=(?P<ustatus>.*) time='
)


@dataclass
class Layout:
    db_url: str
    directory: Path
    ca: Path
    nginx: Nginx
    access_log: Path
    serve_ports: list[int]
    overrides: dict[str, str]
    servers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    #: webhook workers, each naming itself in X-SG-WEBHOOK-SITE-URL so that a receiver tells them apart
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.nginx.https_port}"

    def client(self) -> shotgun_api3.Shotgun:
        return shotgun_api3.Shotgun(
            self.url, script_name=SCRIPT_NAME, api_key=SCRIPT_KEY, ca_certs=str(self.ca)
        )

    def start_workers(self, *sites: str) -> None:
        unit = Unit.load("shotlog-worker@.service")
        for n, site in enumerate(sites, 1):
            log = self.directory / f"worker_{n}.log"
            self.workers[site] = unit.start(
                log, {**self.overrides, "SHOTLOG_WEBHOOKS_SITE_URL": site}, str(n)
            )

    def start_servers(self, *ports: int) -> None:
        """Start a server on each port (all at once), and wait until every one answers."""
        unit = Unit.load("shotlog-serve@.service")
        for port in ports:
            log = self.directory / f"serve_{port}.log"
            self.servers[port] = unit.start(log, self.overrides, instance=str(port))
        for port in ports:
            wait_healthy(f"http://127.0.0.1:{port}", self.servers[port], self.directory / f"serve_{port}.log")

    def access(self) -> list[re.Match[str]]:
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return [m for m in map(ACCESS.search, lines) if m]


@pytest.fixture(scope="module")
def layout(module_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Layout]:
    directory = tmp_path_factory.mktemp("layout")
    tls_dir = directory / "tls"
    tls_dir.mkdir()
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    # the names the site file expects under /etc/shotlog/tls/
    issued.private_key_pem.write_to_path(str(tls_dir / "privkey.pem"))
    for i, pem in enumerate(issued.cert_chain_pems):
        pem.write_to_path(str(tls_dir / "fullchain.pem"), append=i > 0)
    https_port, ports = free_port(), [free_port(), free_port()]
    access_log = directory / "access.log"
    site = render_site(
        https_port=https_port,
        http_port=free_port(),
        upstream_ports=ports,
        tls_dir=tls_dir,
        access_log=access_log,
    )
    overrides = {
        "SHOTLOG_DATABASE_URL": module_db,
        "SHOTLOG_FILES_URL": str(directory / "files"),
        "SHOTLOG_PUBLIC_URL": f"https://127.0.0.1:{https_port}",
        "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
        "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
        "SHOTLOG_SQLITE_SYNCHRONOUS": "NORMAL",
        # receivers on 127.0.0.1, leases and retries in test time
        "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
        "SHOTLOG_WEBHOOKS_CLAIM_MARGIN": "0.5",
        "SHOTLOG_WEBHOOKS_POLL_INTERVAL": "0.02",
        "SHOTLOG_WEBHOOKS_RETRY_SCALE": "0.0005",
    }
    nginx = Nginx(directory / "nginx", site, https_port)
    result = Layout(module_db, directory, directory / "ca.pem", nginx, access_log, ports, overrides)
    try:
        result.start_workers(*WORKER_SITES)  # they start while the servers do
        result.start_servers(*ports)
        nginx.check()
        nginx.start()
        yield result
    finally:
        nginx.stop()
        processes = [*result.servers.values(), *result.workers.values()]
        for process in processes:
            if process.poll() is None:
                process.terminate()  # all at once: each server drains its connections for a moment
        for process in processes:
            stop_serve(process)


class Callers:
    """Official clients calling through nginx without a pause: a create, then a read of it."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.done = 0
        self.created: list[str] = []
        self.failures: list[str] = []
        self.stop = threading.Event()
        self._lock = threading.Condition()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(CLIENTS)]

    def _run(self, n: int) -> None:
        sg = self.layout.client()
        i = 0
        while not self.stop.is_set():
            name = f"layout {n}-{i}"
            i += 1
            try:
                made = sg.create("Project", {"name": name})
                read = sg.find_one("Project", [["id", "is", made["id"]]], ["name"])
                assert read is not None and read["name"] == name, read
            except Exception as exc:  # every failure is reported, not only the first
                self.failures.append(f"client {n} call {name}: {exc!r}")
                continue
            with self._lock:
                self.created.append(name)
                self.done += 1
                self._lock.notify_all()
        sg.close()

    def wait_for(self, more: int, timeout: float = 30.0) -> None:
        """Until ``more`` calls after this moment have succeeded."""
        with self._lock:
            goal = self.done + more
            assert self._lock.wait_for(lambda: self.done >= goal, timeout), f"{self.done} of {goal} calls"

    def __enter__(self) -> Callers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)


def test_a_server_stopped_and_started_again_behind_nginx_fails_no_call(layout: Layout) -> None:
    first, second = layout.serve_ports

    def served_by(port: int, after: int = 0) -> bool:
        return any(m["upstream"] == f"127.0.0.1:{port}" for m in layout.access()[after:])

    began = time.monotonic()
    phases: list[str] = []

    def phase(name: str) -> None:
        phases.append(f"{name} {time.monotonic() - began:.1f} s")

    with Callers(layout) as callers:
        wait_until(lambda: served_by(first) and served_by(second), timeout=30, what="calls on both servers")
        phase("both serving")
        process = layout.servers[first]
        process.send_signal(signal.SIGTERM)
        # uvicorn ends by raising the signal again: systemd counts an exit by SIGTERM as clean
        assert process.wait(30) in (0, -signal.SIGTERM), (layout.directory / f"serve_{first}.log").read_text()
        phase("stopped")
        callers.wait_for(20)  # all through the other server now
        mark = len(layout.access())
        layout.start_servers(first)
        phase("started again")
        # nginx leaves a failed server out for the site's fail_timeout, then takes it back
        wait_until(lambda: served_by(first, mark), timeout=30, what=f"calls on :{first} again")
        phase("serving again")
        callers.wait_for(10)
    assert all(not t.is_alive() for t in callers.threads), "a client hung"
    assert callers.failures == [], callers.failures[:5]

    # nginx answered every call with the server's own answer: a 502 of its own would have been sent
    # again by shotgun_api3 (it retries 502 and 504), and for a create that may have been applied
    # once already
    api3 = [m for m in layout.access() if m["request"].startswith("POST /api3/json")]
    assert {m["status"] for m in api3} == {"200"}, [m.group(0) for m in api3 if m["status"] != "200"][:5]
    # a request nginx could not send to a stopped server (refused: "502") went to the other one
    passed_on = [m for m in api3 if "," in m["upstream"]]
    assert passed_on, "no request was passed on to the next server"
    assert {m["ustatus"] for m in passed_on} == {"502, 200"}

    sg = layout.client()
    # the servers started together (as systemd starts them) and took turns to set their script
    assert len(sg.find("ApiUser", [["firstname", "is", SCRIPT_NAME]])) == 1
    projects = sg.find("Project", [["name", "starts_with", "layout "]], ["name"])
    events = sg.find(
        "EventLogEntry", [["event_type", "is", "Shotgun_Project_New"]], ["entity"], limit=len(projects) + 100
    )
    sg.close()
    # every create acknowledged exactly once, none unacknowledged: no call ran twice
    assert Counter(p["name"] for p in projects) == Counter(callers.created)
    made = Counter(e["entity"]["id"] for e in events if e["entity"])
    assert all(made[p["id"]] == 1 for p in projects), "a create's event is missing or there twice"
    print(f"{callers.done} calls, {len(api3)} api3 requests through nginx; {', '.join(phases)}")


def _delivered(db_url: str, hook_id: str) -> set[str]:
    with shotlog.connect(db_url, migrate=False) as store, store.db.read() as conn:
        query = sa.select(dlv.c.id).where(dlv.c.hook_id == hook_id, dlv.c.state == DELIVERED)
        return set(conn.execute(query).scalars())


def test_a_worker_killed_mid_delivery_leaves_its_deliveries_to_another(layout: Layout) -> None:
    total, kind = 150, "Layout_Hook"
    receiver = Receiver(token="s3cret").start()
    receiver.delay = 0.01
    with shotlog.connect(layout.db_url, migrate=False) as store:
        hooks = Webhooks(store, WebhookSettings.from_env(layout.overrides))
        # timeout 1 s: a dead worker's leases (four times the timeout plus the margin) expire soon
        hook = hooks.create_hook(
            {"url": receiver.url, "token": "s3cret", "event_type": kind, "max_concurrency": 4, "timeout": 1}
        )

    sites = WORKER_SITES
    workers = [layout.workers[site] for site in sites]
    assert all(w.poll() is None for w in workers), "a worker stopped before the test"
    try:
        sg = layout.client()
        sg.batch(
            [
                {"request_type": "create", "entity_type": "EventLogEntry", "data": {"event_type": kind}}
                for _ in range(total)
            ]
        )
        sg.close()
        wait_until(
            lambda: len(receiver.delivery_ids_from(sites[0])) >= 10,
            timeout=30,
            what="deliveries from the first worker",
        )
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        committed = _delivered(layout.db_url, hook["id"])
        assert len(committed) < total, "the kill came too late to test anything"
        wait_until(
            lambda: len(_delivered(layout.db_url, hook["id"])) == total,
            timeout=60,
            what=f"all {total} delivered in the log",
        )
        workers[1].terminate()  # lets its requests in flight finish: nothing arrives after this
        assert workers[1].wait(30) in (0, -signal.SIGTERM)
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(10)
        receiver.stop()
    counts = Counter(i["delivery_id"] for i in receiver.items())
    assert len(counts) == total
    # sent again: only what the killed worker had sent without its outcome being committed
    unrecorded = receiver.delivery_ids_from(sites[0]) - committed
    expected = Counter(dict.fromkeys(counts, 1))
    expected.update(unrecorded)
    assert counts == expected, sorted((d, n, expected[d]) for d, n in counts.items() if n != expected[d])[:5]
    assert all(r.signature_ok for r in receiver.requests)
    assert receiver.delivery_ids_from(sites[1]), "the second worker delivered nothing"
    print(f"killed worker: {len(receiver.delivery_ids_from(sites[0]))} sent, {len(unrecorded)} sent again")
