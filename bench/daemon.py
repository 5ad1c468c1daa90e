"""The event daemon: draining a log with each source next to a shotgunEvents-style poller, and the
latency from a commit to the callback starting.

Same server (``shotlog serve`` on a copy of the benchmark log), same ``--events`` events, a no-op
plugin registered for every event:

1. **Drain**: the time for the plugin's cursor to go from the first event to the head, with the
   ``direct`` source (the database, pushed by wake-ups), the ``stream`` source (the server's
   server-sent events) and the ``api3`` polling source (``find`` 500 at a time into the journal),
   next to a **baseline** that does what shotgunEvents does: ``find`` ``id > last`` 500 per page with
   the shotgun_api3 client, the callback, then rewrite a pickle state file after every event.
   Goal: the direct source at least 10x faster than the baseline.
2. **Latency**: the daemon caught up, ``--updates`` updates are committed one at a time (through
   the Python API in this process, so the commit time is known exactly); each latency is the time
   from the commit returning to the callback starting. Goal with the push sources (direct,
   stream): p50 <= 10 ms and p99 <= 50 ms. shotgunEvents' default is a poll every 5 s.

    python bench/daemon.py [--events 100000] [--updates 300] [--drain-only] [--no-pg] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import shotgun_api3

import benchlib as bl
import dataset
import shotlog
from shotlog.daemon.conf import parse_config
from shotlog.daemon.launch import Daemon
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS

SCRIPT, KEY = "bench_daemon", "bench-daemon-key-0123456789abcdef"
FIELDS = list(SHOTGUNEVENTS_FIELDS)

PLUGIN_TEMPLATE = """
import time

CALLS = []  # (perf_counter at callback start, event id): read by the benchmark


def registerCallbacks(reg):
    reg.registerCallback("SCRIPT", "KEY", noop)


def noop(sg, logger, event, args):
    CALLS.append((time.perf_counter(), event["id"]))
"""
PLUGIN = PLUGIN_TEMPLATE.replace("SCRIPT", SCRIPT).replace("KEY", KEY)


def config_for(
    source: str, url: str, db_url: str, plugins: Path, work: Path, name: str, extra: str = ""
) -> Any:
    """The daemon's default settings (cursor commits, batch size...), a fast poll for api3; ``extra``
    adds ``[shotlog]`` lines (``commit_every = 1``: a database commit after every handled event)."""
    state = "" if source == "direct" else f"state_url = sqlite:///{work / f'state_{name}.db'}\n"
    text = f"""
[daemon]
logMode = 1
logPath = {work / "logs"}
logFile = daemon_{name}
logging = 30
fetch_interval = 0.05
max_event_batch_size = 500

[shotgun]
server = {url}
name = {SCRIPT}
key = {KEY}

[plugins]
paths = {plugins}

[shotlog]
name = {name}
source = {source}
database_url = {db_url}
{state}{extra}
"""
    return parse_config(text, {}, path=work / f"{name}.conf")


def calls_of(daemon: Daemon) -> list[tuple[float, int]]:
    (worker,) = daemon.engine.workers.values()
    module = worker.plugin.module
    assert module is not None
    calls: list[tuple[float, int]] = module.CALLS
    return calls


def drain(
    source: str, url: str, db_url: str, plugins: Path, work: Path, head: int, extra: str = ""
) -> dict[str, Any]:
    name = f"drain_{source}_{os.getpid()}_{int(time.time())}"
    config = config_for(source, url, db_url, plugins, work, name, extra)
    t0 = time.perf_counter()
    daemon = Daemon(config, foreground=False, from_event_id=1)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    (worker,) = daemon.engine.workers.values()
    while (worker.last_event_id or 0) < head:
        time.sleep(0.005)
    elapsed = time.perf_counter() - t0
    calls = len(calls_of(daemon))
    daemon.stop()
    thread.join(60)
    label = f"{source} ({extra.strip()})" if extra else source
    print(f"  {label:>8}: {head:,} events in {elapsed:.2f} s ({head / elapsed:,.0f} events/s)", flush=True)
    return {"seconds": elapsed, "events_per_s": head / elapsed, "callbacks": calls}


def baseline(url: str, work: Path, head: int) -> dict[str, Any]:
    """shotgunEvents' loop: find id > last, 500 per page, the callback, a pickle rewritten per event."""
    sg = shotgun_api3.Shotgun(url, SCRIPT, KEY)
    state_path = work / "shotgunEventDaemon.id"
    plugins = {str(work / "plugins"): {"noop": [0, {}]}}
    last = 0
    calls = 0

    def noop(sg: Any, logger: Any, event: dict[str, Any], args: Any) -> None:
        nonlocal calls
        calls += 1

    t0 = time.perf_counter()
    while last < head:
        page = sg.find(
            "EventLogEntry",
            [["id", "greater_than", last]],
            FIELDS,
            order=[{"field_name": "id", "direction": "asc"}],
            limit=500,
        )
        for event in page:
            noop(sg, None, event, None)
            last = event["id"]
            plugins[str(work / "plugins")]["noop"][0] = last
            with state_path.open("wb") as fh:  # upstream rewrites the whole state after every event
                pickle.dump(plugins, fh, protocol=pickle.HIGHEST_PROTOCOL)
    elapsed = time.perf_counter() - t0
    sg.close()
    print(f"  baseline: {head:,} events in {elapsed:.2f} s ({head / elapsed:,.0f} events/s)", flush=True)
    return {"seconds": elapsed, "events_per_s": head / elapsed, "callbacks": calls}


