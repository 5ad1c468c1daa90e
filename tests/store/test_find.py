"""find: what records look like, ordering, paging, retirement and archived projects.

Filters have their own module (test_filters.py); here the filters are simple and the checks are on
what comes back: exact records, exact orders, exact pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import shotlog
from shotlog import ValidationError


def create_all(sg: shotlog.Shotlog, entity_type: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sg.batch([{"request_type": "create", "entity_type": entity_type, "data": r} for r in rows])


def ref(entity: dict[str, Any], name: str | None) -> dict[str, Any]:
    return {"type": entity["type"], "id": entity["id"], "name": name}


# -- record shapes -----------------------------------------------------------------------------------


def test_records_carry_type_id_and_each_requested_field(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    seq = sg.create("Sequence", {"code": "sq010", "project": project})
    hero = sg.create("Asset", {"code": "Hero", "project": project})
    shot = sg.create(
        "Shot",
        {
            "code": "sh010",
            "description": "first <shot>",
            "sg_cut_in": 0,
            "sg_frame_rate": 23.976,
            "sg_status_list": "ip",
            "sg_sequence": seq,
            "assets": [hero],
            "tag_list": ["b", "a"],
            "project": project,
        },
    )
    fields = [
        "code",
        "description",
        "sg_cut_in",
        "sg_cut_out",
        "sg_frame_rate",
        "sg_status_list",
        "sg_sequence",
        "assets",
        "tag_list",
        "image",
        "project",
        "no_such_field",
        "sg_sequence.Sequence.no_such_field",
        "type",
        "id",
    ]
    assert sg.find("Shot", [["id", "is", shot["id"]]], fields) == [
        {
            "type": "Shot",
            "id": shot["id"],
            "code": "sh010",
            "description": "first <shot>",
            "sg_cut_in": 0,
            "sg_cut_out": None,
            "sg_frame_rate": 23.976,
            "sg_status_list": "ip",
            "sg_sequence": ref(seq, "sq010"),
            "assets": [ref(hero, "Hero")],
            "tag_list": ["b", "a"],
            "image": None,
            "project": ref(project, "Demo"),
            "no_such_field": None,
            "sg_sequence.Sequence.no_such_field": None,
        }
    ]
    # no fields: type and id only; unset collections read as empty, never null
    assert sg.find("Shot", [], None) == [{"type": "Shot", "id": shot["id"]}]
    empty = sg.create("Shot", {"code": "sh020"})
    assert sg.find_one("Shot", [["id", "is", empty["id"]]], ["assets", "tag_list", "tasks", "project"]) == {
        "type": "Shot",
        "id": empty["id"],
        "assets": [],
        "tag_list": [],
        "tasks": [],
        "project": None,
    }


def test_value_formats_of_scalar_types(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    when = dt.datetime(2024, 3, 1, 12, 30, 15, tzinfo=dt.UTC)
    task = sg.create(
        "Task",
        {"content": "anim", "due_date": "2024-02-29", "milestone": True, "duration": 90, "project": project},
    )
    plain = sg.create("Task", {"content": "plain", "project": project})
    playlist = sg.create("Playlist", {"code": "daily", "sg_date_and_time": when, "project": project})
    user = sg.create("HumanUser", {"name": "Ann Lee", "login": "ann", "password_proxy": "s3cret!"})
    fields = ["due_date", "milestone", "duration", "color", "start_date"]
    assert sg.find_one("Task", [["id", "is", task["id"]]], fields) == {
        "type": "Task",
        "id": task["id"],
        "due_date": "2024-02-29",
        "milestone": True,
        "duration": 90,
        "color": "pipeline_step",
        "start_date": None,
    }
    assert sg.find_one("Task", [["id", "is", plain["id"]]], ["milestone"]) == {
        "type": "Task",
        "id": plain["id"],
        "milestone": False,
    }
    got = sg.find_one("Playlist", [["id", "is", playlist["id"]]], ["sg_date_and_time", "locked"])
    assert got == {"type": "Playlist", "id": playlist["id"], "sg_date_and_time": when, "locked": False}
    assert got["sg_date_and_time"].utcoffset() == dt.timedelta(0)
    assert sg.find_one("HumanUser", [["id", "is", user["id"]]], ["login", "password_proxy", "name"]) == {
        "type": "HumanUser",
        "id": user["id"],
        "login": "ann",
        "password_proxy": None,
        "name": "Ann Lee",
    }


def test_links_are_resolved_when_read(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    seq = sg.create("Sequence", {"code": "sq010", "project": project})
    shot = sg.create("Shot", {"code": "sh010", "sg_sequence": seq, "project": project})
    sg.update("Sequence", seq["id"], {"code": "sq999"})
    sg.update("Project", project["id"], {"name": "Renamed"})
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["sg_sequence", "project"]) == {
        "type": "Shot",
        "id": shot["id"],
        "sg_sequence": ref(seq, "sq999"),
        "project": ref(project, "Renamed"),
    }


# -- retirement -----------------------------------------------------------------------------------


def test_retired_entities_and_retired_only(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    _a, b, _c = create_all(sg, "Shot", [{"code": "a"}, {"code": "b"}, {"code": "c"}])
    assert sg.delete("Shot", b["id"]) is True

    def codes(**kw: Any) -> list[str]:
        return [r["code"] for r in sg.find("Shot", [], ["code"], **kw)]

    assert codes() == ["a", "c"]
    assert codes(retired_only=True) == ["b"]
    assert sg.find("Shot", [["code", "is", "b"]], ["code"]) == []
    assert sg.find_one("Shot", [["id", "is", b["id"]]], ["code"], retired_only=True) == {
        "type": "Shot",
        "id": b["id"],
        "code": "b",
    }
    assert sg.revive("Shot", b["id"]) is True
    assert codes() == ["a", "b", "c"]
    assert codes(retired_only=True) == []
    # events are never retired
    assert len(sg.find("EventLogEntry", [])) > 0
    assert sg.find("EventLogEntry", [], retired_only=True) == []


def test_links_to_retired_entities_read_as_none(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    seq = sg.create("Sequence", {"code": "sq010", "project": project})
    hero, tree = create_all(
        sg, "Asset", [{"code": "hero", "project": project}, {"code": "tree", "project": project}]
    )
    shot = sg.create(
        "Shot", {"code": "sh010", "sg_sequence": seq, "assets": [hero, tree], "project": project}
    )
    task = sg.create("Task", {"content": "anim", "entity": shot, "project": project})
    fields = ["sg_sequence", "assets", "sg_sequence.Sequence.code", "tasks"]

    def read() -> dict[str, Any] | None:
        return sg.find_one("Shot", [["id", "is", shot["id"]]], fields)

    sg.delete("Sequence", seq["id"])
    sg.delete("Asset", hero["id"])
    sg.delete("Task", task["id"])
    assert read() == {
        "type": "Shot",
        "id": shot["id"],
        "sg_sequence": None,
        "assets": [ref(tree, "tree")],
        "sg_sequence.Sequence.code": None,
        "tasks": [],
    }
    assert sg.find("Sequence", [], ["shots"], retired_only=True) == [
        {"type": "Sequence", "id": seq["id"], "shots": [ref(shot, "sh010")]}
    ]
    assert sg.find("Task", [], ["entity"], retired_only=True) == [
        {"type": "Task", "id": task["id"], "entity": ref(shot, "sh010")}
    ]
    for entity_type, entity in (("Sequence", seq), ("Asset", hero), ("Task", task)):
        sg.revive(entity_type, entity["id"])
    assert read() == {
        "type": "Shot",
        "id": shot["id"],
        "sg_sequence": ref(seq, "sq010"),
        "assets": [ref(hero, "hero"), ref(tree, "tree")],
        "sg_sequence.Sequence.code": "sq010",
        "tasks": [ref(task, "anim")],
    }


def test_event_entity_reads_null_while_its_subject_is_retired(
    sg: shotlog.Shotlog, project: dict[str, Any]
) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": project})

    def events() -> list[tuple[str, str | None, Any]]:
        rows = sg.find(
            "EventLogEntry",
            [["event_type", "starts_with", "Shotgun_Shot_"]],
            ["event_type", "attribute_name", "entity"],
        )
        return [(r["event_type"], r["attribute_name"], r["entity"]) for r in rows]

    live = ref(shot, "sh010")
    created = [
        ("Shotgun_Shot_New", None, live),
        ("Shotgun_Shot_Change", "code", live),
        ("Shotgun_Shot_Change", "project", live),
        ("Shotgun_Shot_Change", "sg_status_list", live),
    ]
    assert events() == created
    sg.delete("Shot", shot["id"])
    # every event of the subject, not only the retirement, reads a null entity
    assert events() == [
        *((t, a, None) for t, a, _ in created),
        ("Shotgun_Shot_Change", "retirement_date", None),
        ("Shotgun_Shot_Retirement", None, None),
    ]
    last = sg.find_one(
        "EventLogEntry",
        [],
        ["event_type", "meta", "entity"],
        order=[{"field_name": "id", "direction": "desc"}],
    )
    assert last is not None
    assert (last["event_type"], last["entity"]) == ("Shotgun_Shot_Retirement", None)
    assert (last["meta"]["entity_type"], last["meta"]["entity_id"]) == ("Shot", shot["id"])
    sg.revive("Shot", shot["id"])
    assert events() == [
        *created,
        ("Shotgun_Shot_Change", "retirement_date", live),
        ("Shotgun_Shot_Retirement", None, live),
        ("Shotgun_Shot_Change", "retirement_date", live),
        ("Shotgun_Shot_Revival", None, live),
    ]


# -- ordering -------------------------------------------------------------------------------------


@pytest.fixture
def ordered(sg: shotlog.Shotlog, project: dict[str, Any]) -> list[dict[str, Any]]:
    """Shots whose fields each sort them differently, created out of code order."""
    seq1, seq2 = create_all(
        sg, "Sequence", [{"code": "sq2", "project": project}, {"code": "sq1", "project": project}]
    )
    return create_all(
        sg,
        "Shot",
        [
            {
                "code": "c",
                "sg_cut_in": 10,
                "sg_frame_rate": 24.0,
                "sg_status_list": "ip",
                "sg_sequence": seq1,
            },
            {"code": "a", "sg_cut_in": None, "sg_frame_rate": 25.0, "sg_status_list": "fin"},
            {
                "code": "e",
                "sg_cut_in": -1,
                "sg_frame_rate": None,
                "sg_status_list": "ip",
                "sg_sequence": seq2,
            },
            {
                "code": "b",
                "sg_cut_in": 10,
                "sg_frame_rate": 12.5,
                "sg_status_list": None,
                "sg_sequence": seq2,
            },
            {
                "code": "d",
                "sg_cut_in": 0,
                "sg_frame_rate": 24.0,
                "sg_status_list": "fin",
                "sg_sequence": seq1,
            },
        ],
    )


def _order(sg: shotlog.Shotlog, *sorts: tuple[str, str], entity_type: str = "Shot") -> list[str]:
    order = [{"field_name": f, "direction": d} for f, d in sorts]
    return [r["code"] for r in sg.find(entity_type, [], ["code"], order=order)]


def test_order_on_fields(sg: shotlog.Shotlog, ordered: Any) -> None:
    assert [r["code"] for r in sg.find("Shot", [], ["code"])] == ["c", "a", "e", "b", "d"]
    assert _order(sg, ("id", "desc")) == ["d", "b", "e", "a", "c"]
    assert _order(sg, ("id", "asc")) == ["c", "a", "e", "b", "d"]
    assert _order(sg, ("code", "asc")) == ["a", "b", "c", "d", "e"]
    assert _order(sg, ("code", "desc")) == ["e", "d", "c", "b", "a"]
    # nulls first ascending, last descending; ties keep id order
    assert _order(sg, ("sg_cut_in", "asc")) == ["a", "e", "d", "c", "b"]
    assert _order(sg, ("sg_cut_in", "desc")) == ["c", "b", "d", "e", "a"]
    assert _order(sg, ("sg_frame_rate", "asc")) == ["e", "b", "c", "d", "a"]
    assert _order(sg, ("sg_frame_rate", "desc")) == ["a", "c", "d", "b", "e"]
    assert _order(sg, ("sg_status_list", "asc")) == ["b", "a", "d", "c", "e"]
    assert _order(sg, ("sg_status_list", "desc")) == ["c", "e", "a", "d", "b"]
    assert _order(sg, ("sg_sequence", "asc"))[0] == "a"
    assert _order(sg, ("sg_sequence", "desc"))[-1] == "a"
    # several keys, deep ones included
    assert _order(sg, ("sg_status_list", "asc"), ("code", "desc")) == ["b", "d", "a", "e", "c"]
    assert _order(sg, ("sg_cut_in", "desc"), ("sg_frame_rate", "asc")) == ["b", "c", "d", "e", "a"]
    assert _order(sg, ("sg_cut_in", "desc"), ("id", "desc")) == ["b", "c", "d", "e", "a"]
    assert _order(sg, ("sg_sequence.Sequence.code", "asc"), ("code", "asc")) == ["a", "b", "e", "c", "d"]
    assert _order(sg, ("sg_sequence.Sequence.code", "desc"), ("code", "desc")) == ["d", "c", "e", "b", "a"]


def test_order_spellings(sg: shotlog.Shotlog, ordered: Any) -> None:
    # the legacy "column" key (shotgunEvents still sends it), a default direction, any case
    rows = sg.find("Shot", [], ["code"], order=[{"column": "code", "direction": "desc"}])
    assert [r["code"] for r in rows] == ["e", "d", "c", "b", "a"]
    rows = sg.find("Shot", [], ["code"], order=[{"field_name": "code"}])
    assert [r["code"] for r in rows] == ["a", "b", "c", "d", "e"]
    rows = sg.find("Shot", [], ["code"], order=[{"field_name": "code", "direction": "DESC"}])
    assert [r["code"] for r in rows] == ["e", "d", "c", "b", "a"]
    newest = sg.find_one("Shot", [], ["code"], order=[{"field_name": "id", "direction": "desc"}])
    assert newest == {"type": "Shot", "id": ordered[-1]["id"], "code": "d"}
    first = sg.find_one("Shot", [["sg_cut_in", "is_not", None]], ["code"], order=[{"field_name": "code"}])
    assert first == {"type": "Shot", "id": ordered[3]["id"], "code": "b"}


# -- paging ---------------------------------------------------------------------------------------

N = 1100


@pytest.fixture
def many(sg: shotlog.Shotlog) -> list[int]:
    rows = create_all(sg, "Shot", [{"code": f"p{i:04d}", "sg_cut_in": i % 7} for i in range(N)])
    return [r["id"] for r in rows]


def test_paging(sg: shotlog.Shotlog, many: list[int]) -> None:
    every = [r["id"] for r in sg.find("Shot", [])]
    assert every == sorted(many)  # ids ascending by default
    assert len(every) == N

    for size in (500, 100, 333):
        pages = []
        page = 1
        while chunk := [r["id"] for r in sg.find("Shot", [], limit=size, page=page)]:
            assert len(chunk) == min(size, N - (page - 1) * size)
            pages.append(chunk)
            page += 1
        assert page - 1 == -(-N // size)
        assert [i for chunk in pages for i in chunk] == every, size

    assert [r["id"] for r in sg.find("Shot", [], limit=500, page=2)] == every[500:1000]
    assert [r["id"] for r in sg.find("Shot", [], limit=500, page=3)] == every[1000:]
    assert sg.find("Shot", [], limit=500, page=4) == []
    assert [r["id"] for r in sg.find("Shot", [], page=2)] == every[500:1000]  # page size 500
    assert [r["id"] for r in sg.find("Shot", [], limit=1000)] == every[:1000]
    assert [r["id"] for r in sg.find("Shot", [], limit=7)] == every[:7]
    assert [r["id"] for r in sg.find("Shot", [], limit=0)] == every

    # one database for both halves: creating 1100 records is most of this test's time
    order = [{"field_name": "sg_cut_in", "direction": "desc"}]
    full = [(r["sg_cut_in"], r["id"]) for r in sg.find("Shot", [], ["sg_cut_in"], order=order)]
    assert full == sorted(full, key=lambda x: (-x[0], x[1]))  # ties broken by id
    paged = []
    for page in range(1, 6):
        paged += [
            (r["sg_cut_in"], r["id"]) for r in sg.find("Shot", [], ["sg_cut_in"], order, page=page, limit=250)
        ]
    assert paged == full
    assert len(set(paged)) == N
    # filters and paging together
    threes = [r["id"] for r in sg.find("Shot", [["sg_cut_in", "is", 3]])]
    assert threes == [i for i in sorted(many) if (i - min(many)) % 7 == 3]
    assert [r["id"] for r in sg.find("Shot", [["sg_cut_in", "is", 3]], limit=50, page=3)] == threes[100:150]


def test_bad_paging_arguments(sg: shotlog.Shotlog) -> None:
    for kw in ({"limit": -1}, {"page": -1}, {"limit": "10"}, {"page": 1.5}, {"limit": True}):
        with pytest.raises(ValidationError, match=next(iter(kw))):
            sg.find("Shot", [], **kw)


# -- archived projects ------------------------------------------------------------------------------


def test_include_archived_projects(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    old = sg.create("Project", {"name": "Old"})
    create_all(
        sg,
        "Shot",
        [
            {"code": "live", "project": project, "sg_cut_in": 1},
            {"code": "old", "project": old, "sg_cut_in": 2},
            {"code": "loose", "sg_cut_in": 4},
        ],
    )
    sg.create("Step", {"code": "comp"})
    sg.update("Project", old["id"], {"archived": True})

    def codes(entity_type: str, field: str = "code", **kw: Any) -> list[str]:
        return sorted(r[field] for r in sg.find(entity_type, [], [field], **kw))

    assert codes("Shot") == ["live", "loose", "old"]
    assert codes("Shot", include_archived_projects=False) == ["live", "loose"]
    assert codes("Project", "name") == ["Demo", "Old"]
    assert codes("Project", "name", include_archived_projects=False) == ["Demo"]
    assert codes("Step", include_archived_projects=False) == ["comp"]
    assert sg.find_one("Shot", [["code", "is", "old"]], include_archived_projects=False) is None
    total = [{"field": "sg_cut_in", "type": "sum"}]
    assert sg.summarize("Shot", [], total)["summaries"] == {"sg_cut_in": 7}
    assert sg.summarize("Shot", [], total, include_archived_projects=False)["summaries"] == {"sg_cut_in": 5}
    # an archived project's events are left out too
    events = sg.find("EventLogEntry", [["project", "is", old]], include_archived_projects=False)
    assert events == []
    assert sg.find("EventLogEntry", [["project", "is", old]]) != []
    sg.update("Project", old["id"], {"archived": False})
    assert codes("Shot", include_archived_projects=False) == ["live", "loose", "old"]
