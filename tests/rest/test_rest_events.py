"""Writes through /api/v1 land in the event log, attributed to whoever holds the access token."""

from __future__ import annotations

from typing import Any

import httpx
from restkit import ADMIN_LOGIN, ADMIN_PASSWORD, API, SCRIPT_NAME, RestServer

FIELDS = "event_type,attribute_name,meta,user,entity,project"


def _head(api: httpx.Client) -> int:
    reply = api.get(
        f"{API}/entity/event_log_entries", params={"sort": "-id", "page[size]": "1", "fields": "id"}
    )
    data = reply.json()["data"]
    return int(data[0]["id"]) if data else 0


def _events(api: httpx.Client, shot_id: int, after: int) -> list[dict[str, Any]]:
    """The Shot's events after id ``after`` (a link filter: it matches a retired Shot too)."""
    reply = api.post(
        f"{API}/entity/event_log_entries/_search",
        json={
            "filters": [["entity", "is", {"type": "Shot", "id": shot_id}], ["id", "greater_than", after]],
            "fields": FIELDS,
            "sort": "id",
            "page": {"size": 500},
        },
    )
    assert reply.status_code == 200, reply.text
    return list(reply.json()["data"])


def _summary(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return sorted((e["attributes"]["event_type"], e["attributes"]["attribute_name"]) for e in events)


def test_writes_are_logged_as_the_script(
    api: httpx.Client, proj: dict[str, Any], ids: dict[str, int]
) -> None:
    script = {"type": "ApiUser", "id": ids["script"], "name": SCRIPT_NAME}
    project = {"type": "Project", "id": proj["id"], "name": proj["name"]}

    before = _head(api)
    created = api.post(f"{API}/entity/shots", json={"code": "ev010", "description": "d1", "project": proj})
    assert created.status_code == 201
    shot_id = created.json()["data"]["id"]
    shot = {"type": "Shot", "id": shot_id, "name": "ev010"}
    made = _events(api, shot_id, before)
    assert _summary(made) == [
        ("Shotgun_Shot_Change", "code"),
        ("Shotgun_Shot_Change", "description"),
        ("Shotgun_Shot_Change", "project"),
        ("Shotgun_Shot_Change", "sg_status_list"),
        ("Shotgun_Shot_New", None),
    ]
    for event in made:
        assert event["type"] == "EventLogEntry"
        assert event["links"] == {"self": f"{API}/entity/event_log_entries/{event['id']}"}
        assert event["relationships"]["user"]["data"] == script
        assert event["relationships"]["entity"]["data"] == shot
        assert event["relationships"]["project"]["data"] == project
    new = next(e for e in made if e["attributes"]["event_type"] == "Shotgun_Shot_New")
    assert new["attributes"]["meta"] == {"type": "new_entity", "entity_type": "Shot", "entity_id": shot_id}
    code = next(e for e in made if e["attributes"]["attribute_name"] == "code")
    assert code["attributes"]["meta"] == {
        "type": "attribute_change",
        "attribute_name": "code",
        "entity_type": "Shot",
        "entity_id": shot_id,
        "field_data_type": "text",
        "old_value": None,
        "new_value": "ev010",
        "in_create": True,
    }

    before = _head(api)
    assert api.put(f"{API}/entity/shots/{shot_id}", json={"description": "d2"}).status_code == 200
    changed = _events(api, shot_id, before)
    assert len(changed) == 1
    assert changed[0]["attributes"]["event_type"] == "Shotgun_Shot_Change"
    assert changed[0]["attributes"]["meta"] == {
        "type": "attribute_change",
        "attribute_name": "description",
        "entity_type": "Shot",
        "entity_id": shot_id,
        "field_data_type": "text",
        "old_value": "d1",
        "new_value": "d2",
    }
    assert changed[0]["relationships"]["user"]["data"] == script

    before = _head(api)
    assert api.delete(f"{API}/entity/shots/{shot_id}").status_code == 204
    retired = _events(api, shot_id, before)
    assert _summary(retired) == [
        ("Shotgun_Shot_Change", "retirement_date"),
        ("Shotgun_Shot_Retirement", None),
    ]
    assert all(e["relationships"]["user"]["data"] == script for e in retired)

    before = _head(api)
    assert api.post(f"{API}/entity/shots/{shot_id}", params={"revive": "true"}).status_code == 200
    revived = _events(api, shot_id, before)
    assert _summary(revived) == [("Shotgun_Shot_Change", "retirement_date"), ("Shotgun_Shot_Revival", None)]
    assert all(e["relationships"]["user"]["data"] == script for e in revived)

    # The same rows through the list route's simple filters: a link, and a deep path to the Shot.
    reply = api.get(
        f"{API}/entity/event_log_entries",
        params={
            "filter[entity]": f"Shot:{shot_id}",
            "fields": "event_type",
            "sort": "id",
            "page[size]": "500",
        },
    )
    assert [e["id"] for e in reply.json()["data"]] == [e["id"] for e in made + changed + retired + revived]
    reply = api.get(
        f"{API}/entity/event_log_entries",
        params={
            "filter[entity.Shot.id]": str(shot_id),
            "filter[user.ApiUser.id]": str(ids["script"]),
            "fields": "event_type",
            "sort": "-id",
            "page[size]": "500",
        },
    )
    assert reply.status_code == 200, reply.text
    listed = reply.json()["data"]
    every = made + changed + retired + revived
    assert [e["id"] for e in listed] == sorted((e["id"] for e in every), reverse=True)


def test_failed_writes_log_nothing(api: httpx.Client, proj: dict[str, Any]) -> None:
    before = _head(api)
    bad = api.post(f"{API}/entity/shots", json={"code": "x", "sg_cut_in": "nope", "project": proj})
    assert bad.status_code == 400
    assert api.post(f"{API}/entity/projects", json={"name": proj["name"]}).status_code == 409
    assert _head(api) == before


def test_writes_are_logged_as_the_human_user(
    rest: RestServer, ids: dict[str, int], proj: dict[str, Any]
) -> None:
    reply = rest.grant(grant_type="password", username=ADMIN_LOGIN, password=ADMIN_PASSWORD)
    human = rest.client(reply.json()["access_token"])
    before = _head(human)
    created = human.post(f"{API}/entity/shots", json={"code": "ev020", "project": proj})
    assert created.status_code == 201
    events = _events(human, created.json()["data"]["id"], before)
    assert len(events) == 4
    admin = {"type": "HumanUser", "id": ids["admin"], "name": f"Admin {ADMIN_LOGIN}"}
    assert all(e["relationships"]["user"]["data"] == admin for e in events)