def latency(source: str, url: str, db_url: str, plugins: Path, work: Path, updates: int) -> dict[str, Any]:
    name = f"lat_{source}_{os.getpid()}_{int(time.time())}"
    config = config_for(source, url, db_url, plugins, work, name)
    daemon = Daemon(config, foreground=False)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    store = shotlog.connect(db_url)
    try:
        project = store.create("Project", {"name": f"latency {name}"})
        shot = store.create("Shot", {"code": "lat", "project": project})
        calls = calls_of(daemon)
        head = store.head_event_id()
        while not calls or calls[-1][1] < head:  # caught up, connections warm
            time.sleep(0.01)
        samples: list[float] = []
        for i in range(updates):
            before = len(calls)
            store.update("Shot", shot["id"], {"description": f"latency {i}"})
            committed = time.perf_counter()
            event_id = store.head_event_id()
            deadline = time.monotonic() + 30
            while not any(eid == event_id for _, eid in calls[before:]):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{source}: event {event_id} never reached the callback")
                time.sleep(0.0002)
            started = next(t for t, eid in calls[before:] if eid == event_id)
            samples.append(max(0.0, started - committed))
            time.sleep(0.01)  # one at a time: each measured alone, not behind a queue
    finally:
        store.close()
        daemon.stop()
        thread.join(60)
    ms = sorted(s * 1000 for s in samples)
    result = {
        "n": len(ms),
        "p50_ms": bl.percentile(ms, 50),
        "p99_ms": bl.percentile(ms, 99),
        "max_ms": ms[-1],
    }
    print(
        f"  {source:>8}: p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
        f"max {result['max_ms']:.2f} ms ({len(ms)} updates)",
        flush=True,
    )
    return result


def run_backend(label: str, db_url: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n## {label}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="daemon_bench_", dir=bl.ensure_out()))
    plugins = work / "plugins"
    plugins.mkdir()
    (plugins / "noop.py").write_text(PLUGIN)
    with shotlog.connect(db_url) as store:  # migrates the cached log to this version (daemon tables)
        head = store.head_event_id()
    server, url = bl.start_serve(
        db_url,
        {"SHOTLOG_SCRIPT_NAME": SCRIPT, "SHOTLOG_SCRIPT_KEY": KEY, "SHOTLOG_SQLITE_SYNCHRONOUS": "FULL"},
    )
    out: dict[str, Any] = {"events": head}
    try:
        if args.drain_only:  # a quick side-by-side of the cursor's cost (two checkouts, a busy machine)
            print(f"drain of {head:,} events (no-op plugin), direct source:", flush=True)
            out["drain"] = {
                "direct": drain("direct", url, db_url, plugins, work, head),
                "direct_commit_each": drain("direct", url, db_url, plugins, work, head, "commit_every = 1"),
            }
            return out
        print(f"drain of {head:,} events (no-op plugin):", flush=True)
        out["baseline"] = baseline(url, work, head)
        out["drain"] = {s: drain(s, url, db_url, plugins, work, head) for s in ("direct", "stream", "api3")}
        # The cursor committed to the database after every handled event: what the daemon would cost
        # without its batched commits (the figure that decides whether they are worth their code).
        out["drain"]["direct_commit_each"] = drain(
            "direct", url, db_url, plugins, work, head, "commit_every = 1"
        )
        out["speedup_direct"] = out["baseline"]["seconds"] / out["drain"]["direct"]["seconds"]
        print(f"  direct source vs baseline: {out['speedup_direct']:.1f}x (goal >= 10x)", flush=True)
        print(f"latency from commit to callback start ({args.updates} updates):", flush=True)
        out["latency"] = {
            s: latency(s, url, db_url, plugins, work, args.updates) for s in ("direct", "stream", "api3")
        }
    finally:
        bl.stop_process(server)
        shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bl.common_args(p)
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--updates", type=int, default=300)
    p.add_argument(
        "--drain-only",
        action="store_true",
        help="only the direct source's drain, with the default commits and with commit_every = 1",
    )
    args = p.parse_args()
    info = bl.machine_info(None if args.no_pg else args.pg_admin_url)
    bl.print_machine(info)
    results: dict[str, Any] = {"machine": info, "events": args.events, "command": bl.command_line()}
    # A private copy: the daemon writes its cursors into the database it reads (direct source).
    src_url, _ = dataset.ensure("sqlite", args.events, args.pg_admin_url)
    copy = bl.ensure_out() / f"daemon_bench_{args.events}.db"
    bl.remove_sqlite(copy)
    shutil.copyfile(dataset.sqlite_path(args.events), copy)
    try:
        results["sqlite"] = run_backend("SQLite", bl.sqlite_url(copy), args)
    finally:
        bl.remove_sqlite(copy)
    if not args.no_pg:
        dataset.ensure("postgresql", args.events, args.pg_admin_url)
        name = f"shotlog_bench_daemon_{args.events}"
        bl.pg_drop(args.pg_admin_url, name)
        admin = bl.pg_url(args.pg_admin_url, "postgres")
        import psycopg

        with psycopg.connect(bl._libpq(admin), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{dataset.pg_dbname(args.events)}"')
        try:
            results["postgresql"] = run_backend("PostgreSQL", bl.pg_url(args.pg_admin_url, name), args)
        finally:
            bl.pg_drop(args.pg_admin_url, name)
    _ = src_url
    bl.write_json(args.json, results)


if __name__ == "__main__":
    main()
