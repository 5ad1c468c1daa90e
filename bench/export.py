"""Exporting the whole event log to CSV, and archiving it: throughput, memory, live-log queries.

Export: every event of the cached N-event log (bench/dataset.py) to a CSV file with the default
columns, in a fresh child process so its peak RSS (``VmHWM``) is the exporter's own:

* ``shotlog.export``: ``Export(StoreSource(sg), EventQuery(), None, "csv").write_file(...)`` (what
  ``shotlog events export -o x.csv`` runs), link names resolved, ISO dates, meta as JSON text;
* by default split over one process per CPU core, the exporting process and ``jobs - 1`` lean
  workers (``--jobs``; ``write_file_parallel``, what the CLI runs for a file), and also in a single
  process (``csv1``, ``--jobs 1``);
* JSON Lines, the same way (information);
* baseline: the same keyset pages (``id > ? ORDER BY id LIMIT 5000``) through the bare driver,
  written with ``csv.writer`` as they come: what the database, driver and csv module alone cost.

Goal: at least 100,000 events/s with a peak RSS under 200 MB, read as the sum over all the
export's processes. Peak RSS is each process's ``VmHWM`` (the workers' sampled while they run):
each, the largest and the sum are reported. CPU time includes the workers'.

Archive: on a **copy** of the dataset (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL; the cached dataset is never modified), with "now" at the end of the dataset's three
years and the default live window (183 days), so about 5/6 of the log is archived to a directory.
Reported: archived events/s, and the latency of representative live-log queries before and after
(median of ``--reps`` runs each).

    python bench/export.py [--events N] [--backend sqlite|postgresql|both] [--skip-archive]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import benchlib as bl
import dataset
import shotlog
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS

MODES = ("csv", "csv1", "jsonl", "driver")
LABELS = {
    "csv": "shotlog.export to CSV",
    "csv1": "shotlog.export to CSV, single process (--jobs 1)",
    "jsonl": "shotlog.export to JSON Lines",
    "driver": "baseline: bare driver keyset pages + csv.writer",
}
GOAL_RATE = 100_000
GOAL_RSS_MB = 200


def peak_rss_mib(pid: int | str = "self") -> float:
    """A process's peak RSS: ``VmHWM``, which starts afresh at exec (0.0 once it is gone).

    ``getrusage``'s max RSS survives exec on Linux, so a child forked from a parent that has just
    generated the dataset would report the parent's peak.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return 0.0
    return bl.peak_rss_mib() if pid == "self" else 0.0


