"""``shotlog worker``: a webhook delivery worker of its own, to scale out beyond ``shotlog serve``."""

from __future__ import annotations

import asyncio
import logging

import click

from shotlog.cli.common import database_option, fail, open_store

__all__ = ["worker"]


@click.command()
@database_option
@click.option(
    "--max-in-flight",
    type=click.IntRange(1, 10_000),
    default=512,
    show_default=True,
    help="Requests at once.",
)
@click.option(
    "--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"])
)
def worker(database: str, max_in_flight: int, log_level: str) -> None:
    """Deliver webhooks until SIGTERM or Ctrl-C.

    Run as many as you like next to `shotlog serve` (or with SHOTLOG_WEBHOOKS=0 on the server):
    they share the deliveries without sending any twice. On SQLite they share one file's single
    writer, so extra workers help only with slow receivers; on PostgreSQL they scale out.
    """
    from shotlog.webhooks.settings import WebhookSettings
    from shotlog.webhooks.worker import DeliveryWorker

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = WebhookSettings.from_env()
    except ValueError as exc:
        fail(str(exc))
        return
    store = open_store(database)
    worker = DeliveryWorker(store.db, settings, max_in_flight=max_in_flight)
    try:
        import uvloop  # what uvicorn runs `shotlog serve` on: the HTTP client's loop costs less CPU
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(worker.run_until_signal())
    else:
        uvloop.run(worker.run_until_signal())
