"""The REST API (``/api/v1``) against a real ``python -m shotlog serve`` on 127.0.0.1.

One server per test session (``rest``) keeps the suite fast: it starts on a fresh copy of the
session's migrated template database (SQLite, or PostgreSQL when ``SHOTLOG_TEST_DATABASE_URL`` is
set, as in the top-level conftest) with script and admin credentials from the environment, and is
terminated at the end. Tests isolate their data with a Project of their own (``proj``) and unique
names (``uniq``). After every test the server must still be running and must not have answered any
request with a 5xx: bad input is the client's fault, never a server error.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from restkit import ADMIN_LOGIN, API, SCRIPT_NAME, SERVER_ERROR, Databases, RestServer, launch


@pytest.fixture(scope="session")
def rest_databases(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(template, tmp_path_factory.mktemp("rest_dbs"))
    yield dbs
    dbs.drop_all()


class RestServers:
    """Starts servers on fresh databases of their own.

    The ``shared`` one lives for the session; any other one is stopped when the module that started
    it ends (``_servers_end_with_their_module``): an idle server keeps its pooled PostgreSQL
    connections, and a suite's worth of them would use up the server's 100.
    """

    def __init__(self, databases: Databases, directory: Path) -> None:
        self.databases = databases
        self.directory = directory
        self.shared: list[RestServer] = []
        self.transient: list[RestServer] = []

    def __call__(self, *, shared: bool = False, env: dict[str, str] | None = None) -> RestServer:
        """A server on a fresh database, with ``env`` added to its environment."""
        server = launch(self.databases.new(), self.directory, env)
        (self.shared if shared else self.transient).append(server)
        return server

    def stop_transient(self) -> None:
        while self.transient:
            self.transient.pop().stop()

    def stop_all(self) -> None:
        self.stop_transient()
        while self.shared:
            self.shared.pop().stop()


@pytest.fixture(scope="session")
def start_rest_server(
    rest_databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RestServers]:
    """Factory: a server on a fresh database of its own."""
    factory = RestServers(rest_databases, tmp_path_factory.mktemp("rest_logs"))
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module", autouse=True)
def _servers_end_with_their_module(start_rest_server: RestServers) -> Iterator[None]:
    yield
    start_rest_server.stop_transient()


@pytest.fixture(scope="session")
def rest(start_rest_server: RestServers) -> RestServer:
    """The shared server of the session."""
    return start_rest_server(shared=True)


@pytest.fixture(autouse=True)
def _no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """The shared server survives every test and answers no request of it with a 5xx."""
    if "rest" not in request.fixturenames:
        yield
        return
    server: RestServer = request.getfixturevalue("rest")
    mark = server.log_mark()
    yield
    assert server.alive(), f"shotlog serve died:\n{server.log()[-5000:]}"
    log = server.log_since(mark)
    errors = [line for line in log.splitlines() if SERVER_ERROR.search(line)]
    assert not errors and "Traceback" not in log, f"the server failed:\n{log[-8000:]}"


@pytest.fixture
def api(rest: RestServer) -> httpx.Client:
    """An HTTP client authenticated as the script (Bearer access token)."""
    return rest.client(rest.script_token())


@pytest.fixture
def anon(rest: RestServer) -> httpx.Client:
    """An HTTP client without credentials."""
    return rest.client()


@pytest.fixture
def uniq(request: pytest.FixtureRequest) -> str:
    """A name no other test uses."""
    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def proj(api: httpx.Client, uniq: str) -> dict[str, Any]:
    """A Project of this test's own (as a link): scope every filter to it."""
    reply = api.post(f"{API}/entity/projects", json={"name": uniq})
    assert reply.status_code == 201, reply.text
    data = reply.json()["data"]
    return {"type": "Project", "id": data["id"], "name": uniq}


@pytest.fixture(scope="session")
def ids(rest: RestServer) -> dict[str, int]:
    """Ids of the users the server created from its environment."""
    client = rest.client(rest.script_token())
    script = client.get(f"{API}/entity/api_users", params={"filter[firstname]": SCRIPT_NAME})
    admin = client.get(f"{API}/entity/human_users", params={"filter[login]": ADMIN_LOGIN})
    return {"script": script.json()["data"][0]["id"], "admin": admin.json()["data"][0]["id"]}
