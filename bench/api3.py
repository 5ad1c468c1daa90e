"""The api3 server through the real shotgun_api3 client, next to a stub server, in one run.

Three figures, each against ``shotlog serve`` and against a stub server that answers every call
with a fixed reply (same ASGI stack: Starlette on uvicorn), so the difference is shotlog's own work:

1. update round trips per second from 1 and from 4 concurrent clients (processes), each update a
   real change (a Shot's status toggling) committed with its events (SQLite, synchronous=FULL);
2. paging 100,000 EventLogEntry rows through the client (``find`` with limit=0: 200 pages of 500,
   the shotgunEvents fields), rows per second;
3. the server's resident memory before, during (peak) and after that 100,000-row find.

Goal: shotlog at least 60% of the stub's rate for 1 and 2; memory flat for 3.

Issue 19 replaced the update goals with ones against the **floor** the same machine allows: a bare
ASGI application on uvicorn that runs per update request only the update's SQL by hand (SQLite
``FLOOR``, PostgreSQL ``FLOOR_PG``: the ordering guarantee's id reservation included), measured in
the same run. Goals: SQLite at synchronous=FULL >= 85% of its floor with 1 client and >= 75% with 4;
PostgreSQL >= 75% of its floor with 1 and 4 clients. ``--parts roundtrips`` counts the round trips
to PostgreSQL of one api3 update from libpq's trace of the server's connections.

Each backend is measured on a throw-away copy of the cached log, so every run starts from the same
100,000 events (the updates add their own, which the find then pages through too). Every figure
is printed with the 1-minute load average at its end (the machine may be shared), and each update
run with the server's CPU time per update, which the load disturbs less than the rate.

    python bench/api3.py [--events 100000] [--seconds 5] [--no-pg] [--backend sqlite]
                         [--parts updates,paging,roundtrips]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
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
PARTS = ("updates", "paging", "roundtrips")


def load1() -> float:
    """The 1-minute load average now: how busy the (possibly shared) machine was for a figure."""
    return os.getloadavg()[0]


def server_cpu(server: subprocess.Popen[bytes]) -> float:
    """CPU seconds (user + system) the server process has used so far."""
    times = psutil.Process(server.pid).cpu_times()
    return float(times.user + times.system)


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


#: The end of both floors' scripts (``FLOOR`` and ``FLOOR_PG``): the application that answers
#: ``info`` and runs each update request through the script's own ``update``.
_FLOOR_APP = r"""
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    request = json.loads(body)
    if request["method_name"] == "info":
        result = INFO
    else:
        args = request["params"][1]
        await update(args["id"])
        result = {"type": "Shot", "id": args["id"]}  # the client does not read it back
    out = json.dumps({"results": result}, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": out})

uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
"""


#: The floor for SQLite: a bare ASGI application on uvicorn that does, per update request, only the
#: SQL a shotlog update runs (bench/updates.py's hand-written statements) on the same database at
#: the same synchronous setting, inline on the event loop: no authentication, no validation, no
#: store. What no server in Python on this machine can beat; information, not a goal baseline.
FLOOR = r"""
import json, sys
from pathlib import Path
import uvicorn
sys.path.insert(0, sys.argv[1])
import updates

port, path, synchronous = int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
ops = {int(i): updates._sql_floor(path, synchronous, int(i))[1] for i in sys.argv[5].split(",")}
INFO = {"version": [8, 50, 0], "api_max_entities_per_page": 500}
done = [0]

async def update(shot_id):
    ops[shot_id](done[0])  # inline, on the event loop
    done[0] += 1

"""


#: The floor for PostgreSQL (issue 19's goal 2): the same bare application, running per update
#: request bench/updates.py's hand-written statements of a shotlog update on PostgreSQL (the row read
#: FOR UPDATE, the UPDATE, the INSERT whose id shotlog's reserving function takes, COMMIT at
#: synchronous_commit = on), one statement per round trip. Each request runs in a thread on a
#: connection of its own (one per client), so concurrent clients' transactions and commits overlap
#: as shotlog's do.
FLOOR_PG = r"""
import asyncio, json, queue, sys
import uvicorn
sys.path.insert(0, sys.argv[1])
import updates

port, url, ids = int(sys.argv[2]), sys.argv[3], [int(i) for i in sys.argv[4].split(",")]
conns = queue.SimpleQueue()
for _ in ids:
    conns.put(updates.pg_connect_floor(url))
toggles = dict.fromkeys(ids, 0)
INFO = {"version": [8, 50, 0], "api_max_entities_per_page": 500}

def update_on(shot_id):
    conn = conns.get()
    try:
        updates.pg_floor_update(conn, shot_id, toggles[shot_id])
        toggles[shot_id] += 1  # each client updates a Shot of its own
    finally:
        conns.put(conn)

async def update(shot_id):
    await asyncio.to_thread(update_on, shot_id)

"""


#: ``shotlog serve`` with libpq's protocol trace on every PostgreSQL connection it opens (one file
#: each, in the directory given first), to count the round trips of an update: each Sync (the end of
#: a statement, or of a pipeline of them) and each simple Query is one wait for the server.
TRACED_SERVE = r"""
import itertools, os, sys
import psycopg
directory, argv = sys.argv[1], sys.argv[2:]
numbers = itertools.count()
connect = psycopg.Connection.connect.__func__
files = []

def traced(cls, *args, **kwargs):
    conn = connect(cls, *args, **kwargs)
    fh = open(os.path.join(directory, f"conn{next(numbers)}.trace"), "w")
    files.append(fh)
    conn.pgconn.trace(fh.fileno())
    conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
    return conn

psycopg.Connection.connect = classmethod(traced)
psycopg.connect = psycopg.Connection.connect  # the module's alias, which SQLAlchemy calls
from shotlog.cli import main
sys.argv = ["shotlog", *argv]
main()
"""


def _waits(directory: Path) -> dict[str, int]:
    """Per trace file: how many times the client waited for the server (Syncs and simple Queries sent)."""
    counts = {}
    for path in sorted(directory.glob("*.trace")):
        n = 0
        with path.open(errors="replace") as fh:
            for line in fh:
                parts = line.split("\t")
                if len(parts) > 2 and parts[0] == "F" and parts[2].startswith(("Sync", "Query")):
                    n += 1
        counts[path.name] = n
    return counts


def round_trips(db_url: str, updates: int = 200) -> dict[str, Any]:
    """Round trips to PostgreSQL per api3 update (one client, a Shot's status toggled), counted from
    libpq's trace of every connection the server opened, background work (hints, rule book) included."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="shotlog-trace-") as tmp:
        directory = Path(tmp)
        port = bl.free_port()
        cmd = ["serve", "--database", db_url, "--port", str(port), "--log-level", "warning"]
        env = {**os.environ, "SHOTLOG_SCRIPT_NAME": SCRIPT, "SHOTLOG_SCRIPT_KEY": KEY}
        proc = subprocess.Popen(
            [sys.executable, "-c", TRACED_SERVE, tmp, *cmd], env=env, stdout=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_up(url, proc)
            sg = shotgun_api3.Shotgun(url, SCRIPT, KEY)
            project = sg.find_one("Project", [], ["id"]) or sg.create("Project", {"name": "Bench"})
            shot = sg.create("Shot", {"code": "roundtrips", "project": project})["id"]
            statuses = ("ip", "fin")
            for i in range(50):  # warm-up: connections made, statements prepared, caches filled
                sg.update("Shot", shot, {"sg_status_list": statuses[i % 2]})
            time.sleep(1.5)  # let the last hint go out before counting starts
            before = _waits(directory)
            for i in range(updates):
                sg.update("Shot", shot, {"sg_status_list": statuses[i % 2]})
            time.sleep(1.5)
            after = _waits(directory)
        finally:
            bl.stop_process(proc, 20)
    per_conn = {k: (v - before.get(k, 0)) / updates for k, v in after.items() if v != before.get(k, 0)}
    total = sum(per_conn.values())
    print(
        f"  PostgreSQL: {total:.2f} round trips per api3 update ({updates} updates, 1 client), "
        f"by connection: {', '.join(f'{v:.2f}' for v in sorted(per_conn.values(), reverse=True))} "
        f"(load {load1():.2f})",
        flush=True,
    )
    return {"per_update": total, "by_connection": per_conn, "updates": updates}


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


def measure_floor(path: Path, shot_ids: list[int], seconds: float, synchronous: str) -> dict[str, Any]:
    """Update round trips against ``FLOOR`` on the SQLite database at ``path``."""
    port = bl.free_port()
    here = str(Path(__file__).resolve().parent)
    ids = ",".join(map(str, shot_ids))
    proc = subprocess.Popen(
        [sys.executable, "-c", FLOOR + _FLOOR_APP, here, str(port), str(path), synchronous, ids],
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url, proc)
        return run_updates(f"floor ({synchronous})", url, shot_ids, seconds, proc)
    finally:
        bl.stop_process(proc, 20)


def measure_floor_pg(db_url: str, shot_ids: list[int], seconds: float) -> dict[str, Any]:
    """Update round trips against ``FLOOR_PG`` on the PostgreSQL database at ``db_url``."""
    port = bl.free_port()
    here = str(Path(__file__).resolve().parent)
    ids = ",".join(map(str, shot_ids))
    proc = subprocess.Popen([sys.executable, "-c", FLOOR_PG + _FLOOR_APP, here, str(port), db_url, ids])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url, proc)
        return run_updates("floor (PostgreSQL)", url, shot_ids, seconds, proc)
    finally:
        bl.stop_process(proc, 20)


def _updater(url: str, shot_id: int, seconds: float, out: Any, ready: Any, go: Any) -> None:
    sg = shotgun_api3.Shotgun(url, SCRIPT, KEY)
    statuses = ("ip", "fin")
    n = 0
    for _ in range(20):  # warm-up
        sg.update("Shot", shot_id, {"sg_status_list": statuses[n % 2]})
        n += 1
    ready.put(None)
    go.wait()  # every client starts timing together, after the server's CPU was read
    t0 = time.perf_counter()
    done = 0
    while time.perf_counter() - t0 < seconds:
        sg.update("Shot", shot_id, {"sg_status_list": statuses[n % 2]})
        n += 1
        done += 1
    out.put((done, done / (time.perf_counter() - t0)))


def update_rate(
    url: str, shot_ids: list[int], clients: int, seconds: float, server: subprocess.Popen[bytes]
) -> dict[str, float]:
    """Updates per second from ``clients`` processes, the server's CPU per update and the load."""
    ctx = multiprocessing.get_context("spawn")
    q, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_updater, args=(url, shot_ids[i], seconds, q, ready, go)) for i in range(clients)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    cpu0 = server_cpu(server)
    go.set()
    results = [q.get(timeout=seconds + 120) for _ in procs]
    cpu = server_cpu(server) - cpu0  # the clients' last calls are answered before they report
    for p in procs:
        p.join()
    done = sum(r[0] for r in results)
    return {"rate": sum(r[1] for r in results), "server_cpu_us": cpu / max(done, 1) * 1e6, "load1": load1()}


def run_updates(label: str, url: str, shot_ids: list[int], seconds: float, server: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for clients in (1, 4):
        u = update_rate(url, shot_ids, clients, seconds, server)
        result[f"updates_{clients}"] = u["rate"]
        result[f"updates_{clients}_server_cpu_us"] = u["server_cpu_us"]
        result[f"updates_{clients}_load1"] = u["load1"]
        print(
            f"  {label}: {clients} client(s) {u['rate']:,.0f} updates/s, server CPU "
            f"{u['server_cpu_us']:,.0f} µs/update (load {u['load1']:.2f})",
            flush=True,
        )
    return result


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
        "load1": load1(),
        "rss_before_mib": before,
        "rss_peak_mib": peak,
        "rss_after_mib": after,
    }


def measure(
    db_url: str, seconds: float, label: str, parts: set[str], synchronous: str = "FULL"
) -> dict[str, Any]:
    env = {
        "SHOTLOG_SCRIPT_NAME": SCRIPT,
        "SHOTLOG_SCRIPT_KEY": KEY,
        "SHOTLOG_SQLITE_SYNCHRONOUS": synchronous,
    }
    server, url = bl.start_serve(db_url, env)
    try:
        result: dict[str, Any] = {"label": label}
        if "updates" in parts:
            sg = shotgun_api3.Shotgun(url, SCRIPT, KEY)
            project = sg.find_one("Project", [], ["id"]) or sg.create("Project", {"name": "Bench"})
            shots = [sg.create("Shot", {"code": f"bench{i}", "project": project})["id"] for i in range(4)]
            result["shot_ids"] = shots
            result.update(run_updates(label, url, shots, seconds, server))
        if "paging" in parts:
            result["paging"] = paging(url, server)
            p = result["paging"]
            print(
                f"  {label}: paged {p['rows']:,} events at {p['rows_per_s']:,.0f} rows/s; server RSS "
                f"{p['rss_before_mib']:.0f} → peak {p['rss_peak_mib']:.0f} → {p['rss_after_mib']:.0f} MiB "
                f"(load {p['load1']:.2f})",
                flush=True,
            )
    finally:
        bl.stop_process(server, 20)
    return result


def measure_stub(events: int, seconds: float, parts: set[str]) -> dict[str, Any]:
    pages = max(1, events // 500)
    server, url = start_stub(pages)
    try:
        result: dict[str, Any] = {"label": "stub"}
        if "updates" in parts:
            result.update(run_updates("stub", url, [1, 1, 1, 1], seconds, server))
        if "paging" in parts:
            result["paging"] = paging(url, server)
            p = result["paging"]
            print(
                f"  stub: paged {p['rows']:,} rows at {p['rows_per_s']:,.0f} rows/s (load {p['load1']:.2f})"
            )
    finally:
        bl.stop_process(server, 20)
    return result


def _parts(text: str) -> set[str]:
    parts = {p.strip() for p in text.split(",") if p.strip()}
    if not parts or parts - set(PARTS):
        raise argparse.ArgumentTypeError(f"--parts takes a comma-separated subset of {', '.join(PARTS)}")
    return parts


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--parts",
        type=_parts,
        default={"updates", "paging"},
        help="what to measure: updates, paging, roundtrips (PostgreSQL: per api3 update, from libpq's "
        "trace) (default: updates,paging)",
    )
    parser.add_argument(
        "--normal",
        action="store_true",
        help="also measure SQLite updates at synchronous=NORMAL (shotlog and the floor), for information",
    )
    bl.common_args(parser)
    bl.backend_arg(parser)
    args = parser.parse_args(argv)
    info = bl.announce_machine(args)
    results: dict[str, Any] = {"machine": info, "events": args.events, "parts": sorted(args.parts)}
    print("api3 through shotgun_api3 (stub first, then shotlog)", flush=True)
    results["stub"] = measure_stub(args.events, args.seconds, args.parts)
    for backend in bl.chosen_backends(args):
        dataset.ensure(backend, args.events, args.pg_admin_url)
        label = "SQLite" if backend == "sqlite" else "PostgreSQL"
        db_url, remove = dataset.throwaway_copy(backend, args.events, args.pg_admin_url, "api3")
        try:
            results[backend] = r = measure(db_url, args.seconds, label, args.parts)
            if backend == "postgresql" and "roundtrips" in args.parts:
                r["round_trips"] = round_trips(db_url)
            if backend == "postgresql" and "updates" in args.parts:
                r["floor"] = measure_floor_pg(db_url, r["shot_ids"], args.seconds)
            if backend == "sqlite" and "updates" in args.parts:
                path = Path(db_url.removeprefix("sqlite:///"))
                r["floor"] = measure_floor(path, r["shot_ids"], args.seconds, "FULL")
                if args.normal:
                    r["normal"] = measure(db_url, args.seconds, f"{label} NORMAL", {"updates"}, "NORMAL")
                    r["floor_normal"] = measure_floor(path, r["shot_ids"], args.seconds, "NORMAL")
        finally:
            remove()
    stub = results["stub"]
    for backend in ("sqlite", "postgresql"):
        if backend not in results:
            continue
        r = results[backend]
        said: list[str] = []
        if "updates" in args.parts:
            for key in ("updates_1", "updates_4"):
                r[f"{key}_vs_stub"] = r[key] / stub[key]
            one, four = r["updates_1_vs_stub"], r["updates_4_vs_stub"]
            said.append(f"updates 1 client {one:.0%} of stub, 4 clients {four:.0%}")
            if "floor" in r:
                # issue 19: shotlog against the floor the same machine allows, measured in the same run
                f1, f4 = (r[k] / r["floor"][k] for k in ("updates_1", "updates_4"))
                r["vs_floor"] = [f1, f4]
                goal = "≥ 85% / ≥ 75%" if backend == "sqlite" else "≥ 75% / ≥ 75%"
                cpu = [
                    r[f"updates_{n}_server_cpu_us"] / r["floor"][f"updates_{n}_server_cpu_us"] for n in (1, 4)
                ]
                print(
                    f"{backend}: shotlog / floor: 1 client {f1:.0%}, 4 clients {f4:.0%} (goal {goal}); "
                    f"server CPU per update {cpu[0]:.1f}× / {cpu[1]:.1f}× the floor's"
                )
            for key, what in (
                ("floor", "floor (FULL)" if backend == "sqlite" else "floor"),
                ("normal", "shotlog NORMAL"),
                ("floor_normal", "floor (NORMAL)"),
            ):
                if key in r:
                    f1, f4 = (r[key][k] / stub[k] for k in ("updates_1", "updates_4"))
                    r[key]["vs_stub"] = [f1, f4]
                    said.append(f"{what}: 1 client {f1:.0%}, 4 clients {f4:.0%}")
        if "paging" in args.parts:
            r["paging_vs_stub"] = r["paging"]["rows_per_s"] / stub["paging"]["rows_per_s"]
            said.append(f"paging {r['paging_vs_stub']:.0%} of stub")
        if said:
            print(f"{backend}: {'; '.join(said)} (goal ≥ 60%)")
    bl.write_json(args.json, results)
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
