"""Schema as data: the default schema, and custom fields and entity types changed at run time."""

from __future__ import annotations

import pytest

import shotlog
from shotlog import SchemaError, UnknownField


def test_default_schema_has_the_reference_types_and_reverse_fields(sg: shotlog.Shotlog) -> None:
    types = sg.schema_entity_read()
    for name in (
        "Project", "HumanUser", "ApiUser", "Group", "Sequence", "Shot", "Asset", "Step", "Task", "Version",
        "PublishedFile", "PublishedFileType", "Note", "Reply", "Attachment", "Playlist", "LocalStorage",
        "Page", "ActionMenuItem", "EventLogEntry",
    ):  # fmt: skip
        assert name in types, name
    shot = sg.schema_field_read("Shot")
    assert shot["tasks"]["data_type"]["value"] == "multi_entity"
    assert shot["tasks"]["properties"]["valid_types"]["value"] == ["Task"]
    assert shot["sg_status_list"]["properties"]["valid_values"]["value"] == [
        "wtg", "rdy", "ip", "hld", "fin", "omt", "na",
    ]  # fmt: skip
    assert sg.schema_field_read("Task", "task_assignees")["task_assignees"]["properties"]["valid_types"][
        "value"
    ] == ["HumanUser", "Group"]
    assert (
        sg.schema_field_read("ApiUser", "generate_event_log_entries")["generate_event_log_entries"][
            "properties"
        ]["default_value"]["value"]
        is True
    )
    assert types["HumanUser"]["name"]["value"] == "Person"


def test_every_fptr_data_type_is_storable(sg: shotlog.Shotlog) -> None:
    cases = {
        "text": "hello",
        "number": 42,
        "float": 1.5,
        "checkbox": True,
        "date": "2026-01-31",
        "list": "b",
        "status_list": "b",
        "url": {"url": "https://example.com/x", "name": "x", "link_type": "web"},
        "duration": 90,
        "percent": 50,
        "color": "255,0,0",
        "serializable": {"a": [1, 2]},
        "uuid": "123e4567-e89b-12d3-a456-426614174000",
        "entity_type": "Shot",
        "tag_list": ["x", "y"],
        "timecode": 1000,
        "currency": 9.99,
        "footage": "12-04",
    }
    names = {}
    for dtype in cases:
        props = {"valid_values": ["a", "b"]} if dtype in ("list", "status_list") else None
        names[dtype] = sg.schema_field_create("Asset", dtype, f"Any {dtype}", props)
    asset = sg.create("Asset", {names[d]: v for d, v in cases.items()}, list(names.values()))
    read = sg.find_one("Asset", [["id", "is", asset["id"]]], list(names.values()))
    assert read is not None
    for dtype, value in cases.items():
        assert read[names[dtype]] == value, dtype


def test_custom_field_lifecycle(sg: shotlog.Shotlog) -> None:
    name = sg.schema_field_create("Shot", "text", "Vendor Notes", {"description": "for the vendor"})
    assert name == "sg_vendor_notes"
    field = sg.schema_field_read("Shot", name)[name]
    assert field["name"]["value"] == "Vendor Notes"
    assert field["description"]["value"] == "for the vendor"
    shot = sg.create("Shot", {"code": "a", name: "n1"})
    assert sg.schema_field_update("Shot", name, {"name": "Vendor Note"}) is True
    assert sg.schema_field_read("Shot", name)[name]["name"]["value"] == "Vendor Note"
    assert sg.schema_field_delete("Shot", name) is True
    with pytest.raises(UnknownField):
        sg.schema_field_read("Shot", name)
    with pytest.raises(UnknownField):
        sg.update("Shot", shot["id"], {name: "x"})
    # A new field with the same display name does not collide with the retired one.
    assert sg.schema_field_create("Shot", "text", "Vendor Notes") == "sg_vendor_notes_1"
    # Reviving the retired field brings its data back: deleting lost nothing.
    sg.schema_field_revive("Shot", name)
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], [name]) == {
        "type": "Shot",
        "id": shot["id"],
        name: "n1",
    }


def test_field_names_follow_fptr_rules(sg: shotlog.Shotlog) -> None:
    assert sg.schema_field_create("Asset", "number", "api tests number field") == "sg_api_tests_number_field"
    assert sg.schema_field_create("Asset", "text", "Monkey 123") == "sg_monkey_123"
    assert sg.schema_field_create("Asset", "text", "Monkey 123") == "sg_monkey_123_1"


