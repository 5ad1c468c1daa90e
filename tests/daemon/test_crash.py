"""kill -9 during a backlog, restart: nothing skipped, nothing run twice except the event in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from daemonkit import Site, config_text, copy_plugins, wait_for


def _ids(out: Path) -> list[int]:
    path = out / "slow_recorder.ids"
    if not path.exists():
        return []
    return [int(x) for x in path.read_text().split()]


def _daemon(conf: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    with log.open("ab") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "shotlog", "daemon", "run", "--config", str(conf)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
        )


@pytest.mark.parametrize(
    ("source", "settings"),
    [
        ("direct", ""),  # the defaults
        # database cursors committed once a minute: only the progress files know where plugins are
        ("direct", "commit_interval = 60"),
        ("api3", "commit_interval = 60"),
        ("direct", "commit_every = 1"),  # a database commit per event
    ],
)
def test_kill_9_during_a_backlog_loses_and_repeats_nothing(
    site: Site, tmp_path: Path, source: str, settings: str
) -> None:
    """Whatever the database commit settings, the progress file keeps the repeat to the event in
    flight (with commit_interval = 60 the database cursor alone would repeat ~40 events)."""
    plugins = copy_plugins(["slow_recorder"], tmp_path / "plugins", source="crash")
    out = tmp_path / "out"
    out.mkdir()
    scripts = {"slow_recorder": site.script("plugin_slow_recorder")}
    state = None if source == "direct" else f"sqlite:///{tmp_path / 'state.db'}"
    conf = tmp_path / "daemon.conf"
    text = config_text(site, [plugins], out, source=source, state_url=state, scripts=scripts)
    conf.write_text(text.replace("[shotlog]", f"[shotlog]\n{settings}"))
    log = tmp_path / "daemon.log"
    sg = site.client()
    project = sg.create("Project", {"name": f"crash {source} {tmp_path.name}"})

    daemon = _daemon(conf, log)
    try:
        pokes = iter(range(1000))

        def poke() -> bool:  # events until the started daemon processes one
            sg.update("Project", project["id"], {"sg_description": f"poke {next(pokes)}"})
            time.sleep(0.2)
            return bool(_ids(out)) or daemon.poll() is not None

        try:
            wait_for(poke, "the daemon to start processing")
        except AssertionError:
            logs = {p.name: p.read_text()[-3000:] for p in (out / "logs").iterdir()}
            raise AssertionError(f"{log.read_text()}\n{logs}") from None
        assert daemon.poll() is None, log.read_text()
        start = _ids(out)[0]
        sg.batch(
            [
                {
                    "request_type": "create",
                    "entity_type": "Shot",
                    "data": {"code": f"k{i:03d}", "project": project},
                }
                for i in range(40)
            ]
        )
        head = site.head()
        assert head - start > 100
        wait_for(lambda: len(_ids(out)) > 30, "part of the backlog")
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=10)
        assert len(set(_ids(out))) < head - start + 1, "the backlog was already done: nothing was tested"

        daemon = _daemon(conf, log)
        wait_for(lambda: head in _ids(out), "the backlog after the restart", timeout=60)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    ids = _ids(out)
    assert set(ids) == set(range(start, head + 1)), "an event was skipped"
    repeated = {i: n for i, n in Counter(ids).items() if n > 1}
    assert len(repeated) <= 1 and all(n == 2 for n in repeated.values()), repeated
    assert "Traceback" not in log.read_text()
