"""``shotlog daemon ...`` commands: start/stop/status/reload, replay, new-plugin, bad configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from daemonkit import Site, config_text, copy_plugins, records, wait_for

from shotlog.cli import main


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    return subprocess.run(
        [sys.executable, "-m", "shotlog", "daemon", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _in_process(*args: str) -> tuple[int, str]:
    """Commands that do not start a daemon run in this process (no interpreter start-up each)."""
    result = CliRunner().invoke(main, ["daemon", *args])
    return result.exit_code, result.output


def test_start_status_reload_replay_stop(site: Site, tmp_path: Path) -> None:
    plugins = copy_plugins(["recorder"], tmp_path / "plugins")
    out = tmp_path / "out"
    out.mkdir()
    conf = tmp_path / "daemon.conf"
    conf.write_text(config_text(site, [plugins], out, scripts={"recorder": site.script("plugin_recorder")}))
    sg = site.client()
    project = sg.create("Project", {"name": f"cli {tmp_path.name}"})
    first = site.head()

    started = _cli("start", "--config", str(conf), "--from-event-id", str(first))
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        again = _cli("start", "--config", str(conf))
        assert again.returncode == 1 and "already running" in again.stderr
        wait_for(
            lambda: first in [r["id"] for r in records(out, "recorder")], "--from-event-id to be honoured"
        )

        code, output = _in_process("status", "--config", str(conf), "--json")
        assert code == 0, output
        (daemon,) = json.loads(output)
        assert daemon["running"] and daemon["plugins"][0]["plugin"] == "recorder"
        code, output = _in_process("status", "--config", str(conf))
        assert "recorder" in output and "running" in output

        assert _in_process("reload", "--config", str(conf))[0] == 0
        # replay one plugin from an id: the running daemon processes those events again
        sg.update("Project", project["id"], {"sg_description": "one"})
        head = site.head()
        wait_for(lambda: head in [r["id"] for r in records(out, "recorder")], "the new event")
        code, output = _in_process("replay", "recorder", "--config", str(conf), "--from-event-id", str(first))
        assert code == 0, output
        wait_for(lambda: [r["id"] for r in records(out, "recorder")].count(head) == 2, "the replay")
        code, output = _in_process("replay", "nope", "--config", str(conf), "--from-event-id", "1")
        assert code == 1 and "no plugin 'nope'" in output
    finally:
        stopped = _cli("stop", "--config", str(conf))
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stdout + stopped.stderr
    assert not (out / "daemon.pid").exists()
    assert "not running" in _in_process("stop", "--config", str(conf))[1]
    logs = (out / "logs" / "shotgunEventDaemon").read_text()
    assert "Reloaded plugin" in logs and "Traceback" not in logs

    # a one-off replay of a range, here and now, leaving the cursor alone
    before = len(records(out, "recorder"))
    code, output = _in_process(
        "replay",
        "recorder",
        "--config",
        str(conf),
        "--from-event-id",
        str(first),
        "--to-event-id",
        str(first + 1),
    )
    assert code == 0 and "replayed 2 event(s)" in output, output
    assert [r["id"] for r in records(out, "recorder")][before:] == [first, first + 1]


def test_stop_kills_a_daemon_that_will_not_stop(site: Site, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "stuck.py").write_text(
        "import time\n\n"
        "def registerCallbacks(reg):\n"
        "    reg.registerCallback('x', 'y', stuck)\n\n"
        "def stuck(sg, logger, event, args):\n"
        "    open(reg_out, 'a').write('in\\n')\n"
        "    time.sleep(600)\n"
        f"reg_out = {str(tmp_path / 'stuck.txt')!r}\n"
    )
    conf = tmp_path / "daemon.conf"
    conf.write_text(config_text(site, [plugins], tmp_path).replace("stop_timeout = 10", "stop_timeout = 1"))
    assert _cli("start", "--config", str(conf)).returncode == 0
    sg = site.client()

    def poke() -> bool:
        sg.create("Project", {"name": f"stuck {tmp_path.name} {os.urandom(4).hex()}"})
        return (tmp_path / "stuck.txt").exists()

    wait_for(poke, "the stuck callback")
    stopped = _cli("stop", "--config", str(conf), "--timeout", "3")
    # the engine gives up on the callback after stop_timeout and exits; SIGKILL would follow otherwise
    assert stopped.returncode == 0 and ("stopped" in stopped.stdout or "killed" in stopped.stdout)


def test_new_plugin_writes_a_loadable_template(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["daemon", "new-plugin", "my_hook", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    source = (tmp_path / "my_hook.py").read_text()
    assert "def registerCallbacks(reg):" in source and "matchEvents" in source
    compile(source, "my_hook.py", "exec")
    again = CliRunner().invoke(main, ["daemon", "new-plugin", "my_hook", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = CliRunner().invoke(main, ["daemon", "new-plugin", "my-hook", "--dir", str(tmp_path)])
    assert bad.exit_code == 1 and "'my-hook'" in bad.output


def test_a_bad_configuration_fails_at_start_naming_section_key_and_value(tmp_path: Path) -> None:
    conf = tmp_path / "daemon.conf"
    conf.write_text(
        "[daemon]\nfetch_interval = soon\n[shotgun]\nserver = http://x\n[plugins]\npaths = /tmp\n"
        "[shotlog]\nsource = direct\ndatabase_url = sqlite:///x.db\n"
    )
    code, output = _in_process("run", "--config", str(conf))
    assert code == 1
    assert "[daemon] fetch_interval = 'soon' is not a number" in output and "Traceback" not in output
    code, output = _in_process("run", "--config", str(tmp_path / "nope.conf"))
    assert code == 1 and "does not exist" in output