def test_custom_entity_field_and_list_values(sg: shotlog.Shotlog) -> None:
    name = sg.schema_field_create("Shot", "entity", "Hero Asset", {"valid_types": ["Asset"]})
    asset = sg.create("Asset", {"code": "hero"})
    shot = sg.create("Shot", {"code": "s", name: asset}, [name])
    assert shot[name] == {"type": "Asset", "id": asset["id"], "name": "hero"}
    listf = sg.schema_field_create("Shot", "list", "Difficulty", {"valid_values": ["easy", "hard"]})
    with pytest.raises(shotlog.ValidationError, match="'medium' is not a valid value"):
        sg.update("Shot", shot["id"], {listf: "medium"})
    sg.schema_field_update("Shot", listf, {"valid_values": ["easy", "medium", "hard"]})
    assert sg.update("Shot", shot["id"], {listf: "medium"})[listf] == "medium"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Shot", "no_such_type", "X"), "Unknown data type 'no_such_type'"),
        (("Shot", "text", "   "), "display name"),
        (("NoSuchType", "text", "X"), "Unknown entity type 'NoSuchType'"),
        (("EventLogEntry", "text", "X"), "cannot be added to EventLogEntry"),
        (("Shot", "entity", "Link Without Types"), "valid_types"),
        (("Shot", "summary", "Computed"), "computed"),
    ],
)
def test_bad_schema_changes_are_refused(
    sg: shotlog.Shotlog, args: tuple[str, str, str], message: str
) -> None:
    before = sg.schema_field_read("Shot")
    with pytest.raises(shotlog.ShotlogError, match=message):
        sg.schema_field_create(*args)
    assert sg.schema_field_read("Shot") == before


def test_builtin_fields_and_types_cannot_be_deleted(sg: shotlog.Shotlog) -> None:
    with pytest.raises(SchemaError, match="built-in"):
        sg.schema_field_delete("Shot", "code")
    with pytest.raises(SchemaError, match="built-in"):
        sg.schema_entity_delete("Shot")


def test_custom_entity_type_lifecycle(db_url: str) -> None:
    with shotlog.connect(db_url) as sg:
        sg.schema_entity_create("CustomEntity01", "Vendor", project_scoped=True)
        project = sg.create("Project", {"name": "P"})
        vendor = sg.create("CustomEntity01", {"code": "ILM", "project": project}, ["sg_status_list"])
        assert vendor["sg_status_list"] is None
        extra = sg.schema_field_create("CustomEntity01", "text", "Contact")
        sg.update("CustomEntity01", vendor["id"], {extra: "someone"})
        events = sg.find("EventLogEntry", [["event_type", "is", "Shotgun_CustomEntity01_New"]], ["entity"])
        assert events == [
            {
                "type": "EventLogEntry",
                "id": events[0]["id"],
                "entity": {"type": "CustomEntity01", "id": vendor["id"], "name": "ILM"},
            }
        ]
        sg.schema_entity_update("CustomEntity01", display_name="Vendors")
    # Survives a restart, display name included.
    with shotlog.connect(db_url) as sg:
        assert sg.schema_entity_read()["CustomEntity01"]["name"]["value"] == "Vendors"
        assert sg.find_one("CustomEntity01", [], ["code", extra])["code"] == "ILM"  # type: ignore[index]
        sg.schema_entity_delete("CustomEntity01")
        with pytest.raises(shotlog.UnknownEntityType):
            sg.find("CustomEntity01", [])
        # Re-creating it brings its rows back.
        sg.schema_entity_create("CustomEntity01", "Vendor")
        assert [r["code"] for r in sg.find("CustomEntity01", [], ["code"])] == ["ILM"]


def test_other_connection_sees_schema_change(db_url: str) -> None:
    with shotlog.connect(db_url) as a, shotlog.connect(db_url) as b:
        b.find("Shot", [])  # b has loaded the schema
        name = a.schema_field_create("Shot", "text", "Late Field")
        # b meets an unknown field and reloads instead of failing.
        shot = b.create("Shot", {"code": "x", name: "v"}, [name])
        assert shot[name] == "v"
