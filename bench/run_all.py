"""Run every benchmark and rewrite docs/performance.md with the measured figures.

    python bench/run_all.py [--events N] [--no-pg] [--only updates eventlog iterate] [--quick]

Each benchmark runs as its own process (``bench/updates.py``, ``bench/eventlog.py``,
``bench/iterate.py``), one after the other, so the two backends' heavy loads never overlap. Their
results go to ``bench/out/results_<name>.json``; with ``--only`` the other benchmarks' previous
results are reused from there. The hand-written analysis between the ``analysis`` markers of an
existing docs/performance.md is kept; everything else in it is regenerated.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import benchlib as bl
import dataset

DOC = bl.ROOT / "docs" / "performance.md"
BENCHES = ("updates", "eventlog", "iterate", "api3", "webui", "export", "webhooks", "daemon", "files")
A_START, A_END = "<!-- analysis:start -->", "<!-- analysis:end -->"


def result_path(name: str) -> Path:
    return bl.OUT / f"results_{name}.json"


def run(name: str, extra: list[str]) -> None:
    cmd = [sys.executable, str(bl.BENCH / f"{name}.py"), "--json", str(result_path(name)), *extra]
    print(f"\n#### {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, check=True, cwd=bl.ROOT)


def load(name: str) -> dict[str, Any] | None:
    p = result_path(name)
    return json.loads(p.read_text()) if p.exists() else None


# -- rendering -------------------------------------------------------------------------------------------


def _yes(ok: bool) -> str:
    return "**yes**" if ok else "**no**"


def _r(x: float) -> str:
    return f"{x:,.0f}"


def _ms(x: float) -> str:
    return f"{x:.2f}"


def render_updates(u: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(summary table rows, section lines)."""
    rows: list[str] = []
    full, normal = u["sqlite"]["FULL"], u["sqlite"]["NORMAL"]
    rows.append(
        f"| 1a | Single one-field update, own transaction, SQLite `synchronous=FULL` | "
        f"{_r(full['shotlog']['median'])} updates/s | "
        f"raw sqlite3 INSERT tx: {_r(full['raw']['median'])} tx/s | "
        f"≥ 50% of raw | {full['ratio']:.1%} | {_yes(full['ratio'] >= 0.5)} |"
    )
    rows.append(
        f"| 1a | Same, SQLite `synchronous=NORMAL` (information) | "
        f"{_r(normal['shotlog']['median'])} updates/s | "
        f"raw: {_r(normal['raw']['median'])} tx/s | – | {normal['ratio']:.1%} | – |"
    )
    b = u["sqlite_batch"]
    rows.append(
        f"| 1b | `sg.batch` of 100 updates, SQLite FULL | {_r(b['updates_per_s'])} updates/s | – | "
        f"≥ 20,000 updates/s | {b['updates_per_s'] / 20000:.1%} of goal | "
        f"{_yes(b['updates_per_s'] >= 20000)} |"
    )
    pg = u.get("postgresql")
    if pg:
        pb, ps = pg["batch"], pg["single"]
        rows.append(
            f"| 1b | `sg.batch` of 100 updates, PostgreSQL | {_r(pb['updates_per_s'])} updates/s | – | "
            f"report | – | – |"
        )
        rows.append(
            f"| 1c | Single one-field update, PostgreSQL (information) | "
            f"{_r(ps['shotlog']['median'])} updates/s | "
            f"raw psycopg INSERT tx: {_r(ps['raw']['median'])} tx/s | – | {ps['ratio']:.1%} | – |"
        )
    sec = [
        "## 1. Updates (`bench/updates.py`)",
        "",
        "**(a)** `sg.update('Shot', id, {'sg_status_list': ...})` with the status toggled, so every call "
        "really changes the value and appends its `Shotgun_Shot_Change` event; each call is its own durable "
        "transaction (`BEGIN IMMEDIATE` … `COMMIT`, WAL). Baseline, measured in the same run and interleaved "
        "run by run with shotlog: bare `sqlite3` doing `BEGIN IMMEDIATE`, an INSERT of one ~170-byte row, "
        "`COMMIT`, on a WAL database at the same `synchronous`. The ratio is the median of the per-run "
        "shotlog/raw ratios. Goal: ≥ 50% of raw at FULL. For information, a third contender runs in the same "
        "interleaving: the statements of a shotlog update written by hand against the shotlog database "
        "through bare sqlite3, i.e. the cost of the schema itself with no Python layer. "
        "**(b)** `sg.batch` with 100 update requests on 100 different Shots, one transaction; goal ≥ 20,000 "
        "updates/s on SQLite. **(c)** Single updates on PostgreSQL against a bare psycopg INSERT + commit. "
        f"Each figure is the median of {len(full['shotlog']['runs'])} timed runs of ~3 s after a warm-up; "
        "CPU is this process's CPU time per operation.",
        "",
        "| Case | shotlog | CPU per update | baseline | CPU per baseline tx | runs (shotlog / baseline) |",
        "|---|---|---|---|---|---|",
    ]
    cases = [("SQLite FULL", full), ("SQLite NORMAL", normal)]
    if pg:
        cases.append(("PostgreSQL", pg["single"]))
    for label, c in cases:
        s, r = c["shotlog"], c["raw"]
        sec.append(
            f"| {label} | {_r(s['median'])}/s | {s['cpu_ms_per_op']:.3f} ms | {_r(r['median'])}/s | "
            f"{r['cpu_ms_per_op']:.3f} ms | {', '.join(_r(x) for x in s['runs'])} / "
            f"{', '.join(_r(x) for x in r['runs'])} |"
        )
    for label, c in (("SQLite FULL", full), ("SQLite NORMAL", normal)):
        f = c.get("sql_floor")
        if f:
            sec.append(
                f"| {label}: the same writes as hand-written SQL, bare sqlite3 (information) | "
                f"{_r(f['median'])}/s = {f['median'] / c['raw']['median']:.0%} of raw | "
                f"{f['cpu_ms_per_op']:.3f} ms | – | – | {', '.join(_r(x) for x in f['runs'])} |"
            )
        fb = c.get("sql_floor_busy")
        if fb:
            sec.append(
                f"| {label}: that SQL after {fb['busy_us']:.0f} µs of other Python work per transaction, "
                f"the work's time taken out (information) | {_r(fb['sql_only_per_s'])}/s = "
                f"{fb['sql_only_per_s'] / c['raw']['median']:.0%} of raw | – | – | – | – |"
            )
    sec.append(
        f"| batch of 100, SQLite FULL | {_r(b['updates_per_s'])}/s | "
        f"{b['cpu_ms_per_update']:.3f} ms | – | – | "
        f"{', '.join(_r(x * 100) for x in b['runs'])} |"
    )
    if pg:
        pb = pg["batch"]
        sec.append(
            f"| batch of 100, PostgreSQL | {_r(pb['updates_per_s'])}/s | "
            f"{pb['cpu_ms_per_update']:.3f} ms | – | – | "
            f"{', '.join(_r(x * 100) for x in pb['runs'])} |"
        )
        sec += ["", f"PostgreSQL settings: {', '.join(f'`{k}={v}`' for k, v in pg['settings'].items())}."]
    sec.append("")
    if u.get("profile"):
        sec += ["<details><summary>Where an update's time goes (cProfile summary)</summary>", ""]
        sec += ["```", u["profile"], "```", "", "</details>", ""]
    return rows, sec


