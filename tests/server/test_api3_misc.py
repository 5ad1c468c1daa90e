"""summarize, text_search, following and the small methods, through the client."""

from __future__ import annotations

import re
from typing import Any

import pytest
import shotgun_api3
from sgserver import Server


@pytest.fixture
def shots(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> list[dict[str, Any]]:
    seq = sg.create("Sequence", {"code": "SQ", "project": project})
    rows = [("ip", 10, seq), ("ip", 20, seq), ("fin", 5, None), ("wtg", None, None)]
    return sg.batch(
        [
            {
                "request_type": "create",
                "entity_type": "Shot",
                "data": {
                    "code": f"Zebra {i}",
                    "sg_status_list": status,
                    "sg_cut_duration": duration,
                    "sg_sequence": sequence,
                    "project": project,
                },
            }
            for i, (status, duration, sequence) in enumerate(rows)
        ]
    )


def test_summarize_with_grouping(sg: shotgun_api3.Shotgun, project: dict[str, Any], shots: Any) -> None:
    result = sg.summarize(
        "Shot",
        [["project", "is", project]],
        [
            {"field": "id", "type": "count"},
            {"field": "sg_cut_duration", "type": "sum"},
            {"field": "sg_cut_duration", "type": "maximum"},
        ],
        grouping=[{"field": "sg_status_list", "type": "exact", "direction": "asc"}],
    )
    # the client's summary_fields are keyed by field: the later one for a field wins
    assert result == {
        "summaries": {"id": 4, "sg_cut_duration": 20},
        "groups": [
            {"group_name": "fin", "group_value": "fin", "summaries": {"id": 1, "sg_cut_duration": 5}},
            {"group_name": "ip", "group_value": "ip", "summaries": {"id": 2, "sg_cut_duration": 20}},
            {"group_name": "wtg", "group_value": "wtg", "summaries": {"id": 1, "sg_cut_duration": None}},
        ],
    }
    totals = sg.summarize(
        "Shot",
        [["project", "is", project]],
        [{"field": "sg_cut_duration", "type": "sum"}, {"field": "code", "type": "record_count"}],
    )
    assert totals == {"summaries": {"sg_cut_duration": 35, "code": 4}, "groups": []}


def test_summarize_nested_grouping_on_a_link(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], shots: Any
) -> None:
    result = sg.summarize(
        "Shot",
        [["project", "is", project]],
        [{"field": "id", "type": "count"}],
        grouping=[
            {"field": "sg_sequence", "type": "exact", "direction": "desc"},
            {"field": "sg_status_list", "type": "exact", "direction": "asc"},
        ],
    )
    seq = shots[0]["sg_sequence"]
    assert result["summaries"] == {"id": 4}
    assert [g["group_name"] for g in result["groups"]] == ["SQ", ""]
    assert result["groups"][0]["group_value"] == {"type": "Sequence", "id": seq["id"], "name": "SQ"}
    assert result["groups"][0]["groups"] == [
        {"group_name": "ip", "group_value": "ip", "summaries": {"id": 2}}
    ]
    assert result["groups"][1]["group_value"] is None
    assert [g["group_value"] for g in result["groups"][1]["groups"]] == ["fin", "wtg"]


def test_summarize_filters_and_faults(sg: shotgun_api3.Shotgun, project: dict[str, Any], shots: Any) -> None:
    result = sg.summarize(
        "Shot",
        [["project", "is", project], ["sg_cut_duration", "greater_than", 7]],
        [{"field": "sg_cut_duration", "type": "average"}],
    )
    assert result["summaries"] == {"sg_cut_duration": 15}
    result = sg.summarize(
        "Shot",
        [["sg_status_list", "is", "fin"], ["sg_status_list", "is", "wtg"]],
        [{"field": "id", "type": "count"}],
        filter_operator="any",
    )
    assert result["summaries"]["id"] >= 2
    with pytest.raises(shotgun_api3.Fault, match="nonsense"):
        sg.summarize("Shot", [], [{"field": "id", "type": "nonsense"}])
    with pytest.raises(shotgun_api3.Fault, match="nope"):
        sg.summarize("Shot", [], [{"field": "nope", "type": "count"}])


def test_text_search(sg: shotgun_api3.Shotgun, project: dict[str, Any], shots: Any) -> None:
    found = sg.text_search("zebra 1", {"Shot": [["project", "is", project]]})
    assert found == {
        "matches": [
            {
                "id": shots[1]["id"],
                "type": "Shot",
                "name": "Zebra 1",
                "project_id": project["id"],
                "image": None,
                "links": [],
                "status": "ip",
            }
        ],
        "terms": ["zebra", "1"],
    }
    # per-type filters, project ids and the result limit are honoured
    ip = sg.text_search("ZEBRA", {"Shot": [["sg_status_list", "is", "ip"]]}, project_ids=[project["id"]])
    assert [m["name"] for m in ip["matches"]] == ["Zebra 0", "Zebra 1"]
    one = sg.text_search("zebra", {"Shot": []}, project_ids=[project["id"]], limit=1)
    assert [m["name"] for m in one["matches"]] == ["Zebra 0"]
    assert sg.text_search("zebra", {"Shot": []}, project_ids=[987654321])["matches"] == []
    with pytest.raises(shotgun_api3.Fault):
        sg.text_search("ze", {"Shot": []})


