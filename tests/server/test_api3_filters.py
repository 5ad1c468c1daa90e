"""Every filter relation, deep paths and nested groups, sent by the real client over the wire.

Semantics (as the store defines them): ``is`` is exact, text relations are case-insensitive,
negative relations are the exact complement of the positive ones (rows without a value match
``is_not``, ``not_in``...), and a deep path matches only where every hop resolves.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shotgun_api3
from sgserver import Server


def _link(entity: dict[str, Any]) -> dict[str, Any]:
    return {"type": entity["type"], "id": entity["id"]}


def _create_all(
    sg: shotgun_api3.Shotgun, entity_type: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return sg.batch([{"request_type": "create", "entity_type": entity_type, "data": r} for r in rows])


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[dict[str, Any]]:
    """A project of its own with shots, sequences, assets, tasks, users and versions."""
    sg = server.client()
    tag = uuid.uuid4().hex[:8]
    project = sg.create("Project", {"name": f"filters-{tag}"})
    p = _link(project)
    seq_a, seq_b = _create_all(
        sg, "Sequence", [{"code": "Alpha Seq", "project": p}, {"code": "beta seq", "project": p}]
    )
    shots = _create_all(
        sg,
        "Shot",
        [
            {
                "code": "sh010_Hero",
                "sg_cut_duration": 10,
                "sg_sequence": _link(seq_a),
                "sg_status_list": "ip",
                "description": "The HERO shot",
                "project": p,
            },
            {
                "code": "sh020_bg",
                "sg_cut_duration": 20,
                "sg_sequence": _link(seq_a),
                "sg_status_list": "fin",
                "project": p,
            },
            {
                "code": "SH030_fx",
                "sg_cut_duration": 0,
                "sg_sequence": _link(seq_b),
                "sg_status_list": "wtg",
                "description": "fx heavy",
                "project": p,
            },
            {"code": "sh040", "sg_status_list": "omt", "project": p},
        ],
    )
    (tree,) = _create_all(sg, "Asset", [{"code": "Tree", "project": p}])
    steps = _create_all(sg, "Step", [{"code": f"Comp {tag}"}, {"code": f"Anim {tag}"}])
    users = _create_all(
        sg,
        "HumanUser",
        [
            {"login": f"ann-{tag}", "name": "Ann Alpha"},
            {"login": f"bob-{tag}", "name": "Bob Beta"},
        ],
    )
    today = _today()
    tasks = _create_all(
        sg,
        "Task",
        [
            {
                "content": "t1",
                "entity": _link(shots[0]),
                "step": _link(steps[0]),
                "due_date": (today + dt.timedelta(days=1)).isoformat(),
                "task_assignees": [_link(users[0])],
                "project": p,
            },
            {
                "content": "t2",
                "entity": _link(shots[1]),
                "step": _link(steps[1]),
                "due_date": (today - dt.timedelta(days=1)).isoformat(),
                "task_assignees": [_link(users[0]), _link(users[1])],
                "project": p,
            },
            {
                "content": "t3",
                "entity": _link(tree),
                "step": _link(steps[0]),
                "due_date": (today + dt.timedelta(days=10)).isoformat(),
                "task_assignees": [_link(users[1])],
                "project": p,
            },
            {
                "content": "t4",
                "entity": _link(seq_a),
                "due_date": (today - dt.timedelta(days=10)).isoformat(),
                "project": p,
            },
            {"content": "t5", "due_date": (today + dt.timedelta(days=400)).isoformat(), "project": p},
        ],
    )
    versions = _create_all(
        sg,
        "Version",
        [
            {"code": "v1", "sg_frames_aspect_ratio": 1.78, "project": p},
            {"code": "v2", "sg_frames_aspect_ratio": 2.39, "project": p},
            {"code": "v3", "sg_frames_aspect_ratio": 1.0, "project": p},
        ],
    )
    sg.close()
    yield {
        "project": project,
        "seqs": [seq_a, seq_b],
        "shots": shots,
        "tree": tree,
        "steps": steps,
        "users": users,
        "tasks": tasks,
        "versions": versions,
        "tag": tag,
    }


def names(
    sg: shotgun_api3.Shotgun, world: dict[str, Any], etype: str, filters: list[Any], **kwargs: Any
) -> list[str]:
    """The display values of the matching rows of the world's project, sorted."""
    field = {"Task": "content"}.get(etype, "code")
    rows = sg.find(etype, [["project", "is", world["project"]], *filters], [field], **kwargs)
    return sorted(r[field] for r in rows)


