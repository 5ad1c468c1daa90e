"""The change set of a create or an update, worked out without a database (shotlog.store.changes),
and the events built from it in one call (shotlog.eventlog.changes): tables of cases."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from shotlog.errors import ReadOnlyField, UnknownField, ValidationError
from shotlog.eventlog.changes import events_of
from shotlog.eventlog.events import EventBuilder
from shotlog.schema.datatypes import Storage
from shotlog.schema.defaults import default_entity_types, default_fields
from shotlog.schema.model import Field, Schema
from shotlog.store.changes import (
    ChangeSet,
    PasswordHash,
    Retirement,
    collection_fields,
    hash_batch_passwords,
    hash_passwords,
    plan_create,
    plan_update,
    subject_of,
)
from shotlog.store.subjects import Actor, LinkInfo


def _columns(f: Field) -> Field:
    """Columns as the store names them (``shotlog.store.catalog``)."""
    if f.name == "id":
        return f.with_(column="id")
    if f.storage is Storage.LINK:
        return f.with_(type_column=f"{f.name}_type", column=f"{f.name}_id")
    if f.storage is Storage.COLUMN:
        return f.with_(column=f.name)
    return f


SCHEMA = Schema(default_entity_types(), [_columns(f) for f in default_fields()])


def _no_roots() -> list[Any]:
    raise AssertionError("no local file link here: the roots are not read")


def _hash(text: str) -> str:
    return f"hashed:{text}"


def _row(etype: str, **values: Any) -> SimpleNamespace:
    """A row of ``etype`` with every column null but ``values`` (links given as (type, id))."""
    row: dict[str, Any] = {"id": 1, "retirement_date": None}
    for f in SCHEMA.fields[etype].values():
        if f.storage is Storage.LINK:
            link = values.get(f.name)
            row[f"{f.name}_type"], row[f"{f.name}_id"] = link if link else (None, None)
        elif f.storage is Storage.COLUMN:
            row[f.name] = values.get(f.name)
    return SimpleNamespace(**row)


def _update(etype: str, row: Any, data: dict[str, Any], modes: Any = None, current: Any = None) -> ChangeSet:
    return plan_update(
        SCHEMA,
        SCHEMA.entity(etype),
        row,
        data,
        modes or {},
        current or {},
        roots=_no_roots,
        hash_password=_hash,
    )


def _create(etype: str, data: dict[str, Any], caller: tuple[str, int] | None = ("HumanUser", 7)) -> ChangeSet:
    return plan_create(
        SCHEMA, SCHEMA.entity(etype), data, caller=caller, roots=_no_roots, hash_password=_hash
    )


A1, A2, A3 = ("Asset", 1), ("Asset", 2), ("Asset", 3)


def _links(*links: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"type": t, "id": i} for t, i in links]


# (case, entity type, row values, data, modes, current collections, expected (field, old, new))
UPDATES: list[tuple[str, str, dict[str, Any], dict[str, Any], dict[str, str], dict[str, Any], list[Any]]] = [
    (
        "a status changes",
        "Shot",
        {"sg_status_list": "ip"},
        {"sg_status_list": "rdy"},
        {},
        {},
        [("sg_status_list", "ip", "rdy")],
    ),
    ("the same value is no change", "Shot", {"sg_status_list": "ip"}, {"sg_status_list": "ip"}, {}, {}, []),
    (
        "a link moves",
        "Shot",
        {"project": ("Project", 1)},
        {"project": {"type": "Project", "id": 2}},
        {},
        {},
        [("project", ("Project", 1), ("Project", 2))],
    ),
    (
        "a link is cleared",
        "Shot",
        {"project": ("Project", 1)},
        {"project": None},
        {},
        {},
        [("project", ("Project", 1), None)],
    ),
    (
        "multi-entity add keeps what was there",
        "Shot",
        {},
        {"assets": _links(A2)},
        {"assets": "add"},
        {"assets": [A1]},
        [("assets", [A1], [A1, A2])],
    ),
    (
        "multi-entity add of a link already there",
        "Shot",
        {},
        {"assets": _links(A1)},
        {"assets": "add"},
        {"assets": [A1]},
        [],
    ),
    (
        "multi-entity remove",
        "Shot",
        {},
        {"assets": _links(A1)},
        {"assets": "remove"},
        {"assets": [A1, A2]},
        [("assets", [A1, A2], [A2])],
    ),
    (
        "multi-entity set in another order",
        "Shot",
        {},
        {"assets": _links(A2, A1)},
        {},
        {"assets": [A1, A2]},
        [("assets", [A1, A2], [A2, A1])],
    ),
    (
        "a single link for a multi-entity field",
        "Shot",
        {},
        {"assets": {"type": "Asset", "id": 3}},
        {},
        {"assets": [A1]},
        [("assets", [A1], [A3])],
    ),
    (
        "tags set",
        "Shot",
        {},
        {"tag_list": ["a", "b", "a"]},
        {},
        {"tag_list": ["a"]},
        [("tag_list", ["a"], ["a", "b"])],
    ),
    (
        "a user's last name keeps the name in step",
        "HumanUser",
        {"firstname": "Ann", "lastname": "Lee", "name": "Ann Lee"},
        {"lastname": "Kim"},
        {},
        {},
        [("lastname", "Lee", "Kim"), ("name", "Ann Lee", "Ann Kim")],
    ),
    (
        "a password set again is a change",
        "HumanUser",
        {"password_proxy": "hashed:x"},
        {"password_proxy": PasswordHash("hashed:x")},
        {},
        {},
        [("password_proxy", "hashed:x", "hashed:x")],
    ),
    (
        "a password not hashed before is hashed",
        "HumanUser",
        {},
        {"password_proxy": "secret"},
        {},
        {},
        [("password_proxy", None, "hashed:secret")],
    ),
    (
        "a checkbox cleared with null",
        "Project",
        {"archived": True},
        {"archived": None},
        {},
        {},
        [("archived", True, False)],
    ),
]


@pytest.mark.parametrize(
    ("etype", "row", "data", "modes", "current", "expected"),
    [case[1:] for case in UPDATES],
    ids=[case[0] for case in UPDATES],
)
def test_update_changes(
    etype: str,
    row: dict[str, Any],
    data: dict[str, Any],
    modes: dict[str, str],
    current: dict[str, Any],
    expected: list[Any],
) -> None:
    cs = _update(etype, _row(etype, **row), data, modes, current)
    assert [(f.name, old, new) for f, old, new in cs.changes] == expected
    assert not cs.created


# (case, entity type, row values, data, modes, error, field the error names)
UPDATE_ERRORS: list[tuple[str, str, dict[str, Any], dict[str, Any], dict[str, str], type[Exception], str]] = [
    ("the id is read-only", "Shot", {}, {"id": 2}, {}, ReadOnlyField, "id"),
    (
        "created_at is read-only on update",
        "Shot",
        {},
        {"created_at": "2024-01-01T00:00:00Z"},
        {},
        ReadOnlyField,
        "created_at",
    ),
    (
        "a field FPTR computes",
        "Project",
        {},
        {"last_accessed_by_current_user": None},
        {},
        ReadOnlyField,
        "last_accessed_by_current_user",
    ),
    ("an unknown field", "Shot", {}, {"sg_nope": 1}, {}, UnknownField, "sg_nope"),
    (
        "a status outside the list",
        "Shot",
        {},
        {"sg_status_list": "zzz"},
        {},
        ValidationError,
        "sg_status_list",
    ),
    (
        "a mode that does not exist",
        "Shot",
        {},
        {"assets": []},
        {"assets": "append"},
        ValidationError,
        "assets",
    ),
    ("add on a text field", "Shot", {}, {"code": "x"}, {"code": "add"}, ValidationError, "code"),
    ("a mandatory field cleared", "Project", {"name": "P"}, {"name": ""}, {}, ValidationError, "name"),
    (
        "a link to a type the field refuses",
        "Shot",
        {},
        {"project": {"type": "Shot", "id": 1}},
        {},
        ValidationError,
        "project",
    ),
]


@pytest.mark.parametrize(
    ("etype", "row", "data", "modes", "error", "field"),
    [case[1:] for case in UPDATE_ERRORS],
    ids=[case[0] for case in UPDATE_ERRORS],
)
def test_update_refusals(
    etype: str,
    row: dict[str, Any],
    data: dict[str, Any],
    modes: dict[str, str],
    error: type[Exception],
    field: str,
) -> None:
    with pytest.raises(error) as info:
        _update(etype, _row(etype, **row), data, modes, {"assets": []})
    assert info.value.details["field"] == field  # type: ignore[attr-defined]


def test_collection_fields_are_the_ones_named() -> None:
    data: dict[Any, Any] = {"code": "x", "assets": [], "tag_list": [], "tasks": [], "sg_nope": 1, 3: 4}
    names = [f.name for f in collection_fields(SCHEMA, SCHEMA.entity("Shot"), data)]
    assert names == ["assets", "tag_list", "tasks"]


# (case, entity type, data, caller, the values' fields in order, the authored fields, read back)
CREATES: list[tuple[str, str, dict[str, Any], Any, list[str], list[str], list[str]]] = [
    (
        "defaults follow the values given",
        "Shot",
        {"code": "sh010"},
        None,
        ["code", "sg_status_list"],
        [],
        ["code"],
    ),
    (
        "a given author and date are taken apart, and read back",
        "Shot",
        {"code": "sh010", "created_by": {"type": "HumanUser", "id": 3}, "created_at": "2020-01-02T03:04:05Z"},
        None,
        ["code", "sg_status_list"],
        ["created_by", "created_at"],
        ["code", "created_by", "created_at"],
    ),
    (
        "a null author means the caller",
        "Shot",
        {"code": "sh010", "created_by": None},
        None,
        ["code", "sg_status_list"],
        [],
        ["code", "created_by"],
    ),
    (
        "a Reply's user is the caller when left out",
        "Reply",
        {"content": "hi"},
        ("HumanUser", 7),
        ["content", "user"],
        [],
        ["content", "user"],
    ),
    (
        "a user's name gives its parts",
        "HumanUser",
        {"name": "Ann Lee Kim", "login": "ann"},
        None,
        # no permission_rule_set: a new user's default set is the writer's (a link to the Artist set)
        ["name", "login", "firstname", "lastname", "sg_status_list", "email_notes"],
        [],
        ["name", "login", "firstname", "lastname"],
    ),
]


@pytest.mark.parametrize(
    ("etype", "data", "caller", "values", "authored", "read_back"),
    [case[1:] for case in CREATES],
    ids=[case[0] for case in CREATES],
)
def test_create_change_set(
    etype: str,
    data: dict[str, Any],
    caller: Any,
    values: list[str],
    authored: list[str],
    read_back: list[str],
) -> None:
    cs = _create(etype, data, caller)
    assert cs.created
    assert list(cs.values) == values
    assert [c.field.name for c in cs.changes] == values
    assert all(c.old == ([] if c.field.storage is Storage.MULTI else None) for c in cs.changes)
    assert [c.field.name for c in cs.authored] == authored
    assert cs.read_back == read_back


def test_create_values_are_coerced() -> None:
    cs = _create("HumanUser", {"name": "Ann Lee Kim", "password_proxy": "pw"})
    assert cs.values["firstname"][1] == "Ann"
    assert cs.values["lastname"][1] == "Lee Kim"
    assert cs.values["password_proxy"][1] == "hashed:pw"
    dated = _create("Shot", {"created_at": "2020-01-02T03:04:05Z"})
    assert dated.authored[0].new == dt.datetime(2020, 1, 2, 3, 4, 5)


@pytest.mark.parametrize(
    ("etype", "data", "error"),
    [
        ("Project", {}, ValidationError),  # name is mandatory
        ("Project", {"name": ""}, ValidationError),
        ("Shot", {"updated_at": "2020-01-01T00:00:00Z"}, ReadOnlyField),
        ("Shot", {"code": 5}, ValidationError),
        ("Shot", {"created_by": "me"}, ValidationError),
    ],
    ids=["mandatory missing", "mandatory empty", "updated_at", "wrong type", "author not a link"],
)
def test_create_refusals(etype: str, data: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        _create(etype, data)


def test_hash_passwords_hashes_only_valid_passwords() -> None:
    data = {"login": "ann", "password_proxy": "pw"}
    hashed = hash_passwords(SCHEMA, "HumanUser", data, _hash)
    assert hashed == {"login": "ann", "password_proxy": "hashed:pw"}
    assert isinstance(hashed["password_proxy"], PasswordHash)
    assert data["password_proxy"] == "pw"  # the caller's dict is left alone
    plain = {"login": "ann"}
    assert hash_passwords(SCHEMA, "HumanUser", plain, _hash) is plain
    wrong = {"password_proxy": 5}
    assert hash_passwords(SCHEMA, "HumanUser", wrong, _hash) is wrong  # the write refuses it, as before
    assert hash_passwords(SCHEMA, "Nope", data, _hash) is data
    assert hash_passwords(SCHEMA, ["HumanUser"], data, _hash) is data
    again = hash_passwords(SCHEMA, "HumanUser", hashed, _hash)
    assert again is hashed  # hashed once only


# -- the events of a change set ------------------------------------------------------------------


def _complete(cs: ChangeSet, entity_id: int, row: Any, names: dict[Any, Any]) -> ChangeSet:
    cs.schema = SCHEMA
    cs.subject, cs.status = subject_of(SCHEMA, cs.etype, entity_id, row)
    cs.names = names
    return cs


BUILDER = EventBuilder(Actor("HumanUser", 7, "Ann"))


def test_update_events_with_back_references() -> None:
    row = _row("Shot", code="sh010", project=("Project", 1), sg_status_list="ip")
    cs = _update("Shot", row, {"assets": _links(A2), "sg_status_list": "rdy"}, current={"assets": [A1]})
    names = {a: (LinkInfo(a[0], a[1], f"asset{a[1]}", "ip"), ("Project", 1)) for a in (A1, A2)}
    events = events_of(_complete(cs, 5, row, names), BUILDER)
    assert [(e.event_type, e.entity, e.attribute_name) for e in events] == [
        ("Shotgun_Shot_Change", ("Shot", 5), "assets"),
        ("Shotgun_Shot_Change", ("Shot", 5), "sg_status_list"),
        ("Shotgun_Asset_Change", ("Asset", 2), "shots"),
        ("Shotgun_Asset_Change", ("Asset", 1), "shots"),
    ]
    assert events[0].meta is not None and events[0].meta["added"][0]["name"] == "asset2"
    assert events[2].original is events[0] and events[3].original is events[0]
    assert all("in_create" not in (e.meta or {}) for e in events)


def test_create_events_skip_empty_values() -> None:
    cs = _create(
        "Shot", {"code": "sh010", "description": None, "assets": [], "created_at": "2020-01-02T03:04:05Z"}
    )
    row = _row("Shot", code="sh010", sg_status_list="wtg")
    events = events_of(_complete(cs, 9, row, {}), BUILDER)
    assert [(e.event_type, e.attribute_name) for e in events] == [
        ("Shotgun_Shot_New", None),
        ("Shotgun_Shot_Change", "created_at"),
        ("Shotgun_Shot_Change", "code"),
        ("Shotgun_Shot_Change", "sg_status_list"),
    ]
    assert all(e.meta and e.meta.get("in_create") for e in events[1:])


def test_retirement_and_revival_events() -> None:
    subject, _ = subject_of(SCHEMA, SCHEMA.entity("Shot"), 4, _row("Shot", code="sh"))
    when = dt.datetime(2024, 5, 6, 7, 8, 9)
    retired = events_of(Retirement(subject, when), BUILDER)
    revived = events_of(Retirement(subject, when, revived=True), BUILDER)
    assert [e.event_type for e in retired] == ["Shotgun_Shot_Change", "Shotgun_Shot_Retirement"]
    assert [e.event_type for e in revived] == ["Shotgun_Shot_Change", "Shotgun_Shot_Revival"]
    assert revived[0].meta is not None and revived[0].meta["old_value"] == "2024-05-06 07:08:09 UTC"


def test_hash_batch_passwords_copies_only_requests_with_passwords() -> None:
    plain = {"request_type": "update", "entity_type": "Shot", "entity_id": 1, "data": {"code": "x"}}
    secret = {"request_type": "create", "entity_type": "HumanUser", "data": {"password_proxy": "pw"}}
    requests = [plain, secret, "not a request"]
    hashed = hash_batch_passwords(SCHEMA, requests, _hash)
    assert hashed[0] is plain and hashed[2] == "not a request"
    assert hashed[1] == {**secret, "data": {"password_proxy": "hashed:pw"}}
    assert secret["data"] == {"password_proxy": "pw"}
    assert hash_batch_passwords(SCHEMA, [plain], _hash) == [plain]
