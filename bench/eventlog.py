"""Reading a 10-million-event log: the consumer queries, through the public API, on both backends.

The log is generated once by bench/dataset.py (cached under bench/out/ and in PostgreSQL database
``shotlog_bench_events_<N>``). Each query is the first page, ``limit=500`` in ``id`` order, of
``sg.find("EventLogEntry", filters, fields, order=[id asc])`` with the fields shotgunEvents asks
for (id, event_type, attribute_name, meta, entity, user, project, session_uuid, created_at), so
the time includes building the SQL, running it, decoding 500 rows and resolving their entity, user
and project links to names. Reported per query: median and p95 over ``--reps`` repetitions (warm
cache), the page size, the same page's SQL alone (the compiled statement run through the driver,
which shows what the database costs and what shotlog's Python adds), and the query plan
(SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS)``) of the SQL it compiles
to. Goal: < 10 ms per query. Also timed: the shotgunEvents head query (``find_one`` with ``id desc``).

    python bench/eventlog.py [--events N] [--backend sqlite|postgresql|both] [--reps 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import benchlib as bl
import dataset
import shotlog
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS

FIELDS = list(SHOTGUNEVENTS_FIELDS)
ASC = [{"field_name": "id", "direction": "asc"}]
DESC = [{"field_name": "id", "direction": "desc"}]
PAGE = 500
GOAL_MS = 10.0


@dataclass
class Q:
    key: str
    label: str
    filters: list[Any]
    order: list[dict[str, str]] = field(default_factory=lambda: ASC)
    limit: int = PAGE
    fields: list[str] = field(default_factory=lambda: FIELDS)


def queries(sg: shotlog.Shotlog, marker: dict[str, Any]) -> list[Q]:
    """The query set, with parameters picked from the data so every backend runs the same ones."""
    head = sg.head_event_id()
    first = marker["first_bulk_id"]
    mid = first + (head - first) // 2
    projects = sg.find("Project", [], ["name"], order=[{"field_name": "id", "direction": "asc"}])
    big, small = projects[0], projects[-1]
    mid_project = projects[4]
    tasks = sg.summarize("Task", [], [{"field": "id", "type": "maximum"}])
    task_id = int(tasks["summaries"]["id"]) // 2
    task = {"type": "Task", "id": task_id}
    shot = {"type": "Shot", "id": 1}
    pj = {"type": "Project", "id": big["id"]}
    return [
        Q("id_head", f"id > head-{PAGE} (caught-up poller)", [["id", "greater_than", head - PAGE]]),
        Q("id_mid", "id > mid-log cursor", [["id", "greater_than", mid]]),
        Q("entity", f"entity is Task #{task_id}", [["entity", "is", task]]),
        Q("entity_old", "entity is Shot #1 (oldest, busiest)", [["entity", "is", shot]]),
        Q("project_big", f"project is {big['name']} (largest)", [["project", "is", pj]]),
        Q(
            "project_small",
            f"project is {small['name']} (smallest)",
            [["project", "is", {"type": "Project", "id": small["id"]}]],
        ),
        Q("type_common", "event_type is Shotgun_Task_Change", [["event_type", "is", "Shotgun_Task_Change"]]),
        Q(
            "type_rare",
            "event_type is Shotgun_Asset_Retirement",
            [["event_type", "is", "Shotgun_Asset_Retirement"]],
        ),
        Q(
            "project_type",
            f"project is {mid_project['name']} and event_type is Shotgun_Version_New",
            [
                ["project", "is", {"type": "Project", "id": mid_project["id"]}],
                ["event_type", "is", "Shotgun_Version_New"],
            ],
        ),
        Q(
            "poller_filtered",
            f"id > mid and project is {mid_project['name']} and event_type in (Version_New, Version_Change)",
            [
                ["id", "greater_than", mid],
                ["project", "is", {"type": "Project", "id": mid_project["id"]}],
                ["event_type", "in", ["Shotgun_Version_New", "Shotgun_Version_Change"]],
            ],
        ),
        Q("head", "head: find_one([], ['id'], order id desc)", [], order=DESC, limit=1, fields=["id"]),
    ]


def _call(sg: shotlog.Shotlog, q: Q) -> list[dict[str, Any]]:
    if q.limit == 1:
        one = sg.find_one("EventLogEntry", q.filters, q.fields, order=q.order)
        return [one] if one else []
    return sg.find("EventLogEntry", q.filters, q.fields, order=q.order, limit=q.limit)


def _page_sql(sg: shotlog.Shotlog, q: Q) -> tuple[list[tuple[str, Any]], tuple[str, Any]]:
    """Every statement one call executes, and the page query among them."""
    with bl.captured_sql() as seen:
        _call(sg, q)
    stmts = [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]
    page = next(((s, p) for s, p in stmts if "event_log_entries" in s), stmts[0])
    return stmts, page


def explain(sg: shotlog.Shotlog, sql: str, params: Any) -> list[str]:
    with sg.db.reader.connect() as conn:
        if sg.db.is_sqlite:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            depth: dict[int, int] = {0: 0}
            lines = []
            for rid, parent, _unused, detail in rows:
                depth[rid] = depth.get(parent, 0) + 1
                lines.append("  " * (depth[rid] - 1) + str(detail))
            return lines
        return [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).all()]


def _sql_only(sg: shotlog.Shotlog, sql: str, params: Any) -> Callable[[], Any]:
    """The page statement alone, through the driver: fetch every row, no shotlog processing."""

    def run() -> Any:
        with sg.db.reader.connect() as conn:
            return conn.exec_driver_sql(sql, params).all()

    return run


def profile_find(sg: shotlog.Shotlog, q: Q, n: int = 50) -> str:
    """cProfile summary of ``n`` calls of one query: where a page's time goes inside shotlog."""
    import cProfile

    for _ in range(5):
        _call(sg, q)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(n):
        _call(sg, q)
    prof.disable()
    el = (time.perf_counter() - t0) / n * 1000
    return f"cProfile, {n} calls of “{q.label}” ({el:.2f} ms per call under the profiler):\n" + (
        bl.shotlog_breakdown(prof, n, "call")
    )


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    url, marker = dataset.ensure(backend, args.events, args.pg_admin_url, rebuild=args.rebuild)
    sg = shotlog.connect(url)
    out: dict[str, Any] = {"dataset": marker, "queries": {}}
    try:
        total = marker["head"]
        print(f"\n== {backend}: {total:,} events (cached dataset from {marker['created']})")
        for q in queries(sg, marker):
            stmts, (sql, params) = _page_sql(sg, q)
            rows = len(_call(sg, q))
            api_wall, api_cpu = bl.timed_calls(lambda q=q: _call(sg, q), args.reps, args.warmup)
            raw_wall, raw_cpu = bl.timed_calls(_sql_only(sg, sql, params), args.reps, args.warmup)
            api, raw = bl.latency_stats(api_wall), bl.latency_stats(raw_wall)
            api["cpu_median_ms"] = bl.median(api_cpu) * 1000.0
            raw["cpu_median_ms"] = bl.median(raw_cpu) * 1000.0
            plan = explain(sg, sql, params)
            ok = api["median_ms"] < GOAL_MS
            print(
                f"- {q.label}: {rows} rows; find median {api['median_ms']:.2f} ms, "
                f"p95 {api['p95_ms']:.2f} ms "
                f"[{'meets' if ok else 'MISSES'} < {GOAL_MS:g} ms]; baseline page SQL alone "
                f"median {raw['median_ms']:.2f} ms, p95 {raw['p95_ms']:.2f} ms; "
                f"{len(stmts)} SELECTs per call; "
                f"client CPU per call {api['cpu_median_ms']:.2f} ms (SQL alone {raw['cpu_median_ms']:.2f} ms)"
            )
            if args.verbose:
                print(f"    SQL: {' '.join(sql.split())}")
                print(f"    params: {params}")
                for other, p in stmts:
                    if other != sql:
                        print(f"    + {' '.join(other.split())[:160]} {str(p)[:80]}")
            for line in plan:
                print(f"    | {line}")
            out["queries"][q.key] = {
                "label": q.label,
                "filters": q.filters,
                "rows": rows,
                "api": api,
                "sql_only": raw,
                "selects_per_call": len(stmts),
                "sql": " ".join(sql.split()),
                "params": params if isinstance(params, dict) else list(params),
                "plan": plan,
                "meets_goal": ok,
            }
        if args.profile:
            q = next(q for q in queries(sg, marker) if q.key == "id_mid")
            out["profile"] = profile_find(sg, q)
            print(out["profile"])
    finally:
        sg.close()
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dataset.events_arg(p)
    bl.backend_arg(p)
    p.add_argument("--reps", type=int, default=200, help="timed repetitions per query (default 200)")
    p.add_argument("--warmup", type=int, default=10, help="untimed repetitions first (default 10)")
    p.add_argument("--rebuild", action="store_true", help="regenerate the dataset even if cached")
    p.add_argument("-v", "--verbose", action="store_true", help="print the SQL of each query")
    p.add_argument("--profile", action="store_true", help="also profile the mid-log id query")
    bl.common_args(p)
    args = p.parse_args(argv)
    chosen = bl.chosen_backends(args)
    info = bl.announce_machine(args)
    print(
        f"event log queries: first page (limit {PAGE}, id asc) through sg.find, {args.reps} reps after "
        f"{args.warmup} warm-up; goal < {GOAL_MS:g} ms"
    )
    results: dict[str, Any] = {"machine": info, "command": bl.command_line(), "events": args.events}
    for backend in chosen:
        results[backend] = bench_backend(backend, args)
    bl.write_json(args.json, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
