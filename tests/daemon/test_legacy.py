"""``shotlog daemon import-state``: shotgunEvents' state file, read strictly, applied exactly."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner
from daemonkit import RunningEngine, Site, config_text, copy_plugins, make_config, records, wait_for

from shotlog.cli import main
from shotlog.daemon.legacy import LegacyStateError, read_legacy_state

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
