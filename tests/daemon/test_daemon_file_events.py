"""A thumbnail uploaded with the official client reaches daemon plugins like any other event (issue 14).

A real ``shotlog serve``, ``shotgun_api3``'s own ``upload_thumbnail``, and the daemon on each of its
sources running a shotgunEvents plugin registered for ``Shotgun_Shot_Change`` on ``image``: the
plugin sees FPTR's pair of changes once each, ``is_transient`` true then false.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from daemonkit import RunningEngine, Site, config_text, make_config, records, wait_for
from PIL import Image

from shotlog.daemon.status import read_status

# written by the test: a plugin of its own, in shotgunEvents' format, registered for one field
PLUGIN = """
import json
import os


def registerCallbacks(reg):
    config = reg.logger.config
    reg.registerCallback(
        config.get("tests", "image_changes_name"),
        config.get("tests", "image_changes_key"),
        record,
        matchEvents={"Shotgun_Shot_Change": ["image"]},
        args={"out": os.path.join(config.get("tests", "out_dir"), "image_changes.jsonl")},
    )


def record(sg, logger, event, args):
    row = {k: event[k] for k in ("id", "event_type", "attribute_name", "entity", "meta")}
    with open(args["out"], "a") as fh:
        fh.write(json.dumps(row) + "\\n")
"""

# shotgun_api3 leaves files it opened to the garbage collector (see tests/server/test_api3_files.py)
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _image_events(site: Site, shot_id: int) -> list[dict[str, Any]]:
    return list(
        site.client().find(
            "EventLogEntry",
            [
                ["event_type", "is", "Shotgun_Shot_Change"],
                ["attribute_name", "is", "image"],
                ["entity", "is", {"type": "Shot", "id": shot_id}],
            ],
            ["meta"],
            order=[{"field_name": "id", "direction": "asc"}],
        )
    )


@pytest.mark.parametrize("source", ["direct", "stream", "api3"])
def test_a_plugin_sees_the_pair_of_image_changes_once_each(site: Site, tmp_path: Path, source: str) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "image_changes.py").write_text(PLUGIN)
    out = tmp_path / "out"
    out.mkdir()
    sg = site.client()
    project = sg.create("Project", {"name": f"daemon thumbnails {tmp_path.name}"})
    shot = sg.create("Shot", {"code": "sh010", "project": project})
    state = None if source == "direct" else f"sqlite:///{tmp_path / 'state.db'}"
    scripts = {"image_changes": site.script("plugin_image_changes")}
    text = config_text(site, [plugins], out, source=source, state_url=state, scripts=scripts)
    # every plugin starts just after the shot's creation, whenever the engine's thread gets going
    running = RunningEngine(make_config(text, tmp_path / "daemon.conf"), from_event_id=site.head() + 1)
    try:
        picture = tmp_path / "sh010.png"
        Image.new("RGB", (640, 360), (200, 40, 30)).save(picture)
        att_id = sg.upload_thumbnail("Shot", shot["id"], str(picture))

        # the second change is written once the renditions are: wait for it in the log itself
        def both() -> list[dict[str, Any]] | None:
            found = _image_events(site, shot["id"])
            return found if len(found) == 2 else None

        logged = wait_for(both, "both image changes in the event log")
        head = site.head()

        def caught_up() -> bool:  # the plugin's cursor passed every event up to the head
            plugins = [
                p
                for d in read_status(running.engine.cursors.db, running.engine.config.name)
                for p in d.plugins
            ]
            return any(p.plugin == "image_changes" and (p.last_event_id or 0) >= head for p in plugins)

        wait_for(caught_up, f"the plugin to reach event {head}")
        seen = [r for r in records(out, "image_changes") if r["entity"]["id"] == shot["id"]]
        assert [r["id"] for r in seen] == [e["id"] for e in logged]  # in order, each once
        assert all((r["event_type"], r["attribute_name"]) == ("Shotgun_Shot_Change", "image") for r in seen)
        metas = [{k: r["meta"][k] for k in ("old_value", "new_value", "is_transient")} for r in seen]
        assert metas == [
            {"old_value": None, "new_value": att_id, "is_transient": True},
            {"old_value": att_id, "new_value": att_id, "is_transient": False},
        ]
        assert all(r["meta"]["field_data_type"] == "image" for r in seen)
    finally:
        running.stop()
