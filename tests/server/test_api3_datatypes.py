"""Every data type through custom fields on Asset: create the field, write, read back, reject bad values."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shotgun_api3
from sgserver import Server, events_after, head_event_id

PROPERTIES: dict[str, dict[str, Any]] = {
    "text": {},
    "number": {},
    "integer": {},
    "float": {},
    "percent": {},
    "duration": {},
    "timecode": {},
    "currency": {},
    "checkbox": {},
    "date": {},
    "date_time": {},
    "list": {"valid_values": ["red", "green", "blue"]},
    "status_list": {"valid_values": ["ip", "fin", "hld"]},
    "entity": {"valid_types": ["Shot", "Sequence"]},
    "multi_entity": {"valid_types": ["Shot"]},
    "url": {},
    "serializable": {},
    "tag_list": {},
    "color": {},
    "uuid": {},
    "entity_type": {},
    "footage": {},
    "password": {},
    "image": {},
}


@pytest.fixture(scope="module")
def fields(server: Server) -> Iterator[dict[str, str]]:
    """One custom Asset field per data type: {data_type: field name}."""
    sg = server.client()
    tag = uuid.uuid4().hex[:6]
    made = {
        dtype: sg.schema_field_create("Asset", dtype, f"RT {dtype} {tag}", props)
        for dtype, props in PROPERTIES.items()
    }
    sg.close()
    yield made


@pytest.fixture
def asset(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> dict[str, Any]:
    return sg.create("Asset", {"code": "rt", "project": project})


def test_created_fields_have_their_names_and_types(sg: shotgun_api3.Shotgun, fields: dict[str, str]) -> None:
    schema = sg.schema_field_read("Asset")
    for dtype, name in fields.items():
        assert name.startswith(f"sg_rt_{dtype}_"), name
        assert schema[name]["data_type"]["value"] == dtype
        assert schema[name]["entity_type"]["value"] == "Asset"
    props = schema[fields["list"]]["properties"]
    assert props["valid_values"]["value"] == ["red", "green", "blue"]
    assert schema[fields["entity"]]["properties"]["valid_types"]["value"] == ["Shot", "Sequence"]


AWARE = dt.datetime(2024, 3, 10, 23, 34, 56, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))

#: (data type, value written, value read back)
ROUND_TRIPS: list[tuple[str, Any, Any]] = [
    ("text", "hello world", "hello world"),
    ("text", "", ""),
    ("number", 42, 42),
    ("number", -(2**63), -(2**63)),
    ("number", 2**63 - 1, 2**63 - 1),
    ("integer", 7, 7),
    ("float", 1.25, 1.25),
    ("float", 3, 3.0),
    ("float", -1e300, -1e300),
    ("percent", 55, 55),
    ("duration", 480, 480),
    ("timecode", 86399, 86399),
    ("currency", 9.99, 9.99),
    ("checkbox", True, True),
    ("checkbox", False, False),
    ("checkbox", None, False),
    ("date", "2024-02-29", "2024-02-29"),
    ("date", dt.date(1999, 12, 31), "1999-12-31"),
    ("date_time", AWARE, AWARE),
    ("date_time", dt.datetime(2024, 1, 1, 0, 0, 0, tzinfo=dt.UTC), dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
    (
        "date_time",
        dt.datetime(2024, 6, 30, 12, 0, 0, 987654, tzinfo=dt.UTC),
        dt.datetime(2024, 6, 30, 12, 0, 0, tzinfo=dt.UTC),
    ),
    ("list", "green", "green"),
    ("status_list", "fin", "fin"),
    (
        "url",
        {"url": "https://example.org/a", "name": "A"},
        {"url": "https://example.org/a", "name": "A", "link_type": "web"},
    ),
    ("serializable", {"a": [1, 2.5, {"b": None}], "c": "ü"}, {"a": [1, 2.5, {"b": None}], "c": "ü"}),
    ("serializable", {}, {}),
    ("tag_list", ["alpha", "beta"], ["alpha", "beta"]),
    ("tag_list", [], []),
    ("color", "255,0,128", "255,0,128"),
    ("color", "pipeline_step", "pipeline_step"),
    (
        "uuid",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
    ),
    ("entity_type", "Shot", "Shot"),
    ("footage", "10-12", "10-12"),
    ("image", None, None),
]


@pytest.mark.parametrize(
    ("dtype", "value", "expected"),
    ROUND_TRIPS,
    ids=[f"{d}-{i}" for i, (d, _, _) in enumerate(ROUND_TRIPS)],
)
def test_round_trip(
    sg: shotgun_api3.Shotgun,
    fields: dict[str, str],
    project: dict[str, Any],
    dtype: str,
    value: Any,
    expected: Any,
) -> None:
    name = fields[dtype]
    created = sg.create("Asset", {"code": "rt", "project": project, name: value}, [name])
    assert created[name] == expected
    read = sg.find_one("Asset", [["id", "is", created["id"]]], [name])
    assert read == {"type": "Asset", "id": created["id"], name: expected}
    if isinstance(expected, dt.datetime):
        assert read[name].tzinfo is not None
    # and through update
    other = sg.create("Asset", {"code": "rt2", "project": project})
    updated = sg.update("Asset", other["id"], {name: value})
    assert updated[name] == expected
    assert sg.find_one("Asset", [["id", "is", other["id"]]], [name])[name] == expected


def test_unset_values_read_as_their_empty_form(
    sg: shotgun_api3.Shotgun, fields: dict[str, str], asset: dict[str, Any]
) -> None:
    read = sg.find_one("Asset", [["id", "is", asset["id"]]], list(fields.values()))
    empty = {fields[d]: None for d in fields}
    empty.update({fields["checkbox"]: False, fields["multi_entity"]: [], fields["tag_list"]: []})
    assert read == {"type": "Asset", "id": asset["id"], **empty}


def test_naive_datetime_is_local_time(
    sg: shotgun_api3.Shotgun, fields: dict[str, str], asset: dict[str, Any]
) -> None:
    naive = dt.datetime(2023, 7, 14, 8, 30, 15)
    name = fields["date_time"]
    sg.update("Asset", asset["id"], {name: naive})
    got = sg.find_one("Asset", [["id", "is", asset["id"]]], [name])[name]
    assert got == naive.astimezone()  # the client sent local time converted to UTC
    # without conversion the client sends the wall-clock value as UTC and reads back naive UTC
    raw = shotgun_api3.Shotgun(
        sg.base_url,
        script_name=sg.config.script_name,
        api_key=sg.config.api_key,
        convert_datetimes_to_utc=False,
    )
    try:
        raw.update("Asset", asset["id"], {name: naive})
        assert raw.find_one("Asset", [["id", "is", asset["id"]]], [name])[name] == naive
    finally:
        raw.close()


def test_entity_link(sg: shotgun_api3.Shotgun, fields: dict[str, str], project: dict[str, Any]) -> None:
    name = fields["entity"]
    shot = sg.create("Shot", {"code": "linked", "project": project})
    seq = sg.create("Sequence", {"code": "seqlink", "project": project})
    asset = sg.create("Asset", {"code": "a", "project": project, name: shot}, [name])
    assert asset[name] == {"type": "Shot", "id": shot["id"], "name": "linked"}
    assert sg.update("Asset", asset["id"], {name: seq})[name] == {
        "type": "Sequence",
        "id": seq["id"],
        "name": "seqlink",
    }
    assert sg.find_one("Asset", [["id", "is", asset["id"]]], [f"{name}.Sequence.code"]) == {
        "type": "Asset",
        "id": asset["id"],
        f"{name}.Sequence.code": "seqlink",
    }
    assert sg.update("Asset", asset["id"], {name: None})[name] is None
    with pytest.raises(shotgun_api3.Fault, match="valid types"):
        sg.update("Asset", asset["id"], {name: {"type": "Asset", "id": asset["id"]}})
    with pytest.raises(shotgun_api3.Fault):
        sg.update("Asset", asset["id"], {name: {"type": "Shot", "id": 999_999_999}})


def test_multi_entity_update_modes(
    sg: shotgun_api3.Shotgun, fields: dict[str, str], project: dict[str, Any]
) -> None:
    name = fields["multi_entity"]
    shots = [sg.create("Shot", {"code": f"m{i}", "project": project}) for i in range(4)]
    links = [{"type": "Shot", "id": s["id"], "name": f"m{i}"} for i, s in enumerate(shots)]
    asset = sg.create("Asset", {"code": "multi", "project": project, name: shots[:2]}, [name])
    assert asset[name] == links[:2]

    def current() -> list[dict[str, Any]]:
        return sg.find_one("Asset", [["id", "is", asset["id"]]], [name])[name]

    before = head_event_id(sg)
    sg.update("Asset", asset["id"], {name: [shots[2], shots[0]]}, multi_entity_update_modes={name: "add"})
    assert current() == links[:3]
    (added,) = events_after(sg, before, entity={"type": "Asset", "id": asset["id"]})
    assert added["attribute_name"] == name
    assert [i["id"] for i in added["meta"]["added"]] == [shots[2]["id"]]
    assert added["meta"]["removed"] == []

    before = head_event_id(sg)
    sg.update("Asset", asset["id"], {name: [shots[1]]}, multi_entity_update_modes={name: "remove"})
    assert current() == [links[0], links[2]]
    (removed,) = events_after(sg, before, entity={"type": "Asset", "id": asset["id"]})
    assert [i["id"] for i in removed["meta"]["removed"]] == [shots[1]["id"]]
    assert removed["meta"]["added"] == []

    sg.update("Asset", asset["id"], {name: [shots[3]]}, multi_entity_update_modes={name: "set"})
    assert current() == [links[3]]
    sg.update("Asset", asset["id"], {name: shots[:2]})  # no mode: set
    assert current() == links[:2]
    sg.update("Asset", asset["id"], {name: []})
    assert current() == []
    with pytest.raises(shotgun_api3.Fault):
        sg.update("Asset", asset["id"], {name: [shots[0]]}, multi_entity_update_modes={name: "toggle"})


def test_tag_list_filters(sg: shotgun_api3.Shotgun, fields: dict[str, str], project: dict[str, Any]) -> None:
    name = fields["tag_list"]
    a = sg.create("Asset", {"code": "t1", "project": project, name: ["hero", "fx"]})
    b = sg.create("Asset", {"code": "t2", "project": project, name: ["bg"]})
    scope = ["project", "is", project]

    def ids(*filters: Any) -> list[int]:
        return [r["id"] for r in sg.find("Asset", [scope, *filters])]

    assert ids([name, "is", "hero"]) == [a["id"]]
    assert ids([name, "is_not", "hero"]) == [b["id"]]
    assert ids([name, "in", ["bg", "fx"]]) == [a["id"], b["id"]]
    assert ids([name, "not_in", ["fx"]]) == [b["id"]]


def test_password_is_never_read_back(
    sg: shotgun_api3.Shotgun, fields: dict[str, str], asset: dict[str, Any]
) -> None:
    name = fields["password"]
    updated = sg.update("Asset", asset["id"], {name: "s3cret-value"})
    assert updated[name] != "s3cret-value"
    assert sg.find_one("Asset", [["id", "is", asset["id"]]], [name])[name] != "s3cret-value"
    with pytest.raises(shotgun_api3.Fault):
        sg.find("Asset", [[name, "is", "s3cret-value"]])


def test_url_values_carry_link_type(
    sg: shotgun_api3.Shotgun, fields: dict[str, str], asset: dict[str, Any]
) -> None:
    name = fields["url"]
    sg.update("Asset", asset["id"], {name: {"url": "https://example.org/x", "name": "X"}})
    assert sg.find_one("Asset", [["id", "is", asset["id"]]], [name])[name]["link_type"] == "web"
    local = {
        "local_path_linux": "/mnt/a.exr",
        "local_path_mac": "/V/a.exr",
        "local_path_windows": "C:\\a.exr",
    }
    sg.update("Asset", asset["id"], {name: {**local, "name": "a.exr"}})
    read = sg.find_one("Asset", [["id", "is", asset["id"]]], [name])[name]
    assert read["link_type"] == "local"
    assert "local_path" in read  # added by the client for local links


#: (data type, a value the field must refuse)
BAD_VALUES: list[tuple[str, Any]] = [
    ("number", "12"),
    ("number", 1.5),
    ("number", True),
    ("float", "1.5"),
    ("checkbox", "yes"),
    ("checkbox", 1),
    ("date", "2024-02-30"),
    ("date", "yesterday"),
    ("date_time", "2024-13-01T00:00:00Z"),
    ("date_time", 12),
    ("list", "purple"),
    ("status_list", "zzz"),
    ("text", 12),
    ("text", {"a": 1}),
    ("entity", "Shot 1"),
    ("entity", {"type": "Shot"}),
    ("multi_entity", [{"type": "Shot", "id": "1"}]),
    ("tag_list", "alpha"),
    ("tag_list", [1, 2]),
    ("color", "300,0,0"),
    ("uuid", "not-a-uuid"),
    ("text", "nul\x00byte"),
]


@pytest.mark.parametrize(
    ("dtype", "value"), BAD_VALUES, ids=[f"{d}-{i}" for i, (d, _) in enumerate(BAD_VALUES)]
)
def test_bad_values_are_faults(
    server: Server,
    sg: shotgun_api3.Shotgun,
    fields: dict[str, str],
    asset: dict[str, Any],
    dtype: str,
    value: Any,
) -> None:
    name = fields[dtype]
    mark = server.log_mark()
    with pytest.raises(shotgun_api3.Fault, match=r"^API update\(\) CRUD ERROR #\d+: .*" + name):
        sg.update("Asset", asset["id"], {name: value})
    with pytest.raises(shotgun_api3.Fault, match=r"^API create\(\) CRUD ERROR"):
        sg.create("Asset", {"code": "bad", name: value})
    assert "Traceback" not in server.log_since(mark)


def test_numbers_wider_than_64_bits_are_refused(
    sg: shotgun_api3.Shotgun, fields: dict[str, str], asset: dict[str, Any]
) -> None:
    for value in (2**63, -(2**63) - 1, 10**40):
        with pytest.raises(shotgun_api3.Fault, match="does not fit in 64 bits"):
            sg.update("Asset", asset["id"], {fields["number"]: value})
    # a float field takes a wide integer as the nearest double... within the 64-bit wire limit
    assert sg.update("Asset", asset["id"], {fields["float"]: 2**62})[fields["float"]] == float(2**62)


def test_wire_forms_of_dates_and_times(server: Server, fields: dict[str, str], asset: dict[str, Any]) -> None:
    """Raw replies: date_time exactly as YYYY-MM-DDTHH:MM:SSZ (years < 1000 padded), dates YYYY-MM-DD."""
    dtf, df = fields["date_time"], fields["date"]
    for sent, expected in [
        ("2024-06-30T23:59:59Z", "2024-06-30T23:59:59Z"),
        ("2024-07-01T01:30:00+02:00", "2024-06-30T23:30:00Z"),
        ("0005-01-02T03:04:05Z", "0005-01-02T03:04:05Z"),
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
    ]:
        body = server.call(
            "update",
            {
                "type": "Asset",
                "id": asset["id"],
                "fields": [{"field_name": dtf, "value": sent}, {"field_name": df, "value": "0099-03-04"}],
            },
        )
        assert body["results"][dtf] == expected, body
        read = server.call(
            "read", {"type": "Asset", "return_fields": [dtf, df], "filters": [["id", "is", asset["id"]]]}
        )
        assert read["results"]["entities"][0][dtf] == expected
        assert read["results"]["entities"][0][df] == "0099-03-04"
