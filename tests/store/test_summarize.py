"""summarize: every summary type and grouping, with exact numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import shotlog
from shotlog import FilterError
from shotlog.store.summaries import GROUPING_TYPES, SUMMARY_TYPES


def create_all(sg: shotlog.Shotlog, entity_type: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sg.batch([{"request_type": "create", "entity_type": entity_type, "data": r} for r in rows])


def ref(entity: dict[str, Any], name: str | None) -> dict[str, Any]:
    return {"type": entity["type"], "id": entity["id"], "name": name}


@pytest.fixture
def data(sg: shotlog.Shotlog, project: dict[str, Any]) -> dict[str, Any]:
    """Five shots and six tasks with values chosen so every summary has a distinct answer.

    shot     cut_in  frame  status  sequence  assets
    alpha        10   24.0  ip      sq1       [hero]
    bravo         0   25.0  fin     sq1       []
    charlie    None   None  None    sq2       [hero, tree]
    apple        15   48.0  fin     None      []
    bear        105   24.0  ip      sq2       [tree]
    """
    sq1, sq2 = create_all(
        sg, "Sequence", [{"code": "sq1", "project": project}, {"code": "sq2", "project": project}]
    )
    hero, tree = create_all(
        sg, "Asset", [{"code": "hero", "project": project}, {"code": "tree", "project": project}]
    )
    shots = create_all(
        sg,
        "Shot",
        [
            {
                "code": "alpha",
                "sg_cut_in": 10,
                "sg_frame_rate": 24.0,
                "sg_status_list": "ip",
                "sg_sequence": sq1,
                "assets": [hero],
                "tag_list": ["a"],
                "project": project,
            },
            {
                "code": "bravo",
                "sg_cut_in": 0,
                "sg_frame_rate": 25.0,
                "sg_status_list": "fin",
                "sg_sequence": sq1,
                "project": project,
            },
            {
                "code": "charlie",
                "sg_status_list": None,
                "sg_sequence": sq2,
                "assets": [hero, tree],
                "project": project,
            },
            {
                "code": "apple",
                "sg_cut_in": 15,
                "sg_frame_rate": 48.0,
                "sg_status_list": "fin",
                "project": project,
            },
            {
                "code": "bear",
                "sg_cut_in": 105,
                "sg_frame_rate": 24.0,
                "sg_status_list": "ip",
                "sg_sequence": sq2,
                "assets": [tree],
                "tag_list": ["a", "b"],
                "project": project,
            },
        ],
    )
    alpha = shots[0]
    # due dates: Mon 2024-01-15 and Wed 2024-01-17 share a week; 2024-02-29 is a Thursday;
    # 2024-11-30 is a Saturday (week of Mon 2024-11-25); one task has none.
    tasks = create_all(
        sg,
        "Task",
        [
            {
                "content": "t1",
                "due_date": "2024-01-15",
                "milestone": True,
                "duration": 60,
                "entity": alpha,
                "project": project,
            },
            {
                "content": "t2",
                "due_date": "2024-01-17",
                "milestone": False,
                "duration": 30,
                "entity": alpha,
                "project": project,
            },
            {
                "content": "t3",
                "due_date": "2024-02-29",
                "milestone": True,
                "entity": hero,
                "project": project,
            },
            {"content": "t4", "due_date": "2024-11-30", "duration": 0, "entity": tree, "project": project},
            {"content": "t5", "project": project},
            {"content": "t6", "due_date": "2023-12-31", "entity": sq1, "project": project},
        ],
    )
    return {"sq1": sq1, "sq2": sq2, "hero": hero, "tree": tree, "shots": shots, "tasks": tasks}


def test_every_summary_type(sg: shotlog.Shotlog, data: Any) -> None:
    assert set(SUMMARY_TYPES) == {
        "record_count",
        "count",
        "sum",
        "maximum",
        "minimum",
        "average",
        "earliest",
        "latest",
        "percentage",
        "status_percentage",
        "checked",
        "unchecked",
    }
    shots = sg.summarize(
        "Shot",
        [],
        [
            {"field": "id", "type": "record_count"},
            {"field": "sg_cut_in", "type": "count"},
            {"field": "sg_frame_rate", "type": "sum"},
            {"field": "code", "type": "minimum"},
            {"field": "sg_sequence", "type": "count"},
            {"field": "assets", "type": "count"},
            {"field": "sg_status_list", "type": "status_percentage"},
            {"field": "description", "type": "percentage"},
        ],
    )
    assert shots == {
        "summaries": {
            "id": 5,
            "sg_cut_in": 4,
            "sg_frame_rate": 121.0,
            "code": "alpha",
            "sg_sequence": 4,
            "assets": 3,
            "sg_status_list": 40.0,
            "description": 0.0,
        },
        "groups": [],
    }
    # several summaries of one field share its key, so ask for each alone
    one = {
        ("Shot", "sg_cut_in", "sum"): 130,
        ("Shot", "sg_cut_in", "maximum"): 105,
        ("Shot", "sg_cut_in", "minimum"): 0,
        ("Shot", "sg_cut_in", "average"): 32.5,
        ("Shot", "sg_cut_in", "percentage"): 80.0,
        ("Shot", "code", "maximum"): "charlie",
        ("Shot", "code", "count"): 5,
        ("Shot", "sg_frame_rate", "minimum"): 24.0,
        ("Shot", "sg_frame_rate", "maximum"): 48.0,
        ("Task", "due_date", "earliest"): "2023-12-31",
        ("Task", "due_date", "latest"): "2024-11-30",
        ("Task", "due_date", "count"): 5,
        ("Task", "due_date", "percentage"): pytest.approx(500 / 6),
        ("Task", "milestone", "checked"): 2,
        ("Task", "milestone", "unchecked"): 4,
        ("Task", "milestone", "percentage"): pytest.approx(200 / 6),
        ("Task", "duration", "sum"): 90,
        ("Task", "duration", "average"): 30.0,
        ("Task", "duration", "count"): 3,
        ("Task", "entity", "count"): 5,
        ("Shot", "tag_list", "count"): 2,
        ("Shot", "tasks", "count"): 1,
        ("Sequence", "shots", "count"): 2,
    }
    failures = []
    for (entity_type, field, kind), expected in one.items():
        got = sg.summarize(entity_type, [], [{"field": field, "type": kind}])["summaries"][field]
        # exact types too: an int sum must not come back as Decimal (PostgreSQL) or float
        exact_type = isinstance(expected, int | float | str)
        if got != expected or (exact_type and type(got) is not type(expected)):
            failures.append(f"{entity_type}.{field} {kind}: expected {expected!r}, got {got!r}")
    assert not failures, "\n".join(failures)


def test_date_time_summaries(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    first = dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.UTC)
    last = dt.datetime(2024, 4, 1, 0, 30, tzinfo=dt.UTC)
    create_all(
        sg,
        "Playlist",
        [
            {"code": "a", "sg_date_and_time": last, "locked": True, "project": project},
            {"code": "b", "sg_date_and_time": first, "project": project},
            {"code": "c", "project": project},
        ],
    )
    spec = [{"field": "sg_date_and_time", "type": "earliest"}, {"field": "locked", "type": "unchecked"}]
    assert sg.summarize("Playlist", [], spec)["summaries"] == {"sg_date_and_time": first, "locked": 2}
    spec = [{"field": "sg_date_and_time", "type": "latest"}, {"field": "locked", "type": "checked"}]
    assert sg.summarize("Playlist", [], spec)["summaries"] == {"sg_date_and_time": last, "locked": 1}
    by_day = sg.summarize(
        "Playlist",
        [],
        [{"field": "id", "type": "count"}],
        grouping=[{"field": "sg_date_and_time", "type": "day"}],
    )
    assert [(g["group_value"], g["summaries"]["id"]) for g in by_day["groups"]] == [
        (None, 1),
        ("2024-03-31", 1),
        ("2024-04-01", 1),
    ]
    by_quarter = sg.summarize(
        "Playlist",
        [],
        [{"field": "id", "type": "count"}],
        grouping=[{"field": "sg_date_and_time", "type": "quarter", "direction": "desc"}],
    )
    assert [(g["group_value"], g["summaries"]["id"]) for g in by_quarter["groups"]] == [
        ("2024-Q2", 1),
        ("2024-Q1", 1),
        (None, 1),
    ]
    exact = sg.summarize(
        "Playlist",
        [["sg_date_and_time", "is_not", None]],
        [{"field": "id", "type": "count"}],
        grouping=[{"field": "sg_date_and_time", "type": "exact"}],
    )
    assert [(g["group_name"], g["group_value"]) for g in exact["groups"]] == [
        ("2024-03-31 23:30:00", first),
        ("2024-04-01 00:30:00", last),
    ]


def test_empty_results(sg: shotlog.Shotlog, data: Any) -> None:
    spec = [
        {"field": "id", "type": "record_count"},
        {"field": "sg_cut_in", "type": "sum"},
        {"field": "sg_frame_rate", "type": "average"},
        {"field": "code", "type": "maximum"},
        {"field": "sg_status_list", "type": "status_percentage"},
    ]
    assert sg.summarize("Shot", [["code", "is", "nope"]], spec) == {
        "summaries": {"id": 0, "sg_cut_in": 0, "sg_frame_rate": None, "code": None, "sg_status_list": None},
        "groups": [],
    }
    grouped = sg.summarize(
        "Shot", [["code", "is", "nope"]], spec, grouping=[{"field": "code", "type": "exact"}]
    )
    assert grouped["groups"] == []
    # no summary fields: only the groups
    bare = sg.summarize("Shot", [], [], grouping=[{"field": "sg_status_list", "type": "exact"}])
    assert bare == {
        "summaries": {},
        "groups": [
            {"group_name": "", "group_value": None, "summaries": {}},
            {"group_name": "fin", "group_value": "fin", "summaries": {}},
            {"group_name": "ip", "group_value": "ip", "summaries": {}},
        ],
    }
    assert sg.summarize("Shot", [], []) == {"summaries": {}, "groups": []}


def _groups(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(group_name, group_value, summaries) per group, recursively flattened to nested tuples."""
    out = []
    for g in result["groups"]:
        item: tuple[Any, ...] = (g["group_name"], g["group_value"], g["summaries"])
        if "groups" in g:
            item += (_groups(g),)
        out.append(item)
    return out


