"""Value limits through a real ``shotlog serve``: the official client and REST get a fault naming the
field and its limit, and nothing is written (no row, no event)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import shotgun_api3
from sgserver import Server, events_after, head_event_id

TEXT = 65_536
JSON = 1_048_576


def test_text_longer_than_its_limit_is_a_fault_and_writes_nothing(
    sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": project, "description": "d" * TEXT})
    assert len(sg.find_one("Shot", [["id", "is", shot["id"]]], ["description"])["description"]) == TEXT
    head = head_event_id(sg)
    with pytest.raises(shotgun_api3.Fault) as fault:
        sg.update("Shot", shot["id"], {"description": "x" * 5_000_000})
    message = str(fault.value)
    assert message.startswith("API update() CRUD ERROR #")
    assert "Shot.description (text) is limited to 65,536 characters, got 5,000,000" in message
    assert len(message) < 300  # the value is not echoed back whole
    with pytest.raises(
        shotgun_api3.Fault, match=r"Shot.code \(text\) is limited to 65,536 characters, got 65,537"
    ):
        sg.create("Shot", {"code": "c" * (TEXT + 1), "project": project})
    with pytest.raises(shotgun_api3.Fault, match=r"Shot.sg_status_list \(status_list\) is limited to 255"):
        sg.update("Shot", shot["id"], {"sg_status_list": "s" * 256})
    # a batch with one value too long writes none of its requests
    with pytest.raises(shotgun_api3.Fault, match="limited to 65,536 characters"):
        sg.batch(
            [
                {"request_type": "create", "entity_type": "Shot", "data": {"code": "ok", "project": project}},
                {
                    "request_type": "update",
                    "entity_type": "Shot",
                    "entity_id": shot["id"],
                    "data": {"description": "y" * (TEXT + 1)},
                },
            ]
        )
    assert sg.find("Shot", [["project", "is", project]], ["code"]) == [
        {"type": "Shot", "id": shot["id"], "code": "sh010"}
    ]
    assert len(sg.find_one("Shot", [["id", "is", shot["id"]]], ["description"])["description"]) == TEXT
    assert events_after(sg, head, project=project) == []


def test_event_meta_is_bounded_on_create(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    head = head_event_id(sg)
    big = {"blob": "m" * JSON}  # more than 1 MiB once it is JSON
    with pytest.raises(shotgun_api3.Fault) as fault:
        sg.create("EventLogEntry", {"event_type": "Studio_Big_Event", "project": project, "meta": big})
    assert (
        "EventLogEntry.meta (serializable) is limited to 1,048,576 characters of JSON, got 1,048,587"
        in str(fault.value)
    )
    with pytest.raises(shotgun_api3.Fault, match=r"EventLogEntry.description \(text\) is limited to 65,536"):
        sg.create("EventLogEntry", {"event_type": "Studio_Big_Event", "description": "d" * (TEXT + 1)})
    assert events_after(sg, head, event_type="Studio_Big_Event") == []
    fits = {"blob": "m" * (JSON - 20)}
    event = sg.create("EventLogEntry", {"event_type": "Studio_Big_Event", "project": project, "meta": fits})
    assert sg.find_one("EventLogEntry", [["id", "is", event["id"]]], ["meta"])["meta"] == fits


def test_rest_answers_400_naming_the_field_and_its_limit(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    reply = httpx.post(
        f"{server.url}/api/v1/auth/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": server.script_name,
            "client_secret": server.script_key,
        },
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    head = head_event_id(sg)
    body = {
        "code": "rest",
        "project": {"type": "Project", "id": project["id"]},
        "description": "r" * (TEXT + 1),
    }
    reply = server.http.post("/api/v1/entity/shots", json=body, headers=headers)
    assert reply.status_code == 400, reply.text
    title = reply.json()["errors"][0]["title"]
    assert title.startswith("Shot.description (text) is limited to 65,536 characters, got 65,537")
    assert sg.find("Shot", [["project", "is", project]], ["id"]) == []
    assert events_after(sg, head, project=project) == []
