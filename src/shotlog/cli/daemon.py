"""``shotlog daemon``: run shotgunEvents plugins on the event log."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from shotlog.cli.common import fail

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["daemon"]


def config_option(fn: F) -> F:
    return click.option(
        "--config",
        "-c",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Config file (else SHOTLOG_DAEMON_CONFIG, ./ or /etc/shotgunEventDaemon.conf).",
    )(fn)


def _config(path: Path | None) -> Any:
    from shotlog.daemon.conf import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        fail(f"configuration: {exc}")


def _pid_file(config: Any) -> Path:
    if config.pid_file is None:
        fail("[daemon] pidFile is missing: start, stop and reload need it")
    return Path(config.pid_file)


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if not text.isdigit():
        return None
    pid = int(text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # a stale file: the process is gone
    except PermissionError:
        return pid
    return pid


@click.group()
def daemon() -> None:
    """Run shotgunEvents plugins on the event log (see docs/daemon.md)."""


@daemon.command()
@config_option
@click.option(
    "--from-event-id", type=click.IntRange(min=1), default=None, help="Start every plugin at this event id."
)
@click.option("--write-pid", is_flag=True, hidden=True)
def run(config_path: Path | None, from_event_id: int | None, write_pid: bool) -> None:
    """Run the daemon in the foreground until SIGTERM or Ctrl-C (SIGHUP reloads the plugins)."""
    from shotlog.daemon.cursors import DaemonBusy
    from shotlog.daemon.launch import run_daemon

    config = _config(config_path)
    pid_path = _pid_file(config) if write_pid else None
    if pid_path is not None:
        pid_path.parent.mkdir(parents=True, exist_ok=True)
        pid_path.write_text(f"{os.getpid()}\n")
    try:
        run_daemon(config, foreground=not write_pid, from_event_id=from_event_id)
    except DaemonBusy as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc))
    finally:
        if pid_path is not None and _read_pid(pid_path) == os.getpid():
            with contextlib.suppress(OSError):
                pid_path.unlink()


@daemon.command()
@config_option
@click.option(
    "--from-event-id", type=click.IntRange(min=1), default=None, help="Start every plugin at this event id."
)
@click.option(
    "--wait", "wait_seconds", default=30.0, show_default=True, help="Seconds to wait for it to come up."
)
def start(config_path: Path | None, from_event_id: int | None, wait_seconds: float) -> None:
    """Start the daemon in the background; its pid goes to [daemon] pidFile."""
    config = _config(config_path)
    pid_path = _pid_file(config)
    running = _read_pid(pid_path)
    if running is not None:
        fail(f"the daemon is already running (pid {running}, {pid_path})")
    with contextlib.suppress(OSError):
        pid_path.unlink()
    cmd = [sys.executable, "-m", "shotlog", "daemon", "run", "--write-pid"]
    if config.path is not None:
        cmd += ["--config", str(config.path.resolve())]
    if from_event_id is not None:
        cmd += ["--from-event-id", str(from_event_id)]
    log_dir = config.log_path or (config.path.parent if config.path else Path.cwd())
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path = log_dir / f"{config.log_file}.stdout"
    with out_path.open("ab") as out:
        process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = out_path.read_text(errors="replace")[-2000:]
            fail(f"the daemon exited at start with status {process.returncode}:\n{tail}")
        if _read_pid(pid_path) == process.pid:
            click.echo(f"shotlog daemon started (pid {process.pid})")
            return
        time.sleep(0.05)
    click.echo(f"shotlog daemon started (pid {process.pid}); no pid file yet at {pid_path}")


@daemon.command()
@config_option
@click.option(
    "--timeout",
    default=None,
    type=float,
    help="Seconds to wait after SIGTERM before SIGKILL (default: stop_timeout + 5).",
)
def stop(config_path: Path | None, timeout: float | None) -> None:
    """Stop the daemon: SIGTERM, wait for the callbacks in flight, then SIGKILL after the timeout."""
    config = _config(config_path)
    pid_path = _pid_file(config)
    pid = _read_pid(pid_path)
    if pid is None:
        with contextlib.suppress(OSError):
            pid_path.unlink()
        click.echo("the daemon is not running")
        return
    os.kill(pid, signal.SIGTERM)
    limit = config.stop_timeout + 5 if timeout is None else timeout
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not _alive(pid):
            click.echo(f"stopped (pid {pid})")
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        pid_path.unlink()
    click.echo(f"pid {pid} did not stop within {limit:.0f} s: killed")


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # our own child (tests): reap it
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@daemon.command()
@config_option
def reload(config_path: Path | None) -> None:
    """Reload every plugin of the running daemon now (SIGHUP); changed files reload by themselves."""
    config = _config(config_path)
    pid = _read_pid(_pid_file(config))
    if pid is None:
        fail("the daemon is not running")
        return
    os.kill(pid, signal.SIGHUP)
    click.echo(f"reload requested (pid {pid})")


@daemon.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def status(config_path: Path | None, as_json: bool) -> None:
    """Every plugin: state, cursor, lag, last error."""
    from shotlog.daemon.launch import state_session
    from shotlog.daemon.status import read_status

    config = _config(config_path)
    with state_session(config) as (state, store):
        head = store.head_event_id() if store is not None else None
        daemons = read_status(state, config.name, head_event_id=head)
    if as_json:
        click.echo(json.dumps([d.as_dict() for d in daemons], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not daemons:
        console.print(f"daemon {config.name!r} has never run")
        return
    for d in daemons:
        up = f"running (pid {d.pid} on {d.host})" if d.running else "not running"
        console.print(
            f"daemon [bold]{d.daemon}[/bold]: {up}; source {d.source}; head event {d.head_event_id}"
        )
        table = Table("plugin", "state", "cursor", "last event", "lag", "processed", "errors", "last error")
        for p in d.plugins:
            table.add_row(
                f"{p.collection}/{p.plugin}" if len({q.collection for q in d.plugins}) > 1 else p.plugin,
                p.state,
                str(p.position),
                str(p.last_event_id or ""),
                "" if p.lag is None else str(p.lag),
                str(p.processed),
                str(p.errors),
                (p.last_error or "")[:80],
            )
        console.print(table)


def _operator(action: str) -> Callable[..., None]:
    @config_option
    @click.argument("plugin")
    @click.option("--collection", default=None, help="The plugin directory, when the name is in several.")
    def command(config_path: Path | None, plugin: str, collection: str | None) -> None:
        from shotlog.daemon import status as st
        from shotlog.daemon.launch import state_session

        config = _config(config_path)
        try:
            with state_session(config) as (state, _store):
                fn = st.pause if action == "pause" else st.resume
                cur = fn(state, config.name, plugin, collection)
        except st.PluginNotFound as exc:
            fail(str(exc))
            return
        click.echo(f"{action}d {cur.collection}/{cur.plugin}")

    command.__doc__ = {
        "pause": "Pause one plugin (the daemon keeps running the others).",
        "resume": "Resume a paused plugin, or retry one stopped by an error (stopOnError).",
    }[action]
    return command


daemon.command(name="pause")(_operator("pause"))
daemon.command(name="resume")(_operator("resume"))


@daemon.command()
@config_option
@click.argument("plugin")
@click.option(
    "--from-event-id", type=click.IntRange(min=1), required=True, help="First event id to process again."
)
@click.option(
    "--to-event-id",
    type=click.IntRange(min=1),
    default=None,
    help="Last event id: run the plugin over the range here and now, leaving its cursor alone.",
)
@click.option("--collection", default=None, help="The plugin directory, when the name is in several.")
def replay(
    config_path: Path | None, plugin: str, from_event_id: int, to_event_id: int | None, collection: str | None
) -> None:
    """Process events again for one plugin.

    Without --to-event-id the plugin's cursor moves back to --from-event-id and the running daemon
    processes everything from there. With it, the range is run once in this process.
    """
    from shotlog.daemon import status as st
    from shotlog.daemon.launch import state_session

    config = _config(config_path)
    if to_event_id is not None:
        if to_event_id < from_event_id:
            fail(f"--to-event-id {to_event_id} is before --from-event-id {from_event_id}")
        from shotlog.daemon.replay import replay_range

        try:
            count = replay_range(config, plugin, from_event_id, to_event_id, collection)
        except (LookupError, ValueError) as exc:
            fail(str(exc))
            return
        click.echo(f"replayed {count} event(s) through {plugin}")
        return
    try:
        with state_session(config) as (state, _store):
            cur = st.replay(state, config.name, plugin, from_event_id, collection)
    except (st.PluginNotFound, ValueError) as exc:
        fail(str(exc))
        return
    click.echo(f"{cur.collection}/{cur.plugin} will process again from event {from_event_id}")


@daemon.command(name="import-state")
@config_option
@click.argument("state_file", type=click.Path(dir_okay=False, path_type=Path), required=False)
def import_state_command(config_path: Path | None, state_file: Path | None) -> None:
    """Import shotgunEvents' state file (eventIdFile) so no event is skipped or run twice.

    STATE_FILE defaults to [daemon] eventIdFile. `run` imports that file by itself on the first run
    of a daemon name; this command does it on demand (with the daemon stopped)."""
    from shotlog.daemon.cursors import DaemonBusy
    from shotlog.daemon.launch import import_state
    from shotlog.daemon.legacy import LegacyStateError, read_legacy_state

    config = _config(config_path)
    if state_file is None:
        if config.event_id_file is None:
            fail("give the state file, or set [daemon] eventIdFile in the configuration")
        state_file = Path(config.event_id_file)
    try:
        legacy = read_legacy_state(state_file)
        imported = import_state(config, legacy, state_file)
    except (LegacyStateError, DaemonBusy) as exc:
        fail(str(exc))
        return
    for item in imported:
        if item.last_id is None:
            click.echo(f"{item.collection}/{item.plugin}: no state in the file; starts at the newest event")
        else:
            extra = f", {len(item.pending)} backlog id(s) still to process" if item.pending else ""
            click.echo(f"{item.collection}/{item.plugin}: after event {item.last_id}{extra}")


@daemon.command(name="new-plugin")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
)
def new_plugin(name: str, directory: Path) -> None:
    """Write NAME.py, a commented starting point in shotgunEvents' plugin format."""
    from shotlog.daemon.template import plugin_source, valid_plugin_name

    if not valid_plugin_name(name):
        fail(f"plugin name {name!r} must be a Python identifier (letters, digits, underscores)")
    path = directory / f"{name}.py"
    if path.exists():
        fail(f"{path} already exists")
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(plugin_source(name))
    click.echo(f"wrote {path}")
