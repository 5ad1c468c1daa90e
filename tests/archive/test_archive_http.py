"""The archive's routes for the web UI's admin area, on a real ``shotlog serve``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import shotgun_api3
from archivekit import NOW

import shotlog
from shotlog.archive import Archive, ArchivePolicy
from testdbs import start_serve, stop_serve, wait_healthy

SCRIPT, KEY = "archive_admin", "k3y-" + "ef" * 20


def test_segments_and_download_routes(
    db_url: str, sg: shotlog.Shotlog, old_log: list[dict[str, Any]], tmp_path: Path
) -> None:
    dest = tmp_path / "arch"
    Archive(sg, ArchivePolicy(url=str(dest))).run(now=NOW)
    sg.create(
        "HumanUser",
        {"login": "artist", "firstname": "Art", "lastname": "Ist", "password_proxy": "pa55word-pa55word"},
    )
    env = {"SHOTLOG_SCRIPT_NAME": SCRIPT, "SHOTLOG_SCRIPT_KEY": KEY, "SHOTLOG_ARCHIVE_URL": str(dest),
           "SHOTLOG_ARCHIVE_INTERVAL": "0"}  # fmt: skip
    process, url, log = start_serve(db_url, tmp_path / "serve", env)
    try:
        wait_healthy(url, process, log)
        admin = shotgun_api3.Shotgun(url, script_name=SCRIPT, api_key=KEY)
        artist = shotgun_api3.Shotgun(url, login="artist", password="pa55word-pa55word")
        tokens = {"admin": admin.get_session_token(), "artist": artist.get_session_token()}
        admin.close()
        artist.close()
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {tokens['admin']}"}, timeout=30
        ) as http:
            listed = http.get("/api/v1/archive/segments").json()
            months = [s["month"] for s in listed["data"]]
            assert months == [s.month for s in Archive(sg, ArchivePolicy(url=str(dest))).segments()]
            assert listed["live_floor"] == sg.find("EventLogEntry", [], ["id"], limit=1)[0]["id"]
            reply = http.get(
                "/api/v1/archive/download", params={"month": months[1], "columns": "id,event_type,entity"}
            )
            assert reply.status_code == 200, reply.text
            assert reply.headers["content-disposition"] == f'attachment; filename="archive-{months[1]}.csv"'
            rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
            assert [int(r["id"]) for r in rows] == [
                r["id"] for r in old_log if r["created_at"][:7] == months[1]
            ]
            reply = http.get(
                "/api/v1/archive/download", params={"format": "jsonl", "event_types": "Shotgun_Shot_New"}
            )
            lines = [json.loads(x) for x in reply.content.splitlines()]
            assert lines and all(x["event_type"] == "Shotgun_Shot_New" for x in lines)
            bad = http.get("/api/v1/archive/download", params={"month": "1999-01"})
            assert (
                bad.status_code == 400
                and "no archived segment matches 1999-01" in bad.json()["errors"][0]["title"]
            )
            bad = http.get("/api/v1/archive/download", params={"columns": "entity.Shot.code"})
            assert bad.status_code == 400 and "not kept in the archive" in bad.json()["errors"][0]["title"]
        refused = httpx.get(
            f"{url}/api/v1/archive/segments", headers={"Authorization": f"Bearer {tokens['artist']}"}
        )
        assert refused.status_code == 403
    finally:
        stop_serve(process, 10)
    assert "Traceback" not in log.read_text()
