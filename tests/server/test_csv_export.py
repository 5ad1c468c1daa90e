"""CSV exports over HTTP guard spreadsheet users against formulas; ``raw_csv=1`` turns that off."""

from __future__ import annotations

import csv
import io
from typing import Any

import shotgun_api3
from sgserver import Server


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_route_neutralises_formulas(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    formulas = ["=1+1", "+1", "-cmd", "@SUM(A1)", "\tTab", "plain"]
    for i, code in enumerate(formulas):
        sg.create("Shot", {"code": code, "project": project, "description": f"d{i}"})
    headers = {"Authorization": f"Bearer {sg.get_session_token()}"}
    params = {
        "project_ids": str(project["id"]),
        "event_types": "Shotgun_Shot_New",
        "columns": "id,entity.name",
    }
    safe = server.http.get("/export/events.csv", params=params, headers=headers)
    assert safe.status_code == 200, safe.text
    assert [r["entity.name"] for r in _rows(safe.content)] == [
        "'=1+1",
        "'+1",
        "'-cmd",
        "'@SUM(A1)",
        "'\tTab",
        "plain",
    ]
    ids = [int(r["id"]) for r in _rows(safe.content)]  # ids stay numbers
    assert ids == sorted(ids) and len(ids) == len(formulas)
    raw = server.http.get("/export/events.csv", params={**params, "raw_csv": "1"}, headers=headers)
    assert raw.status_code == 200, raw.text
    assert [r["entity.name"] for r in _rows(raw.content)] == formulas
    # JSON Lines has no cells to guard: the names come back as they are
    lines = server.http.get("/export/events.jsonl", params=params, headers=headers)
    assert lines.status_code == 200 and b'"entity.name":"=1+1"' in lines.content
