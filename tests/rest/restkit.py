"""Helpers of the REST tests: a running ``shotlog serve``, fresh databases, the error envelope."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import testdbs
from testdbs import start_serve, stop_serve, wait_healthy

SCRIPT_NAME = "rest_tests"
SCRIPT_KEY = "rest-" + "0123456789abcdef" * 4
ADMIN_LOGIN = "rest.admin"
ADMIN_PASSWORD = "correct horse battery staple"
API = "/api/v1"

# uvicorn's access log line: ... "GET /path HTTP/1.1" 500 Internal Server Error
SERVER_ERROR = re.compile(r'"[A-Z]+ \S+ HTTP/[\d.]+" 5\d\d ')


@dataclass
class RestServer:
    """A running ``shotlog serve``: where it listens, its database, and what it printed."""

    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _clients: list[httpx.Client] = field(default_factory=list, repr=False)
    _token: str | None = field(default=None, repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_mark(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, mark: int) -> str:
        with self.log_path.open("rb") as fh:
            fh.seek(mark)
            return fh.read().decode(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client for the server; with ``token`` it sends ``Authorization: Bearer``."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def grant(self, **params: str) -> httpx.Response:
        """POST /api/v1/auth/access_token with form-encoded ``params``."""
        return httpx.post(f"{self.url}{API}/auth/access_token", data=params, timeout=30)

    def script_token(self) -> str:
        """An access token of the script (fetched once per session; tokens last 10 minutes)."""
        if self._token is None:
            reply = self.grant(
                grant_type="client_credentials", client_id=SCRIPT_NAME, client_secret=SCRIPT_KEY
            )
            assert reply.status_code == 200, reply.text
            self._token = reply.json()["access_token"]
        return self._token

    def stop(self) -> None:
        while self._clients:
            self._clients.pop().close()
        stop_serve(self.process)


class Databases(testdbs.Databases):
    prefix = "rest"


def launch(db_url: str, directory: Path, env: dict[str, str] | None = None) -> RestServer:
    """Start ``python -m shotlog serve`` on a free port with env credentials (and ``env``); wait
    for /healthz."""
    credentials = {
        "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
        "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
        "SHOTLOG_ADMIN_LOGIN": ADMIN_LOGIN,
        "SHOTLOG_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    process, url, log_path = start_serve(db_url, directory, {**credentials, **(env or {})})
    server = RestServer(url=url, db_url=db_url, process=process, log_path=log_path)
    try:
        wait_healthy(url, process, log_path)
    except RuntimeError:
        server.stop()
        raise
    return server


def errors_of(reply: httpx.Response, status: int, code: int | None = None) -> dict[str, Any]:
    """The one error of an error envelope, after checking the status, content type and shape."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert list(body) == ["errors"], body
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    assert set(error) == {"id", "status", "code", "title", "source", "detail", "meta"}, error
    assert re.fullmatch(r"[0-9a-f]{32}", error["id"]), error
    assert error["status"] == status
    assert error["code"] == (status if code is None else code), error
    assert isinstance(error["title"], str) and error["title"], error
    assert isinstance(error["source"], dict)
    assert error["detail"] is None and error["meta"] is None
    return dict(error)
