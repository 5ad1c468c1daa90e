"""Action Menu Items: which items a page shows, FPTR's payload, the triggered event."""

from __future__ import annotations

from typing import Any

import pytest

import shotlog
from shotlog.actions import (
    EXPORT_URL,
    TRIGGERED,
    TriggerContext,
    menu_items,
    payload,
    query_from_dict,
    trigger,
)
from shotlog.errors import NotFound, PermissionDenied, UnknownEntityType, ValidationError
from shotlog.export import ExportError


@pytest.fixture
def setup(sg: shotlog.Shotlog) -> dict[str, Any]:
    p1 = sg.create("Project", {"name": "One"})
    p2 = sg.create("Project", {"name": "Two"})
    jane = sg.create("HumanUser", {"login": "jane", "firstname": "Jane", "lastname": "Doe"})
    bob = sg.create("HumanUser", {"login": "bob", "firstname": "Bob", "lastname": "Roe"})
    leads = sg.create("Group", {"code": "Leads", "users": [jane]})
    items = {
        "pdf": sg.create(
            "ActionMenuItem",
            {
                "title": "Build PDF",
                "url": "https://example.invalid/pdf",
                "entity_type": "Version",
                "list_order": 5,
                "selection_required": True,
            },
        ),
        "any": sg.create(
            "ActionMenuItem", {"title": "Anywhere", "url": "https://example.invalid/any", "list_order": 1}
        ),
        "p1": sg.create(
            "ActionMenuItem",
            {
                "title": "Project one",
                "url": "https://example.invalid/p1",
                "configure_for_project": True,
                "projects": [p1],
            },
        ),
        "leads": sg.create(
            "ActionMenuItem",
            {
                "title": "Leads only",
                "url": "https://example.invalid/l",
                "permissions_groups": [leads],
                "folder": "Tools",
            },
        ),
    }
    return {"p1": p1, "p2": p2, "jane": jane, "bob": bob, "items": items}


def _titles(items: list[dict[str, Any]]) -> list[str]:
    return [i["title"] for i in items]


def test_menu_items_apply_type_project_and_groups(sg: shotlog.Shotlog, setup: dict[str, Any]) -> None:
    jane, bob, p1, p2 = setup["jane"], setup["bob"], setup["p1"], setup["p2"]
    assert _titles(menu_items(sg, "Version", p1["id"], jane)) == [
        "Anywhere",
        "Build PDF",
        "Export events to CSV",
        "Leads only",
        "Project one",
    ]
    assert _titles(menu_items(sg, "Shot", p2["id"], bob)) == ["Anywhere", "Export events to CSV"]
    assert _titles(menu_items(sg, "Shot", None, jane)) == ["Anywhere", "Export events to CSV", "Leads only"]
    builtin = [i for i in menu_items(sg, "Shot", None, bob) if i["builtin"]]
    assert len(builtin) == 1 and builtin[0]["url"] == EXPORT_URL
    assert len(sg.find("ActionMenuItem", [["url", "is", EXPORT_URL]])) == 1  # created once
    with pytest.raises(UnknownEntityType):
        menu_items(sg, "Shoot")


def test_payload_has_fptr_keys() -> None:
    ctx = TriggerContext(
        entity_type="Version",
        selected_ids=(7, 9),
        ids=(7, 8, 9),
        page_id=42,
        project_id=3,
        cols=("code", "image"),
        column_display_names=("Version Name", "Thumbnail"),
        sort_column="code",
        sort_direction="asc",
        title="Versions",
        referrer_path="/page/42",
        server_hostname="shotlog.local",
        session_uuid="5a2c...",
    )
    data = payload(
        {"title": "Build PDF"}, ctx, {"type": "HumanUser", "id": 39}, "flord", {"id": 3, "name": "SOURCE"}
    )
    assert data == {
        "entity_type": "Version",
        "ids": "7,8,9",
        "selected_ids": "7,9",
        "title": "Versions",
        "cols": ["code", "image"],
        "column_display_names": ["Version Name", "Thumbnail"],
        "user_id": "39",
        "user_login": "flord",
        "session_uuid": "5a2c...",
        "server_hostname": "shotlog.local",
        "referrer_path": "/page/42",
        "page_id": "42",
        "project_id": "3",
        "project_name": "SOURCE",
        "sort_column": "code",
        "sort_direction": "asc",
    }


