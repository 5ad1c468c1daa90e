"""The ASGI application. Every route is listed in ``create_app``, so the URL map reads in one place."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

import shotlog
from shotlog.connection import Shotlog
from shotlog.credentials import Credentials
from shotlog.server.actions_routes import actions_routes
from shotlog.server.api3.endpoint import Api3Endpoint
from shotlog.server.api3.wire import encode
from shotlog.server.rest import shapes
from shotlog.server.rest.routes import rest_routes
from shotlog.server.services import Service, lifespan
from shotlog.server.stream import stream_routes
from shotlog.server.uploads import upload_routes
from shotlog.web import web_routes
from shotlog.webhooks.routes import webhook_routes

__all__ = ["ShotlogApp", "create_app"]

log = logging.getLogger(__name__)

#: the api3 RPC path; shotgun_api3 posts every call of a script here
API3_PATH = "/api3/json"


class ShotlogApp(Starlette):
    """The application, with the api3 RPC endpoint answered before the middleware stack.

    Every api3 call is a small POST, and the generic layers (error and exception middleware,
    gzip, routing, Request/Response objects) cost it more than the rest of the server's own
    work; the endpoint never raises and compresses its own replies, so it needs none of them. A
    request with a ``root_path`` (served under a prefix) takes the ordinary route instead.
    """

    def __init__(self, api3: Api3Endpoint, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api3 = api3

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == API3_PATH
            and scope["method"] == "POST"
            and not scope.get("root_path")
        ):
            await self.api3(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(
    store: Shotlog, credentials: Credentials | None = None, services: Sequence[Service] = ()
) -> Starlette:
    """The application; ``services`` start with it and stop with it (see ``serve_services``)."""
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
        Route(API3_PATH, api3.routed, methods=["POST"]),  # under a root_path; see ShotlogApp
        *rest_routes(store, credentials),  # /api/v1/...
        *actions_routes(store, credentials),  # /api/v1/action_menu_items/..., /export/events.csv
        *webhook_routes(store, credentials),  # /api/v1/webhook/...
        *stream_routes(store, credentials),  # /api/v1/events/stream, /api/v1/daemon/plugins
        *upload_routes(),  # /upload/...: files are not stored yet, each answers so (issue 14)
        *web_routes(store, credentials),  # the web UI: /, /login, /events, /webhooks..., its 404 page
    ]
    app = ShotlogApp(
        api3,
        routes=routes,
        # zlib's default level: 9 costs three times the CPU for pages about 10% smaller
        middleware=[Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan(services),
    )
    app.state.store = store
    app.state.credentials = credentials
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods answer in the REST error envelope, not as plain text."""
    assert isinstance(exc, HTTPException)
    title = {
        404: f"No such path: {request.url.path}",
        405: f"{request.method} is not allowed on {request.url.path}",
    }
    body = shapes.error(exc.status_code, title.get(exc.status_code, str(exc.detail)))
    return Response(
        encode(body), status_code=exc.status_code, media_type="application/json", headers=exc.headers
    )
