"""additional_filter_presets LATEST: the latest Version of each entity, optionally by pipeline step."""

from __future__ import annotations

from typing import Any

import pytest

import shotlog

LATEST = [{"preset_name": "LATEST", "latest_by": "ENTITIES_CREATED_AT"}]
BY_STEP = [{"preset_name": "LATEST", "latest_by": "BY_PIPELINE_STEP_NUMBER_AND_ENTITIES_CREATED_AT"}]


@pytest.fixture
def versions(sg: shotlog.Shotlog, project: dict[str, Any]) -> dict[str, Any]:
    a = sg.create("Shot", {"code": "a", "project": project})
    b = sg.create("Shot", {"code": "b", "project": project})
    anim = sg.create("Step", {"code": "Animation", "list_order": 2})
    light = sg.create("Step", {"code": "Lighting", "list_order": 5})
    anim_task = sg.create("Task", {"content": "anim", "entity": a, "step": anim, "project": project})
    light_task = sg.create("Task", {"content": "light", "entity": a, "step": light, "project": project})
    made: dict[str, Any] = {"a": a, "b": b}
    # Creation order is the id order (same created_at second): later ids are "later".
    for code, shot, task in (
        ("a_light_v1", a, light_task),
        ("a_anim_v1", a, anim_task),
        ("a_anim_v2", a, anim_task),
        ("b_v1", b, None),
        ("b_v2", b, None),
        ("orphan", None, None),
    ):
        data: dict[str, Any] = {"code": code, "project": project, "entity": shot}
        if task:
            data["sg_task"] = task
        made[code] = sg.create("Version", data)
    return made


def codes(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["code"] for r in rows)


def test_latest_by_created_at_keeps_the_newest_version_of_each_entity(
    sg: shotlog.Shotlog, versions: dict[str, Any]
) -> None:
    rows = sg.find("Version", [], ["code"], additional_filter_presets=LATEST)
    assert codes(rows) == ["a_anim_v2", "b_v2", "orphan"]


def test_latest_applies_among_the_rows_the_filters_match(
    sg: shotlog.Shotlog, versions: dict[str, Any]
) -> None:
    rows = sg.find(
        "Version", [["code", "not_in", ["a_anim_v2", "b_v2"]]], ["code"], additional_filter_presets=LATEST
    )
    assert codes(rows) == ["a_anim_v1", "b_v1", "orphan"]


def test_latest_ignores_retired_versions(sg: shotlog.Shotlog, versions: dict[str, Any]) -> None:
    sg.delete("Version", versions["b_v2"]["id"])
    assert codes(sg.find("Version", [], ["code"], additional_filter_presets=LATEST)) == [
        "a_anim_v2",
        "b_v1",
        "orphan",
    ]


def test_latest_by_pipeline_step_prefers_the_highest_step(
    sg: shotlog.Shotlog, versions: dict[str, Any]
) -> None:
    # a_light_v1 is older than a_anim_v2 but Lighting comes later in the pipeline (list_order 5).
    rows = sg.find("Version", [], ["code"], additional_filter_presets=BY_STEP)
    assert codes(rows) == ["a_light_v1", "b_v2", "orphan"]


@pytest.mark.parametrize(
    ("presets", "message"),
    [
        ([{"preset_name": "OLDEST"}], "Unknown filter preset"),
        ([{"preset_name": "LATEST", "latest_by": "NAME"}], "latest_by must be one of"),
        ("LATEST", "must be a list"),
    ],
)
def test_bad_presets_are_refused(sg: shotlog.Shotlog, presets: Any, message: str) -> None:
    with pytest.raises(shotlog.FilterError, match=message):
        sg.find("Version", [], ["code"], additional_filter_presets=presets)


def test_latest_needs_an_entity_field(sg: shotlog.Shotlog) -> None:
    with pytest.raises(shotlog.FilterError, match="needs an entity field; Shot has none"):
        sg.find("Shot", [], ["code"], additional_filter_presets=LATEST)
