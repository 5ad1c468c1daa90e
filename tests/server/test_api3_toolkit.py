"""Toolkit's own calls, replayed with tk-core's call shapes through the official client.

Every request body here has the shape tk-core builds (python/tank/util/shotgun/publish_util.py,
publish_creation.py, path_cache.py, bootstrap/resolver.py) and tk-multi-launchapp's Software query;
the values are this test's own. The client is used as Toolkit uses it, nothing patched.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shotgun_api3
from PIL import Image
from sgserver import Server, events_after, head_event_id

#: tk-core's login.get_current_user asks for these
USER_FIELDS = ["id", "type", "email", "login", "name", "image", "firstname", "lastname"]
#: ShotgunPath.SHOTGUN_PATH_FIELDS and get_cached_local_storages
STORAGE_FIELDS = ["id", "code", "linux_path", "mac_path", "windows_path"]
CORE_VERSION = "v0.21.7"
MISSING = 2**40  # an id nothing has


@pytest.fixture
def artist(sg: shotgun_api3.Shotgun, uniq: str) -> dict[str, Any]:
    """The person Toolkit runs for, as tk-core's get_current_user returns them."""
    login = f"artist-{uniq}"
    sg.create("HumanUser", {"login": login, "firstname": "Ada", "lastname": uniq, "email": f"{login}@x"})
    user = sg.find_one("HumanUser", [["login", "is", login]], USER_FIELDS)
    assert user is not None
    return user


@pytest.fixture
def storage(sg: shotgun_api3.Shotgun, uniq: str) -> dict[str, Any]:
    """The project's primary LocalStorage, roots on all three platforms, unique to this test."""
    sg.create(
        "LocalStorage",
        {
            "code": f"primary-{uniq}",
            "linux_path": f"/mnt/{uniq}",
            "mac_path": f"/Volumes/{uniq}",
            "windows_path": f"P:\\{uniq}",
        },
    )
    found = sg.find_one("LocalStorage", [["code", "is", f"primary-{uniq}"]], STORAGE_FIELDS)
    assert found is not None
    return found


