"""Meta summaries and the event page's meta view (pure, table-driven), and how lists clip them."""

from __future__ import annotations

from typing import Any

import pytest
import shotgun_api3
from webkit import WebServer

from shotlog.web.meta import LIST_TEXT_LIMIT, ListCells, describe_meta, list_cells, meta_summary

ANN = {"type": "HumanUser", "id": 2, "name": "Ann", "status": "act", "valid": "valid"}
BOB = {"type": "HumanUser", "id": 1, "name": "Bob"}


@pytest.mark.parametrize(
    ("meta", "summary"),
    [
        (None, ""),
        ({"type": "attribute_change", "old_value": "rev", "new_value": "apr"}, "rev → apr"),
        (
            {"type": "attribute_change", "old_value": None, "new_value": 3, "in_create": True},
            "— → 3 (on create)",
        ),
        ({"type": "attribute_change", "added": [ANN], "removed": [BOB]}, "+Ann −Bob"),
        ({"type": "attribute_change", "added": [], "removed": []}, "no change"),
        (
            {"type": "attribute_change", "old_value": None, "new_value": {"type": "Shot", "id": 4}},
            "— → Shot #4",
        ),
        ({"type": "new_entity", "entity_type": "Shot", "entity_id": 12}, "new Shot #12"),
        ({"type": "entity_retirement", "display_name": "sh010"}, "retired sh010"),
        ({"type": "entity_revival", "display_name": "sh010"}, "revived sh010"),
        ({"path": "/jobs/x", "app": "tk"}, "{app, path}"),
        ({"type": "attribute_change", "old_value": "x" * 200, "new_value": "y"}, "x" * 79 + "…"),
    ],
)
def test_summaries(meta: Any, summary: str) -> None:
    assert meta_summary(meta) == summary


def test_change_view_has_old_new_and_the_other_keys() -> None:
    view = describe_meta(
        {
            "type": "attribute_change",
            "attribute_name": "sg_status_list",
            "entity_type": "Shot",
            "entity_id": 3,
            "field_data_type": "status_list",
            "old_value": "wtg",
            "new_value": "ip",
            "sudo_actual_user": {"type": "ApiUser", "id": 1, "name": "bot"},
        }
    )
    assert (view.kind, view.title, view.old, view.new) == ("change", "sg_status_list", "wtg", "ip")
    assert view.extra == [("sudo_actual_user", "bot")]
    assert '"old_value": "wtg"' in view.pretty


def test_multi_entity_view_lists_added_and_removed() -> None:
    view = describe_meta(
        {"type": "attribute_change", "attribute_name": "task_assignees", "added": [ANN], "removed": [BOB]}
    )
    assert view.kind == "multi" and view.added == [ANN] and view.removed == [BOB]


def test_other_views() -> None:
    assert describe_meta(None).kind == "none"
    lifecycle = describe_meta(
        {"type": "entity_retirement", "entity_type": "Task", "entity_id": 5, "display_name": "x"}
    )
    assert lifecycle.kind == "lifecycle" and lifecycle.title == "Retired Task #5"
    custom = describe_meta({"path": "/jobs"})
    assert custom.kind == "other" and custom.extra == [("path", "/jobs")]


@pytest.mark.parametrize(
    ("description", "meta", "cells"),
    [
        (None, None, ListCells("", False, "", False)),
        ("short", {"a": 1}, ListCells("short", False, "{a}", False)),
        ("d" * LIST_TEXT_LIMIT, None, ListCells("d" * LIST_TEXT_LIMIT, False, "", False)),
        ("d" * 70_000, None, ListCells("d" * (LIST_TEXT_LIMIT - 1) + "…", True, "", False)),
        (
            "x",
            {"type": "attribute_change", "old_value": "o" * 5_000_000, "new_value": "n"},
            ListCells("x", False, "o" * 79 + "…", True),
        ),
        (
            "x",
            {"type": "attribute_change", "old_value": "o", "new_value": "n" * 78},
            ListCells("x", False, "o → " + "n" * 75 + "…", True),
        ),
        (
            "x",
            {"type": "attribute_change", "added": [{"type": "Asset", "id": 1}] * 3},
            ListCells("x", False, "+Asset #1 +Asset #1 +Asset #1", False),
        ),
    ],
)
def test_list_cells_clip_long_descriptions_and_metas(description: Any, meta: Any, cells: ListCells) -> None:
    assert list_cells(description, meta) == cells


def test_event_lists_clip_long_values_and_link_to_the_whole_event(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    long_text = "Lorem ipsum " * 5_000  # 60,000 characters: the update's event quotes it twice
    shot = sg.create("Shot", {"code": "sh_long", "project": project})
    sg.update("Shot", shot["id"], {"description": long_text})
    event = sg.find_one(
        "EventLogEntry",
        [["entity", "is", shot], ["attribute_name", "is", "description"]],
        ["description", "meta"],
    )
    assert event["meta"]["new_value"] == long_text  # the API keeps the whole value
    http = server.signed_in()
    more = f'<a class="more" href="/events/{event["id"]}"'
    # the event list, and the entity's page: its own description whole, its history clipped
    for url, own in (
        (f"/events?project={project['id']}", 0),
        (f"/entities/Shot/{shot['id']}", len(long_text)),
    ):
        page = http.get(url)
        assert page.status_code == 200, url
        assert more in page.text, url
        assert len(page.content) < own + 30_000, (url, len(page.content))  # not 120,000 more
    whole = http.get(f"/events/{event['id']}")
    assert whole.status_code == 200 and long_text in whole.text
