"""``shotlog daemon import-state``: shotgunEvents' state file, read strictly, applied exactly."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner
from daemonkit import (
    SCRIPT_KEY,
    SCRIPT_NAME,
    RunningEngine,
    Site,
    config_text,
    copy_plugins,
    make_config,
    records,
    wait_for,
)
from upstream_sample import fill_in

from shotlog.cli import main
from shotlog.daemon.conf import load_config
from shotlog.daemon.cursors import CursorStore
from shotlog.daemon.launch import state_session
from shotlog.daemon.legacy import LegacyStateError, adopt_event_id_file, read_legacy_state

NOW = dt.datetime(2026, 1, 1, 12, 0)


def _write(tmp_path: Path, data: object, protocol: int = pickle.HIGHEST_PROTOCOL) -> Path:
    path = tmp_path / "shotgunEventDaemon.id"
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    return path


def test_reads_both_pickle_protocols_and_drops_expired_backlog(tmp_path: Path) -> None:
    data = {
        "/plugins": {
            "a": (120, {118: NOW + dt.timedelta(minutes=3), 119: NOW - dt.timedelta(minutes=1)}),
            "b": (None, {}),
        }
    }
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        state = read_legacy_state(_write(tmp_path, data, protocol), now=NOW)
        a = state.lookup("/plugins", "a")
        assert a is not None and a.last_id == 120 and a.backlog == (118,)
        assert state.lookup("/plugins", "b") is None  # None: no state
        # a moved directory: found by plugin name
        assert state.lookup("/elsewhere", "a") == a


def test_one_line_legacy_format(tmp_path: Path) -> None:
    path = tmp_path / "old.id"
    path.write_text("4242\n")
    state = read_legacy_state(path)
    found = state.lookup("/any", "plugin")
    assert found is not None and found.last_id == 4242


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x80\x05garbage", "neither a shotgunEvents state pickle"),
        (pickle.dumps(["not", "a", "dict"]), "holds a list"),
        (pickle.dumps({"/p": {"a": (1, 2, 3)}}), "not (last id, backlog)"),
        (pickle.dumps({"/p": {"a": ("x", {})}}), "is not an integer"),
    ],
)
def test_bad_files_are_errors_not_start_at_now(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.id"
    path.write_bytes(content)
    with pytest.raises(LegacyStateError) as err:
        read_legacy_state(path)
    assert message in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LegacyStateError, match="cannot read"):
        read_legacy_state(tmp_path / "nope.id")


@pytest.mark.parametrize("source", ["direct", "api3"])
def test_switching_over_skips_and_repeats_nothing(site: Site, tmp_path: Path, source: str) -> None:
    sg = site.client()
    project = sg.create("Project", {"name": f"legacy {source} {tmp_path.name}"})
    for i in range(3):
        sg.update("Project", project["id"], {"sg_description": f"v{i}"})
    last = site.head()  # shotgunEvents processed everything up to here...
    pending = last - 1  # ...except this one, still in its backlog
    plugins = copy_plugins(["recorder"], tmp_path / "plugins")
    out = tmp_path / "out"
    out.mkdir()
    scripts = {"recorder": site.script("plugin_recorder")}
    state_url = None if source == "direct" else f"sqlite:///{tmp_path / 'state.db'}"
    text = config_text(site, [plugins], out, source=source, state_url=state_url, scripts=scripts)
    conf = tmp_path / "daemon.conf"
    config = make_config(text, conf)
    legacy = _write(
        tmp_path, {str(plugins): {"recorder": (last, {pending: dt.datetime.now() + dt.timedelta(minutes=4)})}}
    )
    result = CliRunner().invoke(main, ["daemon", "import-state", "--config", str(conf), str(legacy)])
    assert result.exit_code == 0, result.output
    assert f"after event {last}, 1 backlog id(s)" in result.output

    sg.update("Project", project["id"], {"sg_description": "after the switch"})
    running = RunningEngine(config)
    try:
        new = site.head()
        wait_for(lambda: new in [r["id"] for r in records(out, "recorder")], "the first new event")
        ids = [r["id"] for r in records(out, "recorder")]
        assert pending in ids and ids.count(pending) == 1
        assert last not in ids and last - 2 not in ids
        assert sorted(i for i in ids if i != pending) == list(range(last + 1, new + 1))
    finally:
        running.stop()


def test_cli_reports_a_bad_state_file(site: Site, tmp_path: Path) -> None:
    plugins = copy_plugins(["recorder"], tmp_path / "plugins")
    conf = tmp_path / "daemon.conf"
    conf.write_text(config_text(site, [plugins], tmp_path))
    bad = tmp_path / "empty.id"
    bad.write_bytes(b"")
    result = CliRunner().invoke(main, ["daemon", "import-state", "--config", str(conf), str(bad)])
    assert result.exit_code == 1 and "is empty" in result.output and "Traceback" not in result.output


def _upstream_conf(site: Site, tmp_path: Path, plugins: Path) -> Path:
    """shotgunEvents' sample filled in: no [shotlog] section, state next to eventIdFile."""
    conf = tmp_path / "shotgunEventDaemon.conf"
    conf.write_text(
        fill_in(server=site.url, name=SCRIPT_NAME, key=SCRIPT_KEY, plugin_paths=[plugins], directory=tmp_path)
    )
    return conf


