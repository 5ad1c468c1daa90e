"""create / find / update / delete / revive on every default entity type, through the real client."""

from __future__ import annotations

from typing import Any

import pytest
import shotgun_api3
from sgserver import events_after, head_event_id

#: each default type's display (identifier) field: what link ``name`` shows
DISPLAY = {
    "Project": "name",
    "HumanUser": "name",
    "ApiUser": "firstname",
    "Group": "code",
    "PermissionRuleSet": "code",
    "Department": "name",
    "Episode": "code",
    "Sequence": "code",
    "Scene": "code",
    "Shot": "code",
    "Asset": "code",
    "Step": "code",
    "Task": "content",
    "TaskTemplate": "code",
    "Version": "code",
    "PublishedFile": "code",
    "PublishedFileType": "code",
    "Note": "subject",
    "Reply": "content",
    "Attachment": "filename",
    "Playlist": "code",
    "LocalStorage": "code",
    "PipelineConfiguration": "code",
    "Software": "code",
    "FilesystemLocation": "code",
    "PublishedFileDependency": "code",
    "Page": "name",
    "ActionMenuItem": "title",
    "Status": "name",
    "Tag": "name",
    "Ticket": "title",
    "TimeLog": "description",
    "Delivery": "title",
    "WorkDayRule": "description",
}


def _crud_one(
    sg: shotgun_api3.Shotgun, etype: str, fields: dict[str, Any], project: dict[str, Any], uniq: str
) -> None:
    display = DISPLAY[etype]
    value = f"{etype} {uniq}"
    data: dict[str, Any] = {display: value}
    if "project" in fields and etype != "Project":
        data["project"] = project
    created = sg.create(etype, data, ["created_by", "created_at"])
    assert created["type"] == etype
    assert isinstance(created["id"], int)
    assert created[display] == value
    assert created["created_by"]["type"] == "ApiUser"
    if "project" in data:
        assert created["project"] == {"type": "Project", "id": project["id"], "name": project["name"]}
    link = {"type": etype, "id": created["id"]}

    read = sg.find_one(etype, [["id", "is", created["id"]]], [display, "created_at", "updated_at"])
    assert read is not None
    assert read[display] == value
    assert read["created_at"] == created["created_at"]
    assert read["created_at"].tzinfo is not None

    renamed = f"{value} renamed"
    updated = sg.update(etype, created["id"], {display: renamed})
    assert updated == {"type": etype, "id": created["id"], display: renamed}
    assert sg.find_one(etype, [[display, "is", renamed]], [display]) == {
        "type": etype,
        "id": created["id"],
        display: renamed,
    }
    # links to it carry its display value as name, resolved when read
    new_event = sg.find_one(
        "EventLogEntry", [["entity", "is", link], ["event_type", "is", f"Shotgun_{etype}_New"]], ["entity"]
    )
    assert new_event is not None
    assert new_event["entity"] == {"type": etype, "id": created["id"], "name": renamed}

    assert sg.delete(etype, created["id"]) is True
    assert sg.find_one(etype, [["id", "is", created["id"]]]) is None
    assert sg.find(etype, [["id", "is", created["id"]]], [display], retired_only=True) == [
        {"type": etype, "id": created["id"], display: renamed}
    ]
    assert sg.delete(etype, created["id"]) is False
    assert sg.revive(etype, created["id"]) is True
    assert sg.revive(etype, created["id"]) is False
    assert sg.find_one(etype, [["id", "is", created["id"]]], [display])[display] == renamed
    assert sg.find(etype, [["id", "is", created["id"]]], retired_only=True) == []


def test_crud_on_every_default_entity_type(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], uniq: str
) -> None:
    types = [t for t in sg.schema_entity_read() if t != "EventLogEntry"]
    assert sorted(types) == sorted(DISPLAY), "a default type was added or removed: update DISPLAY"
    schema = sg.schema_read()
    failures: dict[str, str] = {}
    for etype in types:
        try:
            _crud_one(sg, etype, schema[etype], project, uniq)
        except (AssertionError, shotgun_api3.ShotgunError) as exc:
            failures[etype] = f"{type(exc).__name__}: {exc}"
    assert failures == {}


