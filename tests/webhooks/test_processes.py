"""Real ``shotlog worker`` processes: kill -9 mid-delivery, restart; two workers sharing one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from receivers import Receiver
from webhookkit import wait_until

import shotlog
from shotlog.webhooks.api import Webhooks


def start_worker(db_url: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    full.update(
        SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS="127.0.0.0/8",
        SHOTLOG_WEBHOOKS_RETRY_SCALE="0.0005",
        SHOTLOG_WEBHOOKS_CLAIM_MARGIN="0.5",
        SHOTLOG_WEBHOOKS_POLL_INTERVAL="0.02",
        SHOTLOG_SQLITE_SYNCHRONOUS="NORMAL",
        PYTHONUNBUFFERED="1",
    )
    full.update(env)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "shotlog", "worker", "--database", db_url],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=20)


N = 40


def test_kill_9_mid_delivery_loses_nothing_and_repeats_at_most_the_one_in_flight(
    sg: shotlog.Shotlog, db_url: str, hooks: Webhooks, tmp_path: Path
) -> None:
    receiver = Receiver(token="s3cret").start()
    receiver.delay = 0.01
    # ordered: one request in flight, and the next one only once the previous is recorded
    hook = hooks.create_hook(
        # timeout 1 s: a dead worker's lease (twice the timeout plus the margin) expires quickly
        {"url": receiver.url, "token": "s3cret", "event_type": "Toolkit_Kill", "ordered": True, "timeout": 1}
    )
    sg.batch(
        [
            {"request_type": "create", "entity_type": "EventLogEntry", "data": {"event_type": "Toolkit_Kill"}}
            for _ in range(N)
        ]
    )
    log = tmp_path / "worker.log"
    worker = start_worker(db_url, log)
    try:
        wait_until(lambda: len(receiver.items()) >= 10, timeout=30, what="10 deliveries")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        at_kill = len(receiver.items())
        assert at_kill < N, "the kill came too late to test anything"
        worker = start_worker(db_url, log)
        wait_until(
            lambda: len({i["event_log_entry_id"] for i in receiver.items()}) == N,
            timeout=60,
            what=f"all {N} events (log: {log.read_text()[-2000:]})",
        )
        time.sleep(0.5)
        counts = Counter(i["event_log_entry_id"] for i in receiver.items())
        repeated = [e for e, n in counts.items() if n > 1]
        assert len(repeated) <= 1, repeated
        assert all(r.signature_ok for r in receiver.requests)

        def delivered() -> list[dict[str, object]]:
            return hooks.list_deliveries(hook["id"], status="delivered", page_size=500).deliveries

        wait_until(lambda: len(delivered()) == N, what=f"{N} delivered in the log")
        assert len({d["event_log_entry_id"] for d in delivered()}) == N
    finally:
        stop(worker)
        receiver.stop()


def test_two_workers_share_the_load_without_sending_anything_twice(
    sg: shotlog.Shotlog, db_url: str, hooks: Webhooks, tmp_path: Path
) -> None:
    receivers = [Receiver(token="s3cret").start() for _ in range(3)]
    for r in receivers:
        r.delay = 0.005
        hooks.create_hook(
            {"url": r.url, "token": "s3cret", "event_type": "Toolkit_Share", "max_concurrency": 4}
        )
    workers = [
        start_worker(db_url, tmp_path / f"w{i}.log", SHOTLOG_WEBHOOKS_SITE_URL=f"http://worker{i}/")
        for i in range(2)
    ]
    try:
        for _ in range(4):
            sg.batch(
                [
                    {
                        "request_type": "create",
                        "entity_type": "EventLogEntry",
                        "data": {"event_type": "Toolkit_Share"},
                    }
                    for _ in range(50)
                ]
            )
            time.sleep(0.1)
        for r in receivers:
            wait_until(lambda r=r: len(r.items()) >= 200, timeout=60, what="200 per receiver")
        time.sleep(0.5)
        senders: Counter[str] = Counter()
        for r in receivers:
            counts = Counter(i["event_log_entry_id"] for i in r.items())
            assert len(counts) == 200 and max(counts.values()) == 1
            senders.update(req.header("X-SG-WEBHOOK-SITE-URL") or "" for req in r.requests)
        assert set(senders) == {"http://worker0/", "http://worker1/"}, senders
    finally:
        for w in workers:
            stop(w)
        for r in receivers:
            r.stop()
