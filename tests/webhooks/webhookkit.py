"""Helpers of the webhook tests: settings for 127.0.0.1, a worker on a thread, waiting for a condition.

A module of its own (not conftest.py): several test folders have a conftest, so importing one by
name could pick another folder's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from collections.abc import Callable
from typing import Any

import shotlog
from shotlog.webhooks.netguard import AddressPolicy
from shotlog.webhooks.settings import WebhookSettings
from shotlog.webhooks.worker import DeliveryWorker

LOCAL = AddressPolicy(False, (ipaddress.ip_network("127.0.0.0/8"),))


def fast_settings(**changes: Any) -> WebhookSettings:
    base: dict[str, Any] = {
        "policy": LOCAL,
        "retry_scale": 0.0005,  # 5 s → 2.5 ms, 30 s → 15 ms, 2 min → 60 ms ... 24 h → 43 s
        "claim_margin": 0.3,
        "poll_interval": 0.02,
    }
    base.update(changes)
    return WebhookSettings(**base)


class WorkerThread:
    """A ``DeliveryWorker`` on an event loop of its own thread (the tests themselves are synchronous)."""

    def __init__(self, db_url: str, settings: WebhookSettings, **kw: Any) -> None:
        self.store = shotlog.connect(db_url, migrate=False)
        self.worker = DeliveryWorker(self.store.db, settings, **kw)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> WorkerThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.worker.start(), self.loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.worker.stop(grace=2.0), self.loop).result(30)
        # As asyncio.run does for ``shotlog worker``: a cancelled task's database call may still be
        # running in the default executor; closing the store under it would orphan its connection.
        asyncio.run_coroutine_threadsafe(self.loop.shutdown_default_executor(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        self.store.close()


def wait_until(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
