"""The schema_* methods through the client: reads, and creating, updating and deleting fields."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import shotgun_api3
from sgserver import Server

FIELD_KEYS = {
    "data_type",
    "description",
    "editable",
    "entity_type",
    "mandatory",
    "name",
    "properties",
    "unique",
    "visible",
    "ui_value_displayable",
    "custom_metadata",
}


def test_schema_read(sg: shotgun_api3.Shotgun) -> None:
    schema = sg.schema_read()
    assert set(schema) == set(sg.schema_entity_read())
    assert {"Project", "Shot", "Asset", "Task", "Version", "EventLogEntry", "HumanUser", "ApiUser"} <= set(
        schema
    )
    for etype, fields in schema.items():
        assert "id" in fields, etype
        for name, field in fields.items():
            assert set(field) == FIELD_KEYS, (etype, name)
            assert field["entity_type"]["value"] == etype
            assert {"default_value", "summary_default"} <= set(field["properties"]), (etype, name)
            for key, prop in field.items():
                if key != "properties":
                    assert set(prop) == {"value", "editable"}, (etype, name, key)
    code = schema["Shot"]["code"]
    assert code["data_type"] == {"value": "text", "editable": False}
    assert code["properties"]["regex_validation_enabled"] == {"value": False, "editable": True}
    assert schema["Version"]["user"]["properties"]["valid_types"]["value"] == [
        "HumanUser",
        "ApiUser",
        "Group",
    ]
    assert schema["Shot"]["sg_status_list"]["properties"]["valid_values"]["value"][:3] == ["wtg", "rdy", "ip"]
    assert schema["Task"]["color"]["data_type"]["value"] == "color"
    assert schema["EventLogEntry"]["meta"]["data_type"]["value"] == "serializable"
    assert schema["HumanUser"]["password_proxy"]["data_type"]["value"] == "password"
    assert schema["Project"]["name"]["mandatory"]["value"] is True


def test_schema_entity_read(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    types = sg.schema_entity_read()
    assert types["Shot"] == {
        "name": {"value": "Shot", "editable": False},
        "visible": {"value": True, "editable": False},
    }
    assert types["HumanUser"]["name"]["value"] == "Person"
    assert sg.schema_entity_read(project) == types
    assert sg.schema_entity_read({"type": "Project", "id": 0}) == types


def test_schema_field_read(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    fields = sg.schema_field_read("Shot")
    assert fields == sg.schema_read()["Shot"]
    one = sg.schema_field_read("Shot", "sg_sequence")
    assert list(one) == ["sg_sequence"]
    assert one["sg_sequence"]["data_type"]["value"] == "entity"
    assert one["sg_sequence"]["properties"]["valid_types"]["value"] == ["Sequence"]
    # with a project (id 0 included), a field's visibility is editable only for custom fields
    for proj in (project, {"type": "Project", "id": 0}):
        assert sg.schema_field_read("Shot", "code", proj)["code"]["visible"] == {
            "value": True,
            "editable": False,
        }
    with pytest.raises(shotgun_api3.Fault, match="no_such_field"):
        sg.schema_field_read("Shot", "no_such_field")
    with pytest.raises(shotgun_api3.Fault, match="NoSuchType"):
        sg.schema_field_read("NoSuchType")


def test_schema_field_create_update_delete(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    # the exact name the client's live test suite expects (no other test creates it)
    name = sg.schema_field_create("Asset", "number", "api tests number field")
    assert name == "sg_api_tests_number_field"
    field = sg.schema_field_read("Asset", name)[name]
    assert field["data_type"]["value"] == "number"
    assert field["name"]["value"] == "api tests number field"
    assert field["editable"]["value"] is True
    assert sg.schema_field_read("Asset", name, project)[name]["visible"] == {"value": True, "editable": True}
    asset = sg.create("Asset", {"code": "numbered", "project": project, name: 42}, [name])
    assert asset[name] == 42
    assert sg.find_one("Asset", [[name, "greater_than", 41], ["project", "is", project]], [name])[name] == 42

    assert sg.schema_field_update("Asset", name, {"name": "Renamed Field", "description": "about"}) is True
    field = sg.schema_field_read("Asset", name)[name]
    assert field["name"]["value"] == "Renamed Field"
    assert field["description"]["value"] == "about"

    assert sg.schema_field_delete("Asset", name) is True
    assert name not in sg.schema_field_read("Asset")
    with pytest.raises(shotgun_api3.Fault):
        sg.find("Asset", [[name, "is", 42]])
    with pytest.raises(shotgun_api3.Fault):
        sg.update("Asset", asset["id"], {name: 1})


def test_schema_field_create_names(sg: shotgun_api3.Shotgun) -> None:
    tag = uuid.uuid4().hex[:6]
    assert sg.schema_field_create("Shot", "text", f"Monkey 123 {tag}") == f"sg_monkey_123_{tag}"
    list_field = sg.schema_field_create("Shot", "list", f"Colour {tag}", {"valid_values": ["red", "blue"]})
    assert list_field == f"sg_colour_{tag}"
    props = sg.schema_field_read("Shot", list_field)[list_field]["properties"]
    assert props["valid_values"]["value"] == ["red", "blue"]
    assert sg.schema_field_update("Shot", list_field, {"valid_values": ["red", "blue", "green"]}) is True
    props = sg.schema_field_read("Shot", list_field)[list_field]["properties"]
    assert props["valid_values"]["value"] == ["red", "blue", "green"]
    # the same display name again gets a distinct internal name
    again = sg.schema_field_create("Shot", "text", f"Monkey 123 {tag}")
    assert again != f"sg_monkey_123_{tag}"
    assert again.startswith(f"sg_monkey_123_{tag}")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (("schema_field_create", "Asset", "no_such_type", "x"), "no_such_type"),
        (("schema_field_create", "NoSuchType", "text", "x"), "NoSuchType"),
        (("schema_field_create", "Asset", "entity", "needs valid types"), "valid_types"),
        (("schema_field_create", "Asset", "summary", "computed"), "summary"),
        (("schema_field_update", "Asset", "no_such_field", {"name": "x"}), "no_such_field"),
        (("schema_field_delete", "Asset", "code"), "code"),
        (("schema_field_delete", "Asset", "no_such_field"), "no_such_field"),
    ],
)
def test_schema_errors_are_faults(
    server: Server, sg: shotgun_api3.Shotgun, call: tuple[Any, ...], message: str
) -> None:
    mark = server.log_mark()
    method, *args = call
    with pytest.raises(shotgun_api3.Fault, match=rf"^API {method}\(\) CRUD ERROR #\d+: .*{message}"):
        getattr(sg, method)(*args)
    assert "Traceback" not in server.log_since(mark)


def test_schema_changes_seen_by_other_clients(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    other = server.client()
    tag = uuid.uuid4().hex[:6]
    name = sg.schema_field_create("Shot", "float", f"Ratio {tag}")
    shot = other.create("Shot", {"code": "r", "project": project, name: 2.5}, [name])
    assert shot[name] == 2.5
    assert name in other.schema_field_read("Shot")
