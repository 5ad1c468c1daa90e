"""Filters against real data: every relation of api3-protocol.md §7.2 on every data type that has it.

Each test builds a small set of entities whose values are chosen so that each relation selects a
distinct, known subset, then checks a table of ``(filter, expected codes)``. A table keeps one
database per data type (fast) while every failing row is still reported on its own.

Rules checked throughout (compiler.py): ``is`` is exact while text relations are case-insensitive;
negative relations are exact complements of their positive ones, so rows with no value match
``is_not``, ``not_in``, ``not_contains``...; a condition on a deep path matches only when every hop
of the path resolves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

import shotlog
from shotlog import FilterError

Case = tuple[Any, Iterable[str]]


def _codes(sg: shotlog.Shotlog, entity_type: str, filters: Any, field: str, **kw: Any) -> list[str]:
    return sorted(r[field] for r in sg.find(entity_type, filters, [field], **kw))


def check(
    sg: shotlog.Shotlog,
    entity_type: str,
    cases: Sequence[Case],
    *,
    field: str = "code",
    **kw: Any,
) -> None:
    """Run every case; a case is one condition (wrapped in a list) or a full filter list/dict."""
    failures = []
    for spec, expected in cases:
        filters = spec
        if isinstance(spec, list) and spec and isinstance(spec[0], str):
            filters = [spec]
        try:
            got: Any = _codes(sg, entity_type, filters, field, **kw)
        except shotlog.ShotlogError as exc:
            got = f"{type(exc).__name__}: {exc}"
        if got != sorted(expected):
            failures.append(f"{spec!r}: expected {sorted(expected)}, got {got}")
    assert not failures, "\n".join(failures)


def create_all(sg: shotlog.Shotlog, entity_type: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sg.batch([{"request_type": "create", "entity_type": entity_type, "data": r} for r in rows])


def link(entity: dict[str, Any]) -> dict[str, Any]:
    return {"type": entity["type"], "id": entity["id"]}


# -- the shared data set -------------------------------------------------------------------------


@pytest.fixture
def world(sg: shotlog.Shotlog, project: dict[str, Any]) -> dict[str, Any]:
    """Five shots (A-E) whose fields each split them differently; codes are sh010..sh050."""
    sq1, sq2 = create_all(
        sg, "Sequence", [{"code": "sq010", "project": project}, {"code": "sq020", "project": project}]
    )
    hero, chair, tree = create_all(
        sg,
        "Asset",
        [
            {"code": "Hero", "sg_asset_type": "Character", "project": project},
            {"code": "chair", "sg_asset_type": "Prop", "project": project},
            {"code": "tree", "sg_asset_type": "Environment", "project": project},
        ],
    )
    a, b, c, d, e = create_all(
        sg,
        "Shot",
        [
            {
                "code": "sh010",
                "description": "Hero enters, 100% lit",
                "sg_cut_in": 10,
                "sg_frame_rate": 24.0,
                "sg_status_list": "ip",
                "sg_shot_type": "Action",
                "sg_sequence": sq1,
                "assets": [hero, chair],
                "tag_list": ["hero", "night"],
                "project": project,
            },
            {
                "code": "sh020",
                "description": "a_b test",
                "sg_cut_in": 0,
                "sg_frame_rate": 23.976,
                "sg_status_list": "fin",
                "sg_shot_type": "Dialogue",
                "sg_sequence": sq1,
                "assets": [chair],
                "tag_list": ["day"],
                "project": project,
            },
            {
                "code": "sh030",
                "description": None,
                "sg_cut_in": None,
                "sg_frame_rate": None,
                "sg_status_list": None,
                "sg_shot_type": None,
                "sg_sequence": sq2,
                "assets": [],
                "tag_list": [],
                "project": project,
            },
            {
                "code": "sh040",
                "description": "hero EXITS",
                "sg_cut_in": -5,
                "sg_frame_rate": 25.0,
                "sg_status_list": "wtg",
                "sg_shot_type": "VFX",
                "sg_sequence": None,
                "assets": [tree],
                "tag_list": ["hero"],
                "project": project,
            },
            {
                "code": "sh050",
                "description": "50%_done axb",
                "sg_cut_in": 100,
                "sg_frame_rate": 48.0,
                "sg_status_list": "hld",
                "sg_shot_type": "Establishing",
                "sg_sequence": sq2,
                "assets": [hero],
                "tag_list": ["night", "wide"],
                "project": project,
            },
        ],
    )
    return {
        "sq1": sq1,
        "sq2": sq2,
        "hero": hero,
        "chair": chair,
        "tree": tree,
        "shots": [a, b, c, d, e],
        "project": project,
    }


A, B, C, D, E = "sh010", "sh020", "sh030", "sh040", "sh050"
ALL = [A, B, C, D, E]


def test_text_relations_nulls_and_wildcards(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    f = "description"
    check(
        sg,
        "Shot",
        [
            ([f, "is", "a_b test"], [B]),
            ([f, "is", "A_B TEST"], []),  # is is exact
            ([f, "is", None], [C]),
            ([f, "is_not", None], [A, B, D, E]),
            ([f, "is_not", "a_b test"], [A, C, D, E]),  # null is not "a_b test"
            ([f, "in", ["a_b test", "hero EXITS"]], [B, D]),
            ([f, "in", "a_b test", "hero EXITS"], [B, D]),
            ([f, "in", ["a_b test", None]], [B, C]),
            ([f, "in", []], []),
            ([f, "not_in", []], ALL),
            ([f, "not_in", ["a_b test"]], [A, C, D, E]),
            ([f, "not_in", ["a_b test", None]], [A, D, E]),
            ([f, "contains", "hero"], [A, D]),
            ([f, "contains", "HERO"], [A, D]),
            ([f, "contains", "eXiT"], [D]),
            ([f, "not_contains", "hero"], [B, C, E]),
            ([f, "not_contains", "zzz"], ALL),
            ([f, "starts_with", "HERO"], [A, D]),
            ([f, "starts_with", "hero e"], [A, D]),
            ([f, "ends_with", "LIT"], [A]),
            ([f, "ends_with", "exits"], [D]),
            (["code", "is", "SH010"], []),
            (["code", "starts_with", "SH0"], ALL),
            # unescaped, % and _ would match any run / any single character
            ([f, "contains", "%"], [A, E]),
            ([f, "contains", "_"], [B, E]),
            ([f, "contains", "0%_"], [E]),
            ([f, "contains", "a_b"], [B]),  # not "axb" in E
            ([f, "contains", "a%b"], []),
            ([f, "not_contains", "%"], [B, C, D]),
            ([f, "starts_with", "%"], []),
            ([f, "starts_with", "50%"], [E]),
            ([f, "starts_with", "_"], []),
            ([f, "ends_with", "_"], []),
            ([f, "ends_with", "%"], []),
            ([f, "contains", "\\"], []),
            ([f, "contains", "/"], []),
        ],
    )


def test_text_relations_fold_non_ascii_case(sg: shotlog.Shotlog) -> None:
    create_all(sg, "Shot", [{"code": "Élan", "description": "ÉCOLE"}, {"code": "plain"}])
    check(
        sg,
        "Shot",
        [
            (["code", "contains", "élan"], ["Élan"]),
            (["description", "starts_with", "éc"], ["Élan"]),
            (["description", "ends_with", "olE"], ["Élan"]),
            (["code", "not_contains", "éL"], ["plain"]),
        ],
    )


def test_number_and_float_relations(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    f = "sg_cut_in"  # A 10, B 0, C None, D -5, E 100
    check(
        sg,
        "Shot",
        [
            ([f, "is", 0], [B]),
            ([f, "is", 10.0], [A]),  # an integral float is that integer, as in writes
            ([f, "is", None], [C]),
            ([f, "is_not", None], [A, B, D, E]),  # 0 is not null
            ([f, "is_not", 0], [A, C, D, E]),
            ([f, "in", [0, 10]], [A, B]),
            ([f, "in", 0, 10], [A, B]),
            ([f, "in", [10, None]], [A, C]),
            ([f, "not_in", [0, 10]], [C, D, E]),
            ([f, "not_in", [10, None]], [B, D, E]),
            ([f, "less_than", 10], [B, D]),
            ([f, "less_than", 0], [D]),
            ([f, "greater_than", 0], [A, E]),
            ([f, "greater_than", -10], [A, B, D, E]),
            ([f, "between", [0, 10]], [A, B]),
            ([f, "between", 0, 10], [A, B]),
            ([f, "between", [None, 0]], [B, D]),
            ([f, "between", [10, None]], [A, E]),
            ([f, "between", [11, 99]], []),
            ([f, "not_between", [0, 10]], [C, D, E]),
            ([f, "not_between", [None, 0]], [A, C, E]),
            (["id", "is", world["shots"][1]["id"]], [B]),
            (["id", "in", [world["shots"][0]["id"], world["shots"][4]["id"]]], [A, E]),
            (["id", "greater_than", world["shots"][3]["id"]], [E]),
        ],
    )

    f = "sg_frame_rate"  # A 24.0, B 23.976, C None, D 25.0, E 48.0
    check(
        sg,
        "Shot",
        [
            ([f, "is", 24], [A]),
            ([f, "is", 24.0], [A]),
            ([f, "is", 23.976], [B]),
            ([f, "is", None], [C]),
            ([f, "is_not", 24], [B, C, D, E]),
            ([f, "less_than", 24], [B]),
            ([f, "greater_than", 24.5], [D, E]),
            ([f, "between", [23.9, 24]], [A, B]),
            ([f, "not_between", [23.9, 24]], [C, D, E]),
            ([f, "in", [25, 48.0]], [D, E]),
            ([f, "not_in", [25]], [A, B, C, E]),
        ],
    )


def test_status_list_and_list_relations(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    s, t = "sg_status_list", "sg_shot_type"  # ip fin None wtg hld / Action Dialogue None VFX Establishing
    check(
        sg,
        "Shot",
        [
            ([s, "is", "ip"], [A]),
            ([s, "is", None], [C]),
            ([s, "is_not", "ip"], [B, C, D, E]),
            ([s, "is_not", None], [A, B, D, E]),
            ([s, "in", ["ip", "fin"]], [A, B]),
            ([s, "in", ["ip", None]], [A, C]),
            ([s, "not_in", ["ip", "fin"]], [C, D, E]),
            ([s, "contains", "I"], [A, B]),
            ([s, "not_contains", "i"], [C, D, E]),
            ([s, "starts_with", "F"], [B]),
            ([s, "ends_with", "g"], [D]),
            ([t, "is", "VFX"], [D]),
            ([t, "is", "vfx"], []),
            ([t, "in", ["Action", "VFX"]], [A, D]),
            ([t, "not_in", ["Action", None]], [B, D, E]),
            ([t, "contains", "LOG"], [B]),
            ([t, "starts_with", "est"], [E]),
            ([t, "ends_with", "x"], [D]),
            ([t, "is", None], [C]),
        ],
    )


def test_entity_relations(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    f = "sg_sequence"  # A sq1, B sq1, C sq2, D None, E sq2
    sq1, sq2 = world["sq1"], world["sq2"]
    check(
        sg,
        "Shot",
        [
            ([f, "is", sq1], [A, B]),
            ([f, "is", link(sq1)], [A, B]),
            ([f, "is", {**link(sq1), "name": "ignored"}], [A, B]),
            ([f, "is", None], [D]),
            ([f, "is_not", sq1], [C, D, E]),
            ([f, "is_not", None], [A, B, C, E]),
            ([f, "in", [sq1, sq2]], [A, B, C, E]),
            ([f, "in", [sq2, None]], [C, D, E]),
            ([f, "in", []], []),
            ([f, "not_in", [sq2]], [A, B, D]),
            ([f, "not_in", [sq1, None]], [C, E]),
            ([f, "type_is", "Sequence"], [A, B, C, E]),
            ([f, "type_is", None], [D]),
            ([f, "type_is_not", "Sequence"], [D]),
            ([f, "type_is_not", None], [A, B, C, E]),
            ([f, "name_contains", "Q01"], [A, B]),
            ([f, "name_is", "sq020"], [C, E]),
            ([f, "name_starts_with", "SQ"], [A, B, C, E]),
            ([f, "name_ends_with", "20"], [C, E]),
            ([f, "name_not_contains", "010"], [C, D, E]),
            # a link to the right id but the wrong type is not that entity
            ([f, "is", {"type": "Shot", "id": sq1["id"]}], []),
        ],
    )


def test_polymorphic_entity_relations(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    shot_a, hero = world["shots"][0], world["hero"]
    p = world["project"]
    create_all(
        sg,
        "Task",
        [
            {"content": "anim", "entity": shot_a, "project": p},
            {"content": "model", "entity": hero, "project": p},
            {"content": "plan", "entity": p, "project": p},
            {"content": "orphan", "project": p},
        ],
    )
    f = "entity"
    check(
        sg,
        "Task",
        [
            ([f, "type_is", "Shot"], ["anim"]),
            ([f, "type_is", "Asset"], ["model"]),
            ([f, "type_is_not", "Shot"], ["model", "orphan", "plan"]),
            ([f, "type_is", None], ["orphan"]),
            ([f, "in", [shot_a, hero]], ["anim", "model"]),
            ([f, "not_in", [shot_a, hero]], ["orphan", "plan"]),
            ([f, "is", {"type": "Sequence", "id": shot_a["id"]}], []),  # same id, other type
            # names are each target type's display field: Shot.code, Asset.code, Project.name
            ([f, "name_contains", "e"], ["model", "plan"]),  # "Hero", "Demo"
            ([f, "name_is", "Demo"], ["plan"]),
            ([f, "name_starts_with", "SH"], ["anim"]),
            ([f, "name_not_contains", "e"], ["anim", "orphan"]),
        ],
        field="content",
    )


def test_multi_entity_relations(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    f = "assets"  # A [hero, chair], B [chair], C [], D [tree], E [hero]
    hero, chair, tree = world["hero"], world["chair"], world["tree"]
    check(
        sg,
        "Shot",
        [
            ([f, "is", hero], [A, E]),  # is = contains
            ([f, "is", None], [C]),
            ([f, "is_not", hero], [B, C, D]),
            ([f, "is_not", None], [A, B, D, E]),
            ([f, "in", [hero, tree]], [A, D, E]),  # any overlap
            ([f, "in", [tree, None]], [C, D]),
            ([f, "not_in", [chair]], [C, D, E]),
            ([f, "not_in", [chair, None]], [D, E]),
            ([f, "type_is", "Asset"], [A, B, D, E]),
            ([f, "type_is", None], [C]),
            ([f, "type_is_not", "Asset"], [C]),
            ([f, "name_contains", "HER"], [A, E]),
            ([f, "name_is", "chair"], [A, B]),
            ([f, "name_starts_with", "T"], [D]),
            ([f, "name_ends_with", "IR"], [A, B]),
            ([f, "name_not_contains", "e"], [B, C]),
        ],
    )


def test_multi_entity_filters_ignore_retired_members(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    hero, tree = world["hero"], world["tree"]
    sg.delete("Asset", hero["id"])
    sg.delete("Asset", tree["id"])
    # A [hero, chair] reads [chair]; B [chair]; C []; D [tree] reads []; E [hero] reads []
    assert {r["code"]: len(r["assets"]) for r in sg.find("Shot", [], ["code", "assets"])} == {
        A: 1,
        B: 1,
        C: 0,
        D: 0,
        E: 0,
    }
    f = "assets"
    check(
        sg,
        "Shot",
        [
            ([f, "is", None], [C, D, E]),
            ([f, "is_not", None], [A, B]),
            ([f, "is", hero], []),
            ([f, "is_not", hero], ALL),
            ([f, "in", [hero, tree]], []),
            ([f, "type_is", "Asset"], [A, B]),
            ([f, "name_is", "Hero"], []),
        ],
    )
    assert sg.summarize("Shot", [], [{"field": f, "type": "count"}])["summaries"] == {f: 2}
    sg.revive("Asset", hero["id"])
    check(sg, "Shot", [([f, "is", hero], [A, E]), ([f, "is", None], [C, D])])


def test_tag_list_relations(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    f = "tag_list"  # A [hero, night], B [day], C [], D [hero], E [night, wide]
    check(
        sg,
        "Shot",
        [
            ([f, "is", "hero"], [A, D]),
            ([f, "is", None], [C]),
            ([f, "is_not", "hero"], [B, C, E]),
            ([f, "is_not", None], [A, B, D, E]),
            ([f, "in", ["day", "wide"]], [B, E]),
            ([f, "in", ["day", None]], [B, C]),
            ([f, "not_in", ["night"]], [B, C, D]),
            ([f, "not_in", ["night", None]], [B, D]),
        ],
    )


def test_checkbox_date_and_date_time_relations(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    create_all(
        sg,
        "ActionMenuItem",
        [
            {"title": "on", "selection_required": True},
            {"title": "off", "selection_required": False},
            {"title": "unset"},
        ],
    )
    f = "selection_required"
    check(
        sg,
        "ActionMenuItem",
        [
            ([f, "is", True], ["on"]),
            ([f, "is", False], ["off", "unset"]),
            ([f, "is", None], ["off", "unset"]),  # a checkbox is never null: None means unchecked
            ([f, "is_not", True], ["off", "unset"]),
            ([f, "is_not", False], ["on"]),
            ([f, "is_not", None], ["on"]),
        ],
        field="title",
    )

    create_all(
        sg,
        "Task",
        [
            {"content": "jan", "due_date": "2024-01-15", "project": project},
            {"content": "leap", "due_date": "2024-02-29", "project": project},
            {"content": "none", "project": project},
            {"content": "eoy", "due_date": "2025-12-31", "project": project},
        ],
    )
    f = "due_date"
    check(
        sg,
        "Task",
        [
            ([f, "is", "2024-02-29"], ["leap"]),
            ([f, "is", dt.date(2024, 2, 29)], ["leap"]),
            ([f, "is", None], ["none"]),
            ([f, "is_not", None], ["eoy", "jan", "leap"]),
            ([f, "is_not", "2024-02-29"], ["eoy", "jan", "none"]),
            ([f, "in", ["2024-01-15", "2025-12-31"]], ["eoy", "jan"]),
            ([f, "in", ["2024-01-15", None]], ["jan", "none"]),
            ([f, "not_in", ["2024-01-15"]], ["eoy", "leap", "none"]),
            ([f, "less_than", "2024-02-29"], ["jan"]),
            ([f, "greater_than", "2024-01-15"], ["eoy", "leap"]),
            ([f, "between", ["2024-01-15", "2024-02-29"]], ["jan", "leap"]),
            ([f, "between", [None, "2024-02-28"]], ["jan"]),
            ([f, "not_between", ["2024-01-15", "2024-02-29"]], ["eoy", "none"]),
        ],
        field="content",
    )

    utc = dt.UTC
    create_all(
        sg,
        "Playlist",
        [
            {"code": "p1", "sg_date_and_time": dt.datetime(2024, 1, 15, 10, tzinfo=utc), "project": project},
            {"code": "p2", "sg_date_and_time": "2024-01-15T12:30:00Z", "project": project},
            {"code": "p3", "project": project},
            {"code": "p4", "sg_date_and_time": dt.datetime(2025, 6, 1, tzinfo=utc), "project": project},
        ],
    )
    f = "sg_date_and_time"
    plus_one = dt.timezone(dt.timedelta(hours=1))
    check(
        sg,
        "Playlist",
        [
            ([f, "is", dt.datetime(2024, 1, 15, 10, tzinfo=utc)], ["p1"]),
            ([f, "is", "2024-01-15T10:00:00Z"], ["p1"]),
            ([f, "is", dt.datetime(2024, 1, 15, 11, tzinfo=plus_one)], ["p1"]),
            ([f, "is", None], ["p3"]),
            ([f, "is_not", None], ["p1", "p2", "p4"]),
            ([f, "is_not", "2024-01-15T10:00:00Z"], ["p2", "p3", "p4"]),
            ([f, "in", ["2024-01-15T10:00:00Z", "2025-06-01T00:00:00Z"]], ["p1", "p4"]),
            ([f, "not_in", ["2024-01-15T10:00:00Z", None]], ["p2", "p4"]),
            ([f, "greater_than", "2024-01-15T10:00:00Z"], ["p2", "p4"]),
            ([f, "less_than", "2024-01-15T12:30:00Z"], ["p1"]),
            ([f, "between", ["2024-01-15T10:00:00Z", "2024-01-15T12:30:00Z"]], ["p1", "p2"]),
            ([f, "not_between", ["2024-01-15T10:00:01Z", "2024-01-15T12:30:00Z"]], ["p1", "p3", "p4"]),
        ],
    )


def test_relative_time_relations(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    today = dt.datetime.now(dt.UTC).date()
    offsets = {"m40": -40, "m3": -3, "d0": 0, "p3": 3, "p40": 40, "m400": -400}
    dates = {name: today + dt.timedelta(days=n) for name, n in offsets.items()}
    create_all(
        sg,
        "Task",
        [{"content": n, "due_date": d.isoformat(), "project": project} for n, d in dates.items()]
        + [{"content": "none", "project": project}],
    )

    def where(pred: Any) -> list[str]:
        return [n for n, d in dates.items() if pred(d)]

    week0 = today - dt.timedelta(days=today.weekday())
    f = "due_date"
    rest = [*offsets, "none"]
    check(
        sg,
        "Task",
        [
            ([f, "in_last", 7, "DAY"], ["m3", "d0"]),
            ([f, "in_last", [7, "DAY"]], ["m3", "d0"]),
            ([f, "in_last", 7], ["m3", "d0"]),  # the unit defaults to DAY
            ([f, "in_last", 1, "WEEK"], ["m3", "d0"]),
            ([f, "in_last", 2, "YEAR"], ["m400", "m40", "m3", "d0"]),
            ([f, "in_next", 7, "DAY"], ["d0", "p3"]),
            ([f, "in_next", 2, "MONTH"], ["d0", "p3", "p40"]),
            ([f, "not_in_last", 7, "DAY"], [n for n in rest if n not in ("m3", "d0")]),
            ([f, "not_in_next", 7, "DAY"], [n for n in rest if n not in ("d0", "p3")]),
            ([f, "in_calendar_day", 0], ["d0"]),
            ([f, "in_calendar_day", -3], ["m3"]),
            ([f, "in_calendar_day", 3], ["p3"]),
            ([f, "in_calendar_week", 0], where(lambda d: week0 <= d < week0 + dt.timedelta(weeks=1))),
            (
                [f, "in_calendar_week", -1],
                where(lambda d: week0 - dt.timedelta(weeks=1) <= d < week0),
            ),
            ([f, "in_calendar_month", 0], where(lambda d: (d.year, d.month) == (today.year, today.month))),
            ([f, "in_calendar_year", 0], where(lambda d: d.year == today.year)),
            ([f, "in_calendar_year", -1], where(lambda d: d.year == today.year - 1)),
        ],
        field="content",
    )

    # the same on a date_time field, to the hour
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    deltas = {
        "m1h": dt.timedelta(hours=-1),
        "m3d": dt.timedelta(days=-3),
        "p1h": dt.timedelta(hours=1),
        "p3d": dt.timedelta(days=3),
        "m40d": dt.timedelta(days=-40),
    }
    times = {name: now + delta for name, delta in deltas.items()}
    create_all(
        sg,
        "Playlist",
        [{"code": n, "sg_date_and_time": t, "project": project} for n, t in times.items()]
        + [{"code": "none", "project": project}],
    )

    def timed(pred: Any) -> list[str]:
        return [n for n, t in times.items() if pred(t)]

    f = "sg_date_and_time"
    rest_t = [*deltas, "none"]
    check(
        sg,
        "Playlist",
        [
            ([f, "in_last", 2, "HOUR"], ["m1h"]),
            ([f, "in_last", 4, "DAY"], ["m1h", "m3d"]),
            ([f, "in_last", 1, "MONTH"], ["m1h", "m3d"]),
            ([f, "in_last", 1, "YEAR"], ["m1h", "m3d", "m40d"]),
            ([f, "in_last", 2, "hour"], ["m1h"]),
            ([f, "in_next", 2, "HOUR"], ["p1h"]),
            ([f, "in_next", 1, "WEEK"], ["p1h", "p3d"]),
            ([f, "not_in_last", 4, "DAY"], [n for n in rest_t if n not in ("m1h", "m3d")]),
            ([f, "not_in_next", 2, "HOUR"], [n for n in rest_t if n != "p1h"]),
            ([f, "in_calendar_day", 0], timed(lambda t: t.date() == now.date())),
            ([f, "in_calendar_day", -3], timed(lambda t: t.date() == now.date() - dt.timedelta(days=3))),
            ([f, "in_calendar_month", 0], timed(lambda t: (t.year, t.month) == (now.year, now.month))),
            ([f, "in_calendar_year", 0], timed(lambda t: t.year == now.year)),
        ],
    )


def test_entity_type_uuid_color_and_duration_relations(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    create_all(
        sg,
        "Step",
        [
            {"code": "comp", "entity_type": "Shot", "color": "255,0,0"},
            {"code": "model", "entity_type": "Asset", "color": "0,128,255"},
            {"code": "misc"},
        ],
    )
    check(
        sg,
        "Step",
        [
            (["entity_type", "is", "Shot"], ["comp"]),
            (["entity_type", "is_not", "Shot"], ["misc", "model"]),
            (["entity_type", "in", ["Shot", "Asset"]], ["comp", "model"]),
            (["entity_type", "not_in", ["Shot"]], ["misc", "model"]),
            (["entity_type", "is", None], ["misc"]),
            (["color", "is", "255,0,0"], ["comp"]),
            (["color", "contains", "128"], ["model"]),
            (["color", "starts_with", "0,"], ["model"]),
            (["color", "is", None], ["misc"]),
        ],
    )
    u1, u2 = str(uuid.uuid4()), str(uuid.uuid4())
    create_all(sg, "LocalStorage", [{"code": "l1", "uuid": u1}, {"code": "l2", "uuid": u2}, {"code": "l3"}])
    check(
        sg,
        "LocalStorage",
        [
            (["uuid", "is", u1], ["l1"]),
            (["uuid", "is_not", u1], ["l2", "l3"]),
            (["uuid", "in", [u1, u2]], ["l1", "l2"]),
            (["uuid", "not_in", [u1, None]], ["l2"]),
            (["uuid", "is", None], ["l3"]),
        ],
    )
    create_all(
        sg,
        "Task",
        [
            {"content": "short", "duration": 60, "project": project},
            {"content": "long", "duration": 600, "project": project},
            {"content": "zero", "duration": 0, "project": project},
            {"content": "unset", "project": project},
        ],
    )
    check(
        sg,
        "Task",
        [
            (["duration", "is", 0], ["zero"]),
            (["duration", "is_not", None], ["long", "short", "zero"]),
            (["duration", "greater_than", 59], ["long", "short"]),
            (["duration", "less_than", 600], ["short", "zero"]),
            (["duration", "between", [60, 600]], ["long", "short"]),
            (["duration", "not_between", [60, 600]], ["unset", "zero"]),
            (["duration", "in", [0, 600]], ["long", "zero"]),
            (["color", "is", "pipeline_step"], ["long", "short", "unset", "zero"]),
        ],
        field="content",
    )


def test_custom_percent_and_currency_fields(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    pct = sg.schema_field_create("Shot", "percent", "Completion")
    cost = sg.schema_field_create("Shot", "currency", "Cost")
    create_all(
        sg,
        "Shot",
        [
            {"code": "a", pct: 0, cost: 10.5, "project": project},
            {"code": "b", pct: 50, cost: 99.99, "project": project},
            {"code": "c", pct: 100, "project": project},
            {"code": "d", "project": project},
        ],
    )
    check(
        sg,
        "Shot",
        [
            ([pct, "is", 0], ["a"]),
            ([pct, "is_not", None], ["a", "b", "c"]),
            ([pct, "greater_than", 0], ["b", "c"]),
            ([pct, "between", [50, 100]], ["b", "c"]),
            ([pct, "in", [0, 100]], ["a", "c"]),
            ([pct, "not_in", [0, 100]], ["b", "d"]),
            ([cost, "less_than", 50], ["a"]),
            ([cost, "is", None], ["c", "d"]),
            ([cost, "is", 99.99], ["b"]),
        ],
    )


def test_image_only_compares_with_none(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    check(sg, "Shot", [(["image", "is", None], ALL), (["image", "is_not", None], [])])
    with pytest.raises(FilterError, match="image"):
        sg.find("Shot", [["image", "is", "http://example.com/x.png"]])
    with pytest.raises(FilterError, match="image"):
        sg.find("Shot", [["image", "contains", "x"]])


# -- combining filters ------------------------------------------------------------------------------


def test_combining_filters(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    two = [["code", "is", A], ["code", "is", B]]
    assert _codes(sg, "Shot", two, "code", filter_operator="any") == [A, B]
    assert _codes(sg, "Shot", two, "code", filter_operator="or") == [A, B]
    assert _codes(sg, "Shot", two, "code", filter_operator="all") == []
    assert _codes(sg, "Shot", two, "code") == []
    assert _codes(sg, "Shot", [], "code", filter_operator="any") == ALL
    assert _codes(sg, "Shot", [], "code") == ALL
    with pytest.raises(FilterError, match="xor"):
        sg.find("Shot", two, filter_operator="xor")

    hero = world["hero"]
    check(
        sg,
        "Shot",
        [
            (
                [
                    ["sg_status_list", "is_not", None],
                    {
                        "filter_operator": "any",
                        "filters": [
                            ["sg_cut_in", "less_than", 1],
                            {
                                "filter_operator": "all",
                                "filters": [["sg_frame_rate", "greater_than", 24], ["assets", "is", hero]],
                            },
                        ],
                    },
                ],
                [B, D, E],
            ),
            # four levels: any(A, all(not E, any(cut_in 0, all(type VFX, tag hero))))
            (
                {
                    "filter_operator": "any",
                    "filters": [
                        ["code", "is", A],
                        {
                            "filter_operator": "all",
                            "filters": [
                                ["code", "is_not", E],
                                {
                                    "filter_operator": "any",
                                    "filters": [
                                        ["sg_cut_in", "is", 0],
                                        {
                                            "filter_operator": "all",
                                            "filters": [
                                                ["sg_shot_type", "is", "VFX"],
                                                ["tag_list", "is", "hero"],
                                            ],
                                        },
                                    ],
                                },
                            ],
                        },
                    ],
                },
                [A, B, D],
            ),
            # a group without filter_operator is "all"; an empty group matches everything
            ([{"filters": [["sg_cut_in", "greater_than", 0], ["sg_cut_in", "less_than", 50]]}], [A]),
            ([{"filter_operator": "any", "filters": []}], ALL),
            ([["code", "in", [A, B]], {"filter_operator": "all", "filters": []}], [A, B]),
        ],
    )

    sq2 = world["sq2"]
    wire = {
        "logical_operator": "or",
        "conditions": [
            {"path": "code", "relation": "is", "values": [A]},
            {
                "logical_operator": "and",
                "conditions": [
                    {"path": "sg_sequence", "relation": "is", "values": [link(sq2)]},
                    {"path": "sg_cut_in", "relation": "in", "values": [100, None]},
                ],
            },
        ],
    }
    assert _codes(sg, "Shot", wire, "code") == [A, C, E]
    # a wire group inside a list of filters, and a scalar where a list of values is expected
    mixed = [
        ["sg_status_list", "is_not", "ip"],
        {"logical_operator": "or", "conditions": [{"path": "sg_cut_in", "relation": "is", "values": 0}]},
    ]
    assert _codes(sg, "Shot", mixed, "code") == [B]
    assert _codes(sg, "Shot", {"logical_operator": "and", "conditions": []}, "code") == ALL
    assert _codes(sg, "Shot", {"filter_operator": "any", "filters": [["code", "is", D]]}, "code") == [D]

    result = sg.summarize(
        "Shot",
        [["sg_cut_in", "is", 0], ["sg_cut_in", "greater_than", 50]],
        [{"field": "id", "type": "count"}],
        filter_operator="any",
    )
    assert result == {"summaries": {"id": 2}, "groups": []}


# -- paths ----------------------------------------------------------------------------------------------


@pytest.fixture
def tasks(sg: shotlog.Shotlog, world: dict[str, Any]) -> list[dict[str, Any]]:
    """anim->sh010 (sq010), light->sh030 (sq020), fx->sh040 (no sequence), model->Hero, plan->none.

    The asset is renamed "sh010" so that only the polymorphic rule keeps it out of Shot paths.
    """
    a, _b, c, d, _e = world["shots"]
    hero = world["hero"]
    sg.update("Asset", hero["id"], {"code": "sh010"})
    p = world["project"]
    return create_all(
        sg,
        "Task",
        [
            {"content": "anim", "entity": a, "project": p},
            {"content": "light", "entity": c, "project": p},
            {"content": "fx", "entity": d, "project": p},
            {"content": "model", "entity": hero, "project": p},
            {"content": "plan", "project": p},
        ],
    )


def test_deep_paths_in_filters(sg: shotlog.Shotlog, world: dict[str, Any], tasks: Any) -> None:
    sq1 = world["sq1"]
    check(
        sg,
        "Task",
        [
            (["entity.Shot.code", "is", A], ["anim"]),  # not "model", whose Asset is also "sh010"
            (["entity.Asset.code", "is", A], ["model"]),
            (["entity.Shot.code", "starts_with", "SH0"], ["anim", "fx", "light"]),
            (["entity.Shot.code", "is_not", A], ["fx", "light"]),  # only tasks on a Shot
            (["entity.Shot.code", "is", None], []),
            (["entity.Shot.code", "is_not", None], ["anim", "fx", "light"]),
            (["entity.Shot.sg_cut_in", "greater_than", 0], ["anim"]),
            (["entity.Shot.sg_sequence", "is", sq1], ["anim"]),
            (["entity.Shot.sg_sequence", "is", None], ["fx"]),
            (["entity.Shot.sg_sequence.Sequence.code", "is", "sq020"], ["light"]),
            (["entity.Shot.sg_sequence.Sequence.code", "in", ["sq010", "sq020"]], ["anim", "light"]),
            (["entity.Shot.sg_sequence.Sequence.code", "not_in", ["sq010"]], ["light"]),
            (["entity.Shot.assets", "is", world["chair"]], ["anim"]),
            (["entity.Shot.tag_list", "is", "hero"], ["anim", "fx"]),
            (["project.Project.name", "is", "Demo"], ["anim", "fx", "light", "model", "plan"]),
            (["entity.Shot.project.Project.name", "is", "Demo"], ["anim", "fx", "light"]),
            (["entity.Asset.sg_asset_type", "is", "Character"], ["model"]),
        ],
        field="content",
    )


def test_deep_paths_in_return_fields_and_order(
    sg: shotlog.Shotlog, world: dict[str, Any], tasks: Any
) -> None:
    sq1, chair, hero = world["sq1"], world["chair"], world["hero"]
    fields = [
        "content",
        "entity.Shot.code",
        "entity.Shot.sg_sequence",
        "entity.Shot.sg_sequence.Sequence.code",
        "entity.Shot.assets",
        "entity.Asset.code",
        "project.Project.name",
    ]
    rows = {r["content"]: r for r in sg.find("Task", [], fields)}
    assert rows["anim"] == {
        "type": "Task",
        "id": tasks[0]["id"],
        "content": "anim",
        "entity.Shot.code": A,
        "entity.Shot.sg_sequence": {"type": "Sequence", "id": sq1["id"], "name": "sq010"},
        "entity.Shot.sg_sequence.Sequence.code": "sq010",
        "entity.Shot.assets": [
            {"type": "Asset", "id": hero["id"], "name": "sh010"},
            {"type": "Asset", "id": chair["id"], "name": "chair"},
        ],
        "entity.Asset.code": None,
        "project.Project.name": "Demo",
    }
    assert rows["model"] == {
        "type": "Task",
        "id": tasks[3]["id"],
        "content": "model",
        "entity.Shot.code": None,
        "entity.Shot.sg_sequence": None,
        "entity.Shot.sg_sequence.Sequence.code": None,
        "entity.Shot.assets": [],
        "entity.Asset.code": "sh010",
        "project.Project.name": "Demo",
    }
    assert rows["fx"]["entity.Shot.sg_sequence"] is None
    assert rows["fx"]["entity.Shot.code"] == D
    assert rows["plan"]["entity.Shot.code"] is None

    def order(path: str, direction: str) -> list[str]:
        rows = sg.find("Task", [], ["content"], order=[{"field_name": path, "direction": direction}])
        return [r["content"] for r in rows]

    # tasks not on a Shot have no entity.Shot.code: nulls first ascending, last descending (by id)
    assert order("entity.Shot.code", "asc") == ["model", "plan", "anim", "light", "fx"]
    assert order("entity.Shot.code", "desc") == ["fx", "light", "anim", "model", "plan"]
    assert order("entity.Shot.sg_sequence.Sequence.code", "desc") == ["light", "anim", "fx", "model", "plan"]


def test_reverse_fields(sg: shotlog.Shotlog, world: dict[str, Any], tasks: Any) -> None:
    a, b, c, d, e = world["shots"]
    anim, light = tasks[0], tasks[1]
    shots = {r["code"]: r for r in sg.find("Shot", [], ["code", "tasks"])}
    assert shots[A]["tasks"] == [{"type": "Task", "id": anim["id"], "name": "anim"}]
    assert shots[C]["tasks"] == [{"type": "Task", "id": light["id"], "name": "light"}]
    assert shots[B]["tasks"] == []
    seqs = {r["code"]: r["shots"] for r in sg.find("Sequence", [], ["code", "shots"])}
    assert seqs == {
        "sq010": [
            {"type": "Shot", "id": a["id"], "name": A},
            {"type": "Shot", "id": b["id"], "name": B},
        ],
        "sq020": [
            {"type": "Shot", "id": c["id"], "name": C},
            {"type": "Shot", "id": e["id"], "name": E},
        ],
    }
    check(sg, "Sequence", [(["shots", "is", d], []), (["shots", "is", e], ["sq020"])])
    check(
        sg,
        "Shot",
        [
            (["tasks", "is", anim], [A]),
            (["tasks", "is", None], [B, E]),
            (["tasks", "is_not", None], [A, C, D]),
            (["tasks", "name_contains", "IGH"], [C]),
            (["tasks", "name_not_contains", "a"], [B, C, D, E]),
            (["tasks", "in", [anim, light]], [A, C]),
            (["tasks", "type_is", "Task"], [A, C, D]),
            (["sg_sequence.Sequence.shots", "is", b], [A, B]),
        ],
    )
    check(sg, "Asset", [(["shots", "is", a], ["chair", "sh010"]), (["shots", "is", None], [])])
    # the generic reverse path works from any single-entity link, not only EventLogEntry.entity
    check(sg, "Shot", [(["$FROM$Task.entity.content", "in", ["anim", "light", "model"]], [A, C])])
    # a retired source no longer shows in the reverse field, nor matches it
    sg.delete("Task", light["id"])
    check(
        sg,
        "Shot",
        [
            (["tasks", "is", None], [B, C, E]),
            (["$FROM$Task.entity.content", "in", ["anim", "light"]], [A]),
        ],
    )
    assert sg.find_one("Shot", [["id", "is", c["id"]]], ["tasks"]) == {
        "type": "Shot",
        "id": c["id"],
        "tasks": [],
    }


def test_from_event_log_finds_a_retired_subject(sg: shotlog.Shotlog, world: dict[str, Any]) -> None:
    shot = world["shots"][1]
    other = world["shots"][2]
    sg.delete("Shot", shot["id"])
    sg.delete("Shot", other["id"])
    event = sg.find_one(
        "EventLogEntry",
        [["event_type", "is", "Shotgun_Shot_Retirement"]],
        ["entity", "meta"],
        order=[{"field_name": "id", "direction": "asc"}],
    )
    assert event is not None
    assert event["entity"] is None  # its subject is retired
    assert event["meta"]["entity_id"] == shot["id"]
    path = "$FROM$EventLogEntry.entity.id"
    found = sg.find("Shot", [[path, "is", event["id"]]], ["code"], retired_only=True)
    assert found == [{"type": "Shot", "id": shot["id"], "code": B}]
    assert sg.find("Shot", [[path, "is", event["id"]]], ["code"]) == []
    # events of a live subject find it among active shots
    new_event = sg.find_one(
        "EventLogEntry",
        [["event_type", "is", "Shotgun_Shot_New"], ["entity", "is", world["shots"][0]]],
        ["id"],
    )
    assert new_event is not None
    assert sg.find("Shot", [[path, "is", new_event["id"]]], ["code"]) == [
        {"type": "Shot", "id": world["shots"][0]["id"], "code": A}
    ]
    assert sg.find("Shot", [[path, "in", [new_event["id"], event["id"]]]], ["code"], retired_only=True) == [
        {"type": "Shot", "id": shot["id"], "code": B}
    ]


# -- bad input -------------------------------------------------------------------------------------


BAD_FILTERS: list[tuple[str, Any, str]] = [
    ("Shot", [["bogus", "is", 1]], "bogus"),
    ("Shot", [["entity.Shot.code", "is", 1]], "entity"),
    ("Shot", [["code", "attachment", "x"]], "attachment"),
    ("Shot", [["code", "in_last", 1, "DAY"]], "in_last"),
    ("Shot", [["sg_cut_in", "contains", "1"]], "contains"),
    ("Shot", [["sg_sequence", "less_than", 1]], "less_than"),
    ("Shot", [["tag_list", "contains", "hero"]], "contains"),
    ("Task", [["milestone", "in", [True]]], "in"),
    ("Step", [["entity_type", "contains", "Sh"]], "contains"),
    ("Shot", [["sg_cut_in", "is", "ten"]], "ten"),
    ("Shot", [["sg_cut_in", "is", True]], "True"),
    ("Shot", [["sg_cut_in", "is", 1.5]], "1.5"),
    ("Shot", [["sg_cut_in", "is", float("inf")]], "inf"),
    ("Shot", [["sg_frame_rate", "is", "24"]], "'24'"),
    ("Shot", [["code", "is", 5]], "code"),
    ("Shot", [["code", "in", ["a", 5]]], "code"),
    ("Task", [["milestone", "is", "yes"]], "yes"),
    ("Task", [["due_date", "is", 5]], "due_date"),
    ("Task", [["due_date", "is", "2024-13-01"]], "2024-13-01"),
    ("Task", [["due_date", "is", "soon"]], "soon"),
    ("Task", [["due_date", "in_last", 1, "FORTNIGHT"]], "FORTNIGHT"),
    ("Task", [["due_date", "in_last", "1", "DAY"]], "'1'"),
    ("Task", [["due_date", "in_calendar_day", "today"]], "today"),
    ("Playlist", [["sg_date_and_time", "is", "yesterday"]], "yesterday"),
    ("Playlist", [["sg_date_and_time", "greater_than", 5]], "sg_date_and_time"),
    ("Shot", [["sg_cut_in", "less_than", None]], "sg_cut_in"),
    ("Shot", [["sg_cut_in", "between", 1]], "between"),
    ("Shot", [["sg_cut_in", "is", 1, 2]], "sg_cut_in"),
    ("Shot", [["code", "is"]], "code"),
    ("Shot", [["code", "contains", 5]], "code"),
    ("Shot", [["code", "contains", None]], "code"),
    ("Shot", [["sg_sequence", "is", "sq010"]], "sq010"),
    ("Shot", [["sg_sequence", "is", {"type": "Sequence"}]], "sg_sequence"),
    ("Shot", [["sg_sequence", "is", {"type": "Sequence", "id": "1"}]], "sg_sequence"),
    ("Shot", [["assets", "in", [1, 2]]], "assets"),
    ("Shot", [["sg_sequence", "type_is", 5]], "5"),
    ("Shot", [["sg_sequence", "name_contains", None]], "sg_sequence"),
    ("Shot", [["tag_list", "is", 5]], "tag_list"),
    ("EventLogEntry", [["meta", "is", None]], "meta"),
    ("EventLogEntry", [["meta", "contains", "x"]], "meta"),
    ("HumanUser", [["password_proxy", "is", "secret"]], "password_proxy"),
    ("HumanUser", [["password_proxy", "is", None]], "password_proxy"),
    ("Version", [["sg_uploaded_movie", "is", None]], "sg_uploaded_movie"),
    ("PublishedFile", [["path", "is", None]], "path"),
    ("Shot", [["assets.Shot.code", "is", "Hero"]], "never links to Shot"),
    ("Shot", [["tasks.Task.bogus", "is", "x"]], "bogus"),
    ("Task", [["entity.Bogus.code", "is", "x"]], "Bogus"),
    ("Shot", [["sg_sequence.Shot.code", "is", "x"]], "sg_sequence.Shot.code"),
    ("Shot", [["sg_sequence.Sequence", "is", "x"]], "sg_sequence.Sequence"),
    ("Task", [["entity.Shot.bogus", "is", "x"]], "bogus"),
    ("Shot", [["$FROM$Bogus.entity.id", "is", 1]], "Bogus"),
    ("Shot", [["$FROM$EventLogEntry.meta.id", "is", 1]], "meta"),
    ("Shot", [["$FROM$EventLogEntry.entity", "is", 1]], "EventLogEntry.entity"),
    ("Shot", [["sg_sequence", "type_is", "Bogus"]], "Bogus"),
    ("Shot", [["assets", "type_is_not", "Bogus"]], "Bogus"),
    # values no database column can hold are the caller's mistake, not a storage failure
    ("Shot", [["sg_cut_in", "is", 2**70]], "sg_cut_in"),
    ("Shot", [["id", "in", [1, 2**64]]], str(2**64)),
    ("Shot", [["sg_sequence", "is", {"type": "Sequence", "id": 2**70}]], "sg_sequence"),
    ("Shot", [["assets", "in", [{"type": "Asset", "id": -(2**63) - 1}]]], "assets"),
    ("Shot", [["code", "is", "a\x00b"]], "code"),
    ("Shot", [["code", "contains", "a\x00b"]], "code"),
    ("Shot", [["tag_list", "is", "a\x00b"]], "tag_list"),
    ("Shot", [["sg_sequence", "name_is", "a\x00b"]], "sg_sequence"),
    ("Task", [["due_date", "in_last", 10**9, "DAY"]], "due_date"),
    ("Task", [["due_date", "in_next", 10**4, "YEAR"]], "due_date"),
    ("Task", [["due_date", "in_calendar_year", 10**5]], "due_date"),
    ("Task", [["due_date", "in_calendar_month", -(10**6)]], "due_date"),
    ("Playlist", [["sg_date_and_time", "in_last", 10**8, "WEEK"]], "sg_date_and_time"),
    ("Playlist", [["sg_date_and_time", "in_calendar_day", 10**9]], "sg_date_and_time"),
    (
        "Playlist",
        [["sg_date_and_time", "is", dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))]],
        "sg_date_and_time",
    ),
]


def expect_filter_errors(sg: shotlog.Shotlog, cases: Sequence[tuple[str, Any, str]]) -> None:
    """Each filter must raise FilterError whose message names ``needle`` (the field or value)."""
    failures = []
    for entity_type, filters, needle in cases:
        try:
            sg.find(entity_type, filters, ["id"])
        except FilterError as exc:
            if needle not in str(exc):
                failures.append(f"{filters!r}: message {str(exc)!r} does not name {needle!r}")
        except Exception as exc:
            failures.append(f"{filters!r}: raised {type(exc).__name__}: {exc}, not FilterError")
        else:
            failures.append(f"{filters!r}: did not raise")
    assert not failures, "\n".join(failures)


def test_bad_and_malformed_filters_raise_filter_error(sg: shotlog.Shotlog) -> None:
    expect_filter_errors(sg, BAD_FILTERS)

    expect_filter_errors(sg, [("Shot", filters, needle) for filters, needle in MALFORMED])


MALFORMED: list[tuple[Any, str]] = [
    ("code is sh010", "code is sh010"),
    (5, "5"),
    (["code", "is", "sh010"], "'code'"),  # a single filter instead of a list of filters
    ([["code"]], "code"),
    ([[5, "is", 1]], "5"),
    ([["", "is", 1]], "''"),
    ([["code", 5, "x"]], "5"),
    ([{"foo": 1}], "foo"),
    ([{"filter_operator": "any"}], "None"),
    ([{"filter_operator": "any", "filters": "code"}], "code"),
    ([{"filter_operator": "sometimes", "filters": []}], "sometimes"),
    ({"logical_operator": "xor", "conditions": []}, "xor"),
    ({"logical_operator": "and", "conditions": "x"}, "'x'"),
    ({"logical_operator": "and", "conditions": ["x"]}, "'x'"),
    ({"logical_operator": "and", "conditions": [{"relation": "is", "values": [1]}]}, "None"),
    ({"foo": "bar"}, "foo"),
]


def test_bad_sorts_and_unknown_types(sg: shotlog.Shotlog) -> None:
    with pytest.raises(FilterError, match="'up'"):
        sg.find("Shot", [], order=[{"field_name": "code", "direction": "up"}])
    with pytest.raises(FilterError, match="assets"):
        sg.find("Shot", [], order=[{"field_name": "assets", "direction": "asc"}])
    with pytest.raises(FilterError, match="tag_list"):
        sg.find("Shot", [], order=[{"field_name": "tag_list"}])
    with pytest.raises(FilterError, match="bogus"):
        sg.find("Shot", [], order=[{"field_name": "bogus"}])
    with pytest.raises(FilterError, match=r"assets\.Asset\.code"):
        sg.find("Shot", [], order=[{"field_name": "assets.Asset.code"}])
    with pytest.raises(FilterError, match="Bogus"):
        sg.find("Task", [], order=[{"field_name": "entity.Bogus.code"}])
    with pytest.raises(FilterError, match="field_name"):
        sg.find("Shot", [], order=[{"direction": "asc"}])
    with pytest.raises(FilterError, match="code"):
        sg.find("Shot", [], order=["code"])  # type: ignore[list-item]

    with pytest.raises(shotlog.ShotlogError, match="Bogus"):
        sg.find("Bogus", [])