class WorkerPeaks:
    """The peak RSS of each child process of this one (the export's workers), sampled while it runs.

    ``VmHWM`` only grows, so the last sample of a worker is its peak up to then; workers keep flat
    memory, so sampling every 0.1 s misses nothing that matters. Children are found by scanning
    ``/proc`` for this process's pid as their parent (workers are plain subprocesses).
    """

    def __init__(self) -> None:
        import threading

        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for pid in _children(os.getpid()):
                peak = peak_rss_mib(pid)
                self.peaks[pid] = max(peak, self.peaks.get(pid, 0.0))

    def __enter__(self) -> WorkerPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _children(parent: int) -> list[int]:
    """The pids of the live child processes of ``parent``."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == parent:
            out.append(int(entry))
    return out


def _driver_csv(url: str, backend: str, out: Path) -> int:
    sql = "SELECT * FROM event_log_entries WHERE id > {p} ORDER BY id LIMIT 5000"
    if backend == "sqlite":
        import sqlite3

        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        q = sql.format(p="?")
    else:
        import psycopg

        conn = psycopg.connect(bl._libpq(url), autocommit=True)
        q = sql.format(p="%s")
    n, cursor = 0, 0
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        while True:
            rows = conn.execute(q, (cursor,)).fetchall()
            if not rows:
                break
            writer.writerows(rows)
            n += len(rows)
            cursor = rows[-1][0]
    conn.close()
    return n


def child(backend: str, mode: str, url: str, jobs: int) -> dict[str, Any]:
    """One export in a fresh process (and its workers, for ``jobs`` > 1)."""
    import resource

    from shotlog.export import EventQuery, Export, StoreSource
    from shotlog.export.parallel import write_file_parallel

    jobs = 1 if mode in ("csv1", "driver") else jobs
    with tempfile.TemporaryDirectory(dir=bl.ensure_out()) as tmp:
        out = Path(tmp) / f"events.{mode}"
        rss0 = bl.rss_mib()
        c0, t0 = time.process_time(), time.perf_counter()
        with WorkerPeaks() as workers:
            if mode == "driver":
                n = _driver_csv(url, backend, out)
            else:
                sg = shotlog.connect(url, migrate=False)
                export = Export(StoreSource(sg), EventQuery(), None, "jsonl" if mode == "jsonl" else "csv")
                if jobs > 1:
                    n = write_file_parallel(export, url, out, jobs=jobs)
                else:
                    n = export.write_file(out)
                sg.close()
        elapsed = time.perf_counter() - t0
        # The workers' CPU time too (they have been waited for): the client's whole cost.
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time() - c0 + kids.ru_utime + kids.ru_stime
        size = out.stat().st_size
    own = peak_rss_mib()
    peaks = [own, *workers.peaks.values()]
    return {
        "mode": mode,
        "jobs": jobs,
        "events": n,
        "seconds": elapsed,
        "events_per_s": n / elapsed,
        "cpu_seconds": round(cpu, 1),
        "bytes": size,
        "rss_start_mib": round(rss0, 1),
        "peak_rss_mib": round(max(peaks), 1),
        "peak_rss_sum_mib": round(sum(peaks), 1),
        "peak_rss_each_mib": [round(p, 1) for p in peaks],
        "processes": len(peaks),
    }


def run_child(backend: str, mode: str, url: str, jobs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        cmd = [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--backend",
            backend,
            "--url",
            url,
            "--jobs",
            str(jobs),
            "--json",
            str(out),
        ]
        subprocess.run(cmd, check=True)
        result: dict[str, Any] = json.loads(out.read_text())
    return result


# -- archive ----------------------------------------------------------------------------------------------


def _queries(sg: shotlog.Shotlog) -> dict[str, Callable[[], Any]]:
    """Representative live-log reads (event-log.md §9), run before and after archiving."""
    head = sg.head_event_id()
    fields = list(SHOTGUNEVENTS_FIELDS)
    asc = [{"field_name": "id", "direction": "asc"}]
    return {
        "newest event (id desc, limit 1)": lambda: sg.find(
            "EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}], limit=1
        ),
        "poll: 500 events after a cursor near the head": lambda: sg.find(
            "EventLogEntry", [["id", "greater_than", head - 1000]], fields, order=asc, limit=500
        ),
        "project 3 Shot changes, newest 100": lambda: sg.find(
            "EventLogEntry",
            [["project", "is", {"type": "Project", "id": 3}], ["event_type", "is", "Shotgun_Shot_Change"]],
            fields,
            order=[{"field_name": "id", "direction": "desc"}],
            limit=100,
        ),
        "events of the last 30 days, count": lambda: sg.summarize(
            "EventLogEntry",
            [
                [
                    "created_at",
                    "greater_than",
                    dataset.START + dt.timedelta(seconds=dataset.SPAN_SECONDS - 30 * 86400),
                ]
            ],
            [{"field": "id", "type": "count"}],
        ),
    }


def _time_queries(sg: shotlog.Shotlog, reps: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, fn in _queries(sg).items():
        out[name] = bl.median(bl.timed_calls(fn, reps, 1)[0]) * 1000
    return out


def run_archive(backend: str, n: int, admin_url: str, reps: int) -> dict[str, Any]:
    from shotlog.archive import Archive, ArchivePolicy

    url, drop = dataset.throwaway_copy(backend, n, admin_url, "archive")
    dest = bl.OUT / f"archive_dir_{backend}_{n}"
    shutil.rmtree(dest, ignore_errors=True)
    try:
        sg = shotlog.connect(url)
        before = _time_queries(sg, reps)
        now = dataset.START + dt.timedelta(seconds=dataset.SPAN_SECONDS)
        archive = Archive(sg, ArchivePolicy(url=str(dest)))
        t0 = time.perf_counter()
        report = archive.run(now=now)
        elapsed = time.perf_counter() - t0
        after = _time_queries(sg, reps)
        size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
        live = sg.summarize("EventLogEntry", [], [{"field": "id", "type": "count"}])["summaries"]["id"]
        sg.close()
    finally:
        drop()
        shutil.rmtree(dest, ignore_errors=True)
    return {
        "archived_events": report.archived_events,
        "segments": len(report.segments),
        "seconds": elapsed,
        "events_per_s": report.archived_events / elapsed if elapsed else 0.0,
        "archive_bytes": size,
        "live_events_after": live,
        "query_ms_before": before,
        "query_ms_after": after,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dataset.events_arg(p)
    bl.backend_arg(p)
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--skip-archive", action="store_true", help="measure the export only")
    p.add_argument("--reps", type=int, default=20, help="runs of each live-log query (median)")
    p.add_argument("--rebuild", action="store_true", help="regenerate the dataset even if cached")
    p.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes of the csv and jsonl runs, this one and jobs - 1 workers (default: one per "
        "CPU core); csv1 runs one",
    )
    p.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    bl.common_args(p)
    args = p.parse_args(argv)

    if args.child:
        res = child(args.backend, args.child, args.url, args.jobs)
        bl.write_json(args.json, res)
        return res

    chosen = bl.chosen_backends(args)
    info = bl.announce_machine(args)
    print(f"goal: >= {GOAL_RATE:,} events/s to CSV with peak RSS < {GOAL_RSS_MB} MB")
    results: dict[str, Any] = {"machine": info, "command": bl.command_line(), "events": args.events}
    for backend in chosen:
        url, marker = dataset.ensure(backend, args.events, args.pg_admin_url, rebuild=args.rebuild)
        print(f"\n== {backend}: exporting {marker['head']:,} events")
        results[backend] = {"dataset": marker}
        for mode in args.modes:
            r = run_child(backend, mode, url, args.jobs)
            results[backend][mode] = r
            jobs = f", {r['jobs']} processes" if r["jobs"] > 1 else ""
            print(
                f"  {LABELS[mode]}{jobs}: {r['events']:,} events in {r['seconds']:.1f}s = "
                f"{bl.fmt_rate(r['events_per_s'])} events/s "
                f"({r['events'] / r['cpu_seconds'] if r['cpu_seconds'] else 0:,.0f} per client CPU-s), "
                f"{r['bytes'] / 1e6:,.0f} MB, peak RSS {r['peak_rss_mib']:.0f} MiB largest process, "
                f"{r['peak_rss_sum_mib']:.0f} MiB summed over {r['processes']}",
                flush=True,
            )
        if "csv" in results[backend]:
            r = results[backend]["csv"]
            ok = r["events_per_s"] >= GOAL_RATE and r["peak_rss_sum_mib"] * 2**20 < GOAL_RSS_MB * 1e6
            print(
                f"  => CSV goal {'met' if ok else 'NOT met'} ({r['jobs']} processes; peak RSS "
                f"{' + '.join(f'{p:.0f}' for p in r['peak_rss_each_mib'])} = "
                f"{r['peak_rss_sum_mib']:.0f} MiB summed)"
            )
        if not args.skip_archive:
            print(
                f"  archiving a copy of the {backend} dataset "
                "(now = end of the dataset, live window 183 days)..."
            )
            a = run_archive(backend, args.events, args.pg_admin_url, args.reps)
            results[backend]["archive"] = a
            print(
                f"  archive: {a['archived_events']:,} events in {a['segments']} segments, "
                f"{a['seconds']:.1f}s = "
                f"{bl.fmt_rate(a['events_per_s'])} events/s; {a['archive_bytes'] / 1e6:,.0f} MB; "
                f"{a['live_events_after']:,} events stay live"
            )
            for name, ms in a["query_ms_before"].items():
                print(f"    {name}: {ms:.2f} ms before, {a['query_ms_after'][name]:.2f} ms after")
    bl.write_json(args.json, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