def check(
    sg: shotgun_api3.Shotgun, world: dict[str, Any], etype: str, cases: list[tuple[Any, list[str]]]
) -> None:
    failures = []
    for condition, expected in cases:
        filters = condition if isinstance(condition[0], list | dict) else [condition]
        try:
            got: Any = names(sg, world, etype, filters)
        except shotgun_api3.Fault as exc:
            got = f"Fault: {exc}"
        if got != sorted(expected):
            failures.append(f"{condition!r}: expected {sorted(expected)}, got {got}")
    assert not failures, "\n".join(failures)


ALL_SHOTS = ["SH030_fx", "sh010_Hero", "sh020_bg", "sh040"]


def test_equality_relations(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    s = world["shots"]
    check(
        sg,
        world,
        "Shot",
        [
            (["code", "is", "sh020_bg"], ["sh020_bg"]),
            (["code", "is", "SH020_BG"], []),  # is: exact
            (["code", "is_not", "sh020_bg"], ["SH030_fx", "sh010_Hero", "sh040"]),
            (["description", "is", None], ["sh020_bg", "sh040"]),
            (["description", "is_not", None], ["SH030_fx", "sh010_Hero"]),
            (["sg_cut_duration", "is", 0], ["SH030_fx"]),
            (["sg_cut_duration", "is_not", None], ["SH030_fx", "sh010_Hero", "sh020_bg"]),
            (["sg_cut_duration", "is", None], ["sh040"]),
            (["id", "is", s[0]["id"]], ["sh010_Hero"]),
            (["id", "in", s[0]["id"], s[2]["id"]], ["SH030_fx", "sh010_Hero"]),
            (["id", "in", [s[0]["id"], s[2]["id"]]], ["SH030_fx", "sh010_Hero"]),
            (["id", "not_in", [s[0]["id"], s[2]["id"]]], ["sh020_bg", "sh040"]),
            (["sg_status_list", "in", ["ip", "fin"]], ["sh010_Hero", "sh020_bg"]),
            (["sg_status_list", "not_in", ["ip", "fin"]], ["SH030_fx", "sh040"]),
            (["code", "in", ["sh040", "nope"]], ["sh040"]),
            (["sg_sequence", "is", world["seqs"][0]], ["sh010_Hero", "sh020_bg"]),
            (["sg_sequence", "is", None], ["sh040"]),
            (["sg_sequence", "is_not", world["seqs"][0]], ["SH030_fx", "sh040"]),
            (["sg_sequence", "in", world["seqs"]], ["SH030_fx", "sh010_Hero", "sh020_bg"]),
            (["sg_sequence", "not_in", [world["seqs"][1]]], ["sh010_Hero", "sh020_bg", "sh040"]),
        ],
    )


def test_ordering_relations(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    check(
        sg,
        world,
        "Shot",
        [
            (["sg_cut_duration", "less_than", 15], ["SH030_fx", "sh010_Hero"]),
            (["sg_cut_duration", "greater_than", 10], ["sh020_bg"]),
            (["sg_cut_duration", "between", 10, 20], ["sh010_Hero", "sh020_bg"]),
            (["sg_cut_duration", "between", [0, 10]], ["SH030_fx", "sh010_Hero"]),
            (["sg_cut_duration", "not_between", 5, 15], ["SH030_fx", "sh020_bg", "sh040"]),
            (["id", "greater_than", world["shots"][1]["id"]], ["SH030_fx", "sh040"]),
        ],
    )
    check(
        sg,
        world,
        "Version",
        [
            (["sg_frames_aspect_ratio", "greater_than", 1.5], ["v1", "v2"]),
            (["sg_frames_aspect_ratio", "less_than", 1.78], ["v3"]),
            (["sg_frames_aspect_ratio", "between", 1.0, 1.78], ["v1", "v3"]),
            (["sg_frames_aspect_ratio", "is", 2.39], ["v2"]),
        ],
    )


def test_text_relations_are_case_insensitive(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    check(
        sg,
        world,
        "Shot",
        [
            (["code", "contains", "HERO"], ["sh010_Hero"]),
            (["code", "not_contains", "_"], ["sh040"]),
            (["code", "starts_with", "SH0"], ALL_SHOTS),
            (["code", "starts_with", "sh01"], ["sh010_Hero"]),
            (["code", "ends_with", "_FX"], ["SH030_fx"]),
            (["description", "contains", "hero"], ["sh010_Hero"]),
            (["description", "not_contains", "hero"], ["SH030_fx", "sh020_bg", "sh040"]),
            (["code", "contains", "%"], []),  # LIKE wildcards are literal
            (["code", "contains", "_"], ["SH030_fx", "sh010_Hero", "sh020_bg"]),
        ],
    )


def test_date_relations(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    today = _today()

    def day(offset: int) -> str:
        return (today + dt.timedelta(days=offset)).isoformat()

    def within(offset: int, lo: dt.date, hi: dt.date) -> bool:
        return lo <= today + dt.timedelta(days=offset) < hi

    due = {"t1": 1, "t2": -1, "t3": 10, "t4": -10, "t5": 400}
    week = today - dt.timedelta(days=today.weekday())
    month = today.replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    year = today.replace(month=1, day=1)
    cases: list[tuple[Any, list[str]]] = [
        (["due_date", "is", day(1)], ["t1"]),
        (["due_date", "is", today + dt.timedelta(days=1)], ["t1"]),  # a date object
        (["due_date", "less_than", day(0)], ["t2", "t4"]),
        (["due_date", "greater_than", day(1)], ["t3", "t5"]),
        (["due_date", "between", day(-1), day(1)], ["t1", "t2"]),
        (["due_date", "in", [day(1), day(10)]], ["t1", "t3"]),
        (["due_date", "in_next", 3, "DAY"], ["t1"]),
        (["due_date", "not_in_next", 3, "DAY"], ["t2", "t3", "t4", "t5"]),
        (["due_date", "in_last", 3, "DAY"], ["t2"]),
        (["due_date", "not_in_last", 3, "DAY"], ["t1", "t3", "t4", "t5"]),
        (["due_date", "in_next", 2, "WEEK"], ["t1", "t3"]),
        (["due_date", "in_last", 1, "MONTH"], ["t2", "t4"]),
        (["due_date", "in_next", 2, "YEAR"], ["t1", "t3", "t5"]),
        (["due_date", "in_calendar_day", 1], ["t1"]),
        (["due_date", "in_calendar_day", -1], ["t2"]),
        (["due_date", "in_calendar_day", 0], []),
        (
            ["due_date", "in_calendar_week", 0],
            [t for t, o in due.items() if within(o, week, week + dt.timedelta(days=7))],
        ),
        (["due_date", "in_calendar_month", 0], [t for t, o in due.items() if within(o, month, next_month)]),
        (
            ["due_date", "in_calendar_year", 0],
            [t for t, o in due.items() if within(o, year, year.replace(year=year.year + 1))],
        ),
    ]
    check(sg, world, "Task", cases)


def test_date_time_relations(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    shots = sg.find("Shot", [["project", "is", world["project"]]], ["code", "created_at"])
    created = {s["code"]: s["created_at"] for s in shots}
    assert all(c.tzinfo is not None for c in created.values())
    # in_next's window starts at the current second: let the creation second pass first
    wait = (max(created.values()) + dt.timedelta(seconds=1.05) - dt.datetime.now(dt.UTC)).total_seconds()
    time.sleep(max(0.0, wait))
    now = dt.datetime.now(dt.UTC)
    first = min(created.values())
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    check(
        sg,
        world,
        "Shot",
        [
            (["created_at", "in_last", 1, "HOUR"], ALL_SHOTS),
            (["created_at", "not_in_last", 1, "HOUR"], []),
            (["created_at", "in_next", 1, "DAY"], []),
            (["created_at", "not_in_next", 1, "DAY"], ALL_SHOTS),
            (["created_at", "in_calendar_day", 0], ALL_SHOTS if first.date() == now.date() else []),
            (["created_at", "in_calendar_day", -1], []),
            (["created_at", "greater_than", now - dt.timedelta(hours=1)], ALL_SHOTS),
            (["created_at", "less_than", (now - dt.timedelta(hours=1)).astimezone(india)], []),
            (["created_at", "greater_than", (now + dt.timedelta(minutes=5)).astimezone(india)], []),
            (
                ["created_at", "between", first - dt.timedelta(seconds=1), now + dt.timedelta(seconds=5)],
                ALL_SHOTS,
            ),
            (
                ["created_at", "is", created["sh040"]],
                sorted(c for c, t in created.items() if t == created["sh040"]),
            ),
        ],
    )


def test_entity_relations(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    users = world["users"]
    check(
        sg,
        world,
        "Task",
        [
            (["entity", "type_is", "Shot"], ["t1", "t2"]),
            (["entity", "type_is_not", "Shot"], ["t3", "t4", "t5"]),
            (["entity", "type_is", None], ["t5"]),
            (["entity", "is", world["tree"]], ["t3"]),
            (["entity", "in", [world["tree"], world["shots"][0]]], ["t1", "t3"]),
            (["entity", "name_contains", "HERO"], ["t1"]),
            (["entity", "name_not_contains", "hero"], ["t2", "t3", "t4", "t5"]),
            (["entity", "name_is", "Tree"], ["t3"]),
            (["entity", "name_starts_with", "sh0"], ["t1", "t2"]),
            (["entity", "name_ends_with", "SEQ"], ["t4"]),
            (["step", "name_is", f"Comp {world['tag']}"], ["t1", "t3"]),
            (["task_assignees", "is", users[0]], ["t1", "t2"]),
            (["task_assignees", "is_not", users[0]], ["t3", "t4", "t5"]),
            (["task_assignees", "in", users], ["t1", "t2", "t3"]),
            (["task_assignees", "not_in", [users[1]]], ["t1", "t4", "t5"]),
            (["task_assignees", "is", None], ["t4", "t5"]),
            (["task_assignees", "name_contains", "bob"], ["t2", "t3"]),
            (["task_assignees", "name_is", "Ann Alpha"], ["t1", "t2"]),
            (["task_assignees", "type_is", "HumanUser"], ["t1", "t2", "t3"]),
        ],
    )


def test_deep_paths_in_filters_fields_and_order(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    check(
        sg,
        world,
        "Task",
        [
            (["entity.Shot.code", "starts_with", "sh0"], ["t1", "t2"]),
            (["entity.Shot.sg_sequence.Sequence.code", "is", "Alpha Seq"], ["t1", "t2"]),
            (["entity.Asset.code", "is", "Tree"], ["t3"]),
            (["entity.Shot.code", "is", None], []),  # only where the link is a Shot
            (["step.Step.code", "contains", "comp"], ["t1", "t3"]),
        ],
    )
    check(sg, world, "Shot", [(["sg_sequence.Sequence.code", "is", "beta seq"], ["SH030_fx"])])
    tasks = sg.find(
        "Task",
        [["project", "is", world["project"]]],
        ["content", "entity.Shot.code", "entity.Shot.sg_sequence.Sequence.code", "step.Step.code"],
        order=[
            {"field_name": "step.Step.code", "direction": "desc"},
            {"field_name": "content", "direction": "desc"},
        ],
    )
    tag = world["tag"]
    assert [
        (t["content"], t["entity.Shot.code"], t["entity.Shot.sg_sequence.Sequence.code"], t["step.Step.code"])
        for t in tasks
    ] == [
        ("t3", None, None, f"Comp {tag}"),
        ("t1", "sh010_Hero", "Alpha Seq", f"Comp {tag}"),
        ("t2", "sh020_bg", "Alpha Seq", f"Anim {tag}"),
        # nulls sort first ascending, last descending (shotlog's rule on both backends)
        ("t5", None, None, None),
        ("t4", None, None, None),
    ]
    shots = sg.find(
        "Shot",
        [["project", "is", world["project"]], ["sg_sequence", "is_not", None]],
        ["code"],
        order=[
            {"field_name": "sg_sequence.Sequence.code", "direction": "desc"},
            {"column": "code", "direction": "asc"},
        ],
    )
    assert [s["code"] for s in shots] == ["SH030_fx", "sh010_Hero", "sh020_bg"]


def test_filter_operator_any_and_nested_groups(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    s = world["shots"]
    rows = sg.find(
        "Shot", [["id", "is", s[0]["id"]], ["id", "is", s[3]["id"]]], ["code"], filter_operator="any"
    )
    assert [r["code"] for r in rows] == ["sh010_Hero", "sh040"]
    nested = {
        "filter_operator": "any",
        "filters": [
            ["code", "is", "sh040"],
            {
                "filter_operator": "all",
                "filters": [["sg_cut_duration", "greater_than", 5], ["sg_status_list", "is", "fin"]],
            },
            {
                "filter_operator": "all",
                "filters": [
                    ["description", "contains", "fx"],
                    {
                        "filter_operator": "any",
                        "filters": [["sg_cut_duration", "is", 0], ["code", "is", "x"]],
                    },
                ],
            },
        ],
    }
    check(sg, world, "Shot", [([nested], ["SH030_fx", "sh020_bg", "sh040"])])
    # an empty "any" group matches nothing... and an empty "all" group matches everything
    check(sg, world, "Shot", [([{"filter_operator": "all", "filters": []}], ALL_SHOTS)])


def test_find_with_wire_filter_dict(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    wire = {
        "logical_operator": "and",
        "conditions": [
            {"path": "project", "relation": "is", "values": [world["project"]]},
            {
                "logical_operator": "or",
                "conditions": [
                    {"path": "code", "relation": "is", "values": ["sh040"]},
                    {"path": "sg_cut_duration", "relation": "between", "values": [15, None]},
                ],
            },
        ],
    }
    rows = sg.find("Shot", wire, ["code"])
    assert sorted(r["code"] for r in rows) == ["sh020_bg", "sh040"]


@pytest.mark.parametrize(
    ("etype", "condition", "message"),
    [
        ("Shot", ["code", "attachment", "x"], "attachment"),
        ("Shot", ["nope_field", "is", "x"], "nope_field"),
        ("Shot", ["sg_cut_duration", "contains", "1"], "contains"),
        ("Shot", ["code", "in_last", 1, "DAY"], "in_last"),
        ("Shot", ["created_at", "in_last", 1, "FORTNIGHT"], "FORTNIGHT"),
        ("Shot", ["created_at", "in_last", "x", "DAY"], "in_last"),
        ("Shot", ["sg_cut_duration", "between", 1], "between"),
        ("Shot", ["sg_cut_duration", "is", "ten"], "sg_cut_duration"),
        ("Shot", ["project", "is", {"type": "Project", "id": "x"}], "project"),
        ("Shot", ["entity.Nope.code", "is", "x"], "Nope"),
        ("HumanUser", ["password_proxy", "is", "x"], "password_proxy"),
        ("EventLogEntry", ["meta", "is", None], "meta"),
        ("Version", ["sg_uploaded_movie", "is", None], "sg_uploaded_movie"),
        ("Version", ["image", "is", "http://x/y.png"], "image"),
        ("Version", ["image", "contains", "x"], "image"),
    ],
)
def test_bad_filters_are_faults(
    server: Server, sg: shotgun_api3.Shotgun, etype: str, condition: list[Any], message: str
) -> None:
    mark = server.log_mark()
    with pytest.raises(shotgun_api3.Fault, match=r"^API read\(\) CRUD ERROR #\d+: ") as caught:
        sg.find(etype, [condition])
    assert message in str(caught.value)
    assert "Traceback" not in server.log_since(mark)


def test_image_filters_with_null(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    check(
        sg, world, "Version", [(["image", "is", None], ["v1", "v2", "v3"]), (["image", "is_not", None], [])]
    )


def test_unknown_return_fields_read_as_null(sg: shotgun_api3.Shotgun, world: dict[str, Any]) -> None:
    shot = world["shots"][0]
    row = sg.find_one(
        "Shot", [["id", "is", shot["id"]]], ["code", "no_such_field", "sg_sequence.Sequence.nope"]
    )
    assert row == {
        "type": "Shot",
        "id": shot["id"],
        "code": "sh010_Hero",
        "no_such_field": None,
        "sg_sequence.Sequence.nope": None,
    }
