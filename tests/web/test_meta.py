"""Meta summaries and the event page's meta view (pure, table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from shotlog.web.meta import describe_meta, meta_summary

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
