"""The api3 server through the real shotgun_api3 client, next to a stub server, in one run.

Three figures, each against ``shotlog serve`` and against a stub server that answers every call
with a fixed reply (same ASGI stack: Starlette on uvicorn), so the difference is shotlog's own work:

1. update round trips per second from 1 and from 4 concurrent clients (processes), each update a
   real change (a Shot's status toggling) committed with its events (SQLite, synchronous=FULL);
2. paging 100,000 EventLogEntry rows through the client (``find`` with limit=0: 200 pages of 500,
   the shotgunEvents fields), rows per second;
3. the server's resident memory before, during (peak) and after that 100,000-row find.

Goal: shotlog at least 60% of the stub's rate for 1 and 2; memory flat for 3.

    python bench/api3.py [--events 100000] [--seconds 5] [--no-pg]
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import shotgun_api3

import benchlib as bl
import dataset
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS

SCRIPT, KEY = "bench", "bench-key-0123456789abcdef"
FIELDS = list(SHOTGUNEVENTS_FIELDS)

STUB = r"""
import json, sys
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PAGES = int(sys.argv[2])
INFO = {"version": [8, 50, 0], "api_max_entities_per_page": 500}
UPDATE = {"type": "Shot", "id": 1, "sg_status_list": "ip"}
ROW = {"type": "EventLogEntry", "id": 1, "event_type": "Shotgun_Shot_Change",
       "attribute_name": "sg_status_list",
       "meta": {"type": "attribute_change", "attribute_name": "sg_status_list", "entity_type": "Shot",
                "entity_id": 1, "field_data_type": "status_list", "old_value": "wtg", "new_value": "ip"},
       "entity": {"type": "Shot", "id": 1, "name": "sh0001"},
       "user": {"type": "ApiUser", "id": 1, "name": "bench"},
       "project": {"type": "Project", "id": 1, "name": "Bench"}, "session_uuid": None,
       "created_at": "2026-01-01T00:00:00Z"}
PAGE = [dict(ROW, id=i) for i in range(500)]

def reply(results):
    body = json.dumps({"results": results}, separators=(",", ":")).encode()
    return Response(body, media_type="application/json")

async def api3(request: Request) -> Response:
    body = json.loads(await request.body())
    method = body["method_name"]
    if method == "info":
        return reply(INFO)
    if method == "read":
        page = body["params"][1]["paging"]["current_page"]
        return reply({"entities": PAGE, "paging_info": {"has_next_page": page < PAGES}})
    return reply(UPDATE)

