"""Bad input: each write fails with a specific error that names the entity type, field and value, and
leaves the database exactly as it was (every entity, retired ones too, and the event log)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import shotlog

Link = dict[str, Any]

# Types the fixture world writes to, plus the event log.
SNAPSHOT_TYPES = [
    "Project",
    "HumanUser",
    "ApiUser",
    "Sequence",
    "Shot",
    "Asset",
    "Task",
    "Version",
    "Playlist",
    "Step",
    "LocalStorage",
    "EventLogEntry",
]


def snapshot(sg: shotlog.Shotlog) -> dict[str, Any]:
    out: dict[str, Any] = {"head": sg.head_event_id()}
    order = [{"field_name": "id", "direction": "asc"}]
    for t in SNAPSHOT_TYPES:
        fields = sorted(sg.schema_field_read(t))
        out[t] = sg.find(t, [], fields, order=order)
        if t != "EventLogEntry":
            out[f"{t} (retired)"] = sg.find(t, [], fields, order=order, retired_only=True)
    return out


@dataclass
class World:
    sg: shotlog.Shotlog
    project: Link
    other_project: Link
    retired_project: Link
    seq: Link
    retired_seq: Link
    shot: Link
    asset: Link
    task: Link
    version: Link
    playlist: Link
    step: Link
    storage: Link
    user: Link
    event: Link


@pytest.fixture
def world(sg: shotlog.Shotlog) -> World:
    project = sg.create("Project", {"name": "Demo"})
    other = sg.create("Project", {"name": "Other"})
    retired_project = sg.create("Project", {"name": "Old"})
    sg.delete("Project", retired_project["id"])
    sg.create("Project", {"name": "Old"})  # takes the retired project's name
    seq = sg.create("Sequence", {"code": "sq1", "project": project})
    retired_seq = sg.create("Sequence", {"code": "sq0", "project": project})
    sg.delete("Sequence", retired_seq["id"])
    shot = sg.create("Shot", {"code": "sh010", "project": project, "sg_sequence": seq, "tag_list": ["a"]})
    asset = sg.create("Asset", {"code": "chair", "project": project})
    sg.update("Shot", shot["id"], {"assets": [asset]})
    task = sg.create("Task", {"content": "anim", "project": project, "entity": shot})
    version = sg.create("Version", {"code": "v1", "project": project, "entity": shot})
    playlist = sg.create("Playlist", {"code": "pl", "project": project, "versions": [version]})
    step = sg.create("Step", {"code": "Comp", "entity_type": "Shot"})
    storage = sg.create("LocalStorage", {"code": "primary"})
    user = sg.create("HumanUser", {"name": "Jane Doe", "login": "jane"})
    event = sg.create_event("Custom_Thing_Happened", description="keep", meta={"k": 1})
    return World(
        sg,
        project,
        other,
        retired_project,
        seq,
        retired_seq,
        shot,
        asset,
        task,
        version,
        playlist,
        step,
        storage,
        user,
        event,
    )


@dataclass
class Case:
    name: str
    call: Callable[[World], Any]
    error: type[shotlog.ShotlogError]
    mentions: tuple[str, ...]


def update(entity_type: str, attr: str, data: dict[str, Any], modes: Any = None) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        return w.sg.update(entity_type, getattr(w, attr)["id"], data, modes)

    return run


def create(entity_type: str, data: Any) -> Callable[[World], Any]:
    return lambda w: w.sg.create(entity_type, data)


def linked(
    entity_type: str, attr: str, field: str, target: str, many: bool = False
) -> Callable[[World], Any]:
    def run(w: World) -> Any:
        ref = {"type": getattr(w, target)["type"], "id": getattr(w, target)["id"]}
        return w.sg.update(entity_type, getattr(w, attr)["id"], {field: [ref] if many else ref})

    return run


VE = shotlog.ValidationError

# entity types and fields that do not exist
UNKNOWN = [
    Case("unknown type create", create("Shoot", {"code": "x"}), shotlog.UnknownEntityType, ("'Shoot'",)),
    Case(
        "unknown type update",
        lambda w: w.sg.update("Shoot", 1, {"code": "x"}),
        shotlog.UnknownEntityType,
        ("'Shoot'",),
    ),
    Case("unknown type delete", lambda w: w.sg.delete("Shoot", 1), shotlog.UnknownEntityType, ("'Shoot'",)),
    Case("unknown type revive", lambda w: w.sg.revive("Shoot", 1), shotlog.UnknownEntityType, ("'Shoot'",)),
    Case(
        "unknown field create",
        create("Shot", {"code": "x", "sg_bogus": 1}),
        shotlog.UnknownField,
        ("Shot", "'sg_bogus'"),
    ),
    Case(
        "unknown field update",
        update("Shot", "shot", {"code": "x", "sg_bogus": 1}),
        shotlog.UnknownField,
        ("Shot", "'sg_bogus'"),
    ),
]

# a wrong value for every data type
VALUES = [
    Case("text", update("Shot", "shot", {"code": 5}), VE, ("Shot.code", "5")),
    Case(
        "text NUL", update("Shot", "shot", {"description": "a\x00b"}), VE, ("Shot.description", "'a\\x00b'")
    ),
    Case("number", update("Shot", "shot", {"sg_cut_in": "10"}), VE, ("Shot.sg_cut_in", "'10'")),
    Case("number fraction", update("Shot", "shot", {"sg_cut_in": 1.5}), VE, ("Shot.sg_cut_in", "1.5")),
    Case("number bool", update("Shot", "shot", {"sg_cut_in": True}), VE, ("Shot.sg_cut_in", "True")),
    Case("number too big", update("Shot", "shot", {"sg_cut_in": 2**63}), VE, ("Shot.sg_cut_in", str(2**63))),
    Case("number big float", update("Shot", "shot", {"sg_cut_in": 1e20}), VE, ("Shot.sg_cut_in", "1e+20")),
    Case("float", update("Shot", "shot", {"sg_frame_rate": "fast"}), VE, ("Shot.sg_frame_rate", "'fast'")),
    Case(
        "float nan",
        update("Shot", "shot", {"sg_frame_rate": float("nan")}),
        VE,
        ("Shot.sg_frame_rate", "nan"),
    ),
    Case(
        "float huge",
        update("Shot", "shot", {"sg_frame_rate": 10**400}),
        VE,
        ("Shot.sg_frame_rate", "1000000"),
    ),
    Case("checkbox", update("Task", "task", {"milestone": "yes"}), VE, ("Task.milestone", "'yes'")),
    Case("date", update("Task", "task", {"due_date": "02/03/2024"}), VE, ("Task.due_date", "'02/03/2024'")),
    Case(
        "date invalid",
        update("Task", "task", {"due_date": "2024-02-30"}),
        VE,
        ("Task.due_date", "'2024-02-30'"),
    ),
    Case(
        "date given datetime",
        update("Task", "task", {"due_date": dt.datetime(2024, 1, 2)}),
        VE,
        ("Task.due_date", "datetime.datetime(2024, 1, 2, 0, 0)"),
    ),
    Case(
        "date_time",
        update("Playlist", "playlist", {"sg_date_and_time": "noon"}),
        VE,
        ("Playlist.sg_date_and_time", "'noon'"),
    ),
    Case("duration", update("Task", "task", {"duration": "1h"}), VE, ("Task.duration", "'1h'")),
    Case(
        "status_list",
        update("Shot", "shot", {"sg_status_list": "bogus"}),
        VE,
        ("Shot.sg_status_list", "'bogus'", "wtg"),
    ),
    Case("status_list type", update("Shot", "shot", {"sg_status_list": 3}), VE, ("Shot.sg_status_list", "3")),
    Case(
        "list", update("Shot", "shot", {"sg_shot_type": "Nope"}), VE, ("Shot.sg_shot_type", "'Nope'", "VFX")
    ),
    Case("color", update("Task", "task", {"color": "300,0,0"}), VE, ("Task.color", "'300,0,0'")),
    Case("uuid", update("LocalStorage", "storage", {"uuid": "nope"}), VE, ("LocalStorage.uuid", "'nope'")),
    Case(
        "entity_type", update("Step", "step", {"entity_type": "Shoot"}), VE, ("Step.entity_type", "'Shoot'")
    ),
    Case(
        "url", update("Version", "version", {"sg_uploaded_movie": 5}), VE, ("Version.sg_uploaded_movie", "5")
    ),
    Case("tag_list", update("Shot", "shot", {"tag_list": "a"}), VE, ("Shot.tag_list", "'a'")),
    Case("tag_list item", update("Shot", "shot", {"tag_list": ["a", 1]}), VE, ("Shot.tag_list", "['a', 1]")),
    Case("tag too long", update("Shot", "shot", {"tag_list": ["t" * 256]}), VE, ("Shot.tag_list", "tttt")),
    Case("entity", update("Shot", "shot", {"sg_sequence": "sq1"}), VE, ("Shot.sg_sequence", "'sq1'")),
    Case(
        "entity no id",
        update("Shot", "shot", {"sg_sequence": {"type": "Sequence"}}),
        VE,
        ("Shot.sg_sequence", "'Sequence'"),
    ),
    Case("multi_entity", update("Shot", "shot", {"assets": "chair"}), VE, ("Shot.assets", "'chair'")),
    Case("multi_entity item", update("Shot", "shot", {"assets": [5]}), VE, ("Shot.assets", "5")),
    Case(
        "serializable",
        lambda w: w.sg.create_event("X_Y_Z", meta={"bad": {1, 2}}),
        VE,
        ("EventLogEntry.meta", "{1, 2}"),
    ),
    Case(
        "serializable nan",
        lambda w: w.sg.create_event("X_Y_Z", meta={"x": float("nan")}),
        VE,
        ("EventLogEntry.meta", "nan"),
    ),
]

# links to what does not exist, is retired, or has the wrong type
LINKS = [
    Case(
        "missing link",
        update("Shot", "shot", {"sg_sequence": {"type": "Sequence", "id": 999}}),
        VE,
        ("Shot.sg_sequence", "Sequence 999"),
    ),
    Case(
        "retired link",
        linked("Shot", "shot", "sg_sequence", "retired_seq"),
        VE,
        ("Shot.sg_sequence", "Sequence", "retired"),
    ),
    Case(
        "link id beyond 64 bits",
        update("Shot", "shot", {"sg_sequence": {"type": "Sequence", "id": 2**64}}),
        VE,
        ("Shot.sg_sequence", str(2**64)),
    ),
    Case(
        "missing multi link",
        update("Shot", "shot", {"assets": [{"type": "Asset", "id": 999}]}),
        VE,
        ("Shot.assets", "Asset 999"),
    ),
    Case(
        "missing reverse link",
        update("Shot", "shot", {"tasks": [{"type": "Task", "id": 999}]}),
        VE,
        ("Shot.tasks", "Task 999"),
    ),
    Case(
        "retired link on create",
        lambda w: w.sg.create("Shot", {"code": "x", "sg_sequence": w.retired_seq}),
        VE,
        ("Shot.sg_sequence", "Sequence"),
    ),
    Case(
        "retired project",
        lambda w: w.sg.create("Shot", {"code": "x", "project": w.retired_project}),
        VE,
        ("Shot.project", "Project"),
    ),
    Case(
        "wrong link type",
        linked("Shot", "shot", "sg_sequence", "shot"),
        VE,
        ("Shot.sg_sequence", "Shot", "Sequence"),
    ),
    Case(
        "wrong multi type",
        linked("Task", "task", "task_assignees", "shot", many=True),
        VE,
        ("Task.task_assignees", "Shot", "HumanUser"),
    ),
    Case(
        "wrong reverse type",
        linked("Shot", "shot", "tasks", "asset", many=True),
        VE,
        ("Shot.tasks", "Asset", "Task"),
    ),
    Case(
        "missing event entity",
        lambda w: w.sg.create_event("X_Y_Z", entity={"type": "Shot", "id": 999}),
        VE,
        ("EventLogEntry.entity", "Shot 999"),
    ),
    Case(
        "event project not a project",
        lambda w: w.sg.create_event("X_Y_Z", project={"type": "Shot", "id": w.shot["id"]}),
        VE,
        ("EventLogEntry.project", "Shot"),
    ),
]

# read-only fields
READ_ONLY = [
    *[
        Case(
            f"read-only {f}",
            update("Shot", "shot", {"code": "x", f: v}),
            shotlog.ReadOnlyField,
            (f"Shot.{f}",),
        )
        for f, v in (
            ("id", 5),
            ("created_at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
            ("updated_at", None),
            ("created_by", None),
            ("updated_by", None),
            ("cached_display_name", "x"),
        )
    ],
    Case(
        "read-only on create",
        create("Shot", {"code": "x", "updated_at": "2020-01-01T00:00:00Z"}),
        shotlog.ReadOnlyField,
        ("Shot.updated_at",),
    ),
    Case(
        "read-only computed",
        update("Task", "task", {"time_logs_sum": 5}),
        shotlog.ReadOnlyField,
        ("Task.time_logs_sum",),
    ),
    Case(
        "read-only last accessed",
        update("Project", "project", {"last_accessed_by_current_user": None}),
        shotlog.ReadOnlyField,
        ("Project.last_accessed_by_current_user",),
    ),
    *[
        Case(
            f"read-only event {f}",
            create("EventLogEntry", {"event_type": "X_Y_Z", f: v}),
            shotlog.ReadOnlyField,
            (f"EventLogEntry.{f}",),
        )
        for f, v in (
            ("id", 1),
            ("created_at", "2020-01-01T00:00:00Z"),
            ("session_uuid", "d8aa7698-3d25-11eb-a9d3-0242ac110002"),
            ("image", None),
        )
    ],
]

# uniqueness and required fields
UNIQUE_REQUIRED = [
    Case(
        "duplicate project",
        create("Project", {"name": "Demo"}),
        shotlog.ConflictError,
        ("Project", "name", "'Demo'"),
    ),
    Case(
        "duplicate project rename",
        update("Project", "other_project", {"name": "Demo"}),
        shotlog.ConflictError,
        ("Project", "name", "'Demo'"),
    ),
    Case(
        "revive into a taken name",
        lambda w: w.sg.revive("Project", w.retired_project["id"]),
        shotlog.ConflictError,
        ("Project", "name", "'Old'"),
    ),
    Case(
        "duplicate login",
        create("HumanUser", {"login": "jane"}),
        shotlog.ConflictError,
        ("HumanUser", "login", "'jane'"),
    ),
    Case("project without name", create("Project", {"sg_description": "x"}), VE, ("Project.name",)),
    Case("clear project name", update("Project", "project", {"name": None}), VE, ("Project.name", "None")),
    Case("blank project name", update("Project", "project", {"name": ""}), VE, ("Project.name", "''")),
]

# update modes
MODES = [
    Case(
        "bad mode",
        update("Shot", "shot", {"assets": []}, {"assets": "bogus"}),
        VE,
        ("Shot.assets", "'bogus'"),
    ),
    Case(
        "mode on a scalar", update("Shot", "shot", {"code": "x"}, {"code": "add"}), VE, ("Shot.code", "'add'")
    ),
    Case("modes not a dict", update("Shot", "shot", {"assets": []}, ["assets"]), VE, ("Shot", "['assets']")),
]

# shapes of the call itself
SHAPES = [
    Case("create data not a dict", create("Shot", [("code", "x")]), VE, ("Shot", "[('code', 'x')]")),
    Case("update data not a dict", update("Shot", "shot", "code=x"), VE, ("Shot", "'code=x'")),  # type: ignore[arg-type]
    Case("event data not a dict", create("EventLogEntry", "x"), VE, ("EventLogEntry", "'x'")),
    Case("id not an int", lambda w: w.sg.update("Shot", "one", {"code": "x"}), VE, ("Shot", "'one'")),  # type: ignore[arg-type]
    Case("missing id", lambda w: w.sg.update("Shot", 999, {"code": "x"}), shotlog.NotFound, ("Shot", "999")),
    Case(
        "retired id",
        lambda w: w.sg.update("Sequence", w.retired_seq["id"], {"code": "x"}),
        shotlog.NotFound,
        ("active Sequence",),
    ),
    Case("delete missing", lambda w: w.sg.delete("Shot", 999), shotlog.NotFound, ("Shot", "999")),
    Case(
        "id beyond 64 bits",
        lambda w: w.sg.update("Shot", 2**70, {"code": "x"}),
        shotlog.NotFound,
        ("Shot", str(2**70)),
    ),
    Case("negative id", lambda w: w.sg.delete("Shot", -1), shotlog.NotFound, ("Shot", "-1")),
    Case("revive missing", lambda w: w.sg.revive("Shot", 999), shotlog.NotFound, ("Shot", "999")),
    Case("batch not a list", lambda w: w.sg.batch("x"), VE, ("'x'",)),  # type: ignore[arg-type]
    Case("batch item not a dict", lambda w: w.sg.batch([5]), shotlog.BatchError, ("index 0", "5")),  # type: ignore[list-item]
    Case(
        "batch rolls back",
        lambda w: w.sg.batch(
            [
                {
                    "request_type": "update",
                    "entity_type": "Shot",
                    "entity_id": w.shot["id"],
                    "data": {"code": "x"},
                },
                {"request_type": "delete", "entity_type": "Task", "entity_id": w.task["id"]},
                {"request_type": "create", "entity_type": "Shot", "data": {"sg_cut_in": "x"}},
            ]
        ),
        shotlog.BatchError,
        ("index 2", "Shot.sg_cut_in", "'x'"),
    ),
]

# the event log is append-only and its rows are well formed
EVENT_LOG = [
    Case(
        "event update",
        lambda w: w.sg.update("EventLogEntry", w.event["id"], {"description": "x"}),
        shotlog.PermissionDenied,
        ("EventLogEntry",),
    ),
    Case(
        "event delete",
        lambda w: w.sg.delete("EventLogEntry", w.event["id"]),
        shotlog.PermissionDenied,
        ("EventLogEntry",),
    ),
    Case(
        "event revive",
        lambda w: w.sg.revive("EventLogEntry", w.event["id"]),
        shotlog.PermissionDenied,
        ("EventLogEntry",),
    ),
    Case(
        "event without type", create("EventLogEntry", {"description": "x"}), VE, ("EventLogEntry.event_type",)
    ),
    Case(
        "event type too long",
        lambda w: w.sg.create_event("X" * 256),
        VE,
        ("EventLogEntry.event_type", "XXXX"),
    ),
    Case(
        "event unknown field",
        create("EventLogEntry", {"event_type": "X_Y", "bogus": 1}),
        shotlog.UnknownField,
        ("EventLogEntry", "'bogus'"),
    ),
]

CASES = {
    "unknown": UNKNOWN,
    "values": VALUES,
    "links": LINKS,
    "read_only": READ_ONLY,
    "unique_required": UNIQUE_REQUIRED,
    "modes": MODES,
    "shapes": SHAPES,
    "event_log": EVENT_LOG,
}


@pytest.mark.parametrize("group", list(CASES))
def test_bad_input_is_refused_and_changes_nothing(world: World, group: str) -> None:
    # One world per group, not per case: building it is most of the cost of a case.
    baseline = snapshot(world.sg)
    for case in CASES[group]:
        with pytest.raises(case.error) as info:
            case.call(world)
        message = str(info.value)
        for part in case.mentions:
            assert part in message, f"{case.name}: {part!r} not in {message!r}"
        assert snapshot(world.sg) == baseline, f"{case.name}: the database changed"


def test_link_errors_carry_structured_details(world: World) -> None:
    with pytest.raises(shotlog.ValidationError) as info:
        world.sg.update("Shot", world.shot["id"], {"sg_sequence": {"type": "Sequence", "id": 999}})
    assert info.value.details == {
        "entity_type": "Shot",
        "field": "sg_sequence",
        "value": {"type": "Sequence", "id": 999},
    }
    with pytest.raises(shotlog.ValidationError) as info:
        world.sg.update("Shot", world.shot["id"], {"sg_cut_in": "x"})
    assert info.value.details == {"entity_type": "Shot", "field": "sg_cut_in", "value": "x"}


def test_a_failed_write_leaves_no_hole_in_event_ids(world: World) -> None:
    head = world.sg.head_event_id()
    for bad in ({"sg_status_list": "bogus"}, {"sg_sequence": world.retired_seq}):
        with pytest.raises(shotlog.ValidationError):
            world.sg.update("Shot", world.shot["id"], {"code": "renamed", **bad})
    world.sg.update("Shot", world.shot["id"], {"code": "renamed"})
    assert [e["id"] for e in world.sg.iter_events(head)] == [head + 1]