def test_group_exact(sg: shotlog.Shotlog, data: Any) -> None:
    sq1, sq2 = data["sq1"], data["sq2"]
    result = sg.summarize(
        "Shot",
        [],
        [{"field": "sg_cut_in", "type": "sum"}, {"field": "id", "type": "count"}],
        grouping=[{"field": "sg_status_list", "type": "exact", "direction": "asc"}],
    )
    assert result["summaries"] == {"sg_cut_in": 130, "id": 5}
    # the null group sorts first ascending, as null values do in find
    assert _groups(result) == [
        ("", None, {"sg_cut_in": 0, "id": 1}),
        ("fin", "fin", {"sg_cut_in": 15, "id": 2}),
        ("ip", "ip", {"sg_cut_in": 115, "id": 2}),
    ]
    desc = sg.summarize(
        "Shot",
        [["sg_status_list", "is_not", "fin"]],
        [{"field": "sg_cut_in", "type": "sum"}],
        grouping=[{"field": "sg_status_list", "type": "exact", "direction": "desc"}],
    )
    assert _groups(desc) == [("ip", "ip", {"sg_cut_in": 115}), ("", None, {"sg_cut_in": 0})]

    # two levels, each with its own direction
    result = sg.summarize(
        "Shot",
        [["sg_status_list", "is_not", None]],
        [{"field": "sg_cut_in", "type": "sum"}, {"field": "id", "type": "record_count"}],
        grouping=[
            {"field": "sg_status_list", "type": "exact", "direction": "desc"},
            {"field": "sg_sequence", "type": "exact", "direction": "asc"},
        ],
    )
    assert result["summaries"] == {"sg_cut_in": 130, "id": 4}
    assert _groups(result) == [
        (
            "ip",
            "ip",
            {"sg_cut_in": 115, "id": 2},
            [
                ("sq1", ref(sq1, "sq1"), {"sg_cut_in": 10, "id": 1}),
                ("sq2", ref(sq2, "sq2"), {"sg_cut_in": 105, "id": 1}),
            ],
        ),
        (
            "fin",
            "fin",
            {"sg_cut_in": 15, "id": 2},
            [
                ("", None, {"sg_cut_in": 15, "id": 1}),
                ("sq1", ref(sq1, "sq1"), {"sg_cut_in": 0, "id": 1}),
            ],
        ),
    ]

    # on a link: the group value is the link, its name the group name
    result = sg.summarize(
        "Shot",
        [],
        [{"field": "sg_cut_in", "type": "sum"}],
        grouping=[{"field": "sg_sequence", "type": "exact"}],
    )
    assert _groups(result) == [
        ("", None, {"sg_cut_in": 15}),
        ("sq1", ref(sq1, "sq1"), {"sg_cut_in": 10}),
        ("sq2", ref(sq2, "sq2"), {"sg_cut_in": 105}),
    ]
    # a retired link still names its group
    sg.delete("Sequence", sq2["id"])
    again = sg.summarize(
        "Shot",
        [],
        [{"field": "sg_cut_in", "type": "sum"}],
        grouping=[{"field": "sg_sequence", "type": "exact"}],
    )
    assert _groups(again)[2] == ("sq2", ref(sq2, "sq2"), {"sg_cut_in": 105})
    # retired records are not summarized
    bear = data["shots"][4]
    sg.delete("Shot", bear["id"])
    spec = [{"field": "sg_cut_in", "type": "sum"}, {"field": "id", "type": "record_count"}]
    assert sg.summarize("Shot", [], spec)["summaries"] == {"sg_cut_in": 25, "id": 4}


