"""The plugin contract, end to end: real server, real shotgun_api3 client, plugins from the repo."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from daemonkit import RunningEngine, Site, config_text, copy_plugins, make_config, records, wait_for

from shotlog.daemon.status import read_status

GOOD = ["recorder", "shared_globals", "shared_args", "callable_instances", "match_kinds", "writer"]
BAD = ["bad_syntax", "no_register", "raises_in_register", "bad_match"]


@pytest.fixture
def contract(site: Site, tmp_path: Path) -> tuple[RunningEngine, Path]:
    plugins = copy_plugins(GOOD + [b for b in BAD if b != "bad_syntax"], tmp_path / "plugins")
    # written here: a file that does not parse cannot live in the repository (linters read it)
    (plugins / "bad_syntax.py").write_text("def registerCallbacks(reg)\n    pass\n")
    out = tmp_path / "out"
    out.mkdir()
    scripts = {name: site.script(f"plugin_{name}") for name in GOOD}
    config = make_config(config_text(site, [plugins], out, scripts=scripts), tmp_path / "daemon.conf")
    running = RunningEngine(config)
    yield running, out
    running.stop()


def test_every_part_of_the_contract(site: Site, contract: tuple[RunningEngine, Path]) -> None:
    running, out = contract
    sg = site.client()
    start = site.head()
    project = sg.create("Project", {"name": f"contract {start}"})
    shot = sg.create("Shot", {"code": "c010", "project": project})
    sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    sg.update("Shot", shot["id"], {"sg_status_list": "fin"})
    head = site.head()
    wait_for(lambda: any(r["id"] >= head for r in records(out, "recorder")), "the recorder to reach the head")
    # the writer's update (one more event) must be seen too
    wait_for(lambda: len(records(out, "writer")) >= 1, "the writer")
    head = site.head()
    wait_for(lambda: any(r["id"] >= head for r in records(out, "recorder")), "the writer's own event")

    def everyone_done() -> bool:  # each plugin runs in its own thread, at its own pace
        plugins = [
            p for d in read_status(running.engine.cursors.db, running.engine.config.name) for p in d.plugins
        ]
        return all((p.last_event_id or 0) >= head for p in plugins if p.plugin in GOOD)

    wait_for(everyone_done, "every plugin to reach the head")

    seen = records(out, "recorder")
    ids = [r["id"] for r in seen]
    assert ids == sorted(ids), "events out of id order"
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    assert ids == list(range(ids[0], ids[-1] + 1)), "an event was skipped"
    assert ids[0] <= start + 1
    first = seen[0]
    assert first["keys"] == sorted(
        [
            "type",
            "id",
            "event_type",
            "attribute_name",
            "meta",
            "entity",
            "user",
            "project",
            "session_uuid",
            "created_at",
        ]
    )
    assert all(r["type"] == "EventLogEntry" for r in seen)
    assert all(r["created_at_aware"] and r["created_at_tz"] == "LocalTimezone" for r in seen)
    assert all(r["sg_script"] == "plugin_recorder" for r in seen)  # the callback's own credentials
    assert all(r["logger"] == "plugin.recorder.record" and r["logger_has_config"] for r in seen)
    assert all(r["sg_session_uuid"] == r["session_uuid"] for r in seen)  # use_session_uuid = true

    # the events match what the official client reads from the server
    truth = sg.find(
        "EventLogEntry",
        [["id", "between", [ids[0], ids[-1]]]],
        ["event_type", "attribute_name", "meta", "entity", "session_uuid"],
        order=[{"field_name": "id", "direction": "asc"}],
    )
    assert [(t["id"], t["event_type"], t["attribute_name"], t["meta"], t["entity"]) for t in truth] == [
        (r["id"], r["event_type"], r["attribute_name"], r["meta"], r["entity"]) for r in seen
    ]

    new_shot_ids = [r["id"] for r in seen if r["event_type"] == "Shotgun_Shot_New"]
    assert len(new_shot_ids) == 1
    new_id = new_shot_ids[0]

    # shared state through module globals, in registration order, with the event dict shared
    glob = records(out, "shared_globals")
    assert [(g["cb"], g["n"]) for g in glob] == [("first", 1), ("second", 2), ("third", 3)]
    assert glob[-1]["touched"] == ["first", "second", "third"]
    # through args: the same object on every call
    shared = records(out, "shared_args")
    assert [s["calls"] for s in shared] == [1, 2] and len({s["args_id"] for s in shared}) == 1
    # callable instances, named <ClassName>_<hex id>
    inst = records(out, "callable_instances")
    assert [i["who"] for i in inst] == ["Counter", "partial"]
    assert inst[0]["logger"].startswith("plugin.callable_instances.Counter_0x")
    assert inst[1]["logger"].startswith("plugin.callable_instances.partial_0x")

    # matchEvents kinds
    kinds: dict[str, list[tuple[str, str | None]]] = {}
    for m in records(out, "match_kinds"):
        kinds.setdefault(m["cb"], []).append((m["type"], m["attr"]))
    status_changes = [
        r
        for r in seen
        if r["event_type"] == "Shotgun_Shot_Change" and r["attribute_name"] == "sg_status_list"
    ]
    assert len(status_changes) >= 3  # the in_create change, then two updates
    assert kinds["as_list"] == [("Shotgun_Shot_Change", "sg_status_list")] * len(status_changes)
    # a str is a substring test: it also matched the in_create Change of sg_status_list ... and nothing
    # that does not contain the name
    assert all(a and a in "sg_status_list" for _, a in kinds["as_string"])
    assert len(kinds["as_string"]) >= len(kinds["as_list"])
    assert kinds["as_none"] == [("Shotgun_Shot_New", None)]
    assert kinds["star_attr"] == [("Shotgun_Shot_New", None)]
    # '*' wins over every other key: description changes of any type, and not the Shot New event
    assert kinds["star_type"] and all(a == "description" for _, a in kinds["star_type"])
    assert "new_with_attr" not in kinds  # New events have no attribute name

    # a plugin writing back through its own connection, attributed to its own script
    written = sg.find_one("Shot", [["id", "is", shot["id"]]], ["description"])
    assert written["description"] == f"seen by writer {new_id}"
    by_writer = sg.find(
        "EventLogEntry",
        [["entity", "is", {"type": "Shot", "id": shot["id"]}], ["attribute_name", "is", "description"]],
        ["user", "meta"],
    )
    writers = Counter(e["user"]["name"] for e in by_writer if e["meta"]["new_value"].startswith("seen by"))
    assert writers == Counter({"plugin_writer": 1})

    # the broken plugins are reported and skipped, naming themselves, while the others ran
    status = {
        p.plugin: p
        for d in read_status(running.engine.cursors.db, running.engine.config.name)
        for p in d.plugins
    }
    for name in BAD:
        assert status[name].state == "load_error", name
    assert "SyntaxError" in (status["bad_syntax"].last_error or "")
    assert "registerCallbacks" in (status["no_register"].last_error or "")
    assert "cannot register today" in (status["raises_in_register"].last_error or "")
    assert "bad_match" in (status["bad_match"].last_error or "")
    assert "matchEvents" in (status["bad_match"].last_error or "")
    for name in GOOD:
        assert status[name].state == "running" and status[name].last_error is None, name
    assert status["recorder"].position >= ids[-1]
    timing_log = (out / "logs" / "shotgunEventDaemon.timing").read_text()
    assert f"event_id={new_id} " in timing_log and "callback=writer.describe" in timing_log
    assert (out / "logs" / "plugin.writer").exists()
