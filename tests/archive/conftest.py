"""Old events to archive, and a real moto S3 server process on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from archivekit import START, records

import shotlog
from motoserver import moto, new_bucket
from shotlog.store.tables import event_log_entries as ele


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


__all__ = ["moto"]  # the shared fixture, for the tests of this folder


@pytest.fixture
def s3_env(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Credentials for moto and a fresh bucket; returns the bucket name."""
    return new_bucket(moto, monkeypatch, "archive")