def test_group_buckets(sg: shotlog.Shotlog, data: Any) -> None:
    letters = sg.summarize(
        "Shot",
        [],
        [{"field": "sg_cut_in", "type": "sum"}],
        grouping=[{"field": "code", "type": "firstletter"}],
    )
    assert _groups(letters) == [
        ("A", "A", {"sg_cut_in": 25}),
        ("B", "B", {"sg_cut_in": 105}),
        ("C", "C", {"sg_cut_in": 0}),
    ]
    types = sg.summarize(
        "Task",
        [],
        [{"field": "duration", "type": "sum"}, {"field": "id", "type": "count"}],
        grouping=[{"field": "entity", "type": "entitytype"}],
    )
    assert _groups(types) == [
        ("", None, {"duration": 0, "id": 1}),
        ("Asset", "Asset", {"duration": 0, "id": 2}),
        ("Sequence", "Sequence", {"duration": 0, "id": 1}),
        ("Shot", "Shot", {"duration": 90, "id": 2}),
    ]

    def buckets(kind: str) -> list[tuple[Any, ...]]:  # of sg_cut_in
        return _groups(
            sg.summarize(
                "Shot",
                [],
                [{"field": "id", "type": "count"}],
                grouping=[{"field": "sg_cut_in", "type": kind}],
            )
        )

    assert buckets("tens") == [
        ("", None, {"id": 1}),
        ("0", 0, {"id": 1}),
        ("10", 10, {"id": 2}),
        ("100", 100, {"id": 1}),
    ]
    assert buckets("hundreds") == [("", None, {"id": 1}), ("0", 0, {"id": 3}), ("100", 100, {"id": 1})]
    assert buckets("thousands") == [("", None, {"id": 1}), ("0", 0, {"id": 4})]
    floats = sg.summarize(
        "Shot",
        [],
        [{"field": "id", "type": "count"}],
        grouping=[{"field": "sg_frame_rate", "type": "tens", "direction": "desc"}],
    )
    assert _groups(floats) == [("40", 40, {"id": 1}), ("20", 20, {"id": 3}), ("", None, {"id": 1})]

    def date_buckets(kind: str) -> list[tuple[Any, int]]:
        result = sg.summarize(
            "Task",
            [],
            [{"field": "id", "type": "count"}],
            grouping=[{"field": "due_date", "type": kind}],
        )
        assert all(g["group_name"] == (g["group_value"] or "") for g in result["groups"])
        return [(g["group_value"], g["summaries"]["id"]) for g in result["groups"]]

    assert date_buckets("exact") == [
        (None, 1),
        ("2023-12-31", 1),
        ("2024-01-15", 1),
        ("2024-01-17", 1),
        ("2024-02-29", 1),
        ("2024-11-30", 1),
    ]
    assert date_buckets("day") == date_buckets("exact")
    assert date_buckets("week") == [
        (None, 1),
        ("2023-12-25", 1),  # a Sunday belongs to the week of the Monday before
        ("2024-01-15", 2),
        ("2024-02-26", 1),
        ("2024-11-25", 1),
    ]
    assert date_buckets("month") == [
        (None, 1),
        ("2023-12", 1),
        ("2024-01", 2),
        ("2024-02", 1),
        ("2024-11", 1),
    ]
    assert date_buckets("quarter") == [(None, 1), ("2023-Q4", 1), ("2024-Q1", 3), ("2024-Q4", 1)]
    assert date_buckets("year") == [(None, 1), ("2023", 1), ("2024", 4)]


