"""Background services that run inside ``shotlog serve`` next to the HTTP application.

Webhook delivery workers, the archive schedule and the like start with the server and stop with it.
Each is a ``Service``; ``serve_services`` is the one list of what ``shotlog serve`` runs, so the
server's moving parts read in one place (as ``create_app`` does for routes).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from starlette.applications import Starlette

from shotlog.connection import Shotlog

__all__ = ["Service", "lifespan", "serve_services"]

log = logging.getLogger(__name__)


class Service(Protocol):
    """Something that runs for the lifetime of the server."""

    name: str

    async def start(self) -> None:
        """Begin work; return once running (spawn tasks, do not block)."""

    async def stop(self) -> None:
        """Finish or hand back in-flight work and return; called once on shutdown."""


def serve_services(store: Shotlog) -> list[Service]:
    """The services ``shotlog serve`` runs by default (each may be switched off by its own setting)."""
    services: list[Service] = []
    from shotlog.webhooks.worker import webhook_service

    services.extend(webhook_service(store))  # SHOTLOG_WEBHOOKS=0 switches it off
    from shotlog.archive.service import archive_service

    services.extend(archive_service(store))  # with SHOTLOG_ARCHIVE_URL; SHOTLOG_ARCHIVE_INTERVAL=0: off
    from shotlog.server.metrics import metrics_listener

    services.extend(metrics_listener(store))  # with SHOTLOG_METRICS_ADDRESS
    return services


def lifespan(services: Sequence[Service]) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """A Starlette lifespan that starts ``services`` in order and stops them in reverse."""

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        started: list[Service] = []
        try:
            for service in services:
                await service.start()
                started.append(service)
                log.info("started %s", service.name)
            yield
        finally:
            for service in reversed(started):
                try:
                    await service.stop()
                except Exception:
                    log.exception("stopping %s failed", service.name)
                else:
                    log.info("stopped %s", service.name)

    return run
