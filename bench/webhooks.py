"""Webhook delivery: throughput, latency and a large backlog, against a local nginx.

Measured, per backend (SQLite file with the default durable commits, and PostgreSQL):

* **throughput**: sustained signed deliveries/s with the delivery log written. N events are
  turned into N pending deliveries (the dispatch rate is reported too), then one ``shotlog worker``
  process sends them to nginx (``return 200`` on POST, keep-alive) and records every attempt; the
  rate is N over the time from the first to the last recorded delivery. The baseline is wrk's
  request rate against the same nginx in the same run: what the receiver itself can take;
* **latency** from an update's commit to the receiver getting its request: a ``shotlog worker``
  process runs, the bench updates a Shot every 20 ms and its own small HTTP receiver notes the
  arrival time of each (same clock);
* **backlog**: K pending deliveries (1,000,000 by default) are inserted directly, then drained by
  a worker process whose RSS is sampled every second: memory must stay flat.

    python bench/webhooks.py [--deliveries N] [--latency-samples N] [--backlog K] [--backend ...]

Needs nginx and wrk on PATH (Debian: apt-get install nginx-light wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import benchlib as bl
import shotlog
from shotlog.clock import utcnow
from shotlog.store.tables import webhook_attempts, webhook_deliveries
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.dispatcher import Dispatcher
from shotlog.webhooks.netguard import AddressPolicy
from shotlog.webhooks.records import delivery_row
from shotlog.webhooks.settings import WebhookSettings

ENV = {
    "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
    "SHOTLOG_WEBHOOKS_POLL_INTERVAL": "0.05",
}
BODY = '{"data": {"id": "1.0.0", "event_log_entry_id": 1, "event_type": "Toolkit_Bench", "meta": {}}}' * 6


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def nginx() -> Iterator[str]:
    """nginx as our own process, answering 200 to every POST on 127.0.0.1."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = bl.free_port()
    with tempfile.TemporaryDirectory(prefix="bench_nginx_") as d:
        conf = Path(d) / "nginx.conf"
        conf.write_text(
            f"""
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_buffer_size 64k;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}
}}
"""
        )
        process = subprocess.Popen([binary, "-c", str(conf), "-p", d], stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            yield f"http://127.0.0.1:{port}/hook"
        finally:
            process.terminate()
            process.wait(timeout=10)


def wrk_rate(url: str, seconds: int, connections: int) -> float:
    """wrk's POST rate (one thread, keep-alive) against ``url`` with a body of our payload's size."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(
            f'wrk.method = "POST"\nwrk.body = [[{BODY}]]\nwrk.headers["Content-Type"] = "application/json"\n'
        )
        script = f.name
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"wrk said:\n{out}")
    return float(m.group(1))


def open_db(backend: str, args: argparse.Namespace, tmp: Path, name: str) -> tuple[str, shotlog.Shotlog]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp / (name + '.db')}"
    else:
        url = bl.pg_create(args.pg_admin_url, f"shotlog_bench_{name}", recreate=True)
    return url, shotlog.connect(url)


def drop_db(backend: str, args: argparse.Namespace, name: str) -> None:
    if backend != "sqlite":
        bl.pg_drop(args.pg_admin_url, f"shotlog_bench_{name}")


def start_worker(url: str, log: Path, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    env.update(ENV)
    env.update(extra or {})
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "shotlog", "worker", "--database", url, "--log-level", "warning"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def count(sg: shotlog.Shotlog, state: str) -> int:
    with sg.db.read() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(webhook_deliveries)
                .where(webhook_deliveries.c.state == state)
            ).scalar_one()
        )


def settings() -> WebhookSettings:
    return WebhookSettings(policy=AddressPolicy.parse(None, "127.0.0.0/8"))


def make_events(sg: shotlog.Shotlog, n: int) -> None:
    for start in range(0, n, 1000):
        sg.batch(
            [
                {
                    "request_type": "create",
                    "entity_type": "EventLogEntry",
                    "data": {"event_type": "Toolkit_Bench"},
                }
                for _ in range(min(1000, n - start))
            ]
        )


def drain(
    sg: shotlog.Shotlog, workers: list[subprocess.Popen[bytes]], total: int, sample_rss: bool
) -> dict[str, Any]:
    """Wait until ``total`` deliveries are delivered; time from the first to the last one."""
    import psutil

    procs = [psutil.Process(w.pid) for w in workers]
    first_at = last_at = None
    samples: list[dict[str, float]] = []
    t0 = time.perf_counter()
    next_sample = t0
    while True:
        done = count(sg, "delivered")
        now = time.perf_counter()
        if done and first_at is None:
            first_at, first_done = now, done
        # sampled once the worker is delivering (before that it is still importing)
        if sample_rss and done and now >= next_sample:
            rss = max(p.memory_info().rss for p in procs) / 2**20
            samples.append({"t": round(now - t0, 1), "delivered": done, "rss_mib": rss})
            next_sample += 1.0
        if done >= total:
            last_at = now
            break
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a worker exited")
        time.sleep(0.05)
    assert first_at is not None and last_at is not None
    seconds = max(last_at - first_at, 1e-9)
    return {"deliveries": total, "seconds": seconds, "per_s": (total - first_done) / seconds, "rss": samples}


def throughput(backend: str, args: argparse.Namespace, tmp: Path, receiver: str) -> dict[str, Any]:
    url, sg = open_db(backend, args, tmp, "wh_tput")
    try:
        hooks = Webhooks(sg, settings())
        hooks.create_hook(
            {
                "url": receiver,
                "token": "bench-secret",
                "event_type": "Toolkit_Bench",
                "max_concurrency": args.concurrency,
            }
        )
        make_events(sg, args.deliveries)
        t = time.perf_counter()
        made = Dispatcher(sg.db).run(max_pages=1_000_000)
        dispatch_s = time.perf_counter() - t
        workers = [start_worker(url, tmp / f"{backend}_tput_{i}.log") for i in range(args.workers)]
        try:
            r = drain(sg, workers, made, sample_rss=False)
        finally:
            for w in workers:
                w.terminate()
                w.wait(timeout=30)
        with sg.db.read() as conn:
            attempts = int(
                conn.execute(sa.select(sa.func.count()).select_from(webhook_attempts)).scalar_one()
            )
        r.update(dispatched=made, dispatch_per_s=made / dispatch_s, attempts_logged=attempts)
        return r
    finally:
        sg.close()
        drop_db(backend, args, "wh_tput")


class ArrivalReceiver:
    """A small aiohttp receiver noting when each update's request arrives (by the new code value)."""

    def __init__(self) -> None:
        self.port = bl.free_port()
        self.arrivals: dict[str, float] = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _start(self) -> None:
        from aiohttp import web

        async def hook(request: web.Request) -> web.Response:
            at = time.time()
            body = await request.json()
            self.arrivals[str(body["data"]["meta"].get("new_value"))] = at
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/hook", hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def start(self) -> str:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def latency(backend: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    url, sg = open_db(backend, args, tmp, "wh_latency")
    receiver = ArrivalReceiver()
    hook_url = receiver.start()
    try:
        Webhooks(sg, settings()).create_hook(
            {"url": hook_url, "token": "bench-secret", "entity_types": {"Shot": {"update": ["code"]}}}
        )
        shot = sg.create("Shot", {"code": "start"})
        worker = start_worker(url, tmp / f"{backend}_latency.log")
        try:
            time.sleep(2.0)  # the worker starts and connects
            committed: dict[str, float] = {}
            for i in range(args.latency_samples):
                code = f"v{i}"
                sg.update("Shot", shot["id"], {"code": code})
                committed[code] = time.time()  # update() returns once its transaction committed
                time.sleep(0.02)
            deadline = time.monotonic() + 30
            while len(receiver.arrivals) < len(committed) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        lat = [receiver.arrivals[c] - t for c, t in committed.items() if c in receiver.arrivals]
        ms = [x * 1000 for x in lat]
        return {
            "samples": len(ms),
            "missing": len(committed) - len(ms),
            "p50_ms": bl.percentile(ms, 50),
            "p95_ms": bl.percentile(ms, 95),
            "p99_ms": bl.percentile(ms, 99),
            "max_ms": max(ms, default=float("nan")),
        }
    finally:
        receiver.stop()
        sg.close()
        drop_db(backend, args, "wh_latency")


def backlog(backend: str, args: argparse.Namespace, tmp: Path, receiver: str) -> dict[str, Any]:
    url, sg = open_db(backend, args, tmp, "wh_backlog")
    try:
        hook = Webhooks(sg, settings()).create_hook(
            {
                "url": receiver,
                "token": "bench-secret",
                "event_type": "Toolkit_Bench",
                "max_concurrency": args.concurrency,
            }
        )
        make_events(sg, 1000)
        first = sg.head_event_id() - 999
        now = utcnow()
        t = time.perf_counter()
        for start in range(0, args.backlog, 10_000):
            rows = [
                delivery_row(hook["id"], first + (i % 1000), "event", now)
                for i in range(start, min(start + 10_000, args.backlog))
            ]
            with sg.db.write() as conn:
                conn.execute(sa.insert(webhook_deliveries), rows)
        insert_s = time.perf_counter() - t
        print(f"    {args.backlog:,} pending deliveries inserted in {insert_s:.1f}s", flush=True)
        worker = start_worker(url, tmp / f"{backend}_backlog.log")
        try:
            r = drain(sg, [worker], args.backlog, sample_rss=True)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        rss = [s["rss_mib"] for s in r["rss"]]
        # growth: the last samples against the ones after warm-up (the first 10 % of the drain)
        warm = rss[max(1, len(rss) // 10) : max(2, len(rss) // 5)] or rss
        r.update(
            rss_first_mib=rss[0] if rss else None,
            rss_max_mib=max(rss, default=None),
            rss_last_mib=rss[-1] if rss else None,
            rss_growth_mib=(rss[-1] - max(warm)) if rss else None,
        )
        return r
    finally:
        sg.close()
        drop_db(backend, args, "wh_backlog")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bl.backend_arg(p)
    p.add_argument("--deliveries", type=int, default=100_000, help="throughput run size (default 100,000)")
    p.add_argument("--latency-samples", type=int, default=500)
    p.add_argument("--backlog", type=int, default=1_000_000, help="pending deliveries to drain (default 1M)")
    p.add_argument("--concurrency", type=int, default=64, help="the hook's max_concurrency (default 64)")
    p.add_argument("--wrk-seconds", type=int, default=5)
    p.add_argument(
        "--workers", type=int, default=2, help="worker processes for the throughput run (default 2)"
    )
    p.add_argument(
        "--parts",
        nargs="+",
        choices=("throughput", "latency", "backlog"),
        default=["throughput", "latency", "backlog"],
    )
    bl.common_args(p)
    args = p.parse_args(argv)
    backends = bl.chosen_backends(args)
    info = bl.announce_machine(args)
    results: dict[str, Any] = {
        "machine": info,
        "command": bl.command_line(),
        "concurrency": args.concurrency,
        "workers": args.workers,
    }
    with tempfile.TemporaryDirectory(prefix="bench_webhooks_") as d, nginx() as receiver:
        tmp = Path(d)
        rate = wrk_rate(receiver, args.wrk_seconds, args.concurrency)
        results["wrk_per_s"] = rate
        print(
            f"\nbaseline: wrk against nginx: {bl.fmt_rate(rate)} requests/s ({args.concurrency} connections)"
        )
        for backend in backends:
            print(f"\n== {backend}", flush=True)
            res: dict[str, Any] = {}
            if "throughput" in args.parts:
                r = res["throughput"] = throughput(backend, args, tmp, receiver)
                print(
                    f"  throughput ({args.workers} worker processes): {r['deliveries']:,} signed deliveries "
                    f"in {r['seconds']:.1f}s = "
                    f"{bl.fmt_rate(r['per_s'])}/s with the log written ({r['attempts_logged']:,} attempts); "
                    f"dispatch {bl.fmt_rate(r['dispatch_per_s'])} deliveries/s; "
                    f"wrk {bl.fmt_rate(rate)}/s",
                    flush=True,
                )
            if "latency" in args.parts:
                r = res["latency"] = latency(backend, args, tmp)
                print(
                    f"  latency commit -> receiver: p50 {bl.fmt_ms(r['p50_ms'])} ms, "
                    f"p95 {bl.fmt_ms(r['p95_ms'])} ms, p99 {bl.fmt_ms(r['p99_ms'])} ms, "
                    f"max {bl.fmt_ms(r['max_ms'])} ms ({r['samples']} samples, "
                    f"{r['missing']} missing; FPTR's published samples: 500-4000 ms)",
                    flush=True,
                )
            if "backlog" in args.parts:
                r = res["backlog"] = backlog(backend, args, tmp, receiver)
                print(
                    f"  backlog: {r['deliveries']:,} drained in {r['seconds']:.1f}s = "
                    f"{bl.fmt_rate(r['per_s'])}/s; "
                    f"worker RSS first {r['rss_first_mib']:.1f} MiB, max {r['rss_max_mib']:.1f} MiB, "
                    f"last {r['rss_last_mib']:.1f} MiB (growth after warm-up {r['rss_growth_mib']:+.1f} MiB)",
                    flush=True,
                )
            results[backend] = res
    results["date"] = dt.datetime.now(dt.UTC).isoformat()
    bl.write_json(args.json, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
