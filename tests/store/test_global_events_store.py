"""Global events written by the Python API on both backends: a field's revival, script keys, and
scripts whose generate_event_log_entries is off."""

from __future__ import annotations

from typing import Any

import shotlog
from shotlog.accounts.credentials import Credentials
from shotlog.eventlog.events import display_column_id


def _after(sg: shotlog.Shotlog, head: int) -> list[dict[str, Any]]:
    return sg.find(
        "EventLogEntry",
        [["id", "greater_than", head]],
        ["event_type", "attribute_name", "meta", "user", "entity"],
        order=[{"field_name": "id", "direction": "asc"}],
    )


def test_a_revived_field_says_when_it_was_retired(sg: shotlog.Shotlog) -> None:
    name = sg.schema_field_create("Asset", "number", "Revived count")
    sg.schema_field_delete("Asset", name)
    retired = _after(sg, 0)[-1]
    head = sg.head_event_id()
    sg.schema_field_revive("Asset", name)
    change, revival = _after(sg, head)
    column = display_column_id("Asset", name)
    assert change["event_type"] == "Shotgun_DisplayColumn_Change"
    assert change["meta"] == {
        "type": "attribute_change",
        "attribute_name": "retirement_date",
        "entity_type": "DisplayColumn",
        "entity_id": column,
        "field_data_type": "date_time",
        "old_value": retired["meta"]["retirement_date"],
        "new_value": None,
    }
    assert revival["event_type"] == "Shotgun_DisplayColumn_Revival"
    assert revival["attribute_name"] is None
    assert revival["meta"] == {
        "type": "entity_revival",
        "entity_type": "DisplayColumn",
        "entity_id": column,
        "id": column,
        "class_name": "DisplayColumn",
        "display_name": name,
    }


def test_script_keys_are_logged_when_they_change(sg: shotlog.Shotlog) -> None:
    person = sg.create("HumanUser", {"login": "keyholder", "firstname": "Key", "lastname": "Holder"})
    bot = sg.create("ApiUser", {"firstname": "keyed_bot"})
    credentials = Credentials(sg)
    by = sg.as_user({"type": "HumanUser", "id": person["id"]}).actor
    head = sg.head_event_id()
    credentials.set_script_key(bot["id"], "k" * 40, by=by)
    credentials.set_script_key(bot["id"], "k" * 40, by=by)  # the same key: nothing changes
    credentials.set_script_key(bot["id"], "j" * 40, by=by)
    events = _after(sg, head)
    assert [(e["event_type"], e["attribute_name"]) for e in events] == [
        ("Shotgun_ApiUser_Change", "salted_password"),
        ("Shotgun_ApiUser_Change", "salted_password"),
    ]
    assert events[0]["entity"] == {"type": "ApiUser", "id": bot["id"], "name": "keyed_bot"}
    assert events[0]["user"] == {"type": "HumanUser", "id": person["id"], "name": "Key Holder"}
    assert events[0]["meta"] == {
        "type": "attribute_change",
        "attribute_name": "salted_password",
        "entity_type": "ApiUser",
        "entity_id": bot["id"],
        "field_data_type": "password",
        "old_value": None,
        "new_value": None,
    }
    assert credentials.script("keyed_bot", "j" * 40) is not None
    assert credentials.script("keyed_bot", "k" * 40) is None


def test_a_script_without_events_logs_no_schema_change(sg: shotlog.Shotlog) -> None:
    quiet = sg.create("ApiUser", {"firstname": "quiet_bot", "generate_event_log_entries": False})
    view = sg.as_user({"type": "ApiUser", "id": quiet["id"]})
    head = sg.head_event_id()
    name = view.schema_field_create("Shot", "text", "Quietly made")
    assert name in sg.schema_field_read("Shot")
    marker = sg.create_event("GlobalEvents_Marker")
    assert [e["id"] for e in _after(sg, head)] == [marker["id"]]
