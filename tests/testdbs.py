"""Databases, ports and server processes for the tests that start real ``shotlog serve`` processes.

Importable from every test folder (pytest puts ``tests/`` on the path for its conftest). The
session's migrated template database comes from the ``template`` fixture in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shotlog.store.database import normalize_url

__all__ = [
    "ADMIN_URL",
    "BACKEND",
    "Databases",
    "admin_engine",
    "free_port",
    "start_serve",
    "stop_serve",
    "wait_healthy",
]

STARTUP_TIMEOUT = 60.0

ADMIN_URL = os.environ.get("SHOTLOG_TEST_DATABASE_URL", "")
BACKEND = "postgresql" if ADMIN_URL.startswith("postgres") else "sqlite"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def admin_engine() -> sa.Engine:
    return sa.create_engine(
        normalize_url(ADMIN_URL), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )


class Databases:
    """Fresh migrated databases copied from the session's template; dropped at the end."""

    #: names the copies, so a suite's leftovers are recognisable
    prefix = "t"

    def __init__(self, template: str, directory: Path) -> None:
        self.template = template
        self.directory = directory
        self.made: list[str] = []

    def new(self) -> str:
        if BACKEND == "sqlite":
            path = self.directory / f"{self.prefix}_{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(self.template, path)
            return f"sqlite:///{path}"
        name = f"shotlog_{self.prefix}_{uuid.uuid4().hex[:12]}"
        engine = admin_engine()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        engine.dispose()
        self.made.append(name)
        return make_url(normalize_url(ADMIN_URL)).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if BACKEND == "sqlite" or not self.made:
            return
        engine = admin_engine()
        with engine.connect() as conn:
            for name in self.made:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def start_serve(
    db_url: str, directory: Path, env: dict[str, str], port: int | None = None
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Start ``python -m shotlog serve`` on ``port`` (else a free one), output to a log file in
    ``directory``.

    The caller's ``SHOTLOG_*`` variables are dropped so only ``env`` configures the server; with
    ``SHOTLOG_TLS_CERT`` in it, the server speaks HTTPS. Returns the process, its base URL and the
    log's path.
    """
    port = port or free_port()
    scheme = "https" if env.get("SHOTLOG_TLS_CERT") else "http"
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / f"serve_{port}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    full_env.update(SHOTLOG_SQLITE_SYNCHRONOUS="NORMAL", PYTHONUNBUFFERED="1")
    # every test signs in from 127.0.0.1: no sign-in throttle unless a test asks for one
    full_env.update(SHOTLOG_SIGNIN_LOGIN_FAILURES="0", SHOTLOG_SIGNIN_ADDRESS_FAILURES="0")
    full_env.update(env)
    # each server's uploads in a directory of its own (for PostgreSQL the default is ./shotlog-files)
    full_env.setdefault("SHOTLOG_FILES_URL", str(directory / f"files_{port}"))
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "shotlog", "serve", "--database", db_url, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
        )
    return process, f"{scheme}://127.0.0.1:{port}", log_path


def stop_serve(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Stop a server process: SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def wait_healthy(
    url: str, process: subprocess.Popen[bytes], log_path: Path, ca_file: Path | None = None
) -> None:
    """Wait until ``/healthz`` answers; raise with the server's log if it exits or never does.

    ``ca_file`` is the CA an HTTPS server's certificate is checked against."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            log = log_path.read_text(errors="replace")
            raise RuntimeError(f"shotlog serve exited with {process.returncode}:\n{log}")
        try:
            verify = ssl.create_default_context(cafile=str(ca_file)) if ca_file else True
            if httpx.get(f"{url}/healthz", timeout=2, verify=verify).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            log = log_path.read_text(errors="replace")
            raise RuntimeError(f"no /healthz answer in {STARTUP_TIMEOUT}s:\n{log}")
        time.sleep(0.05)
