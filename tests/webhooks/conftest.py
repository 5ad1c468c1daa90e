"""Fixtures of the webhook tests: receivers on 127.0.0.1, the API, and a worker running in a thread.

Settings allow 127.0.0.0/8 explicitly (the SSRF guard refuses loopback otherwise) and scale the
retry schedule down so that a test sees several retries in well under a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from receivers import Receiver
from webhookkit import WorkerThread, fast_settings

import shotlog
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.settings import WebhookSettings


@pytest.fixture
def settings() -> WebhookSettings:
    return fast_settings()


@pytest.fixture
def hooks(sg: shotlog.Shotlog, settings: WebhookSettings) -> Webhooks:
    return Webhooks(sg, settings)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(token="s3cret").start()
    yield r
    r.stop()


@pytest.fixture
def run_worker(db_url: str, settings: WebhookSettings) -> Iterator[Callable[..., WorkerThread]]:
    started: list[WorkerThread] = []

    def start(worker_settings: WebhookSettings | None = None, **kw: Any) -> WorkerThread:
        w = WorkerThread(db_url, worker_settings or settings, **kw).start()
        started.append(w)
        return w

    yield start
    for w in started:
        if w.thread.is_alive():
            w.stop()