def test_summaries_of_deep_fields(sg: shotlog.Shotlog, data: Any) -> None:
    result = sg.summarize(
        "Task",
        [["entity", "type_is", "Shot"]],
        [{"field": "entity.Shot.sg_cut_in", "type": "sum"}, {"field": "duration", "type": "sum"}],
        grouping=[{"field": "entity.Shot.code", "type": "exact"}],
    )
    assert result == {
        "summaries": {"entity.Shot.sg_cut_in": 20, "duration": 90},
        "groups": [
            {
                "group_name": "alpha",
                "group_value": "alpha",
                "summaries": {"entity.Shot.sg_cut_in": 20, "duration": 90},
            }
        ],
    }


BAD_SUMMARIES: list[tuple[str, list[Any], list[Any] | None, str]] = [
    ("Shot", [{"field": "code", "type": "median"}], None, "median"),
    ("Shot", [{"field": "code", "type": "sum"}], None, "code"),
    ("Shot", [{"field": "code", "type": "average"}], None, "code"),
    ("Shot", [{"field": "sg_cut_in", "type": "checked"}], None, "sg_cut_in"),
    ("Shot", [{"field": "code", "type": "status_percentage"}], None, "code"),
    ("Shot", [{"field": "assets", "type": "sum"}], None, "assets"),
    ("Shot", [{"field": "sg_sequence", "type": "maximum"}], None, "sg_sequence"),
    ("Shot", [{"field": "bogus", "type": "count"}], None, "bogus"),
    ("Shot", [{"field": "sg_sequence.Sequence.bogus", "type": "count"}], None, "bogus"),
    ("Shot", [{"field": "assets.Asset.code", "type": "count"}], None, "assets.Asset.code"),
    ("Shot", [{"type": "count"}], None, "count"),
    ("Shot", ["code"], None, "code"),
    ("Shot", [], [{"field": "code", "type": "decades"}], "decades"),
    ("Shot", [], [{"field": "code", "type": "tens"}], "code"),
    ("Shot", [], [{"field": "sg_cut_in", "type": "month"}], "sg_cut_in"),
    ("Shot", [], [{"field": "sg_cut_in", "type": "firstletter"}], "sg_cut_in"),
    ("Shot", [], [{"field": "code", "type": "entitytype"}], "code"),
    ("Shot", [], [{"field": "sg_sequence", "type": "tens"}], "sg_sequence"),
    ("Shot", [], [{"field": "assets", "type": "exact"}], "assets"),
    ("Shot", [], [{"field": "bogus", "type": "exact"}], "bogus"),
    ("Shot", [], [{"type": "exact"}], "exact"),
    ("Shot", [], [{"field": "code", "type": "exact", "direction": "up"}], "up"),
]