def test_create_returns_requested_fields_and_links(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    seq = sg.create("Sequence", {"code": "SEQ", "project": project})
    shot = sg.create(
        "Shot",
        {"code": "sh010", "project": project, "sg_sequence": seq, "sg_cut_duration": 48},
        ["sg_status_list", "description", "sg_sequence.Sequence.code"],
    )
    assert shot == {
        "type": "Shot",
        "id": shot["id"],
        "code": "sh010",
        "project": {"type": "Project", "id": project["id"], "name": project["name"]},
        "sg_sequence": {"type": "Sequence", "id": seq["id"], "name": "SEQ"},
        "sg_cut_duration": 48,
        "sg_status_list": "wtg",
        "description": None,
        "sg_sequence.Sequence.code": "SEQ",
    }
    # the reverse field shows the link from the other side
    back = sg.find_one("Sequence", [["id", "is", seq["id"]]], ["shots"])
    assert back["shots"] == [{"type": "Shot", "id": shot["id"], "name": "sh010"}]


def test_delete_and_revive_write_events(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    shot = sg.create("Shot", {"code": "gone", "project": project})
    before = head_event_id(sg)
    assert sg.delete("Shot", shot["id"]) is True
    events = events_after(sg, before)
    assert [(e["event_type"], e["attribute_name"]) for e in events] == [
        ("Shotgun_Shot_Change", "retirement_date"),
        ("Shotgun_Shot_Retirement", None),
    ]
    # while retired, the subject of its events reads as null
    assert {e["entity"] is None for e in events} == {True}
    assert events[1]["meta"]["display_name"] == "gone"
    assert events[1]["meta"]["entity_id"] == shot["id"]
    assert events[1]["project"] == {"type": "Project", "id": project["id"], "name": project["name"]}
    before = head_event_id(sg)
    assert sg.delete("Shot", shot["id"]) is False
    assert events_after(sg, before) == []
    assert sg.revive("Shot", shot["id"]) is True
    events = events_after(sg, before)
    assert [(e["event_type"], e["attribute_name"]) for e in events] == [
        ("Shotgun_Shot_Change", "retirement_date"),
        ("Shotgun_Shot_Revival", None),
    ]
    assert events[1]["meta"]["type"] == "entity_revival"
    assert events[1]["entity"] == {"type": "Shot", "id": shot["id"], "name": "gone"}


@pytest.mark.parametrize("method", ["update", "delete", "revive"])
def test_missing_entity_is_a_fault(sg: shotgun_api3.Shotgun, method: str) -> None:
    args: tuple[Any, ...] = ("Shot", 987654321)
    if method == "update":
        args += ({"code": "x"},)
    with pytest.raises(shotgun_api3.Fault, match=r"987654321"):
        getattr(sg, method)(*args)


def test_unique_project_name(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    with pytest.raises(shotgun_api3.Fault, match=r"^API create\(\) CRUD ERROR #"):
        sg.create("Project", {"name": project["name"]})


def test_update_without_change_writes_no_event(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    shot = sg.create("Shot", {"code": "same", "project": project})
    before = head_event_id(sg)
    assert sg.update("Shot", shot["id"], {"code": "same"}) == {
        "type": "Shot",
        "id": shot["id"],
        "code": "same",
    }
    assert events_after(sg, before) == []


def test_non_ascii_text_round_trips(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    text = 'Ünïcødé 漢字 😀 <b>&lt;</b> "quoted" \\ back'
    shot = sg.create("Shot", {"code": "uni", "description": text, "project": project}, ["description"])
    assert shot["description"] == text.replace("&lt;", "<")  # the client un-escapes &lt; itself
    read = sg.find_one("Shot", [["description", "is", text]], ["description"])
    assert read is not None
    assert read["id"] == shot["id"]
