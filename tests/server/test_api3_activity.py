"""activity_stream_read and note_thread_read through the official client, with FPTR's shapes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import shotgun_api3

STREAM_KEYS = {"earliest_update_id", "entity_id", "entity_type", "latest_update_id", "updates"}
UPDATE_KEYS = {"id", "update_type", "created_at", "created_by", "meta", "primary_entity", "read"}
TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")


@pytest.fixture
def shot_with_note(
    sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    shot = sg.create("Shot", {"code": "activity", "project": project, "sg_status_list": "ip"})
    note = sg.create(
        "Note", {"content": "Test!", "subject": "look", "project": project, "note_links": [shot]}
    )
    return shot, note


def test_stream_of_a_shot_has_its_creation_and_its_notes(
    sg: shotgun_api3.Shotgun, shot_with_note: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    shot, note = shot_with_note
    result = sg.activity_stream_read("Shot", shot["id"])
    assert set(result) == STREAM_KEYS
    assert (result["entity_type"], result["entity_id"]) == ("Shot", shot["id"])
    updates = result["updates"]
    assert [u["update_type"] for u in updates] == ["create", "create"]
    assert [u["primary_entity"]["type"] for u in updates] == ["Note", "Shot"]  # newest first
    assert updates[0]["id"] > updates[1]["id"]
    assert (result["latest_update_id"], result["earliest_update_id"]) == (updates[0]["id"], updates[1]["id"])
    for u in updates:
        assert set(u) == UPDATE_KEYS
        assert TIME.match(u["created_at"]), u["created_at"]
        assert u["created_by"]["type"] == "ApiUser"
        assert set(u["created_by"]) == {"type", "id", "name", "status", "image"}
        assert u["read"] is False
    assert updates[0]["meta"] == {"entity_id": note["id"], "entity_type": "Note", "type": "new_entity"}
    assert updates[1]["primary_entity"] == {
        "type": "Shot",
        "id": shot["id"],
        "name": "activity",
        "status": "ip",
    }

    one = sg.activity_stream_read("Shot", shot["id"], limit=1)
    assert [(u["update_type"], u["meta"]["entity_type"]) for u in one["updates"]] == [("create", "Note")]


def test_stream_updates_replies_bounds_and_entity_fields(
    sg: shotgun_api3.Shotgun, shot_with_note: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    shot, note = shot_with_note
    sg.update("Shot", shot["id"], {"sg_status_list": "fin"})
    reply = sg.create("Reply", {"content": "done", "entity": note})
    result = sg.activity_stream_read(
        "Shot",
        shot["id"],
        entity_fields={"Shot": ["sg_status_list", "project.Project.name"], "Note": ["content"]},
    )
    kinds = [(u["update_type"], u["primary_entity"]["type"]) for u in result["updates"]]
    assert kinds == [("create_reply", "Note"), ("update", "Shot"), ("create", "Note"), ("create", "Shot")]
    reply_update, change = result["updates"][0], result["updates"][1]
    assert reply_update["primary_entity"]["id"] == note["id"]
    assert reply_update["primary_entity"]["content"] == "Test!"
    assert reply_update["meta"]["entity_type"] == "Reply" and reply_update["meta"]["entity_id"] == reply["id"]
    assert change["meta"]["attribute_name"] == "sg_status_list"
    assert (change["meta"]["old_value"], change["meta"]["new_value"]) == ("ip", "fin")
    assert set(change["primary_entity"]) == {
        "type",
        "id",
        "name",
        "status",
        "sg_status_list",
        "project.Project.name",
    }
    assert change["primary_entity"]["project.Project.name"] is not None

    ids = [u["id"] for u in result["updates"]]
    assert [u["id"] for u in sg.activity_stream_read("Shot", shot["id"], max_id=ids[1])["updates"]] == ids[1:]
    assert [u["id"] for u in sg.activity_stream_read("Shot", shot["id"], min_id=ids[1])["updates"]] == ids[:2]
    empty = sg.activity_stream_read("Shot", shot["id"], min_id=ids[0] + 1)
    assert empty["updates"] == [] and empty["latest_update_id"] is None

    # the note's own stream: its creation and the reply
    note_stream = sg.activity_stream_read("Note", note["id"])
    assert [u["update_type"] for u in note_stream["updates"]] == ["create_reply", "create"]


def test_stream_of_a_project_and_faults(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], shot_with_note: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    shot, note = shot_with_note
    result = sg.activity_stream_read("Project", project["id"])
    created = [(u["primary_entity"]["type"], u["primary_entity"]["id"]) for u in result["updates"]]
    assert created[:2] == [("Note", note["id"]), ("Shot", shot["id"])]
    with pytest.raises(shotgun_api3.Fault, match="limit"):
        sg.activity_stream_read("Shot", shot["id"], limit=0)
    with pytest.raises(shotgun_api3.Fault, match="max_id"):
        sg.activity_stream_read("Shot", shot["id"], max_id="x")  # type: ignore[arg-type]
    with pytest.raises(shotgun_api3.Fault, match=r"Shot.*987654321"):
        sg.activity_stream_read("Shot", 987654321)
    with pytest.raises(shotgun_api3.Fault, match="Nope"):
        sg.activity_stream_read("Nope", 1)
    with pytest.raises(shotgun_api3.Fault, match="entity_fields"):
        sg.activity_stream_read("Shot", shot["id"], entity_fields={"Shot": "code"})


def test_note_thread_in_order_with_entity_fields(
    sg: shotgun_api3.Shotgun, shot_with_note: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _shot, note = shot_with_note
    thread = sg.note_thread_read(note["id"])
    assert len(thread) == 1
    assert thread[0] == sg.find_one(
        "Note", [["id", "is", note["id"]]], ["content", "created_at", "created_by"]
    )
    assert isinstance(thread[0]["created_at"], dt.datetime)

    author = sg.create("HumanUser", {"login": f"author-{note['id']}", "name": "Author"})
    first = sg.create("Reply", {"content": "one", "entity": note, "user": author})
    attachment = sg.create(
        "Attachment", {"filename": "notes.txt", "attachment_links": [note], "project": note["project"]}
    )
    batch = [{"request_type": "create", "entity_type": "Reply", "data": {"content": "two", "entity": note}}]
    second = sg.batch(batch)[0]
    thread = sg.note_thread_read(note["id"])
    assert [(r["type"], r["id"]) for r in thread] == [
        ("Note", note["id"]),
        ("Reply", first["id"]),
        ("Attachment", attachment["id"]),
        ("Reply", second["id"]),
    ]
    reply = dict(thread[1])
    assert set(reply) == {"type", "id", "content", "created_at", "user"}
    assert reply["user"]["image"] is None and reply["user"]["id"] == author["id"]
    user = dict(reply["user"])
    del user["image"]
    found = sg.find_one("Reply", [["id", "is", first["id"]]], ["content", "created_at", "user"])
    assert {**reply, "user": user} == found
    assert set(thread[2]) == {"type", "id", "created_at", "created_by"}
    # a Reply made without a user (here in a batch) is the caller's, as on FPTR
    assert thread[3]["user"]["type"] == "ApiUser" and "image" in thread[3]["user"]

    extra = sg.note_thread_read(
        note["id"], {"Note": ["subject", "note_links"], "Reply": ["entity"], "Attachment": ["filename"]}
    )
    assert extra[0]["subject"] == "look"
    assert extra[0]["note_links"][0]["type"] == "Shot"
    assert extra[1]["entity"]["id"] == note["id"]
    assert extra[2]["filename"] == "notes.txt"


def test_note_thread_faults(sg: shotgun_api3.Shotgun) -> None:
    with pytest.raises(shotgun_api3.Fault, match=r"Note.*987654321"):
        sg.note_thread_read(987654321)
    with pytest.raises(shotgun_api3.Fault, match="note_id"):
        sg.note_thread_read("x")  # type: ignore[arg-type]
    with pytest.raises(shotgun_api3.Fault, match="entity_fields"):
        sg.note_thread_read(1, {"Note": [1]})


def test_marking_a_note_read_is_per_person_and_writes_the_reading_event(
    server: Any, sg: shotgun_api3.Shotgun, shot_with_note: tuple[dict[str, Any], dict[str, Any]], uniq: str
) -> None:
    shot, note = shot_with_note
    logins = [f"r1-{uniq}", f"r2-{uniq}"]
    for login in logins:
        sg.create("HumanUser", {"login": login, "name": login})
    reader, other = (server.client(sudo_as_login=login) for login in logins)
    field = "read_by_current_user"

    def state(client: shotgun_api3.Shotgun) -> str:
        return client.find_one("Note", [["id", "is", note["id"]]], [field])[field]

    assert state(reader) == "unread"
    updated = reader.update("Note", note["id"], {field: "read"})
    assert updated[field] == "read"
    assert (state(reader), state(other), state(sg)) == ("read", "unread", "unread")
    event = sg.find_one(
        "EventLogEntry",
        [["event_type", "is", "Shotgun_Reading_Change"], ["entity", "is", note]],
        ["attribute_name", "meta", "user", "project"],
        order=[{"field_name": "id", "direction": "desc"}],
    )
    assert event["attribute_name"] == field
    assert event["meta"]["new_value"] == "read" and event["meta"]["old_value"] == "unread"
    assert event["user"]["name"] == logins[0]
    assert event["project"]["id"] == note["project"]["id"]
    # the activity stream and the thread show the reader's state
    stream = reader.activity_stream_read("Shot", shot["id"])
    assert [u["read"] for u in stream["updates"]] == [True, False]  # the Note, then the Shot
    assert reader.note_thread_read(note["id"], {"Note": [field]})[0][field] == "read"
    assert other.note_thread_read(note["id"], {"Note": [field]})[0][field] == "unread"

    # marking it read again writes nothing; a script has no read state; a bad value changes nothing
    head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    reader.update("Note", note["id"], {field: "read"})
    assert sg.update("Note", note["id"], {field: "read"})[field] == "unread"
    with pytest.raises(shotgun_api3.Fault, match="'zzznope' is not a valid list value"):
        reader.update("Note", note["id"], {field: "zzznope", "subject": "changed"})
    assert sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}]) == head
    assert sg.find_one("Note", [["id", "is", note["id"]]], ["subject"])["subject"] == "look"
    # unread again, with a field change in the same update
    both = reader.update("Note", note["id"], {field: "unread", "subject": "again"})
    assert (both[field], both["subject"]) == ("unread", "again")
    assert state(reader) == "unread"
