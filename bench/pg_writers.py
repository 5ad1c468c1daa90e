"""PostgreSQL with concurrent writers: do commits overlap? WAL flushes per update and updates/s.

``--writers`` threads each open their own ``shotlog.connect`` (as separate servers or scripts do:
no in-process group commit between them) and update a Shot of their own, one durable transaction
per update, for ``--updates`` updates each. The figure of issue 19's goal 3 is the change of
``pg_stat_wal.wal_sync`` over the run divided by the updates made: 1.0 when every commit waits for
a flush of its own, less when PostgreSQL's group commit flushes several commits at once. With
``--shared`` the threads share one connection (the server's case: its commit group runs).

    python bench/pg_writers.py [--writers 8] [--updates 150] [--runs 3] [--shared]

Run it from another tree (``PYTHONPATH=<tree>/src python bench/pg_writers.py``) to compare builds
on one database server. Nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

import psycopg

import benchlib as bl
import shotlog

PG_DB = "shotlog_bench_writers"
STATUSES = ("ip", "rdy")


def _wal(dsn: str) -> tuple[int, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT wal_sync, wal_write FROM pg_stat_wal").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def run_once(url: str, writers: int, updates: int, shared: bool) -> dict[str, Any]:
    setup = shotlog.connect(url)
    project = setup.create("Project", {"name": "writers"})
    shots = [setup.create("Shot", {"code": f"w{i}", "project": project})["id"] for i in range(writers)]
    conns = [setup if shared else shotlog.connect(url, migrate=False) for _ in range(writers)]
    for sg, shot in zip(conns, shots, strict=True):  # warm every connection's pool
        sg.update("Shot", shot, {"sg_status_list": "wtg"})
    errors: list[BaseException] = []
    gate = threading.Barrier(writers + 1)

    def work(sg: shotlog.Shotlog, shot: int) -> None:
        try:
            gate.wait()
            for i in range(updates):
                sg.update("Shot", shot, {"sg_status_list": STATUSES[i % 2]})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(sg, shot)) for sg, shot in zip(conns, shots, strict=True)]
    for t in threads:
        t.start()
    dsn = bl.pg_url(bl.DEFAULT_PG_ADMIN, PG_DB).replace("postgresql+psycopg://", "postgresql://")
    sync0, write0 = _wal(dsn)
    gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    sync1, write1 = _wal(dsn)
    if errors:
        raise errors[0]
    for sg in {id(c): c for c in conns}.values():
        sg.close()
    if not shared:
        setup.close()
    n = writers * updates
    return {
        "updates": n,
        "wal_sync": sync1 - sync0,
        "wal_write": write1 - write0,
        "sync_per_update": (sync1 - sync0) / n,
        "updates_per_s": n / elapsed,
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--updates", type=int, default=150, help="updates per writer")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shared", action="store_true", help="the threads share one connection")
    args = parser.parse_args(argv)
    out = []
    for run in range(args.runs):
        url = bl.pg_create(bl.DEFAULT_PG_ADMIN, PG_DB, recreate=True)
        res = run_once(url, args.writers, args.updates, args.shared)
        out.append(res)
        print(
            f"run {run + 1}: {res['updates']} updates, {res['wal_sync']} WAL flushes "
            f"({res['sync_per_update']:.2f} per update), {res['updates_per_s']:.0f} updates/s",
            flush=True,
        )
    bl.pg_drop(bl.DEFAULT_PG_ADMIN, PG_DB)
    return out


if __name__ == "__main__":
    main()
