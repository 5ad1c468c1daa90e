"""A real ``shotlog serve`` for the webhook REST tests, and a client holding a script's access token.

Shared by the modules that drive FPTR's webhook endpoints over HTTP (a module of its own, not
conftest.py, for the reason webhookkit gives).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rest"))
from restkit import SCRIPT_KEY, SCRIPT_NAME

from testdbs import Databases, start_serve, wait_healthy

__all__ = ["bearer_client", "rest_server"]


@contextmanager
def rest_server(template: str, directory: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """A server on a fresh database with the tests' script, hooks allowed to reach 127.0.0.0/8; its
    log must hold no traceback when it stops."""
    dbs = Databases(template, directory)
    full_env = {
        "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
        "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
        "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
        **(env or {}),
    }
    process, url, log = start_serve(dbs.new(), dbs.directory, full_env)
    try:
        wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        text = log.read_text(errors="replace")
        dbs.drop_all()
        assert "Traceback" not in text, text[-5000:]


@contextmanager
def bearer_client(url: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in as the tests' script (client credentials grant)."""
    token = httpx.post(
        f"{url}/api/v1/auth/access_token",
        data={"grant_type": "client_credentials", "client_id": SCRIPT_NAME, "client_secret": SCRIPT_KEY},
    ).json()["access_token"]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client