QUERY_ORDER = (
    "id_head",
    "id_mid",
    "entity",
    "entity_old",
    "project_big",
    "project_small",
    "type_common",
    "type_rare",
    "project_type",
    "poller_filtered",
    "head",
)


def render_eventlog(e: dict[str, Any]) -> tuple[list[str], list[str]]:
    backs = [b for b in ("sqlite", "postgresql") if b in e]
    rows: list[str] = []
    for b in backs:
        qs = e[b]["queries"]
        n_ok = sum(1 for q in qs.values() if q["meets_goal"])
        worst = max(qs.values(), key=lambda q: q["api"]["median_ms"])
        rows.append(
            f"| 2 | Event-log first-page queries (limit 500), {len(qs)} queries, {_backend(b)} | "
            f"median {_ms(min(q['api']['median_ms'] for q in qs.values()))}–"
            f"{_ms(worst['api']['median_ms'])} ms | page SQL alone: "
            f"{_ms(min(q['sql_only']['median_ms'] for q in qs.values()))}–"
            f"{_ms(max(q['sql_only']['median_ms'] for q in qs.values()))} ms | < 10 ms | "
            f"{n_ok}/{len(qs)} queries | {_yes(n_ok == len(qs))} |"
        )
    n = e.get("events", 0)
    head = ["| Query | rows |"]
    sep = ["|---|---|"]
    for b in backs:
        head.append(f" {_backend(b)} median / p95 | client CPU | {_backend(b)} page SQL alone |")
        sep.append("---|---|---|")
    sec = [
        f"## 2. Event-log queries on a {n:,}-event log (`bench/eventlog.py`)",
        "",
        "Each query is `sg.find('EventLogEntry', filters, fields, order=[id asc], limit=500)` "
        "with the fields "
        "shotgunEvents asks for (`id, event_type, attribute_name, meta, entity, user, project, session_uuid, "
        "created_at`), so its time includes compiling the filter, the SQL, decoding the rows and resolving "
        "every entity/user/project link to its name. Warm cache, median and p95 of "
        f"{next(iter(e[backs[0]]['queries'].values()))['api']['n'] if backs else 0} repetitions. "
        "“Page SQL alone” is the compiled page statement run through the same engine with no shotlog "
        "processing: the part the database and driver are responsible for. “Client CPU” is this process's "
        "CPU time per call (PostgreSQL's server time is not in it). The datasets are generated by "
        "`bench/dataset.py` (see its docstring for the distribution) and cached. SQLite is not `ANALYZE`d, "
        "as shotlog never does it; PostgreSQL is `VACUUM ANALYZE`d after the load, the state autovacuum "
        "reaches. Goal: < 10 ms.",
        "",
        "".join(head),
        "".join(sep),
    ]
    labels = {k: v["label"] for b in backs for k, v in e[b]["queries"].items()}
    for key in QUERY_ORDER:
        if key not in labels:
            continue
        cells = [f"| {labels[key]} | {e[backs[0]]['queries'][key]['rows']} |"]
        for b in backs:
            q = e[b]["queries"].get(key)
            if q is None:
                cells.append(" – | – | – |")
                continue
            mark = "" if q["meets_goal"] else " ✗"
            cpu = q["api"].get("cpu_median_ms")
            cells.append(
                f" {_ms(q['api']['median_ms'])} / {_ms(q['api']['p95_ms'])} ms{mark} | "
                f"{_ms(cpu) + ' ms' if cpu is not None else '–'} | {_ms(q['sql_only']['median_ms'])} ms |"
            )
        sec.append("".join(cells))
    sec += ["", "✗ = misses the 10 ms goal (median).", ""]
    for b in backs:
        ds = e[b]["dataset"]
        sec.append(
            f"{_backend(b)} dataset: {ds['head']:,} events, {ds['entities']:,} entities, "
            f"{ds['bytes'] / 2**30:.1f} GiB; generated in {ds['total_seconds']:.0f} s "
            f"(load {ds['load_seconds']:.0f} s, indexes {ds['index_seconds']:.0f} s)."
        )
    sec.append("")
    for b in backs:
        if e[b].get("profile"):
            sec += [f"<details><summary>{_backend(b)}: where a 500-row page's time goes (cProfile)</summary>"]
            sec += ["", "```", e[b]["profile"], "```", "", "</details>", ""]
    for b in backs:
        kind = "EXPLAIN QUERY PLAN" if b == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS)"
        sec += [f"<details><summary>{_backend(b)}: SQL and {kind} of each page query</summary>", ""]
        for key in QUERY_ORDER:
            q = e[b]["queries"].get(key)
            if q is None:
                continue
            sec += [
                f"**{q['label']}**",
                "",
                "```",
                q["sql"],
                f"-- params: {q['params']}",
                *q["plan"],
                "```",
                "",
            ]
        sec += ["</details>", ""]
    return rows, sec


