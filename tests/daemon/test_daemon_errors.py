"""stopOnError both ways, resuming from the failed event after a fix, explicit reload and resume."""

from __future__ import annotations

from pathlib import Path

from daemonkit import RunningEngine, Site, config_text, copy_plugins, make_config, records, wait_for

from shotlog.daemon import status as st


def _status(running: RunningEngine, plugin: str) -> st.PluginStatus:
    for d in st.read_status(running.engine.cursors.db, running.engine.config.name):
        for p in d.plugins:
            if p.plugin == plugin:
                return p
    raise AssertionError(plugin)


def test_stop_on_error_pauses_then_resumes_from_the_failed_event(site: Site, tmp_path: Path) -> None:
    plugins = copy_plugins(["fails", "tolerant", "recorder"], tmp_path / "plugins")
    out = tmp_path / "out"
    out.mkdir()
    scripts = {n: site.script(f"plugin_{n}") for n in ("fails", "tolerant", "recorder")}
    config = make_config(config_text(site, [plugins], out, scripts=scripts), tmp_path / "daemon.conf")
    running = RunningEngine(config)
    try:
        sg = site.client()
        project = sg.create("Project", {"name": f"errors {tmp_path.name}"})
        good = sg.create("Shot", {"code": "good1", "project": project})
        bad = sg.create("Shot", {"code": "boom1", "project": project})
        later = sg.create("Shot", {"code": "good2", "project": project})
        head = site.head()
        # the other plugins are not held up by the failing one
        wait_for(lambda: any(r["id"] >= head for r in records(out, "recorder")), "the recorder")
        wait_for(lambda: _status(running, "fails").state == "failed", "fails to stop")
        failed = _status(running, "fails")
        new_events = {
            e["entity"]["id"]: e["id"]
            for e in sg.find(
                "EventLogEntry",
                [["event_type", "is", "Shotgun_Shot_New"], ["id", "greater_than", head - 20]],
                ["entity"],
            )
            if e["entity"]
        }
        bad_event = new_events[bad["id"]]
        assert failed.error_event_id == bad_event
        assert "boom in shot" in (failed.last_error or "") and "strict" in (failed.last_error or "")
        assert failed.last_event_id is not None and failed.last_event_id < bad_event
        seen = [(r["cb"], r["id"]) for r in records(out, "fails")]
        assert ("ok", new_events[good["id"]]) in seen and ("after", new_events[good["id"]]) in seen
        assert ("ok", bad_event) in seen and ("strict", bad_event) not in seen
        assert not any(i == new_events[later["id"]] for _, i in seen), "ran past the failed event"

        # stopOnError=False: logged, counted, and the plugin moved on
        tolerant = _status(running, "tolerant")
        wait_for(lambda: (_status(running, "tolerant").last_event_id or 0) >= head, "tolerant")
        tolerant = _status(running, "tolerant")
        assert tolerant.state == "running" and tolerant.errors == 1
        assert "tolerant cannot handle boom1" in (tolerant.last_error or "")
        assert [r["id"] for r in records(out, "tolerant")] == [
            new_events[good["id"]],
            new_events[later["id"]],
        ]

        # fixing the file reloads it, and it resumes from the failed event
        path = plugins / "fails.py"
        path.write_text(path.read_text().replace("FIXED = False", "FIXED = True"))
        wait_for(
            lambda: any(
                r["cb"] == "after" and r["id"] == new_events[later["id"]] for r in records(out, "fails")
            ),
            "the fix",
        )
        seen = [(r["cb"], r["id"]) for r in records(out, "fails")]
        # "ok" had already succeeded on the failed event: it is not run again
        assert seen.count(("ok", bad_event)) == 1
        assert seen.count(("strict", bad_event)) == 1 and seen.count(("after", bad_event)) == 1
        assert _status(running, "fails").state == "running"
        assert _status(running, "fails").last_error is None
        assert len(seen) == len(set(seen)), "a callback ran twice on an event"
    finally:
        running.stop()


def test_resume_pause_and_reload_by_command(site: Site, tmp_path: Path) -> None:
    plugins = copy_plugins(["fails"], tmp_path / "plugins")
    out = tmp_path / "out"
    out.mkdir()
    scripts = {"fails": site.script("plugin_fails")}
    text = config_text(site, [plugins], out, scripts=scripts).replace(
        "[shotlog]", "[shotlog]\nhot_reload = false"
    )
    config = make_config(text, tmp_path / "daemon.conf")
    running = RunningEngine(config)
    db, name = running.engine.cursors.db, config.name
    try:
        sg = site.client()
        project = sg.create("Project", {"name": f"resume {tmp_path.name}"})
        sg.create("Shot", {"code": "boom2", "project": project})
        wait_for(lambda: _status(running, "fails").state == "failed", "fails to stop")
        # resume without a fix: it runs the failed event again and stops again
        errors = _status(running, "fails").errors
        st.resume(db, name, "fails")
        wait_for(lambda: _status(running, "fails").errors > errors, "a second failure")
        assert _status(running, "fails").state == "failed"
        # a fixed file is not noticed with hot_reload off; an explicit reload picks it up
        path = plugins / "fails.py"
        path.write_text(path.read_text().replace("FIXED = False", "FIXED = True"))
        running.engine.request_reload()
        wait_for(lambda: _status(running, "fails").state == "running", "the reload")
        wait_for(lambda: any(r["cb"] == "after" for r in records(out, "fails")), "the fixed plugin to run")

        # pause: events pile up; resume: they are processed
        st.pause(db, name, "fails")
        wait_for(lambda: _status(running, "fails").state == "paused", "the pause")
        before = len(records(out, "fails"))
        sg.create("Shot", {"code": "while paused", "project": project})
        head = site.head()
        wait_for(lambda: _status(running, "fails").lag, "lag to show")
        assert len(records(out, "fails")) == before
        st.resume(db, name, "fails")
        wait_for(lambda: (_status(running, "fails").last_event_id or 0) >= head, "processing after resume")
        assert len(records(out, "fails")) == before + 3
    finally:
        running.stop()