def test_trigger_records_an_event(sg: shotlog.Shotlog, setup: dict[str, Any]) -> None:
    item, jane, p1 = setup["items"]["pdf"], setup["jane"], setup["p1"]
    ctx = TriggerContext(entity_type="Version", selected_ids=(5, 6), project_id=p1["id"], page_id=12)
    result = trigger(sg, item["id"], ctx, {"type": "HumanUser", "id": jane["id"]}, "jane")
    assert (
        result.action == "post"
        and result.payload["selected_ids"] == "5,6"
        and result.payload["user_login"] == "jane"
    )
    event = sg.find_one(
        "EventLogEntry", [["id", "is", result.event_id]], ["event_type", "entity", "project", "user", "meta"]
    )
    assert event is not None
    assert event["event_type"] == TRIGGERED
    assert (event["entity"]["type"], event["entity"]["id"]) == ("ActionMenuItem", item["id"])
    assert event["project"]["id"] == p1["id"] and event["user"]["id"] == jane["id"]
    assert event["meta"]["selected_ids"] == [5, 6] and event["meta"]["page_id"] == 12


def test_trigger_refusals_write_nothing(sg: shotlog.Shotlog, setup: dict[str, Any]) -> None:
    head = sg.head_event_id()
    items, bob = setup["items"], setup["bob"]
    with pytest.raises(ValidationError, match="needs a selection"):
        trigger(sg, items["pdf"]["id"], TriggerContext(entity_type="Version"), bob)
    with pytest.raises(PermissionDenied, match="not available on Shot pages"):
        trigger(sg, items["pdf"]["id"], TriggerContext(entity_type="Shot", selected_ids=(1,)), bob)
    with pytest.raises(PermissionDenied):
        trigger(
            sg,
            items["leads"]["id"],
            TriggerContext(entity_type="Shot"),
            {"type": "HumanUser", "id": bob["id"]},
        )
    with pytest.raises(NotFound):
        trigger(sg, 999999, TriggerContext(entity_type="Shot"), bob)
    with pytest.raises(ValidationError, match="session_uuid must be a UUID"):
        trigger(sg, items["any"]["id"], TriggerContext(entity_type="Shot", session_uuid="nope"), bob)
    assert sg.head_event_id() == head


def test_builtin_export_query(sg: shotlog.Shotlog, setup: dict[str, Any]) -> None:
    builtin = next(i for i in menu_items(sg, "Shot") if i["builtin"])
    selected = trigger(sg, builtin["id"], TriggerContext(entity_type="Shot", selected_ids=(3, 4)))
    assert selected.action == "export" and selected.query is not None
    assert (selected.query.entity_type, selected.query.entity_ids) == ("Shot", (3, 4))
    events = trigger(sg, builtin["id"], TriggerContext(entity_type="EventLogEntry", selected_ids=(1, 2)))
    assert events.query is not None and events.query.ids == (1, 2)
    filtered = trigger(
        sg,
        builtin["id"],
        TriggerContext(
            entity_type="EventLogEntry", query={"event_types": ["Shotgun_Shot_*"], "since": "2024-01-01"}
        ),
    )
    assert filtered.query is not None and filtered.query.event_types == ("Shotgun_Shot_*",)
    assert query_from_dict({"users": ["HumanUser:7", {"type": "ApiUser", "id": 2}]}).users == (
        ("HumanUser", 7),
        ("ApiUser", 2),
    )
    with pytest.raises(ExportError, match=r"HumanUser\|ApiUser"):
        query_from_dict({"users": ["Group:1"]})
    with pytest.raises(ExportError, match="unknown filter 'colour'"):
        query_from_dict({"colour": "red"})
    with pytest.raises(ExportError, match="since must be an ISO date"):
        query_from_dict({"since": "last tuesday"})
