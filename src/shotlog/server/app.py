"""The ASGI application. Every route is listed in ``create_app``, so the URL map reads in one place."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import shotlog
from shotlog.connection import Shotlog

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(store: Shotlog) -> Starlette:
    async def health(request: Request) -> JSONResponse:
        """Liveness and the head of the event log, for load balancers and monitoring."""
        head = await _run(store.head_event_id)
        return JSONResponse(
            {
                "status": "ok",
                "version": shotlog.__version__,
                "backend": store.db.backend,
                "head_event_id": head,
            }
        )

    app = Starlette(routes=[Route("/healthz", health, methods=["GET"])])
    app.state.store = store
    return app


async def _run(fn: Any, *args: Any) -> Any:
    # The store is synchronous (SQLAlchemy Core); keep the event loop free while it works.
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)