def _backend(b: str) -> str:
    return "SQLite" if b == "sqlite" else "PostgreSQL"


def render_iterate(it: dict[str, Any]) -> tuple[list[str], list[str]]:
    backs = [b for b in ("sqlite", "postgresql") if b in it]
    rows: list[str] = []
    for b in backs:
        r = it[b].get("iter_events")
        if not r:
            continue
        drv = it[b].get("driver")
        rss = [s["rss_mib"] for s in r["samples"]]
        flat = (max(rss) - min(rss)) if rss else 0.0
        rows.append(
            f"| 3 | Iterate all events with `sg.iter_events()`, {_backend(b)} | "
            f"{_r(r['events_per_s'])} events/s, peak RSS {r['peak_rss_mib']:.0f} MiB | "
            + (f"bare driver: {_r(drv['events_per_s'])} events/s" if drv else "–")
            + f" | flat memory | RSS samples within {flat:.1f} MiB | {_yes(flat < 16)} |"
        )
    n = it.get("events", 0)
    sec = [
        f"## 3. Iterating the whole {n:,}-event log (`bench/iterate.py`)",
        "",
        "Every event, in id order, each way in a fresh process: `sg.iter_events()` (public API: pages of "
        "500 through `find` with every event field and links resolved), `shotlog.eventlog.read.iter_rows` "
        "(raw rows, pages of 1,000, SQLAlchemy Core) and, as the baseline, the same keyset-paged `SELECT` "
        "through the bare driver. RSS is sampled every 1M events (every N/10 on smaller logs); peak RSS is "
        "`getrusage` max RSS of the process.",
        "",
        "| Backend | Way | events/s | events per client CPU-second | time | RSS at start | RSS samples (MiB) "
        "| peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    labels = {"iter_events": "`sg.iter_events()`", "iter_rows": "`iter_rows`", "driver": "bare driver"}
    for b in backs:
        for mode in ("iter_events", "iter_rows", "driver"):
            r = it[b].get(mode)
            if not r:
                continue
            samples = ", ".join(f"{s['rss_mib']:.0f}" for s in r["samples"])
            per_cpu = r.get("events_per_cpu_s")
            sec.append(
                f"| {_backend(b)} | {labels[mode]} | {_r(r['events_per_s'])} | "
                f"{_r(per_cpu) if per_cpu else '–'} | {r['seconds']:.0f} s | "
                f"{r['rss_start_mib']:.0f} MiB | {samples} | {r['peak_rss_mib']:.0f} MiB |"
            )
    sec.append("")
    return rows, sec


def render_api3(a: dict[str, Any]) -> tuple[list[str], list[str]]:
    stub = a["stub"]
    rows: list[str] = []
    sec = [
        "## 4. The api3 server through shotgun_api3 (`bench/api3.py`)",
        "",
        "The real `shotgun_api3` client against `shotlog serve` (a fresh process on the benchmark's "
        f"{a['events']:,}-event database, SQLite at synchronous=FULL), next to the same client "
        "against a stub server that answers every call with a fixed reply on the same "
        "Starlette/uvicorn stack, in the same run. Updates toggle a Shot's status (a real change, "
        "committed with its event); 4 clients are 4 processes. Paging is `find('EventLogEntry', [], "
        "<shotgunEvents fields>)` with limit 0: pages of 500. The server's RSS is sampled every 50 ms "
        "during that find.",
        "",
        "| Backend | 1 client updates/s | 4 clients updates/s | paging rows/s "
        "| server RSS before → peak → after |",
        "|---|---|---|---|---|",
        f"| stub | {_r(stub['updates_1'])} | {_r(stub['updates_4'])} "
        f"| {_r(stub['paging']['rows_per_s'])} | – |",
    ]
    for b in ("sqlite", "postgresql"):
        r = a.get(b)
        if not r:
            continue
        p = r["paging"]
        sec.append(
            f"| {_backend(b)} | {_r(r['updates_1'])} ({r['updates_1_vs_stub']:.0%}) | "
            f"{_r(r['updates_4'])} ({r['updates_4_vs_stub']:.0%}) | {_r(p['rows_per_s'])} "
            f"({r['paging_vs_stub']:.0%}) | {p['rss_before_mib']:.0f} → {p['rss_peak_mib']:.0f} → "
            f"{p['rss_after_mib']:.0f} MiB |"
        )
        for label, key, ratio in (
            ("update round trips, 1 client", "updates_1", "updates_1_vs_stub"),
            ("update round trips, 4 clients", "updates_4", "updates_4_vs_stub"),
        ):
            rows.append(
                f"| 4 | api3 {label}, {_backend(b)} | {_r(r[key])}/s | stub {_r(stub[key])}/s "
                f"| ≥ 60% of stub | {r[ratio]:.0%} | {_yes(r[ratio] >= 0.6)} |"
            )
        rows.append(
            f"| 4 | api3 paging {p['rows']:,} events, {_backend(b)} | {_r(p['rows_per_s'])} rows/s | stub "
            f"{_r(stub['paging']['rows_per_s'])} rows/s | ≥ 60% of stub | {r['paging_vs_stub']:.0%} | "
            f"{_yes(r['paging_vs_stub'] >= 0.6)} |"
        )
        growth = p["rss_peak_mib"] - p["rss_before_mib"]
        rows.append(
            f"| 4 | Server memory during that find, {_backend(b)} | +{growth:.0f} MiB at peak | – | flat | "
            f"{p['rss_before_mib']:.0f} → {p['rss_peak_mib']:.0f} MiB | {_yes(growth < 64)} |"
        )
        if "floor" in r:
            f = r["floor"]
            rows.append(
                f"| 4 | (information) the floor: bare uvicorn + the same SQL by hand, {_backend(b)} FULL, "
                f"1 / 4 clients | {_r(f['updates_1'])} / {_r(f['updates_4'])}/s | stub | – "
                f"| {f['vs_stub'][0]:.0%} / {f['vs_stub'][1]:.0%} | – |"
            )
    sec.append("")
    floor_rows = [
        (label, a[b][key])
        for b in ("sqlite",)
        if b in a
        for label, key in (
            ("the floor, synchronous=FULL", "floor"),
            ("shotlog, synchronous=NORMAL", "normal"),
            ("the floor, synchronous=NORMAL", "floor_normal"),
        )
        if key in a[b]
    ]
    if floor_rows:
        sec += [
            "What any server could reach on this machine: the **floor** is a bare ASGI application on "
            "uvicorn that, for each update request, runs only the SQL a shotlog update runs (bench/"
            "updates.py's hand-written statements, inline on the event loop) on the same SQLite "
            "database: no authentication, no validation, no store. shotlog at synchronous=NORMAL "
            "(durable against a crash of the process, not of the machine) is shown for comparison.",
            "",
            "| SQLite | 1 client updates/s | 4 clients updates/s | server CPU per update (1 / 4 clients) |",
            "|---|---|---|---|",
        ]
        for label, f in floor_rows:
            sec.append(
                f"| {label} | {_r(f['updates_1'])} ({f['vs_stub'][0]:.0%} of stub) | {_r(f['updates_4'])} "
                f"({f['vs_stub'][1]:.0%}) | {f['updates_1_server_cpu_us']:,.0f} / "
                f"{f['updates_4_server_cpu_us']:,.0f} µs |"
            )
        sec.append("")
    return rows, sec


def render_webui(w: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The web UI's event log pages: server time per page (bench/webui.py)."""
    goal = w.get("goal_ms", 200.0)
    rows: list[str] = []
    sec = [
        "## 5. Web UI pages (`bench/webui.py`)",
        "",
        f"Server time of the web UI's pages on the {w['events']:,}-event log: the real application "
        "(routing, session lookup, store queries, Jinja rendering, gzip) through Starlette's in-process "
        "client, so no network. Default 50 rows per page, each with its capped match count. Baseline: "
        "the same first page read by `sg.find` alone.",
        "",
        "| Backend | Page | Median | p95 | Size |",
        "|---|---|---|---|---|",
    ]
    for b in ("sqlite", "postgresql"):
        r = w.get(b)
        if not r:
            continue
        pages = r["pages"]
        for page in pages.values():
            sec.append(
                f"| {_backend(b)} | {page['label']} (`{page['path']}`) | {page['median_ms']:.1f} ms | "
                f"{page['p95_ms']:.1f} ms | {page['bytes']:,} B |"
            )
        worst = max(pages.values(), key=lambda p: p["p95_ms"])
        ok = sum(1 for p in pages.values() if p["p95_ms"] < goal)
        rows.append(
            f"| 5 | Web UI event pages, {_backend(b)}: {ok}/{len(pages)} under {goal:g} ms (p95); slowest "
            f"{worst['label']} | {worst['p95_ms']:.1f} ms p95 | `sg.find` first page "
            f"{r['baseline_find']['median_ms']:.1f} ms | < {goal:g} ms | {ok}/{len(pages)} | "
            f"{_yes(ok == len(pages))} |"
        )
    sec.append("")
    return rows, sec


def render_export(x: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Export to CSV and archive of the whole log (bench/export.py)."""
    rows: list[str] = []
    sec = [
        f"## 6. Export and archive of the {x['events']:,}-event log (`bench/export.py`)",
        "",
        "Every event to a CSV file with the default columns (`shotlog events export -o x.csv`), in a fresh "
        "process whose peak RSS is the exporter's own; JSON Lines for information. Baseline: the same keyset "
        "pages through the bare driver written with `csv.writer` (no names, no date formatting). Then the "
        "archive job on a copy of the dataset with the default live window (about 5/6 of the log archived "
        "to a directory), and live-log queries (median) before and after.",
        "",
        "| Backend | Way | events/s | per client CPU-second | time | size | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    labels = {
        "csv": "CSV",
        "csv1": "CSV, single process",
        "jsonl": "JSON Lines",
        "driver": "baseline: bare driver + csv.writer",
    }
    for b in ("sqlite", "postgresql"):
        r = x.get(b)
        if not r:
            continue
        for mode in ("csv", "csv1", "jsonl", "driver"):
            m = r.get(mode)
            if not m:
                continue
            cpu = m["events"] / m["cpu_seconds"] if m["cpu_seconds"] else 0
            jobs = f" ({m['jobs']} processes)" if m.get("jobs", 1) > 1 else ""
            rss = f"{m['peak_rss_mib']:.0f} MiB"
            if m.get("processes", 1) > 1:
                rss += f" largest, {m['peak_rss_sum_mib']:.0f} MiB sum of {m['processes']} processes"
            sec.append(
                f"| {_backend(b)} | {labels[mode]}{jobs} | {_r(m['events_per_s'])} | {_r(cpu)} | "
                f"{m['seconds']:.0f} s | {m['bytes'] / 1e6:,.0f} MB | {rss} |"
            )
        c, d = r.get("csv"), r.get("driver")
        if c:
            # memory is judged on all the export's processes together, not on the largest alone
            total = c.get("peak_rss_sum_mib", c["peak_rss_mib"])
            ok = c["events_per_s"] >= 100_000 and total * 2**20 < 200e6
            jobs = f", {c['processes']} processes" if c.get("processes", 1) > 1 else ""
            rows.append(
                f"| 6 | Export all events to CSV, {_backend(b)} | {_r(c['events_per_s'])} events/s, peak RSS "
                f"{total:.0f} MiB{jobs} (largest {c['peak_rss_mib']:.0f} MiB) | "
                + (f"bare driver + csv.writer: {_r(d['events_per_s'])} events/s" if d else "–")
                + f" | ≥ 100,000 events/s, < 200 MB | {c['events_per_s'] / 100_000:.0%} of goal "
                f"| {_yes(ok)} |"
            )
    for b in ("sqlite", "postgresql"):
        a = (x.get(b) or {}).get("archive")
        if not a:
            continue
        sec += [
            "",
            f"**Archive, {_backend(b)}:** {a['archived_events']:,} events in {a['segments']} segments, "
            f"{a['seconds']:.0f} s = {_r(a['events_per_s'])} events/s, {a['archive_bytes'] / 1e6:,.0f} MB of "
            f"gzip'd JSON Lines; {a['live_events_after']:,} events stay live.",
            "",
            "| Live-log query | before (ms) | after (ms) |",
            "|---|---|---|",
        ]
        sec += [
            f"| {name} | {ms:.2f} | {a['query_ms_after'][name]:.2f} |"
            for name, ms in a["query_ms_before"].items()
        ]
        rows.append(
            f"| 6 | Archive the events older than 183 days, {_backend(b)} | "
            f"{_r(a['events_per_s'])} events/s | – | report | – | – |"
        )
    sec.append("")
    return rows, sec


def render_webhooks(h: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Webhook deliveries to a local nginx: throughput, latency, backlog (bench/webhooks.py)."""
    wrk = h["wrk_per_s"]
    rows: list[str] = []
    sec = [
        "## 7. Webhook delivery (`bench/webhooks.py`)",
        "",
        f"Signed deliveries (`X-SG-SIGNATURE`) to a local nginx answering 200, with every attempt and "
        f"delivery state written to the delivery log. Throughput: N pending deliveries drained by "
        f"{h['workers']} `shotlog worker` process(es), one hook with max_concurrency {h['concurrency']}; "
        f"baseline: wrk's POST rate against the same nginx in the same run ({_r(wrk)} requests/s). "
        "Latency: a Shot updated every 20 ms with one worker running; time from the update's commit to "
        "the request reaching the bench's receiver. Backlog: pending deliveries inserted directly, drained "
        "by one worker whose RSS is sampled every second.",
        "",
        "| Backend | deliveries/s | dispatch/s | latency p50 / p95 / p99 | backlog drained "
        "| worker RSS first → max → last |",
        "|---|---|---|---|---|---|",
    ]
    for b in ("sqlite", "postgresql"):
        r = h.get(b)
        if not r:
            continue
        t, lat, bk = r.get("throughput"), r.get("latency"), r.get("backlog")
        sec.append(
            f"| {_backend(b)} | {_r(t['per_s']) if t else '–'} | {_r(t['dispatch_per_s']) if t else '–'} | "
            + (f"{_ms(lat['p50_ms'])} / {_ms(lat['p95_ms'])} / {_ms(lat['p99_ms'])} ms | " if lat else "– | ")
            + (
                f"{bk['deliveries']:,} at {_r(bk['per_s'])}/s | {bk['rss_first_mib']:.0f} → "
                f"{bk['rss_max_mib']:.0f} → {bk['rss_last_mib']:.0f} MiB |"
                if bk
                else "– | – |"
            )
        )
        if t:
            rows.append(
                f"| 7 | Signed webhook deliveries with the log written, {_backend(b)} | {_r(t['per_s'])}/s | "
                f"wrk {_r(wrk)}/s | ≥ 5,000/s | {t['per_s'] / 5000:.0%} of goal "
                f"| {_yes(t['per_s'] >= 5000)} |"
            )
        if lat:
            ok = lat["p50_ms"] <= 20 and lat["p99_ms"] <= 100
            rows.append(
                f"| 7 | Webhook latency commit → receiver, {_backend(b)} | p50 {_ms(lat['p50_ms'])} ms, "
                f"p99 {_ms(lat['p99_ms'])} ms | FPTR samples 500–4000 ms | p50 ≤ 20 ms, p99 ≤ 100 ms | "
                f"p99 {_ms(lat['p99_ms'])} ms | {_yes(ok)} |"
            )
        if bk:
            growth = bk["rss_growth_mib"]
            rows.append(
                f"| 7 | Drain {bk['deliveries']:,} pending deliveries, {_backend(b)} | {_r(bk['per_s'])}/s, "
                f"RSS {bk['rss_first_mib']:.0f} → {bk['rss_max_mib']:.0f} MiB | – | no memory growth | "
                f"{growth:+.0f} MiB after warm-up | {_yes(growth < 32)} |"
            )
    sec.append("")
    return rows, sec


def render_daemon(d: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The event daemon: drain time per source next to a shotgunEvents-style poller; latency."""
    rows: list[str] = []
    sec = [
        "## 8. Event daemon (`bench/daemon.py`)",
        "",
        "One `shotlog serve` on a copy of the benchmark log, a no-op plugin registered for every event. "
        "**Drain**: time for the plugin's cursor to go from the first event to the head, per source, next "
        "to a baseline that does what shotgunEvents does in the same run (shotgun_api3 `find` of `id > "
        "last`, 500 per page, the callback, then a pickle state file rewritten after every event). "
        "**Latency**: the daemon caught up, updates committed one at a time through the Python API; time "
        "from the commit returning to the callback starting (shotgunEvents polls every 5 s by default).",
        "",
        "| Backend | events | baseline | direct | stream | api3 | direct vs baseline "
        "| latency p50 / p99 direct | stream | api3 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for b in ("sqlite", "postgresql"):
        r = d.get(b)
        if not r:
            continue
        dr, lat = r["drain"], r["latency"]

        def rate(x: dict[str, Any]) -> str:
            return f"{x['seconds']:.1f} s ({_r(x['events_per_s'])}/s)"

        def pp(x: dict[str, Any]) -> str:
            return f"{_ms(x['p50_ms'])} / {_ms(x['p99_ms'])} ms"

        sec.append(
            f"| {_backend(b)} | {r['events']:,} | {rate(r['baseline'])} | {rate(dr['direct'])} | "
            f"{rate(dr['stream'])} | {rate(dr['api3'])} | {r['speedup_direct']:.1f}x | {pp(lat['direct'])} | "
            f"{pp(lat['stream'])} | {pp(lat['api3'])} |"
        )
        if "direct_batched" in dr:
            sec.append(
                f"| {_backend(b)}, direct with `commit_every = 100` | | | {rate(dr['direct_batched'])} "
                "| | | | | | |"
            )
        rows.append(
            f"| 8 | Daemon drain of {r['events']:,} events, direct source, {_backend(b)} | "
            f"{rate(dr['direct'])} | shotgunEvents-style poller {rate(r['baseline'])} | ≥ 10x faster | "
            f"{r['speedup_direct']:.1f}x | {_yes(r['speedup_direct'] >= 10)} |"
        )
        for s in ("direct", "stream"):
            ok = lat[s]["p50_ms"] <= 10 and lat[s]["p99_ms"] <= 50
            rows.append(
                f"| 8 | Daemon latency commit → callback, {s} source, {_backend(b)} | {pp(lat[s])} | "
                f"shotgunEvents polls every 5 s | p50 ≤ 10 ms, p99 ≤ 50 ms | p99 {_ms(lat[s]['p99_ms'])} ms "
                f"| {_yes(ok)} |"
            )
    sec.append("")
    return rows, sec


def render_files(f: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Uploads and downloads through shotgun_api3, and thumbnails under load (bench/files.py)."""
    rows: list[str] = []
    sec = [
        "## 9. Files (`bench/files.py`)",
        "",
        "**Transfer**: `sg.upload('Version', id, <file>, 'sg_uploaded_movie')` then "
        "`sg.download_attachment(id, file_path=...)` with the real client against a fresh `shotlog serve` "
        "(SQLite, directory storage); shotlog announces direct uploads, so the client PUTs 20 MB parts to "
        "the URLs shotlog returns, asking for each. The payload is random bytes. Floor, in the same run: a "
        "bare uvicorn application that streams a PUT body into a file and serves it back with "
        "`FileResponse`, driven by the client's own part upload (`_upload_data_to_storage` on 20 MB reads "
        "of the same file) and its `download_attachment` of a URL, so the ratio compares servers. The "
        "server's RSS is sampled every 100 ms; dirty pages are synced before each transfer.",
        "",
        f"Measured {f['machine']['date']}, git {f['machine']['git']}, shotlog imported from "
        f"`{f.get('shotlog_source', 'src/shotlog')}`; 1-minute load average at the start "
        f"{f['machine']['loadavg']} on {f['machine']['cores']} cores (each figure shows its own).",
        "",
    ]
    if f.get("transfer"):
        _files_transfer(f["transfer"], rows, sec)
    th = f.get("thumbnails") or {}
    if any(b in th for b in ("sqlite", "postgresql")):
        _files_thumbnails(th, rows, sec)
    return rows, sec


def _rss(x: dict[str, Any]) -> str:
    return f"{x['rss_before_mib']:.0f} → {x['rss_peak_mib']:.0f} → {x['rss_after_mib']:.0f} MiB"


def _files_transfer(t: dict[str, Any], rows: list[str], sec: list[str]) -> None:
    flat = t.get("rss_flat_mib", 16)
    sec += [
        f"{t['size_mb']:,} MB, {len(t['runs'])} run(s), the order alternating from run to run.",
        "",
        "| Run | Server | upload MB/s | server CPU | RSS before → peak → after "
        "| download MB/s | server CPU | RSS before → peak → after | bytes back intact |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, run in enumerate(t["runs"], 1):
        for side in run:
            up, down = run[side]["upload"], run[side]["download"]
            sec.append(
                f"| {i} | {side} | {_r(up['mb_per_s'])} (load {up['load1']:.2f}) | "
                f"{up['server_cpu_s']:.1f} s | {_rss(up)} | {_r(down['mb_per_s'])} "
                f"(load {down['load1']:.2f}) | {down['server_cpu_s']:.1f} s | {_rss(down)} "
                f"| {_yes(down.get('verified', False))} |"
            )
    by_id = next(
        (
            r["shotlog"]["download"]["by_id_error"]
            for r in t["runs"]
            if "by_id_error" in r["shotlog"]["download"]
        ),
        None,
    )
    if by_id:
        sec += [
            "",
            f"shotlog's download by id (`sg.download_attachment(<id>)`) failed: `{by_id[:200]}`; its "
            "download was measured through the field's URL instead "
            "(`sg.download_attachment(version['sg_uploaded_movie'])`).",
        ]
    for direction in ("upload", "download"):
        d = t[direction]
        ok = d["ratio"] >= 0.7 and d["rss_growth_mib"] < flat and d["verified"]
        rows.append(
            f"| 9 | {direction.capitalize()} of a {t['size_mb']:,} MB file through shotgun_api3, SQLite "
            f"| {_r(d['shotlog_mb_per_s'])} MB/s, server RSS +{d['rss_growth_mib']:.0f} MiB "
            f"| bare uvicorn floor: {_r(d['floor_mb_per_s'])} MB/s "
            f"| ≥ 70% of the floor, RSS flat (< +{flat:.0f} MiB) | {d['ratio']:.0%} | {_yes(ok)} |"
        )
    sec.append("")


def _files_thumbnails(th: dict[str, Any], rows: list[str], sec: list[str]) -> None:
    backs = [b for b in ("sqlite", "postgresql") if b in th]
    n = th[backs[0]]["threads"]
    sec += [
        "**Thumbnails under load**: bench/api3.py's update round trips (1 client process) and paging "
        f"of the whole {th.get('events', 0):,}-event log, while {n} threads in another process, each "
        "with its own client, upload 1.4-2.1 MP PNG and JPEG images (`sg.upload_thumbnail`) in a loop; "
        "next to the same figures without them, measured before and after the loaded run (their mean "
        "is the baseline). Control (information): the same threads PUT the same images to the floor "
        "server of the transfer figure instead, with the client's part code, paced to as many a second "
        "as shotlog took in: what sharing the machine with that upload traffic costs when shotlog does "
        "none of the thumbnail work.",
        "",
        "| Backend | updates/s without (before / after) | with | with / without "
        "| paging rows/s without (before / after) | with | with / without "
        "| thumbnails uploaded | errors | upload p50 / p95 | control: updates / paging with / without |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for b in backs:
        r = th[b]
        bef, aft, load = r["without_before"], r["without_after"], r["load"]
        lat = load.get("latency")
        sec.append(
            f"| {_backend(b)} | {_r(bef['updates_1'])} / {_r(aft['updates_1'])} "
            f"| {_r(r['updates_with'])} | {r['updates_ratio']:.0%} "
            f"| {_r(bef['paging']['rows_per_s'])} / {_r(aft['paging']['rows_per_s'])} "
            f"| {_r(r['paging_with'])} | {r['paging_ratio']:.0%} "
            f"| {load['uploads']:,} ({load['per_s']:.1f}/s) | {load['errors']:,} | "
            + (f"{lat['median_ms'] / 1000:.2f} / {lat['p95_ms'] / 1000:.2f} s |" if lat else "– |")
            + (
                f" {r['updates_control_ratio']:.0%} / {r['paging_control_ratio']:.0%} "
                f"({r['control_load']['per_s']:.1f} PUTs/s) |"
                if "control" in r
                else " – |"
            )
        )
        failed = f", {load['errors']:,} uploads failed" if load["errors"] else ""
        for key, what, unit in (
            ("updates", "update round trips, 1 client", "/s"),
            ("paging", "paging", " rows/s"),
        ):
            ratio, control = r[f"{key}_ratio"], r.get(f"{key}_control_ratio")
            rows.append(
                f"| 9 | api3 {what} during {n} concurrent thumbnail uploads, {_backend(b)}{failed} | "
                f"{_r(r[f'{key}_with'])}{unit} | without: {_r(r[f'{key}_without'])}{unit}"
                + (f"; with the control load: {control:.0%}" if control is not None else "")
                + f" | within 10% | {ratio:.0%} | {_yes(ratio >= 0.9 and not load['errors'])} |"
            )
    errs = [e for b in backs for e in th[b]["load"].get("first_errors", [])]
    if errs:
        sec += ["", "First upload errors: " + "; ".join(f"`{e[:200]}`" for e in errs[:3])]
    sec.append("")


def render(
    updates: dict[str, Any] | None,
    eventlog: dict[str, Any] | None,
    iterate: dict[str, Any] | None,
    command: str,
    analysis: str,
    api3: dict[str, Any] | None = None,
    webui: dict[str, Any] | None = None,
    export: dict[str, Any] | None = None,
    webhooks: dict[str, Any] | None = None,
    daemon: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
) -> str:
    info = next((r["machine"] for r in (updates, eventlog, iterate, api3) if r), None) or bl.machine_info()
    # the code each benchmark measured (recorded when it started)
    done = [r for r in (updates, eventlog, iterate) if r]
    codes = sorted({r["machine"]["git"] for r in done if r["machine"].get("git")})
    loads = [r["machine"].get("loadavg") for r in done]
    parts: list[tuple[list[str], list[str]]] = []
    if updates:
        parts.append(render_updates(updates))
    if eventlog:
        parts.append(render_eventlog(eventlog))
    if iterate:
        parts.append(render_iterate(iterate))
    if api3:
        parts.append(render_api3(api3))
    if webui:
        parts.append(render_webui(webui))
    if export:
        parts.append(render_export(export))
    if webhooks:
        parts.append(render_webhooks(webhooks))
    if daemon:
        parts.append(render_daemon(daemon))
    if files:
        parts.append(render_files(files))
    lines = [
        "# Performance",
        "",
        "Measured figures for shotlog's write path, event-log queries and event-log iteration, each next to "
        "the baseline it is judged against. This file is generated by `bench/run_all.py` (the analysis "
        "section is kept across runs); the scripts only measure and report, nothing asserts on timings.",
        "",
        f"- **Date:** {info['date']}",
        f"- **Machine:** {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}",
        f"- **Software:** Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}, "
        f"SQLAlchemy {info['sqlalchemy']}, psycopg {info['psycopg']}",
        f"- **Load:** 1-minute load average when each benchmark started: "
        f"{', '.join(str(x) for x in loads if x is not None) or 'not recorded'} (the machine can be shared)",
        f"- **Code:** git {', '.join(codes) if codes else bl.git_state()}",
        f"- **Reproduce:** `{command}` (from the repository root, with the project's venv; PostgreSQL URL "
        f"from `--pg-admin-url` or `SHOTLOG_BENCH_PG`, default `{bl.DEFAULT_PG_ADMIN}`)",
        "",
        "## Summary",
        "",
        "| # | Benchmark | Measured | Baseline | Goal | Result | Meets goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for rows, _ in parts:
        lines += rows
    lines.append("")
    lines += [A_START, analysis.strip("\n"), A_END, ""]
    for _, sec in parts:
        lines += sec
    return "\n".join(lines).rstrip() + "\n"


DEFAULT_ANALYSIS = """## Analysis

(No analysis written yet.)
"""


def existing_analysis() -> str:
    if not DOC.exists():
        return DEFAULT_ANALYSIS
    text = DOC.read_text()
    if A_START in text and A_END in text:
        return text.split(A_START, 1)[1].split(A_END, 1)[0]
    return DEFAULT_ANALYSIS


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=dataset.DEFAULT_EVENTS, help="event-log size (default 10M)")
    p.add_argument("--only", nargs="+", choices=BENCHES, default=list(BENCHES), help="run only these")
    p.add_argument("--quick", action="store_true", help="short runs, for trying the scripts out")
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--render-only", action="store_true", help="rewrite the doc from the saved results")
    p.add_argument("--pg-admin-url", default=bl.DEFAULT_PG_ADMIN)
    args = p.parse_args(argv)

    common = ["--pg-admin-url", args.pg_admin_url] + (["--no-pg"] if args.no_pg else [])
    quick_updates = ["--duration", "1", "--runs", "3", "--warmup", "0.5"] if args.quick else []
    extra = {
        "updates": ["--profile", *quick_updates],
        "eventlog": ["--events", str(args.events), "--profile"] + (["--reps", "30"] if args.quick else []),
        "iterate": ["--events", str(args.events)],
        "api3": ["--events", "100000", "--normal"] + (["--seconds", "2"] if args.quick else []),
        "webui": ["--events", str(args.events)] + (["--reps", "10"] if args.quick else []),
        "export": ["--events", str(args.events)] + (["--reps", "5"] if args.quick else []),
        "webhooks": (
            ["--deliveries", "20000", "--backlog", "50000", "--latency-samples", "200"] if args.quick else []
        ),
        "daemon": ["--events", "100000"] + (["--updates", "100"] if args.quick else []),
        "files": ["--size-mb", "300", "--seconds", "2"] if args.quick else [],
    }
    if not args.render_only:
        bl.ensure_out()
        for name in BENCHES:
            if name in args.only:
                run(name, extra[name] + common)
    command = bl.command_line()
    if args.render_only or set(args.only) != set(BENCHES):
        command = f"python bench/run_all.py --events {args.events}" + (" --no-pg" if args.no_pg else "")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(
        render(
            load("updates"),
            load("eventlog"),
            load("iterate"),
            command,
            existing_analysis(),
            load("api3"),
            webui=load("webui"),
            export=load("export"),
            webhooks=load("webhooks"),
            daemon=load("daemon"),
            files=load("files"),
        )
    )
    print(f"\nwrote {DOC}")


if __name__ == "__main__":
    main(sys.argv[1:])
