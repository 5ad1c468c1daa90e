"""Helpers of the daemon tests: a real ``shotlog serve``, scripts for plugins, config files, engines.

Plugins under ``tests/daemon/plugins`` write what they see to JSON-lines files in the directory
named by ``[tests] out_dir`` of the configuration, so tests (and subprocess daemons) can check
exactly which events each callback received.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sitekit
import waiting
from shotlog.daemon.conf import DaemonConfig, parse_config
from shotlog.daemon.engine import Engine
from shotlog.daemon.launch import Daemon

HERE = Path(__file__).resolve().parent
PLUGINS = HERE / "plugins"
SCRIPT_NAME = "daemon_tests"
SCRIPT_KEY = "k3y-" + "fedcba9876543210" * 4
TIMEOUT = 30.0


@dataclass
class Site(sitekit.Site):
    """A running ``shotlog serve`` and the database behind it, as the daemon tests' script unless
    told otherwise."""

    script_name: str = SCRIPT_NAME
    script_key: str = SCRIPT_KEY


def launch_site(db_url: str, directory: Path) -> Site:
    return sitekit.launch_site(Site, db_url, directory, SCRIPT_NAME, SCRIPT_KEY)


def copy_plugins(names: list[str], target: Path, source: str = "contract") -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(PLUGINS / source / f"{name}.py", target / f"{name}.py")
    return target


def config_text(
    site: Site,
    plugin_dirs: list[Path],
    out_dir: Path,
    *,
    source: str = "direct",
    state_url: str | None = None,
    name: str | None = None,
    extra: str = "",
    batch: int = 500,
    fetch_interval: float = 0.05,
    scripts: dict[str, tuple[str, str]] | None = None,
) -> str:
    lines = [
        "[daemon]",
        f"pidFile = {out_dir / 'daemon.pid'}",
        f"eventIdFile = {out_dir / 'state.id'}",
        "logMode = 1",
        f"logPath = {out_dir / 'logs'}",
        "logFile = shotgunEventDaemon",
        "logging = 20",
        "timing_log = on",
        "conn_retry_sleep = 1",
        "max_conn_retries = 3",
        f"fetch_interval = {fetch_interval}",
        f"max_event_batch_size = {batch}",
        "",
        "[shotgun]",
        f"server = {site.url}",
        f"name = {SCRIPT_NAME}",
        f"key = {SCRIPT_KEY}",
        "use_session_uuid = true",
        "",
        "[plugins]",
        "paths = " + ", ".join(str(p) for p in plugin_dirs),
        "",
        "[emails]",
        "enabled = false",
        "",
        "[shotlog]",
        f"name = {name or 'd' + uuid.uuid4().hex[:8]}",
        f"source = {source}",
        f"database_url = {site.db_url}",
        "stop_timeout = 10",
        "gap_timeout = 600",
    ]
    if state_url:
        lines.append(f"state_url = {state_url}")
    lines += ["", "[tests]", f"out_dir = {out_dir}"]
    for plugin, (sname, skey) in (scripts or {}).items():
        lines += [f"{plugin}_name = {sname}", f"{plugin}_key = {skey}"]
    return "\n".join(lines) + "\n" + extra


def make_config(text: str, path: Path) -> DaemonConfig:
    path.write_text(text)
    return parse_config(text, {}, path=path)


class RunningEngine:
    """An engine in a thread of the test process."""

    def __init__(self, config: DaemonConfig, **kwargs: Any) -> None:
        self.daemon = Daemon(config, foreground=False, **kwargs)
        self.engine: Engine = self.daemon.engine
        self.thread = threading.Thread(target=self.daemon.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.engine.stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the engine did not stop"


def records(out_dir: Path, plugin: str) -> list[dict[str, Any]]:
    path = out_dir / f"{plugin}.jsonl"
    if not path.exists():
        return []
    text = path.read_text()
    # the plugin may be writing its next line right now: only whole lines (newline-terminated) count
    complete = text[: text.rfind("\n") + 1]
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


def wait_for(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    return waiting.wait_for(check, what, timeout, every=0.02)


def python() -> str:
    return sys.executable


def iter_ids(rows: list[dict[str, Any]]) -> Iterator[int]:
    for r in rows:
        yield int(r["id"])
