"""Old events to archive, and a real moto S3 server process on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from archivekit import START, records

import shotlog
from shotlog.store.tables import event_log_entries as ele
from testdbs import free_port


@pytest.fixture
def old_log(sg: shotlog.Shotlog) -> list[dict[str, Any]]:
    """About 60 events spread 5 days apart from 2024-01-01; returns every event as JSON Lines records."""
    project = sg.create("Project", {"name": "Archived"})
    for i in range(12):
        shot = sg.create("Shot", {"code": f"sh{i:03d}", "project": project})
        sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    ids = [e["id"] for e in sg.find("EventLogEntry", [], ["id"])]
    with sg.db.write() as conn:
        for n, event_id in enumerate(ids):
            conn.execute(
                sa.update(ele).where(ele.c.id == event_id).values(created_at=START + dt.timedelta(days=5 * n))
            )
    return records(sg)


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``moto_server`` as a real process; yields its endpoint URL."""
    exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
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
    yield url
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture
def s3_env(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Credentials for moto and a fresh bucket; returns the bucket name."""
    import uuid

    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"archive-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=moto)
    client.create_bucket(Bucket=bucket)
    client.close()
    return bucket
