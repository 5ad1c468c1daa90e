"""What writes do to the data: create/update responses, stored values, multi-entity modes, reverse
fields, retirement and revival, and batches. The events they log are in test_events.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import shotlog
from shotlog.clock import utcnow_seconds

Link = dict[str, Any]


def link(entity: dict[str, Any], name: str) -> Link:
    return {"type": entity["type"], "id": entity["id"], "name": name}


def read(
    sg: shotlog.Shotlog, entity: dict[str, Any], *fields: str, retired: bool = False
) -> dict[str, Any] | None:
    return sg.find_one(entity["type"], [["id", "is", entity["id"]]], list(fields), retired_only=retired)


@pytest.fixture
def demo(project: dict[str, Any]) -> Link:
    return link(project, "Demo")


@pytest.fixture
def script(sg: shotlog.Shotlog) -> Link:
    found = sg.find_one("ApiUser", [["firstname", "is", "shotlog"]])
    assert found is not None
    return {"type": "ApiUser", "id": found["id"], "name": "shotlog"}


# -- create -------------------------------------------------------------------------------------------


def test_create_returns_type_id_every_field_set_and_the_return_fields(
    sg: shotlog.Shotlog, demo: Link, script: Link
) -> None:
    seq = sg.create("Sequence", {"code": "sq1", "project": demo})
    shot = sg.create(
        "Shot",
        {
            "code": "sh010",
            "project": {"type": "Project", "id": demo["id"]},
            "sg_sequence": seq,
            "sg_cut_in": 1001,
        },
        ["sg_status_list", "created_by", "tasks", "code", "no_such_field"],
    )
    assert shot == {
        "type": "Shot",
        "id": shot["id"],
        "code": "sh010",
        "project": demo,  # links come back with their name
        "sg_sequence": link(seq, "sq1"),
        "sg_cut_in": 1001,
        "sg_status_list": "wtg",
        "created_by": script,
        "tasks": [],
        "no_such_field": None,
    }
    assert list(shot)[:6] == ["type", "id", "code", "project", "sg_sequence", "sg_cut_in"]
    assert isinstance(shot["id"], int)


def test_create_without_return_fields_returns_what_was_set(sg: shotlog.Shotlog, demo: Link) -> None:
    asset = sg.create("Asset", {"code": "chair", "project": demo, "tag_list": ["a"]})
    assert asset == {"type": "Asset", "id": asset["id"], "code": "chair", "project": demo, "tag_list": ["a"]}
    assert sg.create("Asset", {}) == {"type": "Asset", "id": asset["id"] + 1}


def test_create_applies_defaults_and_stamps_created_and_updated(
    sg: shotlog.Shotlog, demo: Link, script: Link
) -> None:
    before = utcnow_seconds().replace(tzinfo=dt.UTC)
    task = sg.create("Task", {"content": "anim", "project": demo})
    after = utcnow_seconds().replace(tzinfo=dt.UTC)
    got = read(
        sg,
        task,
        "sg_status_list",
        "color",
        "milestone",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
    )
    assert got is not None
    assert (got["sg_status_list"], got["color"], got["milestone"]) == ("wtg", "pipeline_step", False)
    assert before <= got["created_at"] <= after
    assert got["updated_at"] == got["created_at"]
    assert got["created_by"] == got["updated_by"] == script


def test_explicit_values_win_over_defaults(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "s", "project": demo, "sg_status_list": "ip"}, ["sg_status_list"])
    assert shot["sg_status_list"] == "ip"
    shot = sg.create("Shot", {"code": "s", "project": demo, "sg_status_list": None}, ["sg_status_list"])
    assert shot["sg_status_list"] is None


def test_a_reply_without_a_user_is_the_callers(sg: shotlog.Shotlog, demo: Link) -> None:
    note = sg.create("Note", {"subject": "n", "project": demo})
    me = sg.find_one("ApiUser", [["firstname", "is", "shotlog"]], ["id"])
    assert me is not None
    mine = sg.create("Reply", {"entity": note, "content": "mine"}, ["user"])
    assert (mine["user"]["type"], mine["user"]["id"]) == ("ApiUser", me["id"])
    artist = sg.create("HumanUser", {"login": "reply-artist", "firstname": "Ann"})
    given = sg.create("Reply", {"entity": note, "content": "theirs", "user": artist}, ["user"])
    assert given["user"]["id"] == artist["id"] and given["user"]["type"] == "HumanUser"


def test_values_round_trip_per_data_type(sg: shotlog.Shotlog, demo: Link) -> None:
    data: dict[str, Any] = {
        "content": "anim",
        "project": demo,
        "due_date": "2024-02-29",
        "start_date": dt.date(2024, 1, 2),
        "duration": 480,
        "milestone": True,
        "color": "222,0,0",
        "sg_priority_1": "2",
        "tag_list": ["b", "a", "b"],
    }
    task = sg.create("Task", data)
    got = read(sg, task, *data)
    assert got == {
        "type": "Task",
        "id": task["id"],
        "content": "anim",
        "project": demo,
        "due_date": "2024-02-29",
        "start_date": "2024-01-02",
        "duration": 480,
        "milestone": True,
        "color": "222,0,0",
        "sg_priority_1": "2",
        "tag_list": ["b", "a"],
    }
    pl = sg.create(
        "Playlist",
        {
            "code": "pl",
            "project": demo,
            "sg_date_and_time": dt.datetime(
                2024, 5, 6, 9, 8, 9, 123, tzinfo=dt.timezone(dt.timedelta(hours=2))
            ),
        },
        ["sg_date_and_time"],
    )
    assert pl["sg_date_and_time"] == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    shot = sg.create(
        "Shot", {"code": "s", "sg_frame_rate": 24, "sg_cut_in": 7.0}, ["sg_frame_rate", "sg_cut_in"]
    )
    assert (shot["sg_frame_rate"], shot["sg_cut_in"]) == (24.0, 7)
    assert type(shot["sg_frame_rate"]) is float and type(shot["sg_cut_in"]) is int
    version = sg.create("Version", {"code": "v", "sg_uploaded_movie": "https://x/y.mov"})
    assert version["sg_uploaded_movie"] == {
        "url": "https://x/y.mov",
        "name": "https://x/y.mov",
        "link_type": "web",
    }
    text = "ünïcødé <b>&amp; ✓\n\ttabs"
    assert read(sg, sg.create("Shot", {"code": text}), "code") == {
        "type": "Shot",
        "id": shot["id"] + 1,
        "code": text,
    }


def test_passwords_are_stored_hashed_and_never_read_back(sg: shotlog.Shotlog, db_url: str) -> None:
    user = sg.create(
        "HumanUser", {"name": "Bob Smith", "login": "bob", "password_proxy": "s3cret!"}, ["password_proxy"]
    )
    assert user["password_proxy"] is None
    assert user["firstname"] == "Bob" and user["lastname"] == "Smith"
    got = read(sg, user, "password_proxy", "name", "firstname", "lastname")
    assert got == {
        "type": "HumanUser",
        "id": user["id"],
        "password_proxy": None,
        "name": "Bob Smith",
        "firstname": "Bob",
        "lastname": "Smith",
    }
    column = sg.catalog.schema.fields["HumanUser"]["password_proxy"].column
    assert column is not None
    table = sg.catalog.table("HumanUser")
    with sg.db.read() as conn:
        stored = conn.execute(table.select().where(table.c.id == user["id"])).first()
    assert stored is not None
    assert getattr(stored, column).startswith("$argon2")
    assert "s3cret" not in getattr(stored, column)


def test_human_user_name_follows_first_and_last_name(sg: shotlog.Shotlog) -> None:
    user = sg.create("HumanUser", {"firstname": "Jane", "lastname": "Doe", "login": "jane"})
    assert user["name"] == "Jane Doe"
    assert sg.update("HumanUser", user["id"], {"lastname": "Roe"}) == {
        "type": "HumanUser",
        "id": user["id"],
        "lastname": "Roe",
        "name": "Jane Roe",
    }


# -- update -------------------------------------------------------------------------------------------


def test_update_returns_type_id_and_the_updated_fields(sg: shotlog.Shotlog, demo: Link) -> None:
    seq = sg.create("Sequence", {"code": "sq1", "project": demo})
    shot = sg.create("Shot", {"code": "sh010", "project": demo})
    result = sg.update("Shot", shot["id"], {"sg_sequence": seq, "code": "sh020", "assets": []})
    assert result == {
        "type": "Shot",
        "id": shot["id"],
        "sg_sequence": link(seq, "sq1"),
        "code": "sh020",
        "assets": [],
    }
    assert read(sg, shot, "code", "sg_sequence") == {
        "type": "Shot",
        "id": shot["id"],
        "code": "sh020",
        "sg_sequence": link(seq, "sq1"),
    }
    assert sg.update("Shot", shot["id"], {}) == {"type": "Shot", "id": shot["id"]}


def test_update_response_matches_what_find_reads(sg: shotlog.Shotlog, demo: Link) -> None:
    task = sg.create("Task", {"content": "t", "project": demo})
    data: dict[str, Any] = {
        "content": "renamed",
        "due_date": dt.date(2024, 3, 4),
        "duration": 90,
        "milestone": True,
        "color": "pipeline_step",  # unchanged
        "sg_status_list": "ip",
        "sg_description": None,
        "est_in_mins": 30.0,
    }
    result = sg.update("Task", task["id"], data)
    assert result == read(sg, task, *data)
    assert list(result) == ["type", "id", *data]
    assert (result["due_date"], result["est_in_mins"]) == ("2024-03-04", 30)
    pl = sg.create("Playlist", {"code": "p", "project": demo})
    when = dt.datetime(2024, 5, 6, 9, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    result = sg.update("Playlist", pl["id"], {"sg_date_and_time": when, "locked": False})
    assert result == read(sg, pl, "sg_date_and_time", "locked")
    assert result["sg_date_and_time"] == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    shot = sg.create("Shot", {"code": "s", "project": demo})
    result = sg.update("Shot", shot["id"], {"sg_frame_rate": 24, "sg_cut_in": 12.0})
    assert result == {"type": "Shot", "id": shot["id"], "sg_frame_rate": 24.0, "sg_cut_in": 12}
    assert type(result["sg_frame_rate"]) is float and type(result["sg_cut_in"]) is int
    assert result == read(sg, shot, "sg_frame_rate", "sg_cut_in")
    version = sg.create("Version", {"code": "v", "project": demo})
    result = sg.update("Version", version["id"], {"sg_uploaded_movie": "https://x/m.mov", "code": "v2"})
    assert result == read(sg, version, "sg_uploaded_movie", "code")
    user = sg.create("HumanUser", {"login": "bob"})
    assert sg.update("HumanUser", user["id"], {"password_proxy": "pw"}) == {
        "type": "HumanUser",
        "id": user["id"],
        "password_proxy": None,
    }


def test_update_stamps_updated_by_only_when_something_changed(
    sg: shotlog.Shotlog, demo: Link, script: Link
) -> None:
    jane = sg.create("HumanUser", {"name": "Jane Doe", "login": "jane"})
    sj = sg.as_user({"type": "HumanUser", "id": jane["id"]})
    shot = sg.create("Shot", {"code": "sh010", "project": demo})
    sj.update("Shot", shot["id"], {"code": "sh010"})  # no change: not an update
    got = read(sg, shot, "updated_by", "created_by")
    assert got is not None and got["updated_by"] == script
    before = utcnow_seconds().replace(tzinfo=dt.UTC)
    sj.update("Shot", shot["id"], {"code": "sh011"})
    got = read(sg, shot, "updated_by", "created_by", "updated_at", "created_at")
    assert got is not None
    assert got["updated_by"] == {"type": "HumanUser", "id": jane["id"], "name": "Jane Doe"}
    assert got["created_by"] == script
    assert got["updated_at"] >= before >= got["created_at"] - dt.timedelta(seconds=1)


def test_a_batch_stamps_updated_by_on_rows_last_updated_by_someone_else_and_by_the_same_user(
    sg: shotlog.Shotlog, demo: Link, script: Link
) -> None:
    # The UPDATE names updated_by only where it changes, so one batch mixes two statement shapes.
    jane = sg.create("HumanUser", {"name": "Jane Doe", "login": "jane"})
    sj = sg.as_user({"type": "HumanUser", "id": jane["id"]})
    shots = [sg.create("Shot", {"code": f"sh{i}", "project": demo}) for i in range(4)]
    sj.update("Shot", shots[1]["id"], {"code": "by jane"})
    sj.update("Shot", shots[2]["id"], {"code": "by jane too"})
    sg.batch(
        [
            {
                "request_type": "update",
                "entity_type": "Shot",
                "entity_id": s["id"],
                "data": {"description": f"d{i}"},
            }
            for i, s in enumerate(shots)
        ]
    )
    for i, s in enumerate(shots):
        got = read(sg, s, "updated_by", "description")
        assert got is not None
        assert (got["updated_by"], got["description"]) == (script, f"d{i}")


def test_multi_entity_update_modes_keep_order(sg: shotlog.Shotlog, demo: Link) -> None:
    a = [sg.create("Asset", {"code": f"a{i}", "project": demo}) for i in range(5)]
    names = {x["id"]: f"a{i}" for i, x in enumerate(a)}
    shot = sg.create("Shot", {"code": "s", "project": demo, "assets": [a[2], a[0]]})

    def assets() -> list[int]:
        got = read(sg, shot, "assets")
        assert got is not None
        for x in got["assets"]:
            assert x == {"type": "Asset", "id": x["id"], "name": names[x["id"]]}
        return [x["id"] for x in got["assets"]]

    ids = [x["id"] for x in a]
    assert assets() == [ids[2], ids[0]]
    sg.update("Shot", shot["id"], {"assets": [a[4], a[0], a[1]]}, multi_entity_update_modes={"assets": "add"})
    assert assets() == [ids[2], ids[0], ids[4], ids[1]]
    sg.update("Shot", shot["id"], {"assets": [a[0], a[3]]}, multi_entity_update_modes={"assets": "remove"})
    assert assets() == [ids[2], ids[4], ids[1]]
    result = sg.update("Shot", shot["id"], {"assets": [a[1], a[3], a[2]]})
    assert assets() == [ids[1], ids[3], ids[2]]
    assert [x["id"] for x in result["assets"]] == [ids[1], ids[3], ids[2]]
    sg.update("Shot", shot["id"], {"assets": [a[2], a[1], a[3]]}, multi_entity_update_modes={"assets": "set"})
    assert assets() == [ids[2], ids[1], ids[3]]
    sg.update("Shot", shot["id"], {"assets": [a[0], a[2]]}, multi_entity_update_modes={"assets": "set"})
    assert assets() == [ids[0], ids[2]]
    sg.update(
        "Shot", shot["id"], {"assets": a[4]}, multi_entity_update_modes={"assets": "add"}
    )  # a single link
    assert assets() == [ids[0], ids[2], ids[4]]
    sg.update("Shot", shot["id"], {"assets": None})
    assert assets() == []


def test_multi_entity_modes_apply_per_field(sg: shotlog.Shotlog, demo: Link) -> None:
    a1, a2 = (sg.create("Asset", {"code": c, "project": demo}) for c in ("a1", "a2"))
    shot = sg.create("Shot", {"code": "s", "project": demo, "assets": [a1], "tag_list": ["x"]})
    sg.update(
        "Shot",
        shot["id"],
        {"assets": [a2], "tag_list": ["y"]},
        multi_entity_update_modes={"assets": "add"},  # tag_list: set
    )
    got = read(sg, shot, "assets", "tag_list")
    assert got is not None
    assert [x["id"] for x in got["assets"]] == [a1["id"], a2["id"]]
    assert got["tag_list"] == ["y"]


def test_writing_a_reverse_field_writes_the_source_side(sg: shotlog.Shotlog, demo: Link) -> None:
    a = sg.create("Shot", {"code": "A", "project": demo})
    b = sg.create("Shot", {"code": "B", "project": demo})
    t1, t2, t3 = (sg.create("Task", {"content": c, "project": demo}) for c in ("t1", "t2", "t3"))
    sg.update("Shot", a["id"], {"tasks": [t1, t2]})
    sg.update("Shot", b["id"], {"tasks": [t3]})
    assert read(sg, t1, "entity") == {"type": "Task", "id": t1["id"], "entity": link(a, "A")}
    sg.update(
        "Shot", b["id"], {"tasks": [t1]}, multi_entity_update_modes={"tasks": "add"}
    )  # steals t1 from A
    sg.update("Shot", a["id"], {"tasks": [t2]}, multi_entity_update_modes={"tasks": "remove"})
    ents = {t["id"]: t["entity"] for t in sg.find("Task", [], ["entity"])}
    assert ents == {t1["id"]: link(b, "B"), t2["id"]: None, t3["id"]: link(b, "B")}
    assert read(sg, a, "tasks") == {"type": "Shot", "id": a["id"], "tasks": []}
    got = read(sg, b, "tasks")
    assert got is not None and {x["id"] for x in got["tasks"]} == {t1["id"], t3["id"]}


def test_version_playlists_and_playlist_versions_are_one_relation(sg: shotlog.Shotlog, demo: Link) -> None:
    v1, v2 = (sg.create("Version", {"code": c, "project": demo}) for c in ("v1", "v2"))
    p1 = sg.create("Playlist", {"code": "p1", "project": demo, "versions": [v2]})
    p2 = sg.create("Playlist", {"code": "p2", "project": demo})
    sg.update("Version", v1["id"], {"playlists": [p1, p2]})
    assert read(sg, p1, "versions") == {
        "type": "Playlist",
        "id": p1["id"],
        "versions": [link(v2, "v2"), link(v1, "v1")],
    }
    assert read(sg, p2, "versions") == {"type": "Playlist", "id": p2["id"], "versions": [link(v1, "v1")]}
    sg.update("Version", v1["id"], {"playlists": [p2]})
    assert read(sg, p1, "versions") == {"type": "Playlist", "id": p1["id"], "versions": [link(v2, "v2")]}
    got = read(sg, v1, "playlists")
    assert got == {"type": "Version", "id": v1["id"], "playlists": [link(p2, "p2")]}


def test_created_with_a_reverse_field(sg: shotlog.Shotlog, demo: Link) -> None:
    t1 = sg.create("Task", {"content": "t1", "project": demo})
    shot = sg.create("Shot", {"code": "s", "project": demo, "tasks": [t1]})
    assert shot["tasks"] == [link(t1, "t1")]
    assert read(sg, t1, "entity") == {"type": "Task", "id": t1["id"], "entity": link(shot, "s")}


def test_custom_fields_can_be_written(sg: shotlog.Shotlog, demo: Link) -> None:
    num = sg.schema_field_create("Asset", "number", "Api Tests Number Field")
    ref = sg.schema_field_create("Asset", "entity", "Hero Shot", {"valid_types": ["Shot"]})
    shot = sg.create("Shot", {"code": "s", "project": demo})
    asset = sg.create("Asset", {"code": "chair", "project": demo, num: 3, ref: shot})
    assert asset[num] == 3 and asset[ref] == link(shot, "s")
    assert sg.update("Asset", asset["id"], {num: None})[num] is None


# -- delete / revive ----------------------------------------------------------------------------------


def test_delete_retires_and_revive_restores(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": demo, "sg_cut_in": 5})
    other = sg.create("Shot", {"code": "sh020", "project": demo})
    task = sg.create("Task", {"content": "t", "project": demo, "entity": shot})
    assert sg.delete("Shot", shot["id"]) is True
    assert [s["id"] for s in sg.find("Shot", [])] == [other["id"]]
    assert read(sg, shot, "code") is None
    assert read(sg, shot, "code", "sg_cut_in", retired=True) == {
        "type": "Shot",
        "id": shot["id"],
        "code": "sh010",
        "sg_cut_in": 5,
    }
    assert sg.find("Shot", [], retired_only=True) == [{"type": "Shot", "id": shot["id"]}]
    assert read(sg, task, "entity") == {"type": "Task", "id": task["id"], "entity": None}
    assert sg.delete("Shot", shot["id"]) is False
    assert sg.revive("Shot", shot["id"]) is True
    assert read(sg, shot, "code", "sg_cut_in") == {
        "type": "Shot",
        "id": shot["id"],
        "code": "sh010",
        "sg_cut_in": 5,
    }
    assert sg.find("Shot", [], retired_only=True) == []
    assert read(sg, task, "entity") == {"type": "Task", "id": task["id"], "entity": link(shot, "sh010")}
    assert sg.revive("Shot", shot["id"]) is False


def test_missing_ids_are_not_found(sg: shotlog.Shotlog) -> None:
    with pytest.raises(shotlog.NotFound, match="No Shot with id 999"):
        sg.update("Shot", 999, {"code": "x"})
    with pytest.raises(shotlog.NotFound, match="No Shot with id 999"):
        sg.delete("Shot", 999)
    with pytest.raises(shotlog.NotFound, match="No Shot with id 999"):
        sg.revive("Shot", 999)


def test_updating_a_retired_entity_is_not_found(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "s", "project": demo})
    sg.delete("Shot", shot["id"])
    with pytest.raises(shotlog.NotFound, match=f"No active Shot with id {shot['id']}"):
        sg.update("Shot", shot["id"], {"code": "x"})
    assert read(sg, shot, "code", retired=True) == {"type": "Shot", "id": shot["id"], "code": "s"}


def test_project_names_are_unique_among_active_projects(sg: shotlog.Shotlog, project: dict[str, Any]) -> None:
    sg.delete("Project", project["id"])
    again = sg.create("Project", {"name": "Demo"})  # the retired one does not count
    with pytest.raises(shotlog.ConflictError, match="Demo"):
        sg.revive("Project", project["id"])
    sg.update("Project", again["id"], {"name": "Renamed"})
    assert sg.revive("Project", project["id"]) is True
    names = sorted(p["name"] for p in sg.find("Project", [], ["name"]))
    assert names == ["Demo", "Renamed"]


# -- batch --------------------------------------------------------------------------------------------


def test_batch_returns_results_in_request_order(sg: shotlog.Shotlog, demo: Link) -> None:
    gone = sg.create("Shot", {"code": "gone", "project": demo})
    results = sg.batch(
        [
            {"request_type": "create", "entity_type": "Shot", "data": {"code": "a", "project": demo}},
            {
                "request_type": "create",
                "entity_type": "Shot",
                "data": {"code": "b"},
                "return_fields": ["sg_status_list"],
            },
            {
                "request_type": "update",
                "entity_type": "Shot",
                "entity_id": gone["id"],
                "data": {"code": "g2"},
            },
            {"request_type": "delete", "entity_type": "Shot", "entity_id": gone["id"]},
            {"request_type": "revive", "entity_type": "Shot", "entity_id": gone["id"]},
        ]
    )
    a_id = results[0]["id"]
    assert results == [
        {"type": "Shot", "id": a_id, "code": "a", "project": demo},
        {"type": "Shot", "id": a_id + 1, "code": "b", "sg_status_list": "wtg"},
        {"type": "Shot", "id": gone["id"], "code": "g2"},
        True,
        True,
    ]
    assert sg.batch([]) == []


def test_a_later_request_sees_earlier_ones(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "s", "project": demo})
    created, linked = sg.batch(
        [
            {"request_type": "create", "entity_type": "Task", "data": {"content": "t", "project": demo}},
            {
                "request_type": "update",
                "entity_type": "Shot",
                "entity_id": shot["id"],
                "data": {"code": "s2"},
            },
        ]
    )
    assert created["content"] == "t" and linked["code"] == "s2"


def test_a_failing_request_rolls_back_the_whole_batch(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "s", "project": demo})
    before = sg.find("Shot", [], ["code", "tasks"]), sg.find("Task", [], ["entity"]), sg.head_event_id()
    with pytest.raises(shotlog.BatchError) as info:
        sg.batch(
            [
                {"request_type": "create", "entity_type": "Task", "data": {"content": "t", "entity": shot}},
                {
                    "request_type": "update",
                    "entity_type": "Shot",
                    "entity_id": shot["id"],
                    "data": {"code": "s2"},
                },
                {"request_type": "delete", "entity_type": "Shot", "entity_id": shot["id"]},
                {"request_type": "create", "entity_type": "Shot", "data": {"sg_status_list": "nope"}},
            ]
        )
    assert info.value.index == 3
    assert isinstance(info.value.cause, shotlog.ValidationError)
    assert "index 3" in str(info.value) and "'nope'" in str(info.value)
    assert (
        sg.find("Shot", [], ["code", "tasks"]),
        sg.find("Task", [], ["entity"]),
        sg.head_event_id(),
    ) == before
    assert sg.find("Shot", [], retired_only=True) == []


def test_batch_request_errors_name_the_index(sg: shotlog.Shotlog, demo: Link) -> None:
    head = sg.head_event_id()
    with pytest.raises(shotlog.BatchError) as info:
        sg.batch(
            [
                {"request_type": "create", "entity_type": "Shot", "data": {"code": "a"}},
                {"request_type": "explode", "entity_type": "Shot"},
            ]
        )
    assert info.value.index == 1
    assert "explode" in str(info.value)
    assert sg.find("Shot", []) == [] and sg.head_event_id() == head
