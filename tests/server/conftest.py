"""A real ``shotlog serve`` process on 127.0.0.1, driven by the real, unmodified shotgun_api3 client.

One server per test session (``server``) keeps the suite fast: tests isolate their data with unique
names and a Project of their own (``project``), and read the event log only after the head they saw
when they started. Tests that need a pristine database start their own server (``start_server``).

The backend follows ``SHOTLOG_TEST_DATABASE_URL`` exactly as the top-level conftest does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import shotgun_api3
from sgserver import Databases, Server, spawn

from motoserver import moto_server


@pytest.fixture(scope="session")
def databases(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(template, tmp_path_factory.mktemp("server_dbs"))
    yield dbs
    dbs.drop_all()


class ServerFactory:
    """Starts servers on fresh databases (or on ``db_url``).

    A ``shared`` server lives for the session; any other one is stopped when the module that
    started it ends (``_servers_end_with_their_module``): an idle server keeps its pooled
    PostgreSQL connections, and a suite's worth of them would use up the server's 100.
    """

    def __init__(self, databases: Databases, directory: Path) -> None:
        self.databases = databases
        self.directory = directory
        self.shared: list[Server] = []
        self.transient: list[Server] = []

    def __call__(
        self,
        env: dict[str, str] | None = None,
        db_url: str | None = None,
        *,
        shared: bool = False,
        wait: bool = True,
    ) -> Server:
        """A server on a fresh database (or ``db_url``); with ``wait`` false, started but not yet
        answering: the caller waits with ``Server.wait_healthy``."""
        server = spawn(db_url or self.databases.new(), self.directory, env)
        (self.shared if shared else self.transient).append(server)
        if wait:
            server.wait_healthy()
        return server

    def stop_transient(self) -> None:
        while self.transient:
            self.transient.pop().stop()

    def stop_all(self) -> None:
        self.stop_transient()
        while self.shared:
            self.shared.pop().stop()


@pytest.fixture(scope="session")
def start_server(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Factory: ``start_server(env=None, db_url=None)`` runs a server on a fresh database."""
    factory = ServerFactory(databases, tmp_path_factory.mktemp("server_logs"))
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module", autouse=True)
def _servers_end_with_their_module(start_server: ServerFactory) -> Iterator[None]:
    yield
    start_server.stop_transient()


@pytest.fixture(scope="session")
def server(start_server: ServerFactory) -> Iterator[Server]:
    """The shared server of the session; it must not have logged a single traceback."""
    srv = start_server(shared=True)
    yield srv
    log = srv.log()
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:8000]


@pytest.fixture(autouse=True)
def _server_survives(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test leaves the shared server running (a crash would break every later test)."""
    yield
    if "server" in request.fixturenames:
        srv: Server = request.getfixturevalue("server")
        srv.close_clients()
        assert srv.alive(), f"shotlog serve died:\n{srv.log()[-5000:]}"


@pytest.fixture
def sg(server: Server) -> shotgun_api3.Shotgun:
    """The client authenticated with the server's script key."""
    return server.client()


@pytest.fixture
def uniq(request: pytest.FixtureRequest) -> str:
    """A name no other test uses."""
    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def project(sg: shotgun_api3.Shotgun, uniq: str) -> dict[str, Any]:
    """A Project of this test's own: scope every filter to it."""
    return sg.create("Project", {"name": uniq})


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real moto S3 server process for the servers that keep their files in a bucket."""
    with moto_server(tmp_path_factory.mktemp("moto_files")) as url:
        yield url


@pytest.fixture(scope="session")
def files_env(moto: str) -> Callable[[str], dict[str, str]]:
    """The environment of a server whose files work one way: ``put`` (a directory; the client
    PUTs to upload URLs shotlog gives it), ``form`` (a directory; the client posts forms) or
    ``s3`` (a fresh bucket on moto; the client PUTs to presigned URLs)."""
    creds = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    def env(mode: str) -> dict[str, str]:
        if mode == "put":
            return {}
        if mode == "form":
            return {"SHOTLOG_FILES_DIRECT_UPLOADS": "0"}
        bucket = f"shotlog-files-{uuid.uuid4().hex[:8]}"
        client = boto3.client(
            "s3",
            endpoint_url=moto,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=bucket)
        client.close()
        return {"SHOTLOG_FILES_URL": f"s3://{bucket}/site", "SHOTLOG_FILES_S3_ENDPOINT": moto, **creds}

    return env
