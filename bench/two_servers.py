"""Writers through one or two ``shotlog serve`` processes on one PostgreSQL database.

Eight threads of the official client (each its own client, half on each server) make ``--calls``
calls each: updates of a Shot's description and, every tenth call, a custom EventLogEntry. The
``shared`` workload spreads every client over the same four Shots (the rows both servers write);
``own`` gives each client a Shot of its own. Each run uses a fresh database and reports calls per
second and failed calls; the figures in docs/architecture.md ("Lock order") come from it.

    python bench/two_servers.py [--calls 300] [--runs 2] [--servers 1,2] [--workloads shared,own]
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from collections import Counter

import shotgun_api3

import benchlib as bl
import shotlog

SCRIPT, KEY = "bench", "bench-key-0123456789abcdef"
CLIENTS = 8


def run(admin_url: str, servers: int, workload: str, calls: int) -> tuple[float, int]:
    """One run on a fresh database: (calls per second, failed calls)."""
    name = f"shotlog_bench_two_{uuid.uuid4().hex[:8]}"
    url = bl.pg_create(admin_url, name, recreate=True)
    shotlog.connect(url).close()  # migrate before the servers start
    env = {"SHOTLOG_SCRIPT_NAME": SCRIPT, "SHOTLOG_SCRIPT_KEY": KEY}
    procs = [bl.start_serve(url, env) for _ in range(servers)]
    try:
        sg = shotgun_api3.Shotgun(procs[0][1], script_name=SCRIPT, api_key=KEY)
        project = sg.create("Project", {"name": "bench"})
        n_shots = 4 if workload == "shared" else CLIENTS
        shots = [sg.create("Shot", {"code": f"s{i}", "project": project})["id"] for i in range(n_shots)]
        failures: Counter[str] = Counter()
        start = threading.Barrier(CLIENTS)

        def client(n: int) -> None:
            api = shotgun_api3.Shotgun(procs[n % servers][1], script_name=SCRIPT, api_key=KEY)
            start.wait()
            for i in range(calls):
                try:
                    if i % 10 == 9:
                        api.create("EventLogEntry", {"event_type": "bench_Mark", "description": f"{n}-{i}"})
                    else:
                        shot = shots[(n + i) % n_shots] if workload == "shared" else shots[n]
                        api.update("Shot", shot, {"description": f"{n}-{i}"})
                except Exception as exc:  # counted, and the first line of each kind shown
                    failures[str(exc).splitlines()[0][:100]] += 1
            api.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - began
        sg.close()
        for message, count in failures.most_common(3):
            print(f"    {count} x {message}")
        return CLIENTS * calls / elapsed, sum(failures.values())
    finally:
        for proc, _url in procs:
            bl.stop_process(proc)
        bl.pg_drop(admin_url, name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg-admin-url", default=bl.DEFAULT_PG_ADMIN)
    parser.add_argument("--calls", type=int, default=300, help="calls per client (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--servers", default="1,2")
    parser.add_argument("--workloads", default="shared,own")
    args = parser.parse_args()
    bl.print_machine(bl.machine_info(args.pg_admin_url))
    for workload in args.workloads.split(","):
        for servers in (int(s) for s in args.servers.split(",")):
            for _ in range(args.runs):
                rate, failed = run(args.pg_admin_url, servers, workload, args.calls)
                print(
                    f"{workload:6} servers={servers} {CLIENTS}x{args.calls} calls: {rate:5.0f} calls/s, "
                    f"{failed} failed (load {os.getloadavg()[0]:.1f})"
                )


if __name__ == "__main__":
    main()