@pytest.fixture
def shot(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> dict[str, Any]:
    created = sg.create("Shot", {"code": "sh010", "project": project})
    return {"type": "Shot", "id": created["id"], "name": "sh010"}


@pytest.fixture
def pipeline_config(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> dict[str, Any]:
    return sg.create(
        "PipelineConfiguration", {"code": "Primary", "project": project, "linux_path": "/tk/cfg"}
    )


def _link(entity: dict[str, Any], *name_key: str) -> dict[str, Any]:
    name = entity[name_key[0]] if name_key else entity.get("name")
    return {"type": entity["type"], "id": entity["id"], "name": name}


def _fault(call: Callable[[], object], *parts: str) -> str:
    with pytest.raises(shotgun_api3.Fault) as caught:
        call()
    message = str(caught.value)
    for part in parts:
        assert part in message, message
    return message


# -- create_event_log_entry -----------------------------------------------------------------------


def test_create_event_log_entry_names_the_artist(
    server: Server,
    sg: shotgun_api3.Shotgun,
    project: dict[str, Any],
    shot: dict[str, Any],
    artist: dict[str, Any],
) -> None:
    before = head_event_id(sg)
    data = {
        "description": "Opened layout.v001.ma",
        "event_type": "Toolkit_App_Startup",
        "entity": shot,
        "project": project,
        "meta": {"app": "tk-multi-workfiles2", "version": "v0.15.1"},
        "user": artist,
    }
    created = sg.create("EventLogEntry", data)
    assert created["user"] == _link(artist)
    assert created["meta"] == data["meta"]
    (event,) = events_after(sg, before)
    assert event["id"] == created["id"]
    assert event["event_type"] == "Toolkit_App_Startup"
    assert event["user"] == {"type": "HumanUser", "id": artist["id"], "name": artist["name"]}
    assert event["entity"] == shot
    assert abs(event["created_at"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    # tk-core under a script key has no current user: "user" is None, which means the caller
    data["user"] = None
    data["meta"] = None
    scripted = sg.create("EventLogEntry", data)
    assert scripted["user"]["type"] == "ApiUser"
    assert scripted["user"]["name"] == server.script_name
    assert scripted["meta"] is None


# -- the path cache -------------------------------------------------------------------------------


def _folder_rows(
    project: dict[str, Any],
    artist: dict[str, Any] | None,
    pc_link: dict[str, Any] | None,
    folders: list[tuple[dict[str, Any], str]],
    root_name: str,
    root: str,
) -> list[dict[str, Any]]:
    """PathCache._upload_cache_data_to_shotgun's batch, one create per folder."""
    rows = []
    for entity, path in folders:
        db_path = path[len(root) :]
        rows.append(
            {
                "request_type": "create",
                "entity_type": "FilesystemLocation",
                "data": {
                    "project": {"type": "Project", "id": project["id"]},
                    "created_by": artist,
                    "entity": entity,
                    "is_primary": True,
                    "pipeline_configuration": pc_link,
                    "configuration_metadata": json.dumps(
                        {"type": "shotgun_entity", "entity_type": entity["type"]}
                    ),
                    "linked_entity_id": entity["id"],
                    "linked_entity_type": entity["type"],
                    "code": entity["name"],
                    "path": {"local_path": path, "name": f"[{root_name}] {db_path}"},
                },
            }
        )
    return rows


def test_path_cache_folders_and_their_event(
    sg: shotgun_api3.Shotgun,
    project: dict[str, Any],
    shot: dict[str, Any],
    artist: dict[str, Any],
    storage: dict[str, Any],
    pipeline_config: dict[str, Any],
    uniq: str,
) -> None:
    root = storage["linux_path"]
    seq = sg.create("Sequence", {"code": "seq01", "project": project})
    seq_link = {"type": "Sequence", "id": seq["id"], "name": "seq01"}
    folders = [(seq_link, f"{root}/sequences/seq01"), (shot, f"{root}/sequences/seq01/sh010")]
    pc_link = {"type": "PipelineConfiguration", "id": pipeline_config["id"]}
    response = sg.batch(_folder_rows(project, artist, pc_link, folders, "primary", root))
    # tk-core maps each created row back to its folder by the path it reads back
    assert [r["path"]["local_path"] for r in response] == [p for _, p in folders]
    ids = [r["id"] for r in response]
    meta = {"core_api_version": CORE_VERSION, "sg_folder_ids": ids}
    event = sg.create(
        "EventLogEntry",
        {
            "event_type": "Toolkit_Folders_Create",
            "description": f"Toolkit {CORE_VERSION}: Created folders on disk for Shot sh010",
            "project": {"type": "Project", "id": project["id"]},
            "entity": pc_link,
            "meta": meta,
            "user": artist,
        },
    )

    # synchronize(): the incremental query, then the rows of each create event
    found = sg.find(
        "EventLogEntry",
        [
            ["event_type", "in", ["Toolkit_Folders_Create", "Toolkit_Folders_Delete"]],
            ["id", "greater_than", event["id"] - 1],
            ["project", "is", {"type": "Project", "id": project["id"]}],
        ],
        ["id", "meta", "event_type"],
        [{"field_name": "id", "direction": "asc"}],
    )
    assert found == [
        {"type": "EventLogEntry", "id": event["id"], "meta": meta, "event_type": "Toolkit_Folders_Create"}
    ]
    newest = sg.find_one(
        "EventLogEntry",
        [
            ["event_type", "in", ["Toolkit_Folders_Create", "Toolkit_Folders_Delete"]],
            ["project", "is", {"type": "Project", "id": project["id"]}],
        ],
        ["id"],
        [{"field_name": "id", "direction": "desc"}],
    )
    assert newest == {"type": "EventLogEntry", "id": event["id"]}
    rows = sg.find(
        "FilesystemLocation",
        [["id", "in", *ids]],
        [
            "id",
            "configuration_metadata",
            "is_primary",
            "linked_entity_id",
            "path",
            "linked_entity_type",
            "code",
        ],
        [{"field_name": "id", "direction": "asc"}],
    )
    assert [r["id"] for r in rows] == ids
    for row, (entity, path) in zip(rows, folders, strict=True):
        assert (row["linked_entity_type"], row["linked_entity_id"], row["code"]) == (
            entity["type"],
            entity["id"],
            entity["name"],
        )
        assert row["is_primary"] is True
        assert json.loads(row["configuration_metadata"])["entity_type"] == entity["type"]
        relative = path[len(root) + 1 :]
        assert row["path"]["local_storage"] == {
            "type": "LocalStorage",
            "id": storage["id"],
            "name": storage["code"],
        }
        assert row["path"]["local_path_linux"] == path
        assert row["path"]["local_path_mac"] == f"/Volumes/{uniq}/{relative}"
        assert row["path"]["local_path_windows"] == f"P:\\{uniq}\\" + relative.replace("/", "\\")
        assert row["path"]["link_type"] == "local"
        assert row["path"]["name"] == f"[primary] /{relative}"
    # the full sync's query: every row of the project
    assert (
        len(sg.find("FilesystemLocation", [["project", "is", {"type": "Project", "id": project["id"]}]])) == 2
    )
    # remove_filesystem_location_entries: one batch of deletes, then a Toolkit_Folders_Delete event
    assert sg.batch(
        [{"request_type": "delete", "entity_type": "FilesystemLocation", "entity_id": ids[1]}]
    ) == [True]
    deleted = sg.create(
        "EventLogEntry",
        {
            "event_type": "Toolkit_Folders_Delete",
            "description": f"Toolkit {CORE_VERSION}: Unregistered 1 folders.",
            "project": {"type": "Project", "id": project["id"]},
            "entity": pc_link,
            "meta": {"core_api_version": CORE_VERSION, "sg_folder_ids": [ids[1]]},
            "user": artist,
        },
    )
    assert [e["event_type"] for e in events_after(sg, event["id"], event_type="Toolkit_Folders_Delete")] == [
        "Toolkit_Folders_Delete"
    ]
    assert deleted["user"]["id"] == artist["id"]
    assert [r["id"] for r in sg.find("FilesystemLocation", [["id", "in", ids]])] == ids[:1]
    # the rows were attributed to the artist
    assert {
        r["created_by"]["id"] for r in sg.find("FilesystemLocation", [["id", "in", ids]], ["created_by"])
    } == {artist["id"]}


def test_path_cache_batch_with_a_path_outside_every_storage_writes_nothing(
    sg: shotgun_api3.Shotgun,
    project: dict[str, Any],
    shot: dict[str, Any],
    storage: dict[str, Any],
    uniq: str,
) -> None:
    root = storage["linux_path"]
    outside = f"/elsewhere/{uniq}/sh010"
    rows = _folder_rows(project, None, None, [(shot, f"{root}/sh010"), (shot, outside)], "primary", root)
    before = head_event_id(sg)
    _fault(lambda: sg.batch(rows), "FilesystemLocation.path", repr(outside), "Local Storage")
    assert sg.find("FilesystemLocation", [["project", "is", project]]) == []
    assert head_event_id(sg) == before


# -- register_publish -----------------------------------------------------------------------------


def _publish_type(sg: shotgun_api3.Shotgun, code: str) -> dict[str, Any]:
    """register_publish: find the PublishedFileType by code, create it on the fly when missing."""
    found = sg.find_one("PublishedFileType", filters=[["code", "is", code]])
    if not found:
        found = sg.create("PublishedFileType", {"code": code})
    return found


def _publish_data(
    project: dict[str, Any], shot: dict[str, Any], task: dict[str, Any] | None, name: str, version: int
) -> dict[str, Any]:
    """_create_published_file's fixed part."""
    return {
        "description": "Initial layout composition.",
        "name": name,
        "task": task,
        "version_number": version,
        "entity": shot,
        "project": project,
    }


def test_register_publish_under_a_storage(
    server: Server,
    sg: shotgun_api3.Shotgun,
    project: dict[str, Any],
    shot: dict[str, Any],
    artist: dict[str, Any],
    storage: dict[str, Any],
    uniq: str,
    tmp_path: Path,
) -> None:
    task = sg.create("Task", {"content": "layout", "entity": shot, "project": project})
    pft = _publish_type(sg, f"Maya Scene {uniq}")
    assert _publish_type(sg, f"Maya Scene {uniq}")["id"] == pft["id"]  # found the second time
    path_cache = f"{project['name']}/sequences/seq01/sh010/publish/layout.v001.ma"
    authored = dt.datetime(2019, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    data = _publish_data(project, shot, {"type": "Task", "id": task["id"]}, "layout.ma", 1)
    data.update(
        {
            "created_by": artist,
            "created_at": authored,
            "published_file_type": pft,
            "code": "layout.v001.ma",
            "path": {"relative_path": path_cache, "local_storage": storage},
            "path_cache": path_cache,
        }
    )
    before = head_event_id(sg)
    created = sg.create("PublishedFile", data)
    assert created["created_by"] == _link(artist)
    assert created["created_at"] == authored
    assert created["path_cache"] == path_cache
    linux = f"/mnt/{uniq}/{path_cache}"
    assert created["path"] == {
        "link_type": "local",
        "name": "layout.v001.ma",
        "content_type": created["path"]["content_type"],
        "local_path": linux,  # the client sets it from local_path_linux
        "local_path_linux": linux,
        "local_path_mac": f"/Volumes/{uniq}/{path_cache}",
        "local_path_windows": f"P:\\{uniq}\\" + path_cache.replace("/", "\\"),
        "local_storage": {"type": "LocalStorage", "id": storage["id"], "name": storage["code"]},
        "relative_path": path_cache,
        "url": f"file://{linux}",
    }

    read = sg.find_one(
        "PublishedFile",
        [["id", "is", created["id"]]],
        [
            "path",
            "path_cache_storage",
            "created_at",
            "updated_at",
            "created_by",
            "updated_by",
            "version_number",
        ],
    )
    assert read["path"] == created["path"]
    assert read["path_cache_storage"] == {
        "type": "LocalStorage",
        "id": storage["id"],
        "name": storage["code"],
    }
    assert read["created_at"] == authored
    assert read["updated_at"] > authored  # updated_* stay the server's
    assert read["updated_by"]["type"] == "ApiUser"
    assert read["version_number"] == 1

    # find_publish: path_cache in a list, on the storage the path cache names
    hits = sg.find(
        "PublishedFile",
        [["path_cache", "in", [path_cache, "nope"]], ["path_cache_storage", "is", storage]],
        ["created_at", "path_cache"],
    )
    assert [h["id"] for h in hits] == [created["id"]]

    # the log records who made the call; the author and date given are logged as set in the create
    events = {
        (e["event_type"], e["attribute_name"]): e
        for e in events_after(sg, before, entity=_link(created, "code"))
    }
    new = events[("Shotgun_PublishedFile_New", None)]
    assert new["user"]["type"] == "ApiUser" and new["user"]["name"] == server.script_name
    assert abs(new["created_at"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    author = events[("Shotgun_PublishedFile_Change", "created_by")]
    assert author["user"] == new["user"]
    assert author["meta"]["in_create"] is True
    assert author["meta"]["new_value"] == {"type": "HumanUser", "id": artist["id"], "name": artist["name"]}
    assert (
        events[("Shotgun_PublishedFile_Change", "created_at")]["meta"]["new_value"]
        == "2019-03-04 05:06:07 UTC"
    )
    assert events[("Shotgun_PublishedFile_Change", "path_cache_storage")]["meta"]["in_create"] is True

    # _create_dependencies: one batch of PublishedFileDependency creates
    data.update({"code": "layout.v002.ma", "version_number": 2, "path": {"local_path": linux}})
    data.pop("created_at")
    second = sg.create("PublishedFile", data)
    assert second["path"]["local_storage"]["id"] == storage["id"]
    assert second["path"]["relative_path"] == path_cache
    deps = sg.batch(
        [
            {
                "request_type": "create",
                "entity_type": "PublishedFileDependency",
                "data": {
                    "published_file": second,
                    "dependent_published_file": {"type": "PublishedFile", "id": created["id"]},
                },
            }
        ]
    )
    dep = sg.find_one(
        "PublishedFileDependency",
        [["id", "is", deps[0]["id"]]],
        ["published_file", "dependent_published_file"],
    )
    assert dep["published_file"]["id"] == second["id"]
    assert dep["dependent_published_file"]["id"] == created["id"]

    # its last step: the thumbnail (tk-core's own no_preview.jpg when the caller gives none)
    no_preview = tmp_path / "no_preview.jpg"
    Image.new("RGB", (320, 180), (60, 60, 60)).save(no_preview)
    before = head_event_id(sg)
    attachment = sg.upload_thumbnail("PublishedFile", created["id"], str(no_preview))
    changes = [
        e for e in events_after(sg, before, entity=_link(created, "code")) if e["attribute_name"] == "image"
    ]
    assert [(e["meta"]["new_value"], e["meta"]["is_transient"]) for e in changes] == [
        (attachment, True),
        (attachment, False),
    ]
    assert (
        "/files/thumbnail/" in sg.find_one("PublishedFile", [["id", "is", created["id"]]], ["image"])["image"]
    )


def test_register_publish_by_local_path_picks_the_deepest_root(
    sg: shotgun_api3.Shotgun,
    project: dict[str, Any],
    shot: dict[str, Any],
    storage: dict[str, Any],
    uniq: str,
) -> None:
    deeper = sg.create("LocalStorage", {"code": f"renders-{uniq}", "linux_path": f"/mnt/{uniq}/renders"})
    data = _publish_data(project, shot, None, "beauty.exr", 3)
    for path, expected in (
        (f"/mnt/{uniq}/renders/sh010/beauty.v003.%04d.exr", deeper["id"]),
        (f"/mnt/{uniq}/comp/sh010.v003.nk", storage["id"]),
        (f"/Volumes/{uniq}/comp/sh010.v003.nk", storage["id"]),  # a Mac artist's path
        (f"p:/{uniq}/comp/sh010.v003.nk", storage["id"]),  # Windows: either separator, any case
    ):
        data.update({"code": path.rsplit("/", 1)[-1], "path": {"local_path": path}})
        created = sg.create("PublishedFile", data, ["path_cache_storage"])
        assert created["path"]["local_storage"]["id"] == expected, path
        assert created["path_cache_storage"]["id"] == expected, path
        assert created["path"]["local_path_linux"].endswith(path.split(uniq, 1)[1])
    # the Windows root's spelling comes back, backslashes and all
    assert created["path"]["local_path_windows"] == f"P:\\{uniq}\\comp\\sh010.v003.nk"
    assert created["path"]["local_path_mac"] == f"/Volumes/{uniq}/comp/sh010.v003.nk"


def test_register_publish_as_a_url(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], shot: dict[str, Any]
) -> None:
    data = _publish_data(project, shot, None, "review.mov", 1)
    for url in ("file:///tmp/review.v001.mov", "https://example.org/review.v001.mov"):
        data.update({"code": "review.v001.mov", "path": {"url": url, "name": "review.v001.mov"}})
        created = sg.create("PublishedFile", data, ["path_cache_storage"])
        assert created["path"] == {"url": url, "name": "review.v001.mov", "link_type": "web"}
        assert created["path_cache_storage"] is None


# -- what Toolkit reads -----------------------------------------------------------------------------


def test_toolkit_reads_with_its_own_fields(
    sg: shotgun_api3.Shotgun,
    project: dict[str, Any],
    artist: dict[str, Any],
    storage: dict[str, Any],
    uniq: str,
) -> None:
    primary = sg.create(
        "PipelineConfiguration",
        {
            "code": "Primary",
            "project": project,
            "plugin_ids": "basic.*",
            "descriptor": "sgtk:descriptor:app_store",
        },
    )
    sandbox = sg.create(
        "PipelineConfiguration",
        {"code": f"Dev {uniq}", "project": project, "users": [artist], "linux_path": "/tk/dev"},
    )
    sg.create(
        "PipelineConfiguration", {"code": f"Other {uniq}", "project": project, "users": [], "mac_path": "/x"}
    )
    # bootstrap/resolver.py: shared or the artist's own, for this project or the site
    configs = sg.find(
        "PipelineConfiguration",
        [
            {
                "filter_operator": "any",
                "filters": [
                    ["project", "is", {"type": "Project", "id": project["id"]}],
                    ["project", "is", None],
                ],
            },
            {
                "filter_operator": "any",
                "filters": [["users.HumanUser.login", "is", artist["login"]], ["users", "is", None]],
            },
        ],
        [
            "code",
            "project",
            "users",
            "plugin_ids",
            "sg_plugin_ids",
            "windows_path",
            "linux_path",
            "mac_path",
            "sg_descriptor",
            "descriptor",
            "uploaded_config",
            "sg_uploaded_config",
        ],
        order=[{"field_name": "id", "direction": "asc"}],
    )
    mine = [
        c
        for c in configs
        if c.get("project") == {"type": "Project", "id": project["id"], "name": project["name"]}
    ]
    assert [c["id"] for c in mine][:2] == [primary["id"], sandbox["id"]]
    assert mine[0]["plugin_ids"] == "basic.*" and mine[0]["descriptor"] == "sgtk:descriptor:app_store"
    assert mine[0]["sg_plugin_ids"] is None and mine[0]["uploaded_config"] is None
    assert mine[1]["users"] == [{"type": "HumanUser", "id": artist["id"], "name": artist["name"]}]
    assert f"Other {uniq}" in [c["code"] for c in configs]  # no users: shared

    storages = sg.find("LocalStorage", [], STORAGE_FIELDS)
    assert storage in storages

    step = sg.create("Step", {"code": f"Layout {uniq}", "short_name": "lay", "entity_type": "Shot"})
    assert sg.find_one(
        "Step", [["id", "is", step["id"]]], ["code", "short_name", "entity_type", "list_order"]
    ) == {
        "type": "Step",
        "id": step["id"],
        "code": f"Layout {uniq}",
        "short_name": "lay",
        "entity_type": "Shot",
        "list_order": None,
    }
    template = sg.create("TaskTemplate", {"code": f"Shot template {uniq}", "entity_type": "Shot"})
    assert sg.find("TaskTemplate", [["code", "is", f"Shot template {uniq}"]], ["code", "entity_type"]) == [
        {"type": "TaskTemplate", "id": template["id"], "code": f"Shot template {uniq}", "entity_type": "Shot"}
    ]

    # tk-multi-launchapp's Software query, for a context with a project and a user
    maya = sg.create(
        "Software",
        {"code": f"Maya {uniq}", "engine": "tk-maya", "version_names": "2024, 2025", "products": "Maya"},
    )
    nuke = sg.create(
        "Software",
        {"code": f"Nuke {uniq}", "engine": "tk-nuke", "projects": [project], "user_restrictions": [artist]},
    )
    off = sg.create("Software", {"code": f"Off {uniq}", "engine": "tk-3de4", "sg_status_list": "dis"})
    group = sg.create("Group", {"code": f"Comp {uniq}", "users": [artist]})
    grouped = sg.create("Software", {"code": f"Houdini {uniq}", "user_restrictions": [group]})
    shown = sg.find(
        "Software",
        [
            ["sg_status_list", "is", "act"],
            {"filter_operator": "or", "filters": [["projects", "is", None], ["projects", "in", project]]},
            {
                "filter_operator": "or",
                "filters": [
                    ["user_restrictions", "is", None],
                    {
                        "filter_operator": "or",
                        "filters": [
                            ["user_restrictions", "in", artist],
                            ["user_restrictions.Group.users", "in", artist],
                        ],
                    },
                ],
            },
        ],
        [
            "code",
            "image",
            "engine",
            "version_names",
            "products",
            "group_name",
            "group_default",
            "linux_path",
            "mac_path",
            "windows_path",
            "linux_args",
            "mac_args",
            "windows_args",
        ],
    )
    ids = {s["id"] for s in shown}
    assert {maya["id"], nuke["id"], grouped["id"]} <= ids
    assert off["id"] not in ids
    row = next(s for s in shown if s["id"] == maya["id"])
    assert (row["engine"], row["version_names"], row["group_default"], row["linux_args"]) == (
        "tk-maya",
        "2024, 2025",
        False,
        None,
    )


def test_schema_has_what_toolkit_checks(sg: shotgun_api3.Shotgun) -> None:
    schema = sg.schema_read()
    # get_published_file_entity_type falls back to TankPublishedFile unless all three exist
    assert {"PublishedFile", "PublishedFileType", "PublishedFileDependency", "FilesystemLocation"} <= set(
        schema
    )
    assert schema["PublishedFile"]["path"]["data_type"]["value"] == "url"
    assert schema["PublishedFile"]["path_cache"]["data_type"]["value"] == "text"
    assert schema["FilesystemLocation"]["path"]["data_type"]["value"] == "url"
    # created_* are editable on create only, as FPTR's schema says
    assert schema["PublishedFile"]["created_by"]["editable"]["value"] is False


# -- bad input --------------------------------------------------------------------------------------


def test_server_owned_fields_stay_read_only(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], shot: dict[str, Any], artist: dict[str, Any]
) -> None:
    pf = sg.create("PublishedFile", {"code": "a.ma", "project": project, "entity": shot})
    before = head_event_id(sg)
    when = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for call, field in (
        (lambda: sg.update("PublishedFile", pf["id"], {"updated_at": when}), "PublishedFile.updated_at"),
        (lambda: sg.update("PublishedFile", pf["id"], {"id": 5}), "PublishedFile.id"),
        (lambda: sg.update("PublishedFile", pf["id"], {"created_at": when}), "PublishedFile.created_at"),
        (lambda: sg.update("PublishedFile", pf["id"], {"created_by": artist}), "PublishedFile.created_by"),
        (
            lambda: sg.create("PublishedFile", {"code": "b.ma", "project": project, "updated_at": when}),
            "updated_at",
        ),
        (
            lambda: sg.create("PublishedFile", {"code": "b.ma", "project": project, "updated_by": artist}),
            "updated_by",
        ),
        (
            lambda: sg.create("PublishedFile", {"code": "b.ma", "project": project, "id": 7}),
            "PublishedFile.id",
        ),
    ):
        _fault(call, field, "read-only")
    event = sg.create("EventLogEntry", {"event_type": "Toolkit_App_Startup", "project": project})
    for name, value in (("created_at", when), ("user", artist), ("id", 3)):
        _fault(
            lambda n=name, v=value: sg.update("EventLogEntry", event["id"], {n: v}),
            f"EventLogEntry.{name}",
            "read-only",
        )
    _fault(
        lambda: sg.create("EventLogEntry", {"event_type": "X_Y", "created_at": when}),
        "EventLogEntry.created_at",
    )
    assert sg.find("PublishedFile", [["code", "is", "b.ma"], ["project", "is", project]]) == []
    assert head_event_id(sg) == event["id"] == before + 1


def test_a_user_that_does_not_exist_writes_nothing(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], shot: dict[str, Any], storage: dict[str, Any]
) -> None:
    ghost = {"type": "HumanUser", "id": MISSING, "name": "Nobody"}
    before = head_event_id(sg)
    _fault(
        lambda: sg.create(
            "EventLogEntry", {"event_type": "Toolkit_Folders_Create", "project": project, "user": ghost}
        ),
        "EventLogEntry.user",
        f"HumanUser {MISSING}",
        "does not exist",
    )
    _fault(
        lambda: sg.create("EventLogEntry", {"event_type": "X_Y", "user": {"type": "Shot", "id": shot["id"]}}),
        "EventLogEntry.user",
        "Shot",
    )
    publish = {"code": "c.ma", "project": project, "entity": shot, "created_by": ghost}
    _fault(lambda: sg.create("PublishedFile", publish), "PublishedFile.created_by", f"HumanUser {MISSING}")
    _fault(
        lambda: sg.batch(
            [
                {
                    "request_type": "create",
                    "entity_type": "PublishedFile",
                    "data": {"code": "ok.ma", "project": project},
                },
                {"request_type": "create", "entity_type": "PublishedFile", "data": publish},
            ]
        ),
        "PublishedFile.created_by",
    )
    _fault(
        lambda: sg.create("PublishedFile", {**publish, "created_by": None, "created_at": "last tuesday"}),
        "PublishedFile.created_at",
        "last tuesday",
    )
    assert head_event_id(sg) == before
    assert sg.find("PublishedFile", [["project", "is", project]]) == []


def test_bad_paths_name_the_field_and_value(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], storage: dict[str, Any], uniq: str
) -> None:
    before = head_event_id(sg)
    base = {"code": "d.ma", "project": project}
    cases: list[tuple[Any, tuple[str, ...]]] = [
        (
            {"local_path": f"/nowhere/{uniq}/d.ma"},
            ("PublishedFile.path", f"/nowhere/{uniq}/d.ma", "Local Storage"),
        ),
        ({"relative_path": "a/d.ma"}, ("PublishedFile.path", "local_storage")),
        (
            {"relative_path": "a/d.ma", "local_storage": {"type": "LocalStorage", "id": MISSING}},
            ("PublishedFile.path", f"LocalStorage {MISSING}", "does not exist"),
        ),
        ({"relative_path": "a\\d.ma", "local_storage": storage}, ("PublishedFile.path", "forward slashes")),
        ({"local_path": storage["linux_path"]}, ("PublishedFile.path", "root of a Local Storage")),
        ({"url": 5}, ("PublishedFile.path", "url")),
        ({"url": "https://x", "link_type": "ftp"}, ("PublishedFile.path", "link_type")),
        (12, ("PublishedFile.path", "12")),
    ]
    for path, parts in cases:
        _fault(lambda p=path: sg.create("PublishedFile", {**base, "path": p}), *parts)
    assert head_event_id(sg) == before
    # a retired storage resolves nothing
    sg.delete("LocalStorage", storage["id"])
    _fault(
        lambda: sg.create("PublishedFile", {**base, "path": {"local_path": f"{storage['linux_path']}/d.ma"}}),
        "doesn't match any defined Local Storage",
    )
    assert sg.find("PublishedFile", [["project", "is", project]]) == []


def test_filters_through_multi_entity_fields(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], artist: dict[str, Any], uniq: str
) -> None:
    other = sg.create("HumanUser", {"login": f"other-{uniq}", "firstname": "Bo"})
    mine = sg.create("PipelineConfiguration", {"code": "mine", "project": project, "users": [artist, other]})
    theirs = sg.create("PipelineConfiguration", {"code": "theirs", "project": project, "users": [other]})
    shared = sg.create("PipelineConfiguration", {"code": "shared", "project": project})
    scope = ["project", "is", project]

    def ids(*condition: Any) -> set[int]:
        return {c["id"] for c in sg.find("PipelineConfiguration", [scope, list(condition)])}

    assert ids("users.HumanUser.login", "is", artist["login"]) == {mine["id"]}
    assert ids("users.HumanUser.login", "is_not", artist["login"]) == {theirs["id"], shared["id"]}
    assert ids("users.HumanUser.firstname", "in", ["Bo", "Zed"]) == {mine["id"], theirs["id"]}
    assert ids("project.Project.users.HumanUser.login", "is", artist["login"]) == set()
    sg.delete("HumanUser", other["id"])  # a retired member no longer matches
    assert ids("users.HumanUser.firstname", "is", "Bo") == set()
    _fault(lambda: ids("users.Shot.code", "is", "x"), "PipelineConfiguration.users", "never links to Shot")


def test_a_path_update_and_a_storage_made_in_the_same_batch(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], storage: dict[str, Any], uniq: str
) -> None:
    pf = sg.create("PublishedFile", {"code": "e.ma", "project": project, "path": {"url": "https://x/e.ma"}})
    moved = sg.update("PublishedFile", pf["id"], {"path": {"local_path": f"/mnt/{uniq}/e.ma"}})
    assert moved["path"]["local_storage"]["id"] == storage["id"]
    assert moved["path_cache_storage"]["id"] == storage["id"]
    made, published = sg.batch(
        [
            {
                "request_type": "create",
                "entity_type": "LocalStorage",
                "data": {"code": f"new-{uniq}", "linux_path": f"/new/{uniq}"},
            },
            {
                "request_type": "create",
                "entity_type": "PublishedFile",
                "data": {"code": "f.ma", "project": project, "path": {"local_path": f"/new/{uniq}/f.ma"}},
            },
        ]
    )
    assert published["path"]["local_storage"] == {
        "type": "LocalStorage",
        "id": made["id"],
        "name": f"new-{uniq}",
    }
    assert published["path"]["local_path_mac"] is None


def test_an_import_may_credit_a_departed_artist(
    sg: shotgun_api3.Shotgun, project: dict[str, Any], artist: dict[str, Any]
) -> None:
    sg.delete("HumanUser", artist["id"])
    when = dt.datetime(2015, 6, 1, 12, 0, tzinfo=dt.UTC)
    old = sg.create(
        "PublishedFile", {"code": "old.ma", "project": project, "created_by": artist, "created_at": when}
    )
    read = sg.find_one("PublishedFile", [["id", "is", old["id"]]], ["created_at", "created_by"])
    # the link reads as null while its target is retired, as every link does; the row keeps it
    assert read["created_at"] == when
    assert read["created_by"] is None
    event = sg.create("EventLogEntry", {"event_type": "Import_Done", "project": project, "user": artist})
    sg.revive("HumanUser", artist["id"])
    assert (
        sg.find_one("PublishedFile", [["id", "is", old["id"]]], ["created_by"])["created_by"]["id"]
        == artist["id"]
    )
    assert sg.find_one("EventLogEntry", [["id", "is", event["id"]]], ["user"])["user"]["id"] == artist["id"]