def test_follow_unfollow_followers_following(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], uniq: str
) -> None:
    user = sg.create("HumanUser", {"login": f"fol-{uniq}", "name": "Fol Lower"})
    shot = sg.create("Shot", {"code": "followed", "project": project})
    asset = sg.create("Asset", {"code": "also followed", "project": project})
    user_link = {"type": "HumanUser", "id": user["id"]}
    shot_link = {"type": "Shot", "id": shot["id"]}
    followed = sg.follow(user_link, shot_link)
    assert followed["followed"] is True
    assert followed["entity"]["id"] == shot["id"]
    assert followed["user"]["id"] == user["id"]
    sg.follow(user_link, {"type": "Asset", "id": asset["id"]})
    assert sg.followers(shot_link) == [
        {"type": "HumanUser", "id": user["id"], "name": "Fol Lower", "status": "act", "valid": "valid"}
    ]
    following = sg.following(user_link)
    assert sorted(following, key=lambda f: (f["type"], f["id"])) == [
        {"type": "Asset", "id": asset["id"]},
        shot_link,
    ]
    assert sg.following(user_link, entity_type="Asset") == [{"type": "Asset", "id": asset["id"]}]
    assert len(sg.following(user_link, project=project)) == 2
    unfollowed = sg.unfollow(user_link, shot_link)
    assert unfollowed["unfollowed"] is True
    assert sg.followers(shot_link) == []
    assert sg.following(user_link) == [{"type": "Asset", "id": asset["id"]}]
    with pytest.raises(shotgun_api3.Fault):
        sg.follow(user_link, {"type": "Shot", "id": 987654321})


def test_update_project_last_accessed_wire(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    assert sg.update_project_last_accessed(project) is None  # the client returns nothing itself...
    body = server.call("update_project_last_accessed_by_current_user", {"project_id": project["id"]})
    # ...but reads the answer as a record: the project with the time recorded
    assert body["results"]["type"] == "Project" and body["results"]["id"] == project["id"]
    assert body["results"]["last_accessed_by_current_user"].endswith("Z")
    missing = server.call("update_project_last_accessed_by_current_user", {"project_id": 987654321})
    assert missing["exception"] is True and "987654321" in missing["message"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"grouping": "sg_status_list"}, "'grouping' must be a list"),
        ({"grouping": {"field": "sg_status_list", "type": "exact"}}, "'grouping' must be a list"),
        ({"grouping": ["sg_status_list"]}, r"grouping\[0\] must be"),
        ({"grouping": [{"type": "exact"}]}, r"grouping\[0\] must be"),
        ({"grouping": [{"field": "sg_status_list"}]}, r"grouping\[0\]\.type"),
        (
            {"grouping": [{"field": "sg_status_list", "type": "exact", "direction": "up"}]},
            r"grouping\[0\]\.direction",
        ),
        (
            {"grouping": [{"field": "nope", "type": "exact"}]},
            r"grouping\[0\]\.field: Shot has no field 'nope'",
        ),
        ({"grouping": [{"field": "sg_status_list", "type": "weird"}]}, "grouping type 'weird'"),
        ({"grouping": [{"field": "code", "type": "day"}]}, "'day' needs a date field, Shot.code"),
        ({"summaries": "id"}, "'summaries' must be a list"),
        ({"summaries": [{"field": "id"}]}, r"summaries\[0\]\.type"),
        (
            {"summaries": [{"field": "nope", "type": "count"}]},
            r"summaries\[0\]\.field: Shot has no field 'nope'",
        ),
        ({"summaries": [{"field": "code", "type": "sum"}]}, "'sum' needs a number field, Shot.code"),
        ({"filters": "x"}, "'filters' must be"),
        ({"include_archived_projects": "no"}, "'include_archived_projects' must be true or false"),
    ],
)
def test_summarize_bad_parameters_name_them(server: Server, args: dict[str, Any], needle: str) -> None:
    """Raw calls too: the client itself refuses a scalar grouping before sending it."""
    body = server.call(
        "summarize", {"type": "Shot", "filters": [], "summaries": [{"field": "id", "type": "count"}], **args}
    )
    assert body.get("exception") is True, body
    assert body["error_code"] == 104
    assert body["message"].startswith("API summarize() CRUD ERROR #104: ")
    assert re.search(needle, body["message"]), body["message"]


def test_text_search_across_types_with_complex_filters(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], uniq: str
) -> None:
    prefix = uniq[-8:]
    sg.batch(
        [
            {
                "request_type": "create",
                "entity_type": etype,
                "data": {"code": f"{prefix} Text Search {i}", "project": project},
            }
            for i in range(5)
            for etype in ("Shot", "Asset")
        ]
    )
    everything = sg.text_search(f"{prefix} Text Search", {"Shot": [], "Asset": []})
    assert everything["terms"] == [prefix, "text", "search"]
    assert len(everything["matches"]) == 10
    assert len(sg.text_search(f"{prefix} Text Search", {"Shot": []}, limit=3)["matches"]) == 3
    result = sg.text_search(
        f"{prefix} Text Search",
        {
            "Shot": [["code", "ends_with", "3"]],
            "Asset": [{"filter_operator": "any", "filters": [["code", "ends_with", "4"]]}],
        },
    )
    assert [(m["type"], m["name"]) for m in result["matches"]] == [
        ("Shot", f"{prefix} Text Search 3"),
        ("Asset", f"{prefix} Text Search 4"),
    ]
    assert all(m["project_id"] == project["id"] and m["image"] is None for m in result["matches"])
    with pytest.raises(shotgun_api3.Fault, match="Nope"):
        sg.text_search(f"{prefix} Text", {"Nope": []})


@pytest.mark.parametrize("presets", [[{}], [3], 3, [{"preset_name": "BAD_FILTER"}]])
def test_bad_filter_presets_are_faults(sg: shotgun_api3.Shotgun, presets: Any) -> None:
    with pytest.raises(shotgun_api3.Fault, match="preset"):
        sg.find("Version", [], ["id"], additional_filter_presets=presets)
