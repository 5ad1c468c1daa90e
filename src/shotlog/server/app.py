"""The ASGI application. Every route is listed in ``create_app``, so the URL map reads in one place."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import shotlog
from shotlog.connection import Shotlog
from shotlog.credentials import Credentials
from shotlog.server.api3.endpoint import Api3Endpoint

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(store: Shotlog, credentials: Credentials | None = None) -> Starlette:
    credentials = credentials or Credentials(store)
    api3 = Api3Endpoint(store, credentials)

    async def health(request: Request) -> JSONResponse:
        """Liveness and the head of the event log, for load balancers and monitoring."""
        head = await run_in_threadpool(store.head_event_id)
        return JSONResponse(
            {
                "status": "ok",
                "version": shotlog.__version__,
                "backend": store.db.backend,
                "head_event_id": head,
            }
        )

    routes = [
        Route("/healthz", health, methods=["GET"]),
        # shotgun_api3 lower-cases the whole base URL and posts here (or to <prefix>/api3/json).
        Route("/api3/json", api3.endpoint, methods=["POST"]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(GZipMiddleware, minimum_size=1024)])
    app.state.store = store
    app.state.credentials = credentials
    return app