def test_the_event_id_file_is_adopted_on_the_first_run_only(site: Site, tmp_path: Path) -> None:
    plugins = copy_plugins(["recorder"], tmp_path / "plugins")
    (plugins / "newcomer.py").write_text("def registerCallbacks(reg):\n    pass\n")
    config = load_config(_upstream_conf(site, tmp_path, plugins), {})
    assert config.event_id_file is not None
    last = site.head()
    _write(tmp_path, {str(plugins): {"recorder": (last - 1, {})}})
    assert config.event_id_file == tmp_path / "shotgunEventDaemon.id"
    asked: list[int] = []

    def newest() -> int:
        asked.append(last)
        return last

    with state_session(config) as (state, _store):
        cursors = CursorStore(state, config.name)
        first = adopt_event_id_file(config, state, cursors, newest)
        assert first is not None
        by_plugin = {i.plugin: i.last_id for i in first}
        assert by_plugin == {"recorder": last - 1, "newcomer": None}
        recorder = cursors.get(str(plugins), "recorder")
        newcomer = cursors.get(str(plugins), "newcomer")
        assert recorder is not None and recorder.fence_event_id == last - 1
        # a plugin the file does not know starts at the newest event, as without an import
        assert newcomer is not None and newcomer.fence_event_id == last
        # the second run finds its own state and leaves it alone
        cursors.move(str(plugins), "recorder", position=7, last_event_id=last)
        assert adopt_event_id_file(config, state, cursors, newest) is None
        moved = cursors.get(str(plugins), "recorder")
        assert moved is not None and moved.position == 7
    assert asked == [last]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (pickle.dumps({"/elsewhere": {"recorder": (10**9, {})}}), "comes from another site"),
    ],
)
def test_a_bad_event_id_file_stops_the_first_run(
    site: Site, tmp_path: Path, content: bytes, message: str
) -> None:
    plugins = copy_plugins(["recorder"], tmp_path / "plugins")
    conf = _upstream_conf(site, tmp_path, plugins)
    (tmp_path / "shotgunEventDaemon.id").write_bytes(content)
    result = CliRunner().invoke(main, ["daemon", "run", "--config", str(conf)])
    assert result.exit_code == 1, result.output
    assert "[daemon] eventIdFile:" in result.output and message in result.output
    assert "Traceback" not in result.output
    # nothing was written: the next start tries again instead of starting at the newest event
    config = load_config(conf, {})
    with state_session(config) as (state, _store):
        assert CursorStore(state, config.name).all() == []
        instance = CursorStore(state, config.name).instance()
        assert instance is not None and instance["stopped_at"] is not None


def test_import_state_reads_the_event_id_file_by_default(site: Site, tmp_path: Path) -> None:
    plugins = copy_plugins(["recorder"], tmp_path / "plugins")
    conf = _upstream_conf(site, tmp_path, plugins)
    missing = CliRunner().invoke(main, ["daemon", "import-state", "--config", str(conf)])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    assert str(tmp_path / "shotgunEventDaemon.id") in missing.output
    _write(tmp_path, {str(plugins): {"recorder": (site.head(), {})}})
    result = CliRunner().invoke(main, ["daemon", "import-state", "--config", str(conf)])
    assert result.exit_code == 0 and f"recorder: after event {site.head()}" in result.output, result.output


def test_import_state_refuses_a_file_from_another_site(site: Site, tmp_path: Path) -> None:
    plugins = copy_plugins(["recorder"], tmp_path / "plugins")
    conf = _upstream_conf(site, tmp_path, plugins)
    ahead = site.head() + 10**6
    path = _write(tmp_path, {str(plugins): {"recorder": (ahead, {})}})
    result = CliRunner().invoke(main, ["daemon", "import-state", "--config", str(conf), str(path)])
    assert result.exit_code == 1, result.output
    assert "comes from another site" in result.output and str(ahead) in result.output
    config = load_config(conf, {})
    with state_session(config) as (state, _store):
        assert CursorStore(state, config.name).all() == []  # nothing written
