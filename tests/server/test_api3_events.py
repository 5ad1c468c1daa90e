"""The event log as shotgunEvents-style pollers read it, and custom events written by scripts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import shotgun_api3
from sgserver import Server, head_event_id

import shotlog
from shotlog.accounts.credentials import Credentials
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS

POLL_FIELDS = list(SHOTGUNEVENTS_FIELDS)


def poll(sg: shotgun_api3.Shotgun, after: int) -> list[dict[str, Any]]:
    """shotgunEvents' poll, character for character (its order still uses the legacy 'column' key)."""
    return sg.find(
        "EventLogEntry",
        filters=[["id", "greater_than", after]],
        fields=POLL_FIELDS,
        order=[{"column": "id", "direction": "asc"}],
        limit=500,
    )


def head(sg: shotgun_api3.Shotgun) -> dict[str, Any] | None:
    """shotgunEvents' start-up query for the newest event."""
    return sg.find_one(
        "EventLogEntry", filters=[], fields=["id"], order=[{"field_name": "id", "direction": "desc"}]
    )


def test_poll_query_sees_a_create_in_order(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    newest = head(sg)
    assert newest is not None
    assert set(newest) == {"type", "id"}
    before = newest["id"]
    seq = sg.create("Sequence", {"code": "poll seq", "project": project})
    shot = sg.create("Shot", {"code": "poll", "project": project, "sg_sequence": seq, "sg_cut_duration": 12})
    events = poll(sg, before)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)
    assert ids == list(range(before + 1, before + 1 + len(ids)))  # a serial writer leaves no holes
    assert head(sg) == {"type": "EventLogEntry", "id": ids[-1]}
    for event in events:
        assert set(event) == {"type", *POLL_FIELDS}
        assert isinstance(event["created_at"], dt.datetime)
        assert event["created_at"].tzinfo is not None
        assert abs(event["created_at"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
        assert event["session_uuid"] is None
        assert event["project"] == {"type": "Project", "id": project["id"], "name": project["name"]}
        assert event["user"]["type"] == "ApiUser"
        assert event["user"]["name"] == server.script_name
    shot_events = [e for e in events if e["entity"] == {"type": "Shot", "id": shot["id"], "name": "poll"}]
    assert shot_events[0]["event_type"] == "Shotgun_Shot_New"
    assert shot_events[0]["attribute_name"] is None
    assert shot_events[0]["meta"] == {"type": "new_entity", "entity_type": "Shot", "entity_id": shot["id"]}
    changes = {e["attribute_name"]: e["meta"] for e in shot_events[1:]}
    assert {"code", "project", "sg_sequence", "sg_cut_duration", "sg_status_list"} <= set(changes)
    assert changes["sg_cut_duration"] == {
        "type": "attribute_change",
        "attribute_name": "sg_cut_duration",
        "entity_type": "Shot",
        "entity_id": shot["id"],
        "field_data_type": "number",
        "old_value": None,
        "new_value": 12,
        "in_create": True,
    }
    assert changes["sg_sequence"]["new_value"] == {"type": "Sequence", "id": seq["id"], "name": "poll seq"}
    # the back-reference on the Sequence's shots field
    back = [
        e
        for e in events
        if e["entity"] and e["entity"]["type"] == "Sequence" and e["attribute_name"] == "shots"
    ]
    assert len(back) == 1
    assert back[0]["meta"]["actual_attribute_changed"] == "Shot.sg_sequence"
    assert [i["id"] for i in back[0]["meta"]["added"]] == [shot["id"]]


def test_poll_query_limit_and_cursor(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    before = head_event_id(sg)
    sg.batch(
        [
            {"request_type": "create", "entity_type": "Shot", "data": {"code": f"c{i}", "project": project}}
            for i in range(150)
        ]
    )
    first = poll(sg, before)
    assert len(first) == 500
    rest = poll(sg, first[-1]["id"])
    assert rest
    assert rest[0]["id"] == first[-1]["id"] + 1
    total = first + rest
    assert [e["id"] for e in total] == list(range(before + 1, before + 1 + len(total)))
    assert poll(sg, total[-1]["id"]) == []
    assert len([e for e in total if e["event_type"] == "Shotgun_Shot_New"]) == 150


def test_update_event_meta(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    shot = sg.create("Shot", {"code": "upd", "project": project})
    before = head_event_id(sg)
    sg.update("Shot", shot["id"], {"sg_status_list": "ip", "description": "new"})
    events = poll(sg, before)
    assert [(e["event_type"], e["attribute_name"]) for e in events] == [
        ("Shotgun_Shot_Change", "sg_status_list"),
        ("Shotgun_Shot_Change", "description"),
    ]
    assert events[0]["meta"] == {
        "type": "attribute_change",
        "attribute_name": "sg_status_list",
        "entity_type": "Shot",
        "entity_id": shot["id"],
        "field_data_type": "status_list",
        "old_value": "wtg",
        "new_value": "ip",
    }


def test_event_filters(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    before = head_event_id(sg)
    shot = sg.create("Shot", {"code": "flt", "project": project})
    sg.update("Shot", shot["id"], {"description": "x"})
    link = {"type": "Shot", "id": shot["id"]}
    scope = [["id", "greater_than", before]]

    def types(*filters: Any) -> list[tuple[str, str | None]]:
        rows = sg.find("EventLogEntry", [*scope, *filters], ["event_type", "attribute_name"])
        return [(r["event_type"], r["attribute_name"]) for r in rows]

    assert types(["event_type", "is", "Shotgun_Shot_New"]) == [("Shotgun_Shot_New", None)]
    assert types(["attribute_name", "is", "description"]) == [("Shotgun_Shot_Change", "description")]
    assert len(types(["entity", "is", link])) == len(types(["project", "is", project])) >= 4
    assert types(["event_type", "in", ["Shotgun_Shot_New", "Shotgun_Asset_New"]]) == [
        ("Shotgun_Shot_New", None)
    ]
    assert types(["event_type", "starts_with", "Shotgun_Shot_"]) == types()
    assert types(["created_at", "in_last", 1, "HOUR"]) == types()
    user = sg.find_one("EventLogEntry", [*scope], ["user"])["user"]
    assert types(["user", "is", user]) == types()
    with pytest.raises(shotgun_api3.Fault, match="meta"):
        sg.find("EventLogEntry", [["meta", "is", None]])


def test_custom_event_log_entry(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    shot = sg.create("Shot", {"code": "subject", "project": project})
    before = head_event_id(sg)
    meta = {
        "app": "tk-multi-launchapp",
        "version": "v0.12.3",
        "nested": {"list": [1, 2.5, None, True], "text": "ü"},
        "when": "2024-05-01 10:00:00 UTC",
    }
    created = sg.create(
        "EventLogEntry",
        {
            "event_type": "Toolkit_App_Startup",
            "description": "Launched Nuke",
            "entity": shot,
            "project": project,
            "meta": meta,
        },
        ["event_type", "meta", "user", "created_at", "description"],
    )
    assert created["event_type"] == "Toolkit_App_Startup"
    assert created["meta"] == meta
    assert created["user"]["type"] == "ApiUser"
    # the row itself and nothing else
    events = poll(sg, before)
    assert [e["id"] for e in events] == [created["id"]]
    (event,) = events
    assert event["meta"] == meta  # "... UTC" timestamps stay strings
    assert event["entity"] == {"type": "Shot", "id": shot["id"], "name": "subject"}
    assert event["project"]["id"] == project["id"]
    assert event["attribute_name"] is None
    assert (
        sg.find_one("EventLogEntry", [["id", "is", created["id"]]], ["description"])["description"]
        == "Launched Nuke"
    )


def test_event_log_entries_cannot_be_changed(sg: shotgun_api3.Shotgun) -> None:
    created = sg.create("EventLogEntry", {"event_type": "Test_Custom_Event", "description": "fixed"})
    with pytest.raises(shotgun_api3.Fault, match=r"^API update\(\) CRUD ERROR"):
        sg.update("EventLogEntry", created["id"], {"description": "changed"})
    with pytest.raises(shotgun_api3.Fault, match=r"^API delete\(\) CRUD ERROR"):
        sg.delete("EventLogEntry", created["id"])
    with pytest.raises(shotgun_api3.Fault):
        sg.create("EventLogEntry", {"description": "no event type"})
    with pytest.raises(shotgun_api3.Fault):
        sg.create("EventLogEntry", {"event_type": "Test_Custom_Event", "meta": "not an object", "id": 5})
    assert (
        sg.find_one("EventLogEntry", [["id", "is", created["id"]]], ["description"])["description"] == "fixed"
    )


def test_script_without_event_log_entries(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    """Writes by a script whose generate_event_log_entries is off succeed and log nothing."""
    keys = {}
    with shotlog.connect(
        server.db_url, migrate=False
    ) as store:  # script keys are set by an admin, not over api3
        credentials = Credentials(store)
        for flag in (False, True):
            name = f"script_{flag}_{uuid.uuid4().hex[:6]}"
            script = sg.create("ApiUser", {"firstname": name, "generate_event_log_entries": flag})
            keys[flag] = (name, uuid.uuid4().hex)
            credentials.set_script_key(script["id"], keys[flag][1])
    quiet = server.client(script_name=keys[False][0], api_key=keys[False][1])
    loud = server.client(script_name=keys[True][0], api_key=keys[True][1])
    before = head_event_id(sg)
    shot = quiet.create("Shot", {"code": "silent", "project": project})
    quiet.update("Shot", shot["id"], {"description": "shh"})
    assert poll(sg, before) == []
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["description"])["description"] == "shh"
    before = head_event_id(sg)
    loud.update("Shot", shot["id"], {"description": "loud"})
    (event,) = poll(sg, before)
    assert event["user"]["name"] == keys[True][0]
