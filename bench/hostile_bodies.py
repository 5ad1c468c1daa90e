"""Large api3 bodies against a real ``shotlog serve``: how long a well-formed client waits meanwhile.

Each round sends ``--bodies`` concurrent 63 MiB api3 bodies of small strings (a JSON list of about
16 million ``"a"``) over raw sockets, while one official client calls ``find`` in a loop; the
client's latencies while any large body is in flight are reported (median, p99, max), beside the
same client's with nothing else going on, and the server process's CPU time for the round (the
client's calls included). A large body is sent unauthenticated (no ``auth``, as in
shotlog issue 15) or with the script's key (``--kinds``). The server runs with
``SHOTLOG_API3_MAX_BODY`` large enough for the body, so that it is read and judged, not refused for
its size.

    python bench/hostile_bodies.py [--backend sqlite|postgresql|both] [--bodies 1,4]
        [--kinds unauthenticated,script] [--megabytes 63]
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import shotgun_api3

import benchlib as bl
import shotlog

SCRIPT, KEY = "bench", "bench-key-0123456789abcdef"
#: baseline calls before the large bodies are sent
BASELINE_CALLS = 200


def large_body(megabytes: int, auth: str) -> bytes:
    """An api3 ``read`` whose filters are a list of about ``megabytes`` MB of one-letter strings."""
    count = megabytes * 1024 * 1024 // 4  # '"a",' is four bytes
    head = b'{"method_name":"read","params":[' + auth.encode() + b',{"type":"Shot","filters":['
    return head + b'"a",' * (count - 1) + b'"a"]}]}'


def send(url: str, body: bytes) -> tuple[float, bytes]:
    """Post ``body`` to /api3/json on a socket of its own: seconds to the answer, and its first bytes."""
    address = urlsplit(url)
    assert address.hostname is not None and address.port is not None
    began = time.perf_counter()
    with socket.create_connection((address.hostname, address.port), timeout=600) as conn:
        head = f"POST /api3/json HTTP/1.1\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        conn.sendall(head.encode())
        conn.sendall(body)  # releases the GIL while it sends (a copy with the head would not)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    reply = b"".join(chunks)
    return time.perf_counter() - began, reply.partition(b"\r\n\r\n")[2][:200]


def post(url: str, body: bytes, answers: list[tuple[float, bytes]]) -> None:
    answers.append(send(url, body))


def find_loop(sg: shotgun_api3.Shotgun, until: threading.Event, out: list[float]) -> None:
    while not until.is_set():
        began = time.perf_counter()
        sg.find("Shot", [["code", "is", "s1"]], ["code"])
        out.append(time.perf_counter() - began)


def stats(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"n={len(ms):5d} p50 {bl.percentile(ms, 50):7.1f} ms  p99 {bl.percentile(ms, 99):7.1f} ms  "
        f"max {max(ms):7.1f} ms"
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def run(db_url: str, kinds: list[str], counts: list[int], megabytes: int) -> None:
    env = {
        "SHOTLOG_SCRIPT_NAME": SCRIPT,
        "SHOTLOG_SCRIPT_KEY": KEY,
        "SHOTLOG_API3_MAX_BODY": str((megabytes + 1) * 1024 * 1024),
    }
    proc, url = bl.start_serve(db_url, env)
    try:
        sg = shotgun_api3.Shotgun(url, script_name=SCRIPT, api_key=KEY)
        project = sg.create("Project", {"name": "bench"})
        for i in range(20):
            sg.create("Shot", {"code": f"s{i}", "project": project})
        baseline: list[float] = []
        for _ in range(BASELINE_CALLS):
            began = time.perf_counter()
            sg.find("Shot", [["code", "is", "s1"]], ["code"])
            baseline.append(time.perf_counter() - began)
        print(f"  alone                     {stats(baseline)}  (load {os.getloadavg()[0]:.1f})")
        for kind in kinds:
            auth = "{}" if kind == "unauthenticated" else f'{{"script_name":"{SCRIPT}","script_key":"{KEY}"}}'
            body = large_body(megabytes, auth)
            for count in counts:
                done = threading.Event()
                latencies: list[float] = []
                answers: list[tuple[float, bytes]] = []
                loop = threading.Thread(target=find_loop, args=(sg, done, latencies))
                senders = [threading.Thread(target=post, args=(url, body, answers)) for _ in range(count)]
                loop.start()
                time.sleep(0.5)  # the loop's first calls, then the bodies
                latencies.clear()
                cpu = cpu_seconds(proc.pid)
                for sender in senders:
                    sender.start()
                for sender in senders:
                    sender.join()
                cpu = cpu_seconds(proc.pid) - cpu
                done.set()
                loop.join()
                slowest = max(a[0] for a in answers)
                print(
                    f"  {count} x {len(body) / 2**20:.0f} MiB {kind:15} {stats(latencies)}  "
                    f"bodies answered in {slowest:5.1f} s, server CPU {cpu:5.2f} s "
                    f"(load {os.getloadavg()[0]:.1f})"
                )
                print(f"      answer: {answers[0][1][:150]!r}")
        sg.close()
    finally:
        bl.stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    bl.common_args(parser)
    bl.backend_arg(parser)
    parser.add_argument(
        "--bodies", default="1,4", help="concurrent large bodies per round (default: %(default)s)"
    )
    parser.add_argument("--kinds", default="unauthenticated,script")
    parser.add_argument("--megabytes", type=int, default=63)
    args = parser.parse_args()
    bl.announce_machine(args)
    kinds = args.kinds.split(",")
    counts = [int(c) for c in args.bodies.split(",")]
    for backend in bl.chosen_backends(args):
        print(f"{backend}:")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                db_url = bl.sqlite_url(Path(tmp) / "hostile.db")
                shotlog.connect(db_url).close()
                run(db_url, kinds, counts, args.megabytes)
        else:
            name = f"shotlog_bench_hostile_{uuid.uuid4().hex[:8]}"
            db_url = bl.pg_create(args.pg_admin_url, name, recreate=True)
            try:
                shotlog.connect(db_url).close()
                run(db_url, kinds, counts, args.megabytes)
            finally:
                bl.pg_drop(args.pg_admin_url, name)


if __name__ == "__main__":
    main()
