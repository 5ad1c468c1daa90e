"""Iterating the whole event log: throughput and memory.

Three ways over every event of the cached N-event log (bench/dataset.py), each in its own child
process so its peak RSS is its own:

* ``sg.iter_events()``: the public API, pages of 500 through ``find`` with every event field,
  links resolved to names (what a consumer catching up from 0 does);
* ``shotlog.eventlog.read.iter_rows(db)``: raw rows, pages of 1,000, SQLAlchemy Core only;
* baseline: the same keyset-paged ``SELECT * ... WHERE id > ? ORDER BY id LIMIT 1000`` through the
  bare driver (sqlite3 / psycopg), what the database and driver alone cost.

Reported: events/s, RSS sampled every 1M events (every N/10 for smaller logs) to show memory stays
flat, and peak RSS (VmHWM).

    python bench/iterate.py [--events N] [--backend sqlite|postgresql|both] [--modes ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import benchlib as bl
import dataset
import shotlog
from shotlog.eventlog.read import iter_rows

MODES = ("iter_events", "iter_rows", "driver")
LABELS = {
    "iter_events": "sg.iter_events() (public API, 500/page)",
    "iter_rows": "eventlog.read.iter_rows (Core, 1000/page)",
    "driver": "baseline: bare driver keyset pages of 1000",
}


def _driver_rows(url: str, backend: str, batch: int = 1000) -> Iterator[Any]:
    sql = "SELECT * FROM event_log_entries WHERE id > {p} ORDER BY id LIMIT {n}"
    if backend == "sqlite":
        import sqlite3

        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        q = sql.format(p="?", n=batch)
    else:
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        q = sql.format(p="%s", n=batch)
    cursor = 0
    try:
        while True:
            rows = conn.execute(q, (cursor,)).fetchall()
            if not rows:
                return
            yield from rows
            cursor = rows[-1][0]
    finally:
        conn.close()


def child(backend: str, mode: str, url: str, total: int, every: int) -> dict[str, Any]:
    """Iterate once, sampling RSS; runs in a fresh process."""
    sg = shotlog.connect(url)
    rss0 = bl.rss_mib()
    if mode == "iter_events":
        it: Iterator[Any] = sg.iter_events()
    elif mode == "iter_rows":
        it = iter_rows(sg.db)
    else:
        it = _driver_rows(url, backend)
    samples: list[dict[str, float]] = []
    n = 0
    last_id = 0
    c0 = time.process_time()
    t0 = time.perf_counter()
    for ev in it:
        n += 1
        if n % every == 0:
            el = time.perf_counter() - t0
            samples.append({"events": n, "rss_mib": round(bl.rss_mib(), 1), "seconds": round(el, 1)})
            print(
                f"    {n:>11,} events  {el:7.1f}s  {n / el:>9,.0f}/s  RSS {samples[-1]['rss_mib']:.1f} MiB",
                flush=True,
            )
        last_id = ev["id"] if isinstance(ev, dict) else ev[0]
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    sg.close()
    return {
        "mode": mode,
        "events": n,
        "last_id": last_id,
        "expected": total,
        "seconds": elapsed,
        "events_per_s": n / elapsed,
        # this process's CPU time only (the database server's is not included for PostgreSQL)
        "cpu_seconds": round(cpu, 1),
        "events_per_cpu_s": n / cpu if cpu else None,
        "rss_start_mib": round(rss0, 1),
        "rss_end_mib": round(bl.rss_mib(), 1),
        "peak_rss_mib": round(bl.peak_rss_mib(), 1),
        "samples": samples,
    }


def run_child(backend: str, mode: str, args: argparse.Namespace, url: str, total: int) -> dict[str, Any]:
    every = 1_000_000 if args.events >= 5_000_000 else max(1, args.events // 10)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        cmd = [sys.executable, __file__, "--child", mode, "--backend", backend, "--url", url,
               "--total", str(total), "--every", str(every), "--json", str(out)]  # fmt: skip
        subprocess.run(cmd, check=True)
        result: dict[str, Any] = json.loads(out.read_text())
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dataset.events_arg(p)
    bl.backend_arg(p)
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--rebuild", action="store_true", help="regenerate the dataset even if cached")
    p.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--total", type=int, help=argparse.SUPPRESS)
    p.add_argument("--every", type=int, help=argparse.SUPPRESS)
    bl.common_args(p)
    args = p.parse_args(argv)

    if args.child:
        res = child(args.backend, args.child, args.url, args.total, args.every)
        bl.write_json(args.json, res)
        return res

    chosen = bl.chosen_backends(args)
    info = bl.announce_machine(args)
    results: dict[str, Any] = {"machine": info, "command": bl.command_line(), "events": args.events}
    for backend in chosen:
        url, marker = dataset.ensure(backend, args.events, args.pg_admin_url, rebuild=args.rebuild)
        total = marker["head"]
        print(f"\n== {backend}: iterating {total:,} events")
        results[backend] = {"dataset": marker}
        for mode in args.modes:
            print(f"  {LABELS[mode]}:", flush=True)
            r = run_child(backend, mode, args, url, total)
            results[backend][mode] = r
            rss = [s["rss_mib"] for s in r["samples"]]
            print(
                f"  => {LABELS[mode]}: {r['events']:,} events in {r['seconds']:.1f}s = "
                f"{bl.fmt_rate(r['events_per_s'])} events/s; RSS start {r['rss_start_mib']:.1f} MiB, "
                f"samples {min(rss, default=0):.1f}..{max(rss, default=0):.1f} MiB, "
                f"peak {r['peak_rss_mib']:.1f} MiB"
                + ("" if r["events"] == total else f"  (expected {total:,} events!)"),
                flush=True,
            )
    bl.write_json(args.json, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
