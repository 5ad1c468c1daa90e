"""Write throughput: one-field Shot updates, each its own durable transaction, and batches of 100.

(a) SQLite, in process through ``shotlog.connect(url, sqlite_synchronous=...)``: ``sg.update`` of a
    Shot's ``sg_status_list`` (toggled, so every update changes the value and writes its
    ``Shotgun_Shot_Change`` event), one transaction each. Baselines, measured in the same run and
    interleaved run by run: the same statements as shotlog's update written by hand on bare
    ``sqlite3`` on the same database (read the row, UPDATE it, INSERT its event with its id, one
    durable transaction: issue 19's goal 4, shotlog >= 80% of it), and raw ``sqlite3`` ``BEGIN
    IMMEDIATE; INSERT one row; COMMIT`` on a WAL database at the same ``synchronous`` setting (the
    older goal, >= 50% of raw at FULL). NORMAL is measured too, for information.
(b) ``sg.batch`` with 100 update requests (100 different Shots) in one transaction: updates/s on
    SQLite (goal >= 20,000/s) and on PostgreSQL (reported).
(c) single updates on PostgreSQL against the same statements by hand on bare psycopg (the row read
    ``FOR UPDATE``, the UPDATE, the INSERT whose id the ordering guarantee's reserving function takes,
    COMMIT at ``synchronous_commit = on``, one statement per round trip: goal 4, >= 80%); for
    information, the same statements in the two round trips shotlog sends them in (pipelined), and a
    raw single-row INSERT transaction.

Each figure is the median of ``--runs`` timed runs of about ``--duration`` seconds after a warm-up.

    python bench/updates.py [--duration 3] [--runs 5] [--no-pg] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import benchlib as bl
import shotlog
from shotlog.store import eventids

STATUSES = ("ip", "rdy")
BATCH = 100
PG_DB = "shotlog_bench"
RAW_VALUE = '{"type": "attribute_change", "attribute_name": "sg_status_list", "old_value": "ip"}' * 2


def _setup_shots(sg: shotlog.Shotlog, n: int) -> list[int]:
    project = sg.create("Project", {"name": "bench updates"})
    reqs = [
        {
            "request_type": "create",
            "entity_type": "Shot",
            "data": {"code": f"sh{i:04d}", "project": project, "sg_status_list": "wtg"},
        }
        for i in range(n)
    ]
    return [r["id"] for r in sg.batch(reqs)]


def _single_op(sg: shotlog.Shotlog, shot_id: int) -> Callable[[int], None]:
    def op(i: int) -> None:
        sg.update("Shot", shot_id, {"sg_status_list": STATUSES[i % 2]})

    return op


def _batch_op(sg: shotlog.Shotlog, shot_ids: list[int]) -> Callable[[int], None]:
    def op(i: int) -> None:
        status = STATUSES[i % 2]
        sg.batch(
            [
                {
                    "request_type": "update",
                    "entity_type": "Shot",
                    "entity_id": sid,
                    "data": {"sg_status_list": status},
                }
                for sid in shot_ids
            ]
        )

    return op


def _raw_sqlite(path: Path, synchronous: str) -> tuple[sqlite3.Connection, Callable[[int], None]]:
    bl.remove_sqlite(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")

    def op(i: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (RAW_VALUE,))
        conn.execute("COMMIT")

    return conn, op


def _sql_floor(
    path: Path, synchronous: str, shot_id: int
) -> tuple[sqlite3.Connection, Callable[[int], None]]:
    """What a shotlog update writes, as hand-written SQL through bare sqlite3, on the shotlog database.

    The cost of the schema itself (entity row, event row and the event log's indexes, one fsync) with
    no Python layer: the ceiling any implementation could reach, and goal 4's baseline.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA busy_timeout=30000")
    insert = (
        "INSERT INTO event_log_entries (id, event_type, description, entity_type, entity_id, project_type, "
        "project_id, user_type, user_id, attribute_name, meta, session_uuid, created_at) "
        "VALUES ((SELECT coalesce(max(id), 0) + 1 FROM event_log_entries), "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
    )

    def op(i: int) -> None:
        # shotlog's statements: read the row, UPDATE it, INSERT the event with its id computed
        # inside the INSERT; the response needs no read-back for a plain column
        new = STATUSES[i % 2]
        now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT * FROM entity_shot WHERE id = ?", (shot_id,)).fetchone()
        conn.execute(
            "UPDATE entity_shot SET sg_status_list = ?, updated_at = ?, updated_by_type = ?, "
            "updated_by_id = ? WHERE id = ?",
            (new, now, "ApiUser", 1, shot_id),
        )
        meta = (
            '{"type": "attribute_change", "attribute_name": "sg_status_list", "entity_type": "Shot", '
            f'"entity_id": {shot_id}, "field_data_type": "status_list", '
            f'"old_value": "{STATUSES[(i + 1) % 2]}", '
            f'"new_value": "{new}"}}'
        )
        conn.execute(
            insert,
            ("Shotgun_Shot_Change", f'shotlog changed "Status" to "{new}" on Shot sh0000', "Shot",
             shot_id, "Project", 1, "ApiUser", 1, "sg_status_list", meta, None, now),
        ).fetchone()  # fmt: skip
        conn.execute("COMMIT")

    return conn, op


#: shotlog's statements for one update, by hand for PostgreSQL: the row read FOR UPDATE (the old
#: values logged must be the ones overwritten), the UPDATE, the INSERT whose id the reserving
#: function of ``shotlog.store.eventids`` takes (the ordering guarantee's own cost), then COMMIT.
#: Also bench/api3.py's PostgreSQL floor.
PG_SELECT = "SELECT * FROM entity_shot WHERE id = %s FOR UPDATE"
PG_UPDATE = (
    "UPDATE entity_shot SET sg_status_list = %s, updated_at = %s, updated_by_type = %s, updated_by_id = %s "
    "WHERE id = %s"
)
PG_INSERT = (
    "INSERT INTO event_log_entries (id, event_type, description, entity_type, entity_id, project_type, "
    "project_id, user_type, user_id, attribute_name, meta, session_uuid, created_at) "
    f"VALUES ({eventids.RESERVE_ONE}, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s) "
    "RETURNING id"
)


def pg_floor_args(shot_id: int, i: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The UPDATE's and the INSERT's parameters for the ``i``-th toggle of ``shot_id``."""
    new, old = STATUSES[i % 2], STATUSES[(i + 1) % 2]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    meta = (
        '{"type": "attribute_change", "attribute_name": "sg_status_list", "entity_type": "Shot", '
        f'"entity_id": {shot_id}, "field_data_type": "status_list", '
        f'"old_value": "{old}", "new_value": "{new}"}}'
    )
    update = (new, now, "ApiUser", 1, shot_id)
    insert = (
        "Shotgun_Shot_Change", f'shotlog changed "Status" to "{new}" on Shot sh{shot_id:04d}', "Shot",
        shot_id, "Project", 1, "ApiUser", 1, "sg_status_list", meta, None, now,
    )  # fmt: skip
    return update, insert


def pg_connect_floor(url: str) -> Any:
    """A bare psycopg connection that can reserve event ids as shotlog's sessions do."""
    import psycopg
    from sqlalchemy.engine import make_url

    from shotlog.store.database import EVENT_LOG_LOCK_TIMEOUT

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(plain)
    eventids.install(conn, lock_timeout=EVENT_LOG_LOCK_TIMEOUT)
    return conn


def pg_floor_update(conn: Any, shot_id: int, i: int) -> None:
    """shotlog's update of ``shot_id`` as hand-written SQL through bare psycopg, one statement per
    round trip, in one durable transaction."""
    update, insert = pg_floor_args(shot_id, i)
    conn.execute(PG_SELECT, (shot_id,)).fetchone()
    conn.execute(PG_UPDATE, update)
    conn.execute(PG_INSERT, insert).fetchone()
    conn.commit()


def pg_floor_update_pipelined(conn: Any, shot_id: int, i: int) -> None:
    """The same statements in two round trips, as shotlog sends them (``shotlog.store.driver``'s
    commit tail): BEGIN with the row read, then the UPDATE, the INSERT and the COMMIT, each group in
    psycopg's pipeline mode (``conn`` in autocommit mode, so psycopg sends no BEGIN of its own)."""
    update, insert = pg_floor_args(shot_id, i)
    with conn.pipeline():
        conn.execute("BEGIN")
        row = conn.execute(PG_SELECT, (shot_id,))
    row.fetchone()
    with conn.pipeline():
        conn.execute(PG_UPDATE, update)
        inserted = conn.execute(PG_INSERT, insert)
        conn.execute("COMMIT")
    inserted.fetchone()


def _pg_floor(url: str, shot_id: int, *, pipelined: bool = False) -> tuple[Any, Callable[[int], None]]:
    conn = pg_connect_floor(url)
    if pipelined:
        conn.autocommit = True
    update = pg_floor_update_pipelined if pipelined else pg_floor_update

    def op(i: int) -> None:
        update(conn, shot_id, i)

    return conn, op


def _busy() -> list[dict[str, Any]]:
    """Unrelated Python work, objects made and dropped: a small part of what shotlog's own Python
    costs per update (about 20 µs; ``_busy_cost`` measures it on the machine at hand)."""
    return [{"field": i, "value": str(i), "old": (i, None)} for i in range(120)]


def _busy_cost(n: int = 20000) -> float:
    """Seconds one ``_busy()`` takes on its own, in a warm loop."""
    for _ in range(1000):
        _busy()
    t0 = time.perf_counter()
    for _ in range(n):
        _busy()
    return (time.perf_counter() - t0) / n


def _busy_floor(op: Callable[[int], None]) -> Callable[[int], None]:
    def busy_op(i: int) -> None:
        _busy()
        op(i)

    return busy_op


def _raw_pg(url: str) -> tuple[Any, Callable[[int], None]]:
    import psycopg

    conn = psycopg.connect(url)
    conn.execute("DROP TABLE IF EXISTS raw_insert_bench")
    conn.execute("CREATE TABLE raw_insert_bench (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)")
    conn.commit()

    def op(i: int) -> None:
        conn.execute("INSERT INTO raw_insert_bench (v) VALUES (%s)", (RAW_VALUE,))
        conn.commit()

    return conn, op


def interleaved(
    ops: dict[str, Callable[[int], None]], *, duration: float, runs: int, warmup: float
) -> dict[str, dict[str, Any]]:
    """Time each op in alternating runs (A B A B ...) so disk and machine noise hits all alike."""
    per_run: dict[str, int] = {}
    counters = dict.fromkeys(ops, 0)
    for name, op in ops.items():
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < warmup or done < 20:
            op(counters[name])
            counters[name] += 1
            done += 1
        per_run[name] = max(20, int(done / (time.perf_counter() - start) * duration))
    rates: dict[str, list[float]] = {n: [] for n in ops}
    cpu: dict[str, list[float]] = {n: [] for n in ops}
    for _ in range(runs):
        for name, op in ops.items():
            n = per_run[name]
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(n):
                op(counters[name])
                counters[name] += 1
            t1, c1 = time.perf_counter(), time.process_time()
            rates[name].append(n / (t1 - t0))
            cpu[name].append((c1 - c0) / n)
    return {
        name: {
            "ops_per_run": per_run[name],
            "runs": rates[name],
            "median": bl.median(rates[name]),
            "cpu_ms_per_op": bl.median(cpu[name]) * 1000.0,
        }
        for name in ops
    }


def _ratio(res: dict[str, Any]) -> None:
    """shotlog/raw: the median of the per-run ratios (each shotlog run against the raw run right after
    it, so slow phases of a shared machine hit both sides of a pair), and the ratio of the medians;
    the same against the hand-written SQL of shotlog's statements (``floor_ratio``), when measured."""
    pairs = [s / r for s, r in zip(res["shotlog"]["runs"], res["raw"]["runs"], strict=True)]
    res["ratio"] = bl.median(pairs)
    res["ratio_pairs"] = pairs
    res["ratio_of_medians"] = res["shotlog"]["median"] / res["raw"]["median"]
    if "sql_floor" in res:
        floor = [s / f for s, f in zip(res["shotlog"]["runs"], res["sql_floor"]["runs"], strict=True)]
        res["floor_ratio"] = bl.median(floor)
        res["floor_ratio_pairs"] = floor


def _print_floor(res: dict[str, Any]) -> None:
    f = res["sql_floor"]
    print(
        f"      goal 4: the same statements by hand {bl.fmt_rate(f['median'])} tx/s (CPU "
        f"{f['cpu_ms_per_op']:.3f} ms/tx); shotlog = {res['floor_ratio']:.1%} of it (median of per-run "
        f"pairs {[f'{x:.0%}' for x in res['floor_ratio_pairs']]}; goal >= 80%)"
    )


def _print_pair(label: str, res: dict[str, Any], ratio: float | None = None) -> None:
    s, r = res["shotlog"], res["raw"]
    print(
        f"  {label}: shotlog {bl.fmt_rate(s['median'])} updates/s "
        f"(CPU {s['cpu_ms_per_op']:.3f} ms/update)  |  baseline raw {bl.fmt_rate(r['median'])} tx/s "
        f"(CPU {r['cpu_ms_per_op']:.3f} ms/tx)"
        + (
            f"  |  shotlog/raw = {ratio:.1%} (median of per-run pairs; ratio of medians "
            f"{res['ratio_of_medians']:.1%})"
            if ratio is not None
            else ""
        )
    )
    print(f"      runs shotlog: {[round(x) for x in s['runs']]}  raw: {[round(x) for x in r['runs']]}")


def bench_sqlite_single(synchronous: str, args: argparse.Namespace) -> dict[str, Any]:
    out = bl.ensure_out()
    path = out / f"updates_{synchronous.lower()}.db"
    bl.remove_sqlite(path)
    sg = shotlog.connect(bl.sqlite_url(path), sqlite_synchronous=synchronous)
    shot, floor_shot = _setup_shots(sg, 2)  # separate Shots: each op's toggle must really change it
    raw_conn, raw_op = _raw_sqlite(out / f"raw_{synchronous.lower()}.db", synchronous)
    floor_conn, floor_op = _sql_floor(path, synchronous, floor_shot)
    busy = _busy_cost()
    try:
        res = interleaved(
            {
                "shotlog": _single_op(sg, shot),
                "raw": raw_op,
                "sql_floor": floor_op,
                "sql_floor_busy": _busy_floor(floor_op),
            },
            duration=args.duration,
            runs=args.runs,
            warmup=args.warmup,
        )
    finally:
        raw_conn.close()
        floor_conn.close()
        sg.close()
    _ratio(res)
    _print_pair(f"SQLite synchronous={synchronous}", res, res["ratio"])
    _print_floor(res)
    # The same SQL with Python work between transactions, that work's own time taken out again: what
    # the transactions themselves cost once other work has run on the CPU in between (cold caches).
    fb = res["sql_floor_busy"]
    fb["busy_us"] = busy * 1e6
    fb["sql_only_per_s"] = 1.0 / (1.0 / fb["median"] - busy)
    print(
        f"      (information) the same SQL after {busy * 1e6:.0f} µs of other Python work per transaction, "
        f"that work's time taken out: {bl.fmt_rate(fb['sql_only_per_s'])} tx/s = "
        f"{fb['sql_only_per_s'] / res['raw']['median']:.1%} of raw"
    )
    return res


def bench_sqlite_batch(synchronous: str, args: argparse.Namespace) -> dict[str, Any]:
    path = bl.ensure_out() / f"updates_batch_{synchronous.lower()}.db"
    bl.remove_sqlite(path)
    sg = shotlog.connect(bl.sqlite_url(path), sqlite_synchronous=synchronous)
    shots = _setup_shots(sg, BATCH)
    try:
        res = bl.rate_runs(
            _batch_op(sg, shots), duration=args.duration, runs=args.runs, warmup=args.warmup, calibrate_ops=2
        )
    finally:
        sg.close()
    res = _per_update(res)
    print(
        f"  SQLite synchronous={synchronous} batch of {BATCH}: {bl.fmt_rate(res['updates_per_s'])} updates/s "
        f"({res['median']:.1f} batches/s; CPU {res['cpu_ms_per_update']:.3f} ms/update)  "
        f"runs: {[round(x * BATCH) for x in res['runs']]}"
    )
    return res


def _per_update(res: dict[str, Any]) -> dict[str, Any]:
    res = dict(res)
    res["updates_per_s"] = res["median"] * BATCH
    res["cpu_ms_per_update"] = res["cpu_ms_per_op"] / BATCH
    return res


def bench_pg(args: argparse.Namespace) -> dict[str, Any]:
    url = bl.pg_create(args.pg_admin_url, PG_DB, recreate=True)
    settings = bl.pg_settings(url, ["fsync", "synchronous_commit", "wal_sync_method", "shared_buffers"])
    print(f"  PostgreSQL settings: {settings}")
    sg = shotlog.connect(url)
    raw_conn = floor_conn = piped_conn = None
    try:
        shots = _setup_shots(sg, BATCH + 3)
        raw_conn, raw_op = _raw_pg(url)
        floor_conn, floor_op = _pg_floor(url, shots[-2])
        piped_conn, piped_op = _pg_floor(url, shots[-3], pipelined=True)
        single = interleaved(
            {
                "shotlog": _single_op(sg, shots[-1]),
                "raw": raw_op,
                "sql_floor": floor_op,
                "sql_floor_pipelined": piped_op,
            },
            duration=args.duration,
            runs=args.runs,
            warmup=args.warmup,
        )
        _ratio(single)
        _print_pair("PostgreSQL single update", single, single["ratio"])
        _print_floor(single)
        fp = single["sql_floor_pipelined"]
        print(
            f"      (information) the same statements in shotlog's two round trips (pipelined): "
            f"{bl.fmt_rate(fp['median'])} tx/s (CPU {fp['cpu_ms_per_op']:.3f} ms/tx); shotlog = "
            f"{single['shotlog']['median'] / fp['median']:.1%} of it (ratio of medians)"
        )
        batch = _per_update(
            bl.rate_runs(
                _batch_op(sg, shots[:BATCH]),
                duration=args.duration,
                runs=args.runs,
                warmup=args.warmup,
                calibrate_ops=2,
            )
        )
        print(
            f"  PostgreSQL batch of {BATCH}: {bl.fmt_rate(batch['updates_per_s'])} updates/s "
            f"({batch['median']:.1f} batches/s; CPU {batch['cpu_ms_per_update']:.3f} ms/update)  "
            f"runs: {[round(x * BATCH) for x in batch['runs']]}"
        )
    finally:
        for conn in (raw_conn, floor_conn, piped_conn):
            if conn is not None:
                conn.close()
        sg.close()
        if not args.keep_pg:
            bl.pg_drop(args.pg_admin_url, PG_DB)
    return {"settings": settings, "single": single, "batch": batch}


def profile_updates(synchronous: str) -> str:
    """cProfile of single updates and of batches on SQLite: where a shotlog update spends its time."""
    path = bl.ensure_out() / "updates_profile.db"
    bl.remove_sqlite(path)
    sg = shotlog.connect(bl.sqlite_url(path), sqlite_synchronous=synchronous)
    shots = _setup_shots(sg, BATCH)
    parts = []
    for label, op, n, unit, per in (
        ("single updates", _single_op(sg, shots[0]), 2000, "update", 1),
        (f"batches of {BATCH}", _batch_op(sg, shots), 20, "update", BATCH),
    ):
        for i in range(10):
            op(i)
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        for i in range(n):
            op(i)
        prof.disable()
        el = time.perf_counter() - t0
        parts.append(
            f"cProfile, {n} {label} (SQLite synchronous={synchronous}; {el / (n * per) * 1000:.3f} ms "
            f"per update under the profiler):\n" + bl.shotlog_breakdown(prof, n * per, unit)
        )
    sg.close()
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=3.0, help="seconds per timed run (default 3)")
    p.add_argument("--runs", type=int, default=7, help="timed runs per figure; the median is reported")
    p.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds before timing")
    p.add_argument("--keep-pg", action="store_true", help=f"keep the {PG_DB} PostgreSQL database")
    p.add_argument("--profile", action="store_true", help="also print a cProfile summary of the updates")
    bl.common_args(p)
    args = p.parse_args(argv)

    info = bl.announce_machine(args)
    print(f"updates: median of {args.runs} runs of ~{args.duration:g}s each after {args.warmup:g}s warm-up")
    results: dict[str, Any] = {"machine": info, "command": bl.command_line(), "sqlite": {}}
    print("(a) single one-field update, one durable transaction each, vs raw sqlite3 BEGIN/INSERT/COMMIT")
    for sync in ("FULL", "NORMAL"):
        results["sqlite"][sync] = bench_sqlite_single(sync, args)
    print(f"(b) sg.batch of {BATCH} updates in one transaction")
    results["sqlite_batch"] = bench_sqlite_batch("FULL", args)
    if not args.no_pg:
        print("(b, c) PostgreSQL: single updates vs raw psycopg INSERT/COMMIT, and batches")
        results["postgresql"] = bench_pg(args)
    ratio = results["sqlite"]["FULL"]["ratio"]
    batch = results["sqlite_batch"]["updates_per_s"]
    print(
        f"summary: SQLite FULL single update {ratio:.1%} of raw (goal >= 50%): "
        f"{'meets' if ratio >= 0.5 else 'MISSES'}; batch {bl.fmt_rate(batch)} updates/s (goal >= 20,000): "
        f"{'meets' if batch >= 20000 else 'MISSES'}"
    )
    floors = [("SQLite FULL", results["sqlite"]["FULL"]["floor_ratio"])]
    if "postgresql" in results:
        floors.append(("PostgreSQL", results["postgresql"]["single"]["floor_ratio"]))
    print(
        "summary, goal 4 (a single durable update >= 80% of the same statements by hand): "
        + "; ".join(f"{name} {r:.1%} {'meets' if r >= 0.8 else 'MISSES'}" for name, r in floors)
    )
    if args.profile:
        results["profile"] = profile_updates("FULL")
        print(results["profile"])
    bl.write_json(args.json, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
