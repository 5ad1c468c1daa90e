"""EventBuilder: the EventLogEntry rows of each kind of change, built without a database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shotlog.eventlog.events import Actor, EventBuilder, LinkInfo, PendingEvent, Subject
from shotlog.schema.model import EntityType, Field

SHOT = EntityType("Shot", "Shot", table="entity_shot", display_field="code")
TASK = EntityType("Task", "Task", table="entity_task", display_field="content")
PROJECT = EntityType("Project", "Project", table="entity_project", display_field="name", project_scoped=False)

STATUS = Field("Shot", "sg_status_list", "status_list", "Status", valid_values=("wtg", "ip", "fin"))
DUE = Field("Task", "due_date", "date", "Due Date")
WHEN = Field("Shot", "sg_when", "date_time", "When")
SEQ = Field("Shot", "sg_sequence", "entity", "Sequence", valid_types=("Sequence",))
ASSETS = Field("Shot", "assets", "multi_entity", "Assets", valid_types=("Asset",))
TAGS = Field("Shot", "tag_list", "tag_list", "Tags")
PASSWORD = Field("HumanUser", "password_proxy", "password", "Password")
TASK_ENTITY = Field("Task", "entity", "entity", "Link", valid_types=("Shot", "Asset"))
SHOT_TASKS = Field("Shot", "tasks", "multi_entity", "Tasks", reverse_of="Task.entity")

JANE = Actor(type="HumanUser", id=7, name="Jane Doe")
SH010 = Subject(SHOT, 12, "sh010", ("Project", 3))


def test_new_entity() -> None:
    ev = EventBuilder(JANE).new_entity(SH010)
    assert ev == PendingEvent(
        event_type="Shotgun_Shot_New",
        description="Jane Doe created new Shot sh010",
        entity=("Shot", 12),
        project=("Project", 3),
        attribute_name=None,
        meta={"type": "new_entity", "entity_type": "Shot", "entity_id": 12},
    )
    assert ev.id is None and ev.user is None and ev.created_at is None  # filled in by log.append


def test_scalar_change_has_old_and_new_value_and_a_readable_description() -> None:
    ev = EventBuilder(JANE).scalar_change(SH010, STATUS, "ip", "fin")
    assert ev.event_type == "Shotgun_Shot_Change"
    assert ev.attribute_name == "sg_status_list"
    assert ev.entity == ("Shot", 12)
    assert ev.project == ("Project", 3)
    assert ev.description == 'Jane Doe changed "Status" from "ip" to "fin" on Shot sh010'
    assert ev.meta == {
        "type": "attribute_change",
        "attribute_name": "sg_status_list",
        "entity_type": "Shot",
        "entity_id": 12,
        "field_data_type": "status_list",
        "old_value": "ip",
        "new_value": "fin",
    }


def test_scalar_change_in_create() -> None:
    ev = EventBuilder(JANE).scalar_change(SH010, STATUS, None, "wtg", in_create=True)
    assert ev.meta is not None
    assert ev.meta["in_create"] is True
    assert ev.meta["old_value"] is None
    assert ev.meta["new_value"] == "wtg"
    assert ev.description == 'Jane Doe set "Status" to "wtg" on Shot sh010'


def test_scalar_change_formats_dates_and_datetimes_for_meta() -> None:
    b = EventBuilder(JANE)
    task = Subject(TASK, 5, "anim", ("Project", 3))
    ev = b.scalar_change(task, DUE, dt.date(2024, 1, 2), dt.date(2024, 2, 3))
    assert ev.meta is not None
    assert (ev.meta["old_value"], ev.meta["new_value"]) == ("2024-01-02", "2024-02-03")
    assert ev.description == 'Jane Doe changed "Due Date" from "2024-01-02" to "2024-02-03" on Task anim'
    ev = b.scalar_change(SH010, WHEN, None, dt.datetime(2024, 5, 6, 7, 8, 9))
    assert ev.meta is not None
    assert ev.meta["new_value"] == "2024-05-06 07:08:09 UTC"


def test_entity_change_uses_link_dicts() -> None:
    old = LinkInfo("Sequence", 1, "sq1", "ip")
    new = LinkInfo("Sequence", 2, "sq2")
    ev = EventBuilder(JANE).scalar_change(SH010, SEQ, old, new)
    assert ev.meta is not None
    assert ev.meta["old_value"] == {"type": "Sequence", "id": 1, "name": "sq1"}
    assert ev.meta["new_value"] == {"type": "Sequence", "id": 2, "name": "sq2"}
    assert ev.meta["field_data_type"] == "entity"
    assert ev.description == 'Jane Doe changed "Sequence" from "sq1" to "sq2" on Shot sh010'


def test_password_change_never_carries_the_value() -> None:
    user = Subject(EntityType("HumanUser", "Person", "entity_humanuser", "name", False), 7, "Jane", None)
    ev = EventBuilder(JANE).scalar_change(user, PASSWORD, "$old", "$new")
    assert ev.meta is not None
    assert ev.meta["old_value"] is None and ev.meta["new_value"] is None
    assert ev.description == 'Jane Doe changed "Password" on Person Jane'
    assert "$new" not in repr(ev)


def test_multi_change_lists_added_and_removed_items_with_status_and_valid() -> None:
    a1 = LinkInfo("Asset", 1, "chair", "ip")
    a2 = LinkInfo("Asset", 2, "table", None)
    ev = EventBuilder(JANE).multi_change(SH010, ASSETS, [a1], [a2])
    assert ev.meta == {
        "type": "attribute_change",
        "attribute_name": "assets",
        "entity_type": "Shot",
        "entity_id": 12,
        "field_data_type": "multi_entity",
        "added": [{"type": "Asset", "id": 1, "name": "chair", "status": "ip", "valid": "valid"}],
        "removed": [{"type": "Asset", "id": 2, "name": "table", "status": None, "valid": "valid"}],
    }
    assert ev.description == 'Jane Doe changed "Assets" on Shot sh010: added "chair"; removed "table"'


def test_multi_change_in_create_has_empty_removed() -> None:
    ev = EventBuilder(JANE).multi_change(SH010, ASSETS, [LinkInfo("Asset", 1, None)], [], in_create=True)
    assert ev.meta is not None
    assert ev.meta["removed"] == []
    assert ev.meta["in_create"] is True
    assert ev.description == 'Jane Doe changed "Assets" on Shot sh010: added "Asset #1"'


def test_tags_change() -> None:
    ev = EventBuilder(JANE).tags_change(SH010, TAGS, ["c"], ["a"])
    assert ev.meta is not None
    assert ev.meta["field_data_type"] == "tag_list"
    assert (ev.meta["added"], ev.meta["removed"]) == (["c"], ["a"])
    assert ev.description == 'Jane Doe changed "Tags" on Shot sh010: added "c"; removed "a"'


def test_back_reference_describes_the_source_side_and_points_at_the_original() -> None:
    b = EventBuilder(JANE)
    task = Subject(TASK, 5, "anim", ("Project", 3))
    original = b.scalar_change(task, TASK_ENTITY, None, LinkInfo("Shot", 12, "sh010"), in_create=True)
    ev = b.back_reference(
        SH010,
        SHOT_TASKS,
        LinkInfo("Task", 5, "anim", "wtg"),
        TASK_ENTITY,
        added=True,
        original=original,
        in_create=True,
    )
    assert ev.event_type == "Shotgun_Shot_Change"
    assert ev.entity == ("Shot", 12)
    assert ev.attribute_name == "tasks"
    assert ev.original is original
    assert ev.meta == {
        "type": "attribute_change",
        "attribute_name": "tasks",
        "entity_type": "Task",
        "entity_id": 5,
        "field_data_type": "entity",
        "actual_attribute_changed": "Task.entity",
        "original_event_log_entry_id": None,
        "added": [{"type": "Task", "id": 5, "name": "anim", "status": "wtg", "valid": "valid"}],
        "removed": [],
        "in_create": True,
    }
    removed = b.back_reference(
        SH010,
        SHOT_TASKS,
        LinkInfo("Task", 5, "anim"),
        TASK_ENTITY,
        added=False,
        original=original,
        in_create=False,
    )
    assert removed.meta is not None
    assert removed.meta["added"] == []
    assert [r["id"] for r in removed.meta["removed"]] == [5]
    assert "in_create" not in removed.meta
    assert removed.description == 'Jane Doe changed "Tasks" on Shot sh010: removed "anim"'


def test_retirement_is_a_retirement_date_change_then_the_retirement() -> None:
    when = dt.datetime(2015, 7, 13, 22, 32, 35)
    change, retired = EventBuilder(JANE).retirement(SH010, when)
    assert (change.event_type, change.attribute_name) == ("Shotgun_Shot_Change", "retirement_date")
    assert change.meta is not None
    assert (change.meta["old_value"], change.meta["new_value"]) == (None, "2015-07-13 22:32:35 UTC")
    assert (retired.event_type, retired.attribute_name) == ("Shotgun_Shot_Retirement", None)
    assert retired.meta == {
        "type": "entity_retirement",
        "entity_type": "Shot",
        "entity_id": 12,
        "id": 12,
        "class_name": "Shot",
        "display_name": "sh010",
        "retirement_date": "2015-07-13 22:32:35 UTC",
    }
    assert retired.description == "Jane Doe retired Shot sh010"


def test_revival_carries_the_new_and_the_legacy_keys() -> None:
    change, revived = EventBuilder(JANE).revival(SH010, dt.datetime(2015, 7, 13, 22, 32, 35))
    assert change.meta is not None
    assert (change.meta["old_value"], change.meta["new_value"]) == ("2015-07-13 22:32:35 UTC", None)
    assert revived.event_type == "Shotgun_Shot_Revival"
    assert revived.meta == {
        "type": "entity_revival",
        "entity_type": "Shot",
        "entity_id": 12,
        "id": 12,
        "class_name": "Shot",
        "display_name": "sh010",
    }
    assert revived.description == "Jane Doe revived Shot sh010"


def test_sudo_adds_the_real_user_to_every_meta() -> None:
    actor = Actor(type="HumanUser", id=7, name="Jane Doe", sudo_actual=LinkInfo("ApiUser", 1, "shotlog"))
    b = EventBuilder(actor)
    real = {"type": "ApiUser", "id": 1, "name": "shotlog"}
    events: list[Any] = [
        b.new_entity(SH010),
        b.scalar_change(SH010, STATUS, "ip", "fin"),
        b.multi_change(SH010, ASSETS, [], []),
        b.tags_change(SH010, TAGS, ["a"], []),
        *b.retirement(SH010, dt.datetime(2024, 1, 1)),
        *b.revival(SH010, None),
    ]
    for ev in events:
        assert ev.meta["sudo_actual_user"] == real
    assert events[1].description.startswith("Jane Doe changed")


def test_description_names_the_actor_or_falls_back() -> None:
    anonymous = Subject(SHOT, 3, None, None)
    assert EventBuilder(Actor()).new_entity(anonymous).description == "shotlog created new Shot #3"
    nameless = Actor(type="ApiUser", id=4)
    assert EventBuilder(nameless).new_entity(SH010).description == "ApiUser #4 created new Shot sh010"


def test_project_events_are_about_the_project_itself() -> None:
    subject = Subject(PROJECT, 3, "Demo", ("Project", 3))
    ev = EventBuilder(JANE).new_entity(subject)
    assert ev.project == ("Project", 3)
    assert ev.entity == ("Project", 3)
