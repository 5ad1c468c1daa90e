"""The sample plugins shipped in src/shotlog/daemon/examples, against a real server."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from daemonkit import RunningEngine, Site, config_text, make_config, wait_for

import shotlog.daemon

EXAMPLES = Path(shotlog.daemon.__file__).parent / "examples"
NAMES = [
    "log_events",
    "task_status_to_entity",
    "version_approved",
    "assignees_to_project",
    "status_date_stamp",
    "init_entity",
    "note_from_field",
]


def test_sample_plugins(site: Site, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    sections = []
    for name in NAMES:
        shutil.copy(EXAMPLES / f"{name}.py", plugins / f"{name}.py")
        script, key = site.script(f"example_{name}")
        settings = 'defaults = {"description": "fresh shot"}\n' if name == "init_entity" else ""
        sections.append(f"[{name}]\nscript_name = {script}\nscript_key = {key}\n{settings}")
    extra = "\n".join(sections)
    out = tmp_path / "out"
    out.mkdir()
    config = make_config(config_text(site, [plugins], out, extra=extra), tmp_path / "daemon.conf")
    running = RunningEngine(config)
    try:
        assert all(not w.plugin.error and w.plugin.callbacks for w in running.engine.workers.values())
        sg = site.client()
        project = sg.create("Project", {"name": f"examples {tmp_path.name}"})
        artist = sg.create(
            "HumanUser", {"login": f"artist.{tmp_path.name}", "firstname": "Ann", "lastname": "Artist"}
        )

        # init_entity: a new Shot gets the configured defaults
        shot = sg.create("Shot", {"code": "ex010", "project": project})
        wait_for(
            lambda: (
                sg.find_one("Shot", [["id", "is", shot["id"]]], ["description"])["description"]
                == "fresh shot"
            ),
            "init_entity",
        )

        # task_status_to_entity: all Tasks final -> Shot final; a Task reopens -> Shot in progress
        t1 = sg.create("Task", {"content": "comp", "entity": shot, "project": project})
        t2 = sg.create("Task", {"content": "roto", "entity": shot, "project": project})
        sg.update("Task", t1["id"], {"sg_status_list": "fin"})
        sg.update("Task", t2["id"], {"sg_status_list": "fin"})
        wait_for(
            lambda: (
                sg.find_one("Shot", [["id", "is", shot["id"]]], ["sg_status_list"])["sg_status_list"] == "fin"
            ),
            "the Shot to become final",
        )
        # status_date_stamp: a Task going in progress gets today's start date
        sg.update("Task", t2["id"], {"sg_status_list": "ip"})
        wait_for(
            lambda: (
                sg.find_one("Shot", [["id", "is", shot["id"]]], ["sg_status_list"])["sg_status_list"] == "ip"
            ),
            "the Shot to reopen",
        )
        stamped = wait_for(
            lambda: sg.find_one("Task", [["id", "is", t2["id"]]], ["start_date"])["start_date"], "start_date"
        )
        assert stamped == dt.date.today().isoformat()

        # version_approved: the Version's Shot and Task follow an approval
        version = sg.create(
            "Version", {"code": "ex010_v001", "entity": shot, "sg_task": t2, "project": project}
        )
        sg.update("Version", version["id"], {"sg_status_list": "apr"})
        wait_for(
            lambda: (
                sg.find_one("Task", [["id", "is", t2["id"]]], ["sg_status_list"])["sg_status_list"] == "fin"
            ),
            "the approved Version's Task",
        )
        wait_for(
            lambda: (
                sg.find_one("Shot", [["id", "is", shot["id"]]], ["sg_status_list"])["sg_status_list"] == "fin"
            ),
            "the approved Version's Shot",
        )

        # assignees_to_project: the assigned artist joins the Project
        sg.update("Task", t1["id"], {"task_assignees": [artist]})
        wait_for(
            lambda: (
                artist["id"]
                in [
                    u["id"] for u in sg.find_one("Project", [["id", "is", project["id"]]], ["users"])["users"]
                ]
            ),
            "the artist to join the project",
        )

        # note_from_field: a Version description becomes a Note linked to it
        sg.update("Version", version["id"], {"description": "please fix the edge"})
        note = wait_for(
            lambda: sg.find_one("Note", [["note_links", "is", version]], ["subject", "content", "project"]),
            "the Note",
        )
        assert note["content"] == "please fix the edge" and note["subject"] == "Note from ex010_v001"
        assert note["project"]["id"] == project["id"]

        # log_events logged them all
        log_file = out / "logs" / "plugin.log_events"
        wait_for(lambda: "Shotgun_Note_New" in log_file.read_text(), "log_events to log the Note")
        assert "Shotgun_Version_Change" in log_file.read_text()
    finally:
        running.stop()


def test_sample_plugins_refuse_bad_settings(site: Site, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(EXAMPLES / "init_entity.py", plugins / "init_entity.py")
    shutil.copy(EXAMPLES / "log_events.py", plugins / "log_events.py")
    script, key = site.script("example_init_entity")
    extra = f"[init_entity]\nscript_name = {script}\nscript_key = {key}\ndefaults = not json\n"
    out = tmp_path / "out"
    out.mkdir()
    config = make_config(config_text(site, [plugins], out, extra=extra), tmp_path / "daemon.conf")
    running = RunningEngine(config)
    try:
        workers = {w.plugin.name: w for w in running.engine.workers.values()}
        assert "defaults is not JSON" in (workers["init_entity"].plugin.error or "")
        # log_events has no credentials: it registers nothing, with a warning, and is not an error
        assert workers["log_events"].plugin.error is None and workers["log_events"].plugin.callbacks == []
    finally:
        running.stop()