app = Starlette(routes=[Route("/api3/json", api3, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            shotgun_api3.Shotgun(url, SCRIPT, KEY, connect=False).info()
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def start_stub(pages: int) -> tuple[subprocess.Popen[bytes], str]:
    port = bl.free_port()
    proc = subprocess.Popen([sys.executable, "-c", STUB, str(port), str(pages)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_up(url, proc)
    return proc, url


def _updater(url: str, shot_id: int, seconds: float, out: Any) -> None:
    sg = shotgun_api3.Shotgun(url, SCRIPT, KEY)
    statuses = ("ip", "fin")
    n = 0
    for _ in range(20):  # warm-up
        sg.update("Shot", shot_id, {"sg_status_list": statuses[n % 2]})
        n += 1
    t0 = time.perf_counter()
    done = 0
    while time.perf_counter() - t0 < seconds:
        sg.update("Shot", shot_id, {"sg_status_list": statuses[n % 2]})
        n += 1
        done += 1
    out.put(done / (time.perf_counter() - t0))


def update_rate(url: str, shot_ids: list[int], clients: int, seconds: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_updater, args=(url, shot_ids[i], seconds, q)) for i in range(clients)]
    for p in procs:
        p.start()
    rates = [q.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    return sum(rates)


def paging(url: str, server: subprocess.Popen[bytes] | None) -> dict[str, float]:
    sg = shotgun_api3.Shotgun(url, SCRIPT, KEY)
    proc = psutil.Process(server.pid) if server else None
    before = proc.memory_info().rss / 2**20 if proc else 0.0
    peak = before
    stop_flag = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop_flag.is_set() and proc:
            peak = max(peak, proc.memory_info().rss / 2**20)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    rows = sg.find("EventLogEntry", [], FIELDS, order=[{"column": "id", "direction": "asc"}])
    elapsed = time.perf_counter() - t0
    stop_flag.set()
    sampler.join()
    after = proc.memory_info().rss / 2**20 if proc else 0.0
    return {
        "rows": len(rows),
        "rows_per_s": len(rows) / elapsed,
        "rss_before_mib": before,
        "rss_peak_mib": peak,
        "rss_after_mib": after,
    }


def measure(db_url: str, events: int, seconds: float, label: str) -> dict[str, Any]:
    server, url = bl.start_serve(db_url, {"SHOTLOG_SCRIPT_NAME": SCRIPT, "SHOTLOG_SCRIPT_KEY": KEY})
    try:
        sg = shotgun_api3.Shotgun(url, SCRIPT, KEY)
        project = sg.find_one("Project", [], ["id"]) or sg.create("Project", {"name": "Bench"})
        shots = [sg.create("Shot", {"code": f"bench{i}", "project": project})["id"] for i in range(4)]
        result: dict[str, Any] = {"label": label}
        for clients in (1, 4):
            result[f"updates_{clients}"] = update_rate(url, shots, clients, seconds)
            print(f"  {label}: {clients} client(s) {result[f'updates_{clients}']:,.0f} updates/s", flush=True)
        result["paging"] = paging(url, server)
        p = result["paging"]
        print(
            f"  {label}: paged {p['rows']:,} events at {p['rows_per_s']:,.0f} rows/s; server RSS "
            f"{p['rss_before_mib']:.0f} → peak {p['rss_peak_mib']:.0f} → {p['rss_after_mib']:.0f} MiB",
            flush=True,
        )
    finally:
        bl.stop_process(server, 20)
    return result


def measure_stub(events: int, seconds: float) -> dict[str, Any]:
    pages = max(1, events // 500)
    server, url = start_stub(pages)
    try:
        result: dict[str, Any] = {"label": "stub"}
        for clients in (1, 4):
            result[f"updates_{clients}"] = update_rate(url, [1, 1, 1, 1], clients, seconds)
            print(f"  stub: {clients} client(s) {result[f'updates_{clients}']:,.0f} updates/s", flush=True)
        result["paging"] = paging(url, server)
        print(
            f"  stub: paged {result['paging']['rows']:,} rows at {result['paging']['rows_per_s']:,.0f} rows/s"
        )
    finally:
        bl.stop_process(server, 20)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    bl.common_args(parser)
    args = parser.parse_args(argv)
    info = bl.announce_machine(args)
    results: dict[str, Any] = {"machine": info, "events": args.events}
    print("api3 through shotgun_api3 (stub first, then shotlog)", flush=True)
    results["stub"] = measure_stub(args.events, args.seconds)
    if dataset.cached("sqlite", args.events, args.pg_admin_url) is None:
        dataset.build_sqlite(args.events)
    results["sqlite"] = measure(
        dataset.url_for("sqlite", args.events, args.pg_admin_url), args.events, args.seconds, "SQLite"
    )
    if not args.no_pg:
        if dataset.cached("postgresql", args.events, args.pg_admin_url) is None:
            dataset.build_pg(args.events, args.pg_admin_url)
        results["postgresql"] = measure(
            dataset.url_for("postgresql", args.events, args.pg_admin_url),
            args.events,
            args.seconds,
            "PostgreSQL",
        )
    stub = results["stub"]
    for backend in ("sqlite", "postgresql"):
        if backend not in results:
            continue
        r = results[backend]
        for key in ("updates_1", "updates_4"):
            r[f"{key}_vs_stub"] = r[key] / stub[key]
        r["paging_vs_stub"] = r["paging"]["rows_per_s"] / stub["paging"]["rows_per_s"]
        print(
            f"{backend}: updates 1 client {r['updates_1_vs_stub']:.0%} of stub, 4 clients "
            f"{r['updates_4_vs_stub']:.0%}; paging {r['paging_vs_stub']:.0%} of stub (goal ≥ 60%)"
        )
    bl.write_json(args.json, results)
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
