from __future__ import annotations

import shotlog


def test_create_and_find_round_trip(sg: shotlog.Shotlog, project: dict[str, object]) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": project})
    found = sg.find_one("Shot", [["code", "is", "sh010"]], ["code", "project"])
    assert found == {
        "type": "Shot",
        "id": shot["id"],
        "code": "sh010",
        "project": {"type": "Project", "id": project["id"], "name": "Demo"},
    }