def test_bad_summaries_raise_filter_error(sg: shotlog.Shotlog) -> None:
    failures = []
    for entity_type, spec, grouping, needle in BAD_SUMMARIES:
        try:
            sg.summarize(entity_type, [], spec, grouping=grouping)
        except FilterError as exc:
            if needle not in str(exc):
                failures.append(f"{spec!r} {grouping!r}: message {str(exc)!r} does not name {needle!r}")
        except Exception as exc:
            failures.append(f"{spec!r} {grouping!r}: raised {type(exc).__name__}: {exc}")
        else:
            failures.append(f"{spec!r} {grouping!r}: did not raise")
    assert not failures, "\n".join(failures)
    with pytest.raises(FilterError, match="bogus"):
        sg.summarize("Shot", [["bogus", "is", 1]], [{"field": "id", "type": "count"}])
    with pytest.raises(FilterError, match="summary_fields"):
        sg.summarize("Shot", [], {"field": "id", "type": "count"})  # type: ignore[arg-type]


def test_grouping_types_are_all_covered() -> None:
    covered = {"exact", "firstletter", "entitytype", "day", "week", "month", "quarter", "year"}
    covered |= {"tens", "hundreds", "thousands"}
    # the larger number buckets share the tens code path (checked above); listed so a new type is noticed
    assert set(GROUPING_TYPES) - covered == {
        "tensofthousands",
        "hundredsofthousands",
        "millions",
    }
