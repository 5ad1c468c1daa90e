"""``GET /metrics`` in Prometheus's text format, and who may read it.

The scrape holds two registries: this process's own counters and histograms
(``shotlog.telemetry``: requests, commits, archive runs, and the process's CPU and memory) and the
site's state read from the database (``server.site_metrics``). Each ``shotlog serve`` process is
scraped on its own: its counters are its own, and prometheus_client's multiprocess mode is not
used (the processes are separate services, not forks of one).

Metrics tell an outsider a lot about a site (hook names, plugin names, load), so they are never
open on the application's address:

* ``SHOTLOG_METRICS_TOKEN``: ``/metrics`` on the application's address answers a scrape that
  sends ``Authorization: Bearer <token>``; any other gets 401 in the REST error envelope;
* ``SHOTLOG_METRICS_ADDRESS``: a listener of its own (``MetricsListener``) serves ``/metrics`` and
  ``/readyz`` there, on an address only the monitoring network reaches (with the token too, when
  both are set); the application's ``/metrics`` is then 404;
* neither: ``/metrics`` is 404, saying which setting turns it on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shotlog import settings, telemetry
from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError
from shotlog.server.readiness import Readiness
from shotlog.server.request_log import RequestLog
from shotlog.server.responses import UNAUTHORIZED, HttpError, not_routed
from shotlog.server.site_metrics import SiteCollector

__all__ = ["Metrics", "MetricsListener", "metrics_listener"]

log = logging.getLogger(__name__)

#: the text format every Prometheus version reads (the names here need none of 1.0.0's escaping)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The ``/metrics`` endpoint: on the application's address (``own_listener`` false), open only
    to a scrape with the token; on ``MetricsListener``'s, to any scrape unless a token is set."""

    def __init__(
        self,
        store: Shotlog,
        token: str | None,
        address: tuple[str, int] | None,
        *,
        own_listener: bool = False,
    ) -> None:
        self.token, self.address, self.own_listener = token, address, own_listener
        self.site = CollectorRegistry(auto_describe=False)
        self.site.register(SiteCollector(store))

    def refusal(self, request: Request) -> HttpError | None:
        """Why this scrape is refused (None: it is not). Pure but for reading the request."""
        if not self.own_listener:
            if self.address is not None:
                where = f"{settings.METRICS_ADDRESS.name} ({_shown(self.address)})"
                return HttpError(404, f"Metrics are served on the address of {where}, not here")
            if self.token is None:
                return HttpError(
                    404,
                    f"Metrics are off: set {settings.METRICS_TOKEN.name} (scrapes send it as a bearer "
                    f"token) or {settings.METRICS_ADDRESS.name} (a listener of their own)",
                )
        if self.token is None:
            return None  # the listener of its own, which only the monitoring network reaches
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return HttpError(
                401,
                f"A metrics scrape needs the bearer token of {settings.METRICS_TOKEN.name} "
                "(Authorization: Bearer <token>)",
                headers=UNAUTHORIZED,
            )
        if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            return HttpError(
                401, f"The bearer token is not the one of {settings.METRICS_TOKEN.name}", headers=UNAUTHORIZED
            )
        return None

    async def endpoint(self, request: Request) -> Response:
        refused = self.refusal(request)
        if refused is not None:
            return refused.response()
        body = await run_in_threadpool(_exposition, self.site)
        return Response(body, headers={"content-type": CONTENT_TYPE})


def _exposition(site: CollectorRegistry) -> bytes:
    # two registries, no family in both: their text expositions simply follow each other
    return generate_latest(telemetry.REGISTRY) + generate_latest(site)


def _shown(address: tuple[str, int] | None) -> str:
    if address is None:
        return "none"
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class MetricsListener:
    """A second HTTP listener in the ``shotlog serve`` process, for ``/metrics`` and ``/readyz`` only.

    Its socket is bound when it is made, before the server starts, so an address in use stops
    ``shotlog serve`` with a message naming it (raised from the lifespan, it came with uvicorn's
    traceback). It is a uvicorn server on the process's event loop that leaves the signals to the
    main one (which stops this service when it stops).
    """

    name = "metrics listener"

    def __init__(self, store: Shotlog, address: tuple[str, int], token: str | None) -> None:
        self.address = address
        metrics = Metrics(store, token, address, own_listener=True)
        ready = Readiness(store)
        routes = [
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            Route("/readyz", ready.readyz, methods=["GET"]),
        ]
        self.app = RequestLog(Starlette(routes=routes, exception_handlers={HTTPException: not_routed}))
        self._server: Any = None
        self._task: asyncio.Task[None] | None = None
        self._sock = self._bind()

    def _bind(self) -> socket.socket:
        host, port = self.address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise ShotlogError(
                f"{settings.METRICS_ADDRESS.name}: cannot listen on {_shown(self.address)}: "
                f"{exc.strerror or exc}"
            ) from exc
        return sock

    async def start(self) -> None:
        import uvicorn

        sock = self._sock
        sock.listen(64)
        sock.setblocking(False)
        config = uvicorn.Config(self.app, lifespan="off", log_config=None, access_log=False)

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Any:
                yield  # the main server's handlers stay: it stops this one

        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="shotlog-metrics")
        log.info("metrics on http://%s/metrics", _shown(self.address))

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


def metrics_listener(store: Shotlog) -> list[MetricsListener]:
    """The listener when ``SHOTLOG_METRICS_ADDRESS`` asks for one (else nothing)."""
    address = settings.METRICS_ADDRESS.read()
    if address is None:
        return []
    return [MetricsListener(store, address, settings.METRICS_TOKEN.read())]
