"""``moto_server`` as a real process on 127.0.0.1, for the tests of the S3 stores (archive, files)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import httpx
import pytest

from testdbs import free_port


@contextmanager
def moto_server(log_dir: Path) -> Iterator[str]:
    """Start ``moto_server``, wait until it answers, yield its endpoint URL, stop it."""
    exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    with (log_dir / "moto.log").open("wb") as log:
        process = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        try:
            yield url
        finally:
            process.terminate()
            process.wait(10)


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``moto_server`` as a real process for the session; yields its endpoint URL (conftest
    modules import this fixture)."""
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


def new_bucket(moto: str, monkeypatch: pytest.MonkeyPatch, prefix: str) -> str:
    """Credentials for moto in the environment and a fresh bucket; returns the bucket's name."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=moto)
    client.create_bucket(Bucket=bucket)
    client.close()
    return bucket
