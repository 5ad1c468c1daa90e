"""The EventLogEntry rows each write produces, read back through the public API.

Shapes follow /work/shared/reference/event-log.md: event_type naming, meta per change kind,
in_create changes, back-references, retirement/revival, sudo, custom events and
ApiUser.generate_event_log_entries.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest

import shotlog
from shotlog.clock import utcnow_seconds
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS

Link = dict[str, Any]

POLL_FIELDS = list(SHOTGUNEVENTS_FIELDS)


def since(sg: shotlog.Shotlog, head: int) -> list[dict[str, Any]]:
    return list(sg.iter_events(head))


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, Any, str | None]]:
    """(event_type, entity id, attribute_name) per event: the outline of what was logged."""
    return [(e["event_type"], e["entity"] and e["entity"]["id"], e["attribute_name"]) for e in events]


def by_attr(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for e in events:
        assert e["attribute_name"] not in out, f"two events for {e['attribute_name']}"
        out[e["attribute_name"]] = e
    return out


def link(entity: dict[str, Any], name: str) -> Link:
    return {"type": entity["type"], "id": entity["id"], "name": name}


def item(entity: dict[str, Any], name: str, status: str | None) -> Link:
    return {"type": entity["type"], "id": entity["id"], "name": name, "status": status, "valid": "valid"}


def change(
    entity_type: str, entity_id: int, attr: str, data_type: str, old: Any, new: Any, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "attribute_change",
        "attribute_name": attr,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "field_data_type": data_type,
        "old_value": old,
        "new_value": new,
        **extra,
    }


def delta(
    entity_type: str,
    entity_id: int,
    attr: str,
    data_type: str,
    added: list[Any],
    removed: list[Any],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": "attribute_change",
        "attribute_name": attr,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "field_data_type": data_type,
        "added": added,
        "removed": removed,
        **extra,
    }


@pytest.fixture
def script(sg: shotlog.Shotlog) -> Link:
    found = sg.find_one("ApiUser", [["firstname", "is", shotlog.connection.DEFAULT_SCRIPT]], ["firstname"])
    assert found is not None
    return {"type": "ApiUser", "id": found["id"], "name": "shotlog"}


@pytest.fixture
def jane(sg: shotlog.Shotlog) -> dict[str, Any]:
    # a Manager: the tests that act as her make and remove shots, which an Artist may not
    return sg.create("HumanUser", {"name": "Jane Doe", "login": "jane", "permission_rule_set": "Manager"})


@pytest.fixture
def demo(project: dict[str, Any]) -> Link:
    return link(project, "Demo")


# -- create -------------------------------------------------------------------------------------------


def test_create_logs_new_then_one_in_create_change_per_field_with_a_value(
    sg: shotlog.Shotlog, demo: Link, script: Link
) -> None:
    head = sg.head_event_id()
    before = utcnow_seconds().replace(tzinfo=dt.UTC)
    shot = sg.create(
        "Shot",
        {"code": "sh010", "project": demo, "sg_cut_in": 1001, "description": None, "tag_list": ["hero"]},
    )
    after = utcnow_seconds().replace(tzinfo=dt.UTC)
    events = since(sg, head)
    sid = shot["id"]

    new, *changes = events
    assert [e["id"] for e in events] == list(range(head + 1, head + 1 + len(events)))
    assert new["event_type"] == "Shotgun_Shot_New"
    assert new["attribute_name"] is None
    assert new["meta"] == {"type": "new_entity", "entity_type": "Shot", "entity_id": sid}
    assert new["description"] == "shotlog created new Shot sh010"
    # description: None got no value, so no change; the status default did get one
    assert by_attr(changes) == {
        "code": changes[0],
        "project": changes[1],
        "sg_cut_in": changes[2],
        "tag_list": changes[3],
        "sg_status_list": changes[4],
    }
    metas = {e["attribute_name"]: e["meta"] for e in changes}
    assert metas == {
        "code": change("Shot", sid, "code", "text", None, "sh010", in_create=True),
        "project": change("Shot", sid, "project", "entity", None, demo, in_create=True),
        "sg_cut_in": change("Shot", sid, "sg_cut_in", "number", None, 1001, in_create=True),
        "tag_list": delta("Shot", sid, "tag_list", "tag_list", ["hero"], [], in_create=True),
        "sg_status_list": change("Shot", sid, "sg_status_list", "status_list", None, "wtg", in_create=True),
    }
    for e in events:
        assert e["event_type"] in ("Shotgun_Shot_New", "Shotgun_Shot_Change")
        assert e["entity"] == link(shot, "sh010")
        assert e["project"] == demo
        assert e["user"] == script
        assert e["session_uuid"] is None
        assert before <= e["created_at"] <= after
    for e in changes:
        assert e["event_type"] == "Shotgun_Shot_Change"
    assert changes[0]["description"] == 'shotlog set "Shot Code" to "sh010" on Shot sh010'


def test_create_logs_server_side_defaults(sg: shotlog.Shotlog, demo: Link) -> None:
    head = sg.head_event_id()
    task = sg.create("Task", {"content": "anim", "project": demo})
    changes = by_attr(since(sg, head)[1:])
    assert set(changes) == {"content", "project", "sg_status_list", "color"}
    assert changes["color"]["meta"]["new_value"] == "pipeline_step"
    assert changes["sg_status_list"]["meta"] == change(
        "Task", task["id"], "sg_status_list", "status_list", None, "wtg", in_create=True
    )
    head = sg.head_event_id()
    user = sg.create("HumanUser", {"login": "bob"})
    changes = by_attr(since(sg, head)[1:])
    assert set(changes) == {"login", "sg_status_list", "email_notes", "permission_rule_set"}
    assert changes["email_notes"]["meta"] == change(
        "HumanUser", user["id"], "email_notes", "checkbox", None, True, in_create=True
    )
    assert changes["login"]["project"] is None  # not a project entity


def test_create_with_a_link_logs_a_back_reference_on_the_target(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": demo})
    head = sg.head_event_id()
    task = sg.create("Task", {"content": "anim", "entity": shot, "project": demo})
    events = since(sg, head)
    tid = task["id"]
    own = [e for e in events if e["entity"]["type"] == "Task"]
    back = [e for e in events if e["entity"]["type"] == "Shot"]
    assert events == own + back  # the back-reference comes after the Task's own changes
    assert len(back) == 1
    (ref,) = back
    entity_change = by_attr(own)["entity"]
    assert entity_change["meta"] == change(
        "Task", tid, "entity", "entity", None, link(shot, "sh010"), in_create=True
    )
    assert ref["event_type"] == "Shotgun_Shot_Change"
    assert ref["attribute_name"] == "tasks"
    assert ref["entity"] == link(shot, "sh010")
    assert ref["project"] == demo
    assert ref["meta"] == {
        "type": "attribute_change",
        "attribute_name": "tasks",
        "entity_type": "Task",
        "entity_id": tid,
        "field_data_type": "entity",
        "actual_attribute_changed": "Task.entity",
        "original_event_log_entry_id": entity_change["id"],
        "added": [item(task, "anim", "wtg")],
        "removed": [],
        "in_create": True,
    }
    assert ref["description"] == 'shotlog changed "Tasks" on Shot sh010: added "anim"'


def test_create_with_multi_entity_logs_one_back_reference_per_target(sg: shotlog.Shotlog, demo: Link) -> None:
    v1 = sg.create("Version", {"code": "v1", "project": demo})
    v2 = sg.create("Version", {"code": "v2", "project": demo, "sg_status_list": "apr"})
    head = sg.head_event_id()
    pl = sg.create("Playlist", {"code": "daily", "project": demo, "versions": [v2, v1]})
    events = since(sg, head)
    versions_change = by_attr([e for e in events if e["entity"]["type"] == "Playlist"])["versions"]
    assert versions_change["meta"] == delta(
        "Playlist",
        pl["id"],
        "versions",
        "multi_entity",
        [item(v2, "v2", "apr"), item(v1, "v1", "rev")],
        [],
        in_create=True,
    )
    back = [e for e in events if e["entity"]["type"] == "Version"]
    assert [e["entity"]["id"] for e in back] == [v2["id"], v1["id"]]
    for e in back:
        assert e["attribute_name"] == "playlists"
        assert e["meta"] == {
            "type": "attribute_change",
            "attribute_name": "playlists",
            "entity_type": "Playlist",
            "entity_id": pl["id"],
            "field_data_type": "multi_entity",
            "actual_attribute_changed": "Playlist.versions",
            "original_event_log_entry_id": versions_change["id"],
            "added": [item(pl, "daily", None)],
            "removed": [],
            "in_create": True,
        }


def test_project_events_name_the_project_itself(sg: shotlog.Shotlog) -> None:
    head = sg.head_event_id()
    p = sg.create("Project", {"name": "Pied Piper"})
    sg.update("Project", p["id"], {"sg_description": "x"})
    events = since(sg, head)
    assert events
    for e in events:
        assert e["project"] == {"type": "Project", "id": p["id"], "name": "Pied Piper"}
        assert e["entity"] == {"type": "Project", "id": p["id"], "name": "Pied Piper"}


# -- update -------------------------------------------------------------------------------------------


def test_update_logs_only_fields_whose_value_changed(
    sg: shotlog.Shotlog, demo: Link, jane: dict[str, Any]
) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": demo, "sg_status_list": "ip", "sg_cut_in": 10})
    sj = sg.as_user({"type": "HumanUser", "id": jane["id"]})
    head = sg.head_event_id()
    sj.update(
        "Shot", shot["id"], {"code": "sh010", "sg_status_list": "fin", "sg_cut_in": 10, "project": demo}
    )
    (ev,) = since(sg, head)
    assert ev["event_type"] == "Shotgun_Shot_Change"
    assert ev["attribute_name"] == "sg_status_list"
    assert ev["meta"] == change("Shot", shot["id"], "sg_status_list", "status_list", "ip", "fin")
    assert ev["description"] == 'Jane Doe changed "Status" from "ip" to "fin" on Shot sh010'
    assert ev["user"] == {"type": "HumanUser", "id": jane["id"], "name": "Jane Doe"}
    assert ev["entity"] == link(shot, "sh010")
    assert ev["project"] == demo
    head = sg.head_event_id()
    sj.update("Shot", shot["id"], {"code": "sh010", "sg_status_list": "fin"})
    assert since(sg, head) == []


def test_update_of_several_fields_logs_one_change_each_in_order(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": demo})
    head = sg.head_event_id()
    sg.update("Shot", shot["id"], {"sg_cut_out": 20, "code": "sh020", "description": "new"})
    events = since(sg, head)
    assert kinds(events) == [
        ("Shotgun_Shot_Change", shot["id"], "sg_cut_out"),
        ("Shotgun_Shot_Change", shot["id"], "code"),
        ("Shotgun_Shot_Change", shot["id"], "description"),
    ]
    assert events[1]["meta"] == change("Shot", shot["id"], "code", "text", "sh010", "sh020")
    # the subject is described as it is after the update
    assert events[0]["description"] == 'shotlog changed "Cut Out" from "" to "20" on Shot sh020'
    assert events[0]["entity"] == link(shot, "sh020")
    other = sg.create("Project", {"name": "Other"})
    head = sg.head_event_id()
    sg.update("Shot", shot["id"], {"project": other, "sg_status_list": "ip"})
    events = since(sg, head)
    assert [e["project"] for e in events] == [link(other, "Other")] * 2
    assert events[0]["meta"] == change("Shot", shot["id"], "project", "entity", demo, link(other, "Other"))


# (entity type, create data, field, data type, first value, second value, meta of first, of second);
# a second meta of None means the second write changes nothing.
SCALARS: list[tuple[str, dict[str, Any], str, str, Any, Any, Any, Any]] = [
    (
        "Task",
        {"content": "t"},
        "due_date",
        "date",
        "2024-01-02",
        "2024-02-03",
        "2024-01-02",
        "2024-02-03",
    ),
    (
        "Playlist",
        {"code": "p"},
        "sg_date_and_time",
        "date_time",
        dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC),
        "2024-05-06T09:08:09+02:00",  # same instant: no change
        "2024-05-06 07:08:09 UTC",
        None,
    ),
    (
        "Playlist",
        {"code": "p"},
        "sg_date_and_time",
        "date_time",
        "2024-05-06T07:08:09Z",
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        "2024-05-06 07:08:09 UTC",
        "2025-01-01 00:00:00 UTC",
    ),
    ("Shot", {"code": "s"}, "sg_frame_rate", "float", 24, 23.976, 24.0, 23.976),
    ("Shot", {"code": "s"}, "sg_frame_rate", "float", 24, 24.0, 24.0, None),
    ("Task", {"content": "t"}, "milestone", "checkbox", True, False, True, False),
    ("Task", {"content": "t"}, "duration", "duration", 600, 120, 600, 120),
    ("Task", {"content": "t"}, "color", "color", "222,0,0", "Black", "222,0,0", "Black"),
    ("Shot", {"code": "s"}, "sg_shot_type", "list", "VFX", "Action", "VFX", "Action"),
    (
        "Version",
        {"code": "v"},
        "sg_uploaded_movie",
        "url",
        {"url": "https://a", "name": "a", "link_type": "web"},
        {"url": "https://b", "name": "b", "link_type": "web"},
        {"url": "https://a", "name": "a", "link_type": "web"},
        {"url": "https://b", "name": "b", "link_type": "web"},
    ),
]


def test_scalar_values_in_meta(sg: shotlog.Shotlog, demo: Link) -> None:
    for entity_type, extra, field, data_type, first, second, meta_first, meta_second in SCALARS:
        case = f"{entity_type}.{field} {first!r} -> {second!r}"
        ent = sg.create(entity_type, {**extra, "project": demo})
        head = sg.head_event_id()
        sg.update(entity_type, ent["id"], {field: first})
        (ev,) = since(sg, head)
        # a checkbox is never null and Task.color has a default; everything else starts null
        old = {"checkbox": False, "color": "pipeline_step"}.get(data_type)
        assert ev["meta"] == change(entity_type, ent["id"], field, data_type, old, meta_first), case
        head = sg.head_event_id()
        sg.update(entity_type, ent["id"], {field: second})
        events = since(sg, head)
        if meta_second is None:
            assert events == [], case
        else:
            assert [e["meta"] for e in events] == [
                change(entity_type, ent["id"], field, data_type, meta_first, meta_second)
            ], case


def test_clearing_a_value_logs_null(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": demo, "description": "d"})
    head = sg.head_event_id()
    sg.update("Shot", shot["id"], {"description": None, "sg_status_list": None})
    events = since(sg, head)
    assert [e["meta"] for e in events] == [
        change("Shot", shot["id"], "description", "text", "d", None),
        change("Shot", shot["id"], "sg_status_list", "status_list", "wtg", None),
    ]
    assert events[0]["description"] == 'shotlog changed "Description" from "d" to "" on Shot sh010'


def test_password_changes_are_logged_without_the_value(sg: shotlog.Shotlog) -> None:
    user = sg.create("HumanUser", {"name": "Bob", "login": "bob"})
    head = sg.head_event_id()
    sg.update("HumanUser", user["id"], {"password_proxy": "s3cret!"})
    ev, global_ = since(sg, head)
    assert ev["meta"] == change("HumanUser", user["id"], "password_proxy", "password", None, None)
    assert "s3cret" not in ev["description"]
    # FPTR's global event of the change follows it, whoever changed the password and how
    assert global_["event_type"] == "Shotgun_User_PasswordChange"
    assert global_["meta"] == {"type": "password_change", "user_id": user["id"]}
    assert "s3cret" not in str(global_)


def test_moving_a_link_logs_removed_and_added_back_references(sg: shotlog.Shotlog, demo: Link) -> None:
    a = sg.create("Shot", {"code": "A", "project": demo})
    b = sg.create("Shot", {"code": "B", "project": demo})
    task = sg.create("Task", {"content": "anim", "entity": a, "project": demo, "sg_status_list": "ip"})
    head = sg.head_event_id()
    sg.update("Task", task["id"], {"entity": b})
    events = since(sg, head)
    assert len(events) == 3
    own, *refs = events
    assert own["meta"] == change("Task", task["id"], "entity", "entity", link(a, "A"), link(b, "B"))
    assert own["description"] == 'shotlog changed "Link" from "A" to "B" on Task anim'
    base = {
        "type": "attribute_change",
        "attribute_name": "tasks",
        "entity_type": "Task",
        "entity_id": task["id"],
        "field_data_type": "entity",
        "actual_attribute_changed": "Task.entity",
        "original_event_log_entry_id": own["id"],
    }
    by_shot = {e["entity"]["id"]: e for e in refs}
    assert set(by_shot) == {a["id"], b["id"]}
    assert by_shot[b["id"]]["meta"] == {**base, "added": [item(task, "anim", "ip")], "removed": []}
    assert by_shot[a["id"]]["meta"] == {**base, "added": [], "removed": [item(task, "anim", "ip")]}
    for e in refs:
        assert (e["event_type"], e["attribute_name"]) == ("Shotgun_Shot_Change", "tasks")

    head = sg.head_event_id()
    sg.update("Task", task["id"], {"entity": None})
    own, ref = since(sg, head)
    assert own["meta"] == change("Task", task["id"], "entity", "entity", link(b, "B"), None)
    assert ref["entity"] == link(b, "B")
    assert ref["meta"]["removed"] == [item(task, "anim", "ip")]
    assert ref["meta"]["original_event_log_entry_id"] == own["id"]


def test_unlinking_from_a_retired_target_still_names_it(sg: shotlog.Shotlog, demo: Link) -> None:
    seq = sg.create("Sequence", {"code": "sq1", "project": demo})
    shot = sg.create("Shot", {"code": "sh", "project": demo, "sg_sequence": seq})
    sg.delete("Sequence", seq["id"])
    head = sg.head_event_id()
    sg.update("Shot", shot["id"], {"sg_sequence": None})
    own = since(sg, head)[0]
    assert own["meta"] == change("Shot", shot["id"], "sg_sequence", "entity", link(seq, "sq1"), None)


def test_multi_entity_modes_log_added_and_removed(sg: shotlog.Shotlog, demo: Link) -> None:
    v = [sg.create("Version", {"code": f"v{i}", "project": demo}) for i in range(4)]
    pl = sg.create("Playlist", {"code": "pl", "project": demo, "versions": [v[0], v[1]]})
    pid = pl["id"]

    def versions_meta(head: int) -> list[dict[str, Any]]:
        return [e["meta"] for e in since(sg, head) if e["entity"]["type"] == "Playlist"]

    head = sg.head_event_id()
    sg.update("Playlist", pid, {"versions": [v[3], v[2]]}, multi_entity_update_modes={"versions": "add"})
    assert versions_meta(head) == [
        delta(
            "Playlist",
            pid,
            "versions",
            "multi_entity",
            [item(v[3], "v3", "rev"), item(v[2], "v2", "rev")],
            [],
        )
    ]
    head = sg.head_event_id()
    sg.update("Playlist", pid, {"versions": [v[1], v[3]]}, multi_entity_update_modes={"versions": "remove"})
    assert versions_meta(head) == [
        delta(
            "Playlist",
            pid,
            "versions",
            "multi_entity",
            [],
            [item(v[1], "v1", "rev"), item(v[3], "v3", "rev")],
        )
    ]
    head = sg.head_event_id()
    sg.update("Playlist", pid, {"versions": [v[2], v[1]]})  # set: v0 out, v1 in, v2 stays
    assert versions_meta(head) == [
        delta(
            "Playlist", pid, "versions", "multi_entity", [item(v[1], "v1", "rev")], [item(v[0], "v0", "rev")]
        )
    ]
    # nothing moves: no event
    for data, mode in (([v[2]], "add"), ([v[0]], "remove"), ([v[2], v[1]], "set")):
        head = sg.head_event_id()
        sg.update("Playlist", pid, {"versions": data}, multi_entity_update_modes={"versions": mode})
        assert since(sg, head) == [], mode
    # only the order changes: the value changes but nothing was added or removed
    head = sg.head_event_id()
    sg.update("Playlist", pid, {"versions": [v[1], v[2]]})
    assert since(sg, head) == []


def test_playlist_versions_and_version_playlists_log_both_ways(sg: shotlog.Shotlog, demo: Link) -> None:
    v1 = sg.create("Version", {"code": "v1", "project": demo})
    pl = sg.create("Playlist", {"code": "pl", "project": demo})
    head = sg.head_event_id()
    sg.update("Playlist", pl["id"], {"versions": [v1]})
    events = since(sg, head)
    assert kinds(events) == [
        ("Shotgun_Playlist_Change", pl["id"], "versions"),
        ("Shotgun_Version_Change", v1["id"], "playlists"),
    ]
    assert events[1]["meta"]["original_event_log_entry_id"] == events[0]["id"]
    assert events[1]["meta"]["actual_attribute_changed"] == "Playlist.versions"

    # writing the reverse field writes the source side, with the same events
    v2 = sg.create("Version", {"code": "v2", "project": demo})
    head = sg.head_event_id()
    sg.update("Version", v2["id"], {"playlists": [pl]})
    events = since(sg, head)
    assert kinds(events) == [
        ("Shotgun_Playlist_Change", pl["id"], "versions"),
        ("Shotgun_Version_Change", v2["id"], "playlists"),
    ]
    assert events[0]["meta"] == delta(
        "Playlist", pl["id"], "versions", "multi_entity", [item(v2, "v2", "rev")], []
    )
    assert events[1]["meta"] == {
        "type": "attribute_change",
        "attribute_name": "playlists",
        "entity_type": "Playlist",
        "entity_id": pl["id"],
        "field_data_type": "multi_entity",
        "actual_attribute_changed": "Playlist.versions",
        "original_event_log_entry_id": events[0]["id"],
        "added": [item(pl, "pl", None)],
        "removed": [],
    }
    head = sg.head_event_id()
    sg.update("Version", v2["id"], {"playlists": []})
    events = since(sg, head)
    assert events[0]["meta"]["removed"] == [item(v2, "v2", "rev")]
    assert events[1]["meta"]["removed"] == [item(pl, "pl", None)]


def test_writing_shot_tasks_writes_task_entity(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh", "project": demo})
    t1 = sg.create("Task", {"content": "t1", "project": demo})
    head = sg.head_event_id()
    sg.update("Shot", shot["id"], {"tasks": [t1]})
    events = since(sg, head)
    assert kinds(events) == [
        ("Shotgun_Task_Change", t1["id"], "entity"),
        ("Shotgun_Shot_Change", shot["id"], "tasks"),
    ]
    assert events[0]["meta"] == change("Task", t1["id"], "entity", "entity", None, link(shot, "sh"))
    assert events[1]["meta"]["actual_attribute_changed"] == "Task.entity"
    assert events[1]["meta"]["added"] == [item(t1, "t1", "wtg")]


def test_creating_with_a_reverse_field_links_the_source(sg: shotlog.Shotlog, demo: Link) -> None:
    t1 = sg.create("Task", {"content": "t1", "project": demo})
    head = sg.head_event_id()
    shot = sg.create("Shot", {"code": "sh", "project": demo, "tasks": [t1]})
    events = since(sg, head)
    assert kinds(events)[:1] == [("Shotgun_Shot_New", shot["id"], None)]
    # Shot.tasks is not stored on the Shot: the write is Task.entity, mirrored by a back-reference
    assert kinds(events)[-2:] == [
        ("Shotgun_Task_Change", t1["id"], "entity"),
        ("Shotgun_Shot_Change", shot["id"], "tasks"),
    ]
    assert [e for e in events if e["attribute_name"] == "tasks"] == [events[-1]]
    assert events[-1]["meta"]["actual_attribute_changed"] == "Task.entity"
    assert events[-1]["meta"]["original_event_log_entry_id"] == events[-2]["id"]


def test_tag_list_changes(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh", "project": demo, "tag_list": ["a", "b"]})
    head = sg.head_event_id()
    sg.update("Shot", shot["id"], {"tag_list": ["b", "c"]})
    sg.update("Shot", shot["id"], {"tag_list": ["d", "b"]}, multi_entity_update_modes={"tag_list": "add"})
    sg.update("Shot", shot["id"], {"tag_list": ["c"]}, multi_entity_update_modes={"tag_list": "remove"})
    sg.update("Shot", shot["id"], {"tag_list": ["b", "d"]})  # unchanged
    assert [e["meta"] for e in since(sg, head)] == [
        delta("Shot", shot["id"], "tag_list", "tag_list", ["c"], ["a"]),
        delta("Shot", shot["id"], "tag_list", "tag_list", ["d"], []),
        delta("Shot", shot["id"], "tag_list", "tag_list", [], ["c"]),
    ]


def test_custom_field_changes_carry_their_data_type(sg: shotlog.Shotlog, demo: Link) -> None:
    name = sg.schema_field_create("Asset", "number", "Api Tests Number Field")
    head = sg.head_event_id()
    asset = sg.create("Asset", {"code": "chair", "project": demo, name: 3})
    created = by_attr(since(sg, head)[1:])[name]
    assert created["meta"] == change("Asset", asset["id"], name, "number", None, 3, in_create=True)
    head = sg.head_event_id()
    sg.update("Asset", asset["id"], {name: 4})
    (ev,) = since(sg, head)
    assert ev["meta"] == change("Asset", asset["id"], name, "number", 3, 4)


# -- delete / revive ----------------------------------------------------------------------------------


_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$")


def test_delete_logs_retirement_date_change_then_retirement(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": demo})
    head = sg.head_event_id()
    before = utcnow_seconds()
    assert sg.delete("Shot", shot["id"]) is True
    after = utcnow_seconds()
    first, second = since(sg, head)
    stamp = first["meta"]["new_value"]
    assert _STAMP.match(stamp)
    assert before <= dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S UTC") <= after
    assert first["event_type"] == "Shotgun_Shot_Change"
    assert first["attribute_name"] == "retirement_date"
    assert first["meta"] == change("Shot", shot["id"], "retirement_date", "date_time", None, stamp)
    assert second["event_type"] == "Shotgun_Shot_Retirement"
    assert second["attribute_name"] is None
    assert second["meta"] == {
        "type": "entity_retirement",
        "entity_type": "Shot",
        "entity_id": shot["id"],
        "id": shot["id"],
        "class_name": "Shot",
        "display_name": "sh010",
        "retirement_date": stamp,
    }
    assert second["description"] == "shotlog retired Shot sh010"
    assert second["project"] == demo
    # the subject is retired, so every event about it reads with a null entity (event-log.md §6)
    about = [e for e in since(sg, 0) if (e["meta"] or {}).get("entity_type") == "Shot"]
    assert len(about) >= 5
    assert [e["entity"] for e in about] == [None] * len(about)

    head = sg.head_event_id()
    assert sg.delete("Shot", shot["id"]) is False
    assert since(sg, head) == []


def test_revive_logs_retirement_date_back_to_null_then_revival(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": demo})
    sg.delete("Shot", shot["id"])
    stamp = since(sg, sg.head_event_id() - 1)[0]["meta"]["retirement_date"]
    head = sg.head_event_id()
    assert sg.revive("Shot", shot["id"]) is True
    first, second = since(sg, head)
    assert (first["event_type"], first["attribute_name"]) == ("Shotgun_Shot_Change", "retirement_date")
    assert first["meta"] == change("Shot", shot["id"], "retirement_date", "date_time", stamp, None)
    assert (second["event_type"], second["attribute_name"]) == ("Shotgun_Shot_Revival", None)
    assert second["meta"] == {
        "type": "entity_revival",
        "entity_type": "Shot",
        "entity_id": shot["id"],
        "id": shot["id"],
        "class_name": "Shot",
        "display_name": "sh010",
    }
    assert second["entity"] == link(shot, "sh010")  # the link reappears after the revival
    assert second["description"] == "shotlog revived Shot sh010"
    head = sg.head_event_id()
    assert sg.revive("Shot", shot["id"]) is False
    assert since(sg, head) == []


# -- who, when, session ---------------------------------------------------------------------------------


def test_as_user_sets_the_event_user_and_description(
    sg: shotlog.Shotlog, demo: Link, jane: dict[str, Any]
) -> None:
    sj = sg.as_user({"type": "HumanUser", "id": jane["id"]})
    head = sg.head_event_id()
    shot = sj.create("Shot", {"code": "sh010", "project": demo})
    sj.delete("Shot", shot["id"])
    events = since(sg, head)
    assert {e["user"]["id"] for e in events} == {jane["id"]}
    assert {e["user"]["type"] for e in events} == {"HumanUser"}
    assert events[0]["description"] == "Jane Doe created new Shot sh010"
    assert events[-1]["description"] == "Jane Doe retired Shot sh010"


def test_sudo_logs_the_target_as_user_and_the_real_user_in_meta(
    sg: shotlog.Shotlog, demo: Link, jane: dict[str, Any], script: Link
) -> None:
    shot = sg.create("Shot", {"code": "sh010", "project": demo, "sg_status_list": "ip"})
    task = sg.create("Task", {"content": "anim", "project": demo})
    as_jane = sg.sudo("jane")
    head = sg.head_event_id()
    as_jane.update("Shot", shot["id"], {"sg_status_list": "fin"})
    as_jane.update("Task", task["id"], {"entity": shot})
    created = as_jane.create("Shot", {"code": "sh020", "project": demo}, ["created_by"])
    as_jane.delete("Shot", created["id"])
    custom = as_jane.create_event("tkMultiEventApp_event_new", meta={"k": 1})
    events = since(sg, head)
    assert len(events) > 5
    jane_link = {"type": "HumanUser", "id": jane["id"], "name": "Jane Doe"}
    for e in events:
        assert e["user"] == jane_link
        assert e["meta"]["sudo_actual_user"] == script, e["event_type"]
    assert events[0]["description"] == 'Jane Doe changed "Status" from "ip" to "fin" on Shot sh010'
    assert created["created_by"] == jane_link
    assert events[-1]["id"] == custom["id"]
    assert events[-1]["meta"] == {"k": 1, "sudo_actual_user": script}


def test_session_uuid_is_stamped_on_events(sg: shotlog.Shotlog, db_url: str, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh", "project": demo})
    session = str(uuid.uuid4())
    with shotlog.connect(db_url) as other:
        other.set_session_uuid(session)
        head = other.head_event_id()
        other.update("Shot", shot["id"], {"code": "sh2"})
        other.create_event("Custom_Thing_Happened")
        other.set_session_uuid(None)
        assert [e["session_uuid"] for e in since(other, head)] == [session, session]
    head = sg.head_event_id()
    sg.update("Shot", shot["id"], {"code": "sh3"})
    assert [e["session_uuid"] for e in since(sg, head)] == [None]


def test_set_session_uuid_applies_to_the_next_write(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh", "project": demo})  # resolves and caches the actor
    session = str(uuid.uuid4())
    sg.set_session_uuid(session)
    head = sg.head_event_id()
    sg.update("Shot", shot["id"], {"code": "sh2"})
    assert [e["session_uuid"] for e in since(sg, head)] == [session]


def test_events_of_one_write_share_created_at(sg: shotlog.Shotlog, demo: Link) -> None:
    head = sg.head_event_id()
    sg.create(
        "Task", {"content": "t", "project": demo, "entity": sg.create("Shot", {"code": "s", "project": demo})}
    )
    stamps = {e["created_at"] for e in since(sg, head)}
    assert len(stamps) <= 2  # two writes (the Shot, then the Task), at most one stamp each
    for s in stamps:
        assert s.tzinfo is not None and s.utcoffset() == dt.timedelta(0)
        assert s.microsecond == 0


# -- custom events ------------------------------------------------------------------------------------


def test_custom_events_are_written_with_user_and_created_at_filled_in(
    sg: shotlog.Shotlog, demo: Link, script: Link
) -> None:
    shot = sg.create("Shot", {"code": "sh", "project": demo})
    head = sg.head_event_id()
    before = utcnow_seconds().replace(tzinfo=dt.UTC)
    made = sg.create(
        "EventLogEntry",
        {
            "event_type": "Toolkit_App_Startup",
            "description": "tk-nuke started",
            "entity": shot,
            "project": demo,
            "attribute_name": "whatever",
            "meta": {"app": "tk-nuke", "nested": {"list": [1, 2]}},
        },
        ["user", "created_at", "session_uuid"],
    )
    assert made["id"] == head + 1
    assert made["user"] == script
    assert before <= made["created_at"] <= utcnow_seconds().replace(tzinfo=dt.UTC)
    assert made["session_uuid"] is None
    assert made["entity"] == link(shot, "sh")
    assert made["project"] == demo
    assert made["meta"] == {"app": "tk-nuke", "nested": {"list": [1, 2]}}
    other = sg.create_event("tkMultiEventApp_event_new", description="d", entity=shot, meta={"x": 1})
    assert other["id"] == head + 2
    assert other["event_type"] == "tkMultiEventApp_event_new"
    # a custom event is one row and nothing else
    events = since(sg, head)
    assert [e["id"] for e in events] == [head + 1, head + 2]
    assert events[1]["project"] is None and events[1]["description"] == "d"
    assert events[0]["attribute_name"] == "whatever"
    # the subject may be retired; the link then reads as null, like any event about it
    sg.delete("Shot", shot["id"])
    late = sg.create_event("Custom_About_Retired", entity=shot, fields=["entity"])
    assert late["entity"] is None
    sg.revive("Shot", shot["id"])
    assert since(sg, late["id"] - 1)[0]["entity"] == link(shot, "sh")


def test_custom_event_without_description_stores_none(sg: shotlog.Shotlog) -> None:
    made = sg.create_event("Custom_Thing_Happened", fields=["description", "meta", "entity", "project"])
    assert made["description"] is None
    assert (made["meta"], made["entity"], made["project"]) == (None, None, None)


def test_custom_events_are_visible_to_the_shotgun_events_poll(sg: shotlog.Shotlog, demo: Link) -> None:
    newest = sg.find("EventLogEntry", [], ["id"], order=[{"column": "id", "direction": "desc"}], limit=1)
    last = newest[0]["id"]
    made = sg.create_event("tkMultiEventApp_event_new", entity=demo, project=demo, meta={"a": 1})
    sg.create("Shot", {"code": "after", "project": demo})
    page = sg.find(
        "EventLogEntry",
        [["id", "greater_than", last]],
        POLL_FIELDS,
        order=[{"column": "id", "direction": "asc"}],
        limit=500,
    )
    assert page[0]["id"] == made["id"] == last + 1
    assert page[0]["event_type"] == "tkMultiEventApp_event_new"
    assert page[0]["meta"] == {"a": 1}
    assert page[0]["entity"] == demo
    assert set(page[0]) == {"type", *POLL_FIELDS}
    assert [p["id"] for p in page] == list(range(last + 1, last + 1 + len(page)))
    assert page[1]["event_type"] == "Shotgun_Shot_New"


def test_event_log_entries_cannot_be_changed(sg: shotlog.Shotlog) -> None:
    made = sg.create_event("Custom_Thing_Happened", description="keep")
    head = sg.head_event_id()
    with pytest.raises(shotlog.PermissionDenied, match="EventLogEntry"):
        sg.update("EventLogEntry", made["id"], {"description": "changed"})
    with pytest.raises(shotlog.PermissionDenied, match="EventLogEntry"):
        sg.delete("EventLogEntry", made["id"])
    with pytest.raises(shotlog.PermissionDenied, match="EventLogEntry"):
        sg.revive("EventLogEntry", made["id"])
    assert sg.head_event_id() == head
    assert since(sg, head - 1)[0]["description"] == "keep"


# -- generate_event_log_entries -------------------------------------------------------------------------


def test_new_api_users_generate_events_by_default(sg: shotlog.Shotlog) -> None:
    bot = sg.create("ApiUser", {"firstname": "bot"}, ["generate_event_log_entries"])
    assert bot["generate_event_log_entries"] is True


def test_script_without_generate_event_log_entries_writes_silently(sg: shotlog.Shotlog, demo: Link) -> None:
    bot = sg.create("ApiUser", {"firstname": "quiet", "generate_event_log_entries": False})
    quiet = sg.as_user({"type": "ApiUser", "id": bot["id"]})
    head = sg.head_event_id()
    shot = quiet.create("Shot", {"code": "q", "project": demo})
    task = quiet.create("Task", {"content": "t", "project": demo, "entity": shot})
    quiet.update("Shot", shot["id"], {"code": "q2", "tasks": [], "tag_list": ["x"]})
    quiet.update("Task", task["id"], {"entity": shot})
    quiet.delete("Task", task["id"])
    quiet.revive("Task", task["id"])
    quiet.batch(
        [{"request_type": "update", "entity_type": "Shot", "entity_id": shot["id"], "data": {"code": "q3"}}]
    )
    assert sg.head_event_id() == head
    # ...but the writes happened
    found = sg.find_one("Shot", [["id", "is", shot["id"]]], ["code", "tasks", "tag_list", "created_by"])
    assert found == {
        "type": "Shot",
        "id": shot["id"],
        "code": "q3",
        "tasks": [{"type": "Task", "id": task["id"], "name": "t"}],
        "tag_list": ["x"],
        "created_by": {"type": "ApiUser", "id": bot["id"], "name": "quiet"},
    }
    # a custom event is what the script asked for, so it is written
    made = quiet.create_event("Custom_Thing_Happened", meta={"k": 1}, fields=["user"])
    assert made["id"] == head + 1
    assert made["user"] == {"type": "ApiUser", "id": bot["id"], "name": "quiet"}


def test_turning_generate_event_log_entries_off_applies_to_the_next_write(
    sg: shotlog.Shotlog, demo: Link, script: Link
) -> None:
    shot = sg.create("Shot", {"code": "sh", "project": demo})
    sg.update("ApiUser", script["id"], {"generate_event_log_entries": False})
    head = sg.head_event_id()
    sg.update("Shot", shot["id"], {"code": "quiet"})
    assert sg.head_event_id() == head


# -- batch ---------------------------------------------------------------------------------------------


def test_batch_logs_each_request_in_order(sg: shotlog.Shotlog, demo: Link) -> None:
    keep = sg.create("Shot", {"code": "keep", "project": demo})
    gone = sg.create("Shot", {"code": "gone", "project": demo})
    head = sg.head_event_id()
    created, custom, updated, deleted = sg.batch(
        [
            {"request_type": "create", "entity_type": "Shot", "data": {"code": "new", "project": demo}},
            {
                "request_type": "create",
                "entity_type": "EventLogEntry",
                "data": {"event_type": "X_Y", "meta": {}},
            },
            {
                "request_type": "update",
                "entity_type": "Shot",
                "entity_id": keep["id"],
                "data": {"code": "kept"},
            },
            {"request_type": "delete", "entity_type": "Shot", "entity_id": gone["id"]},
        ]
    )
    events = since(sg, head)
    assert [(e["event_type"], e["meta"].get("entity_id"), e["attribute_name"]) for e in events] == [
        ("Shotgun_Shot_New", created["id"], None),
        ("Shotgun_Shot_Change", created["id"], "code"),
        ("Shotgun_Shot_Change", created["id"], "project"),
        ("Shotgun_Shot_Change", created["id"], "sg_status_list"),
        ("X_Y", None, None),
        ("Shotgun_Shot_Change", keep["id"], "code"),
        ("Shotgun_Shot_Change", gone["id"], "retirement_date"),
        ("Shotgun_Shot_Retirement", gone["id"], None),
    ]
    assert custom["id"] == events[4]["id"]
    assert len({e["created_at"] for e in events}) == 1  # one transaction, one timestamp
    assert deleted is True
    assert updated == {"type": "Shot", "id": keep["id"], "code": "kept"}


def test_failed_batch_logs_nothing_and_leaves_no_hole(sg: shotlog.Shotlog, demo: Link) -> None:
    shot = sg.create("Shot", {"code": "sh", "project": demo})
    head = sg.head_event_id()
    with pytest.raises(shotlog.BatchError) as info:
        sg.batch(
            [
                {"request_type": "create", "entity_type": "Shot", "data": {"code": "b1", "project": demo}},
                {
                    "request_type": "update",
                    "entity_type": "Shot",
                    "entity_id": shot["id"],
                    "data": {"code": "b2"},
                },
                {"request_type": "create", "entity_type": "EventLogEntry", "data": {"event_type": "X_Y_Z"}},
                {
                    "request_type": "update",
                    "entity_type": "Shot",
                    "entity_id": shot["id"],
                    "data": {"code": 5},
                },
            ]
        )
    assert info.value.index == 3
    assert sg.head_event_id() == head
    sg.update("Shot", shot["id"], {"code": "after"})
    assert [e["id"] for e in since(sg, head)] == [head + 1]
