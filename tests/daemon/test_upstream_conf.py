"""shotgunEvents' own sample configuration, filled in and nothing else, runs with ``shotlog daemon run``.

No ``[shotlog]`` section: events come from ``[shotgun] server`` (a real ``shotlog serve``) through
the api3 source, the cursors live next to ``[daemon] eventIdFile``, and the shotgunEvents state
found there is taken over on the first run. A ``[shotlog]`` section only adds to that.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from daemonkit import SCRIPT_KEY, SCRIPT_NAME, RunningEngine, Site, wait_for
from upstream_sample import fill_in

from shotlog.daemon.conf import parse_config
from shotlog.store.database import Database
from shotlog.store.tables import daemon_cursors

# A plugin as studios write them: its output file and its script are written into it, so the
# configuration stays the sample and nothing else.
PLUGIN = """\
import json

OUT = {out!r}


def registerCallbacks(reg):
    reg.registerCallback({name!r}, {key!r}, record, matchEvents=None, args={{"look_up": {look_up!r}}})


def record(sg, logger, event, args):
    row = {{"id": event["id"], "event_type": event["event_type"]}}
    if args["look_up"] and event["event_type"] == "Shotgun_Project_New":
        # the callback's own connection, made from [shotgun] server and the plugin's script
        found = sg.find_one("Project", [["id", "is", event["entity"]["id"]]], ["name"])
        row["name"] = found["name"]
    with open(OUT, "a") as fh:
        fh.write(json.dumps(row) + "\\n")
"""


def _plugin(site: Site, directory: Path, out: Path, *, look_up: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    name, key = site.script("plugin_upstream_sample")
    (directory / "recorder.py").write_text(PLUGIN.format(out=str(out), name=name, key=key, look_up=look_up))
    return directory


def _rows(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    text = out.read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]


def _conf(site: Site, tmp_path: Path, plugins: Path, extra: str = "") -> Path:
    conf = tmp_path / "shotgunEventDaemon.conf"
    text = fill_in(
        server=site.url, name=SCRIPT_NAME, key=SCRIPT_KEY, plugin_paths=[plugins], directory=tmp_path
    )
    conf.write_text(text + extra)
    return conf


class DaemonProcess:
    """``shotlog daemon run --config FILE`` in its own process, as an operator starts it."""

    def __init__(self, conf: Path, log_dir: Path) -> None:
        self.engine_log = log_dir / "shotgunEventDaemon"
        self.output = conf.parent / "daemon.out"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shotlog", "daemon", "run", "--config", str(conf)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def log(self) -> str:
        return self.engine_log.read_text() if self.engine_log.exists() else ""

    def wait_started(self) -> None:
        def started() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited: {self.output.read_text()}")
            return "started: 1 plugin(s), source api3" in self.log()

        wait_for(started, "the daemon to start", timeout=60)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError("the daemon did not stop on SIGTERM") from None


def test_the_unmodified_sample_runs(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "recorder.jsonl"
    plugins = _plugin(site, tmp_path / "plugins", out, look_up=True)
    conf = _conf(site, tmp_path, plugins)
    assert "[shotlog]" not in conf.read_text()

    daemon = DaemonProcess(conf, tmp_path / "logs")
    try:
        daemon.wait_started()
        name = f"upstream sample {uuid.uuid4().hex[:8]}"
        site.client().create("Project", {"name": name})

        def created() -> list[dict[str, Any]]:
            return [
                r for r in _rows(out) if r["event_type"] == "Shotgun_Project_New" and r.get("name") == name
            ]

        (row,) = wait_for(created, "the plugin to receive the new Project's event")
        assert row["id"] > 0
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output.read_text()
    ids = [r["id"] for r in _rows(out)]
    assert len(ids) == len(set(ids))  # nothing delivered twice
    log = daemon.log()
    assert "Traceback" not in log and "not a known key" not in log
    # the cursors live next to eventIdFile; shotgunEvents' own file is neither written nor needed
    state = tmp_path / "shotgunEventDaemon.id.shotlog.db"
    assert state.is_file() and not (tmp_path / "shotgunEventDaemon.id").exists()
    assert str(state) in log


def test_the_event_id_file_is_taken_over_on_the_first_run(site: Site, tmp_path: Path) -> None:
    sg = site.client()
    project = sg.create("Project", {"name": f"takeover {uuid.uuid4().hex[:8]}"})
    for i in range(3):
        sg.update("Project", project["id"], {"sg_description": f"before the switch {i}"})
    last = site.head()  # shotgunEvents processed everything up to here...
    pending = last - 1  # ...except this one, still in its backlog
    out = tmp_path / "recorder.jsonl"
    plugins = _plugin(site, tmp_path / "plugins", out)
    conf = _conf(site, tmp_path, plugins)
    legacy = tmp_path / "shotgunEventDaemon.id"
    expiry = dt.datetime.now() + dt.timedelta(minutes=4)  # upstream writes naive local times
    legacy.write_bytes(pickle.dumps({str(plugins): {"recorder": (last, {pending: expiry})}}))
    legacy_bytes = legacy.read_bytes()
    sg.update("Project", project["id"], {"sg_description": "while nothing ran"})
    missed = site.head()  # happened between the old daemon's stop and the new one's start

    daemon = DaemonProcess(conf, tmp_path / "logs")
    try:
        daemon.wait_started()
        sg.update("Project", project["id"], {"sg_description": "after the switch"})
        new = site.head()
        wait_for(lambda: new in [r["id"] for r in _rows(out)], "the first event after the switch")
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output.read_text()
    ids = [r["id"] for r in _rows(out)]
    assert ids.count(pending) == 1  # the backlog id, once
    assert last + 1 in ids and missed in ids  # the first event after the old daemon's last one
    assert not [i for i in ids if i <= last and i != pending]  # nothing it had processed
    assert sorted(i for i in ids if i != pending) == list(range(last + 1, new + 1))
    assert "importing shotgunEvents' state" in daemon.log()
    assert legacy.read_bytes() == legacy_bytes  # read, never written


def test_a_shotlog_section_still_overrides(site: Site, tmp_path: Path) -> None:
    """``[shotlog]`` keys win over the defaults: here the state goes to the shotlog database."""
    out = tmp_path / "recorder.jsonl"
    plugins = _plugin(site, tmp_path / "plugins", out)
    name = f"override-{uuid.uuid4().hex[:8]}"
    conf = _conf(
        site,
        tmp_path,
        plugins,
        f"\n\n[shotlog]\nname = {name}\nsource = direct\ndatabase_url = {site.db_url}\n",
    )
    config = parse_config(conf.read_text(), {}, path=conf)
    assert (config.source, config.name, config.state_origin) == ("direct", name, None)
    running = RunningEngine(config)
    try:
        site.client().create("Project", {"name": f"override {name}"})
        head = site.head()
        wait_for(lambda: head in [r["id"] for r in _rows(out)], "the plugin to receive the event")
    finally:
        running.stop()
    assert not (tmp_path / "shotgunEventDaemon.id.shotlog.db").exists()
    db = Database(site.db_url)
    try:
        with db.read() as conn:
            rows = conn.execute(
                sa.select(daemon_cursors.c.plugin, daemon_cursors.c.last_event_id).where(
                    daemon_cursors.c.daemon == name
                )
            ).all()
    finally:
        db.dispose()
    assert [r.plugin for r in rows] == ["recorder"] and rows[0].last_event_id >= head
