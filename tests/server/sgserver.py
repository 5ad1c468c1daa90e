"""Helpers of the protocol tests: a running ``shotlog serve`` and event-log readers."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import shotgun_api3

import testdbs
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS
from testdbs import start_serve, stop_serve, wait_healthy

SCRIPT_NAME = "protocol_tests"
SCRIPT_KEY = "k3y-" + "0123456789abcdef" * 4
ADMIN_LOGIN = "admin.tests"
ADMIN_PASSWORD = "correct horse battery staple"


@dataclass
class Server:
    """A running ``shotlog serve``: where it listens, how to log in, and what it printed."""

    url: str
    db_url: str
    script_name: str
    script_key: str
    login: str
    password: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _http: httpx.Client | None = field(default=None, repr=False)
    _clients: list[shotgun_api3.Shotgun] = field(default_factory=list, repr=False)

    @property
    def rpc_url(self) -> str:
        return f"{self.url}/api3/json"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_mark(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, mark: int) -> str:
        with self.log_path.open("rb") as fh:
            fh.seek(mark)
            return fh.read().decode(errors="replace")

    def client(self, **kwargs: Any) -> shotgun_api3.Shotgun:
        """A shotgun_api3 client; script credentials unless other credentials are given."""
        if not {"login", "session_token", "script_name"} & kwargs.keys():
            kwargs.update(script_name=self.script_name, api_key=self.script_key)
        client = shotgun_api3.Shotgun(self.url, **kwargs)
        self._clients.append(client)
        return client

    def close_clients(self) -> None:
        """Close the keep-alive sockets of every client made so far (else: ResourceWarning)."""
        while self._clients:
            self._clients.pop().close()

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=30)
        return self._http

    def auth(self) -> dict[str, str]:
        return {"script_name": self.script_name, "script_key": self.script_key}

    def post(self, body: bytes | str | dict[str, Any] | list[Any], **headers: str) -> httpx.Response:
        """POST a raw body to /api3/json (a dict or list is sent as JSON)."""
        if isinstance(body, dict | list):
            return self.http.post("/api3/json", json=body, headers=headers)
        content = body.encode() if isinstance(body, str) else body
        return self.http.post(
            "/api3/json", content=content, headers={"content-type": "application/json", **headers}
        )

    def call(self, method: str, args: Any = None, auth: Any = None) -> Any:
        """One raw RPC with script credentials; the decoded JSON body (results or error envelope)."""
        params: list[Any] = [self.auth() if auth is None else auth]
        if args is not None:
            params.append(args)
        reply = self.post({"method_name": method, "params": params})
        assert reply.status_code == 200, reply.text
        return reply.json()

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_healthy(self) -> None:
        """Wait until /healthz answers; stop the server and raise with its log if it never does."""
        try:
            wait_healthy(self.url, self.process, self.log_path)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        self.close_clients()
        if self._http is not None:
            self._http.close()
        stop_serve(self.process)


class Databases(testdbs.Databases):
    prefix = "srv"


def launch(db_url: str, directory: Path, env: dict[str, str] | None = None) -> Server:
    """Start ``python -m shotlog serve`` on a free port and wait until /healthz answers."""
    server = spawn(db_url, directory, env)
    server.wait_healthy()
    return server


def spawn(db_url: str, directory: Path, env: dict[str, str] | None = None) -> Server:
    """Start ``python -m shotlog serve`` on a free port, not waiting for it (``wait_healthy``):
    a start is mostly the machine's time, and the servers a module needs start together."""
    full_env = {
        "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
        "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
        "SHOTLOG_ADMIN_LOGIN": ADMIN_LOGIN,
        "SHOTLOG_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **(env or {}),
    }
    process, url, log_path = start_serve(db_url, directory, full_env)
    server = Server(
        url=url,
        db_url=db_url,
        script_name=full_env["SHOTLOG_SCRIPT_NAME"],
        script_key=full_env["SHOTLOG_SCRIPT_KEY"],
        login=full_env["SHOTLOG_ADMIN_LOGIN"],
        password=full_env["SHOTLOG_ADMIN_PASSWORD"],
        process=process,
        log_path=log_path,
    )
    return server


def head_event_id(sg: shotgun_api3.Shotgun) -> int:
    head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    return 0 if head is None else int(head["id"])


def events_after(sg: shotgun_api3.Shotgun, after: int, **filters: Any) -> list[dict[str, Any]]:
    """Events after id ``after`` in id order, with the fields a shotgunEvents poller asks for."""
    conditions: list[Any] = [["id", "greater_than", after]]
    conditions += [[k, "is", v] for k, v in filters.items()]
    return sg.find(
        "EventLogEntry",
        conditions,
        [*SHOTGUNEVENTS_FIELDS, "description"],
        order=[{"field_name": "id", "direction": "asc"}],
    )
