"""One log line per request, and a request id on every line a request causes.

``RequestLog`` is the outermost layer of the application. For each HTTP request it:

* takes the client's ``X-Request-Id`` when it is well formed (``request_id``; a proxy such as nginx
  can pass its own ``$request_id``), else makes one, and returns it in the reply's ``X-Request-Id``;
* holds the request's ``RequestInfo`` in a context variable for as long as the request runs, so
  ``RequestIdFilter`` stamps its id on every record logged meanwhile, in worker threads too (those
  that start with a copy of the context: ``asyncio.to_thread``, Starlette's thread pool, and the
  api3 endpoint's executor, which copies it itself);
* as the answer's last part is handed to the server (so a client that has its answer finds its
  request counted), logs one line to ``shotlog.request`` with what was asked (the target
  with secrets redacted by ``server.access_log``), the status, the time taken and, for api3, the
  method and its outcome; and counts it in ``shotlog.telemetry``.

Nothing of a request's headers or body is logged: that is where credentials travel (api3's auth
object, ``Authorization``, cookies, the token endpoint's form).
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shotlog import telemetry
from shotlog.server.access_log import redact
from shotlog.server.file_routes import PREFIXES as FILE_PREFIXES

__all__ = [
    "CURRENT",
    "HEADER",
    "RequestIdFilter",
    "RequestInfo",
    "RequestLog",
    "interface_of",
    "note_api3",
    "request_id",
]

log = logging.getLogger("shotlog.request")

#: the header a request id comes in and goes out with
HEADER = b"x-request-id"
#: what an incoming id may look like: nginx's $request_id, a UUID, a tracing id; never spaces,
#: quotes or control characters that could forge a log line
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: the byte routes, and the client's upload form posts
_FILE_PREFIXES = (*FILE_PREFIXES, "/upload/")


@dataclass
class RequestInfo:
    """The request being served in this context: its id and what the handlers noted of it."""

    id: str
    api3_method: str | None = None
    api3_outcome: str | None = None


#: the request this code runs for (None: not for a request: start-up, a background service)
CURRENT: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("shotlog_request", default=None)


def request_id(incoming: str | None) -> str:
    """The id of a request that came with ``incoming`` as its X-Request-Id (pure but for the
    random id made when there is none or it is not well formed)."""
    if incoming is not None and _WELL_FORMED.fullmatch(incoming):
        return incoming
    return os.urandom(8).hex()  # as secrets.token_hex(8), less two calls through random.SystemRandom


def interface_of(path: str) -> str:
    """Which part of the server a path belongs to, for the metrics' ``interface`` label (pure)."""
    if path == "/api3/json":
        return "api3"
    if path.startswith(("/api/", "/export/")):
        return "rest"
    if path in ("/healthz", "/readyz"):
        return "probe"
    if path == "/metrics":
        return "metrics"
    if path.startswith(_FILE_PREFIXES):
        return "files"
    return "web"


def note_api3(method: str, outcome: str) -> None:
    """Record the api3 method and outcome of the current request, for its log line."""
    info = CURRENT.get()
    if info is not None:
        info.api3_method, info.api3_outcome = method, outcome


class RequestIdFilter(logging.Filter):
    """Stamps ``request_id`` on every record (None outside a request); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = CURRENT.get()
        record.request_id = info.id if info is not None else None
        return True


class RequestLog:
    """The ASGI layer that names, times, logs and counts every HTTP request (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == HEADER:
                incoming = value.decode("latin-1")
                break
        info = RequestInfo(request_id(incoming))
        token = CURRENT.set(info)
        started = time.perf_counter()
        status = 0
        counted = False
        header = (HEADER, info.id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status, counted
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Counted and logged before the answer's last part goes out, not once the
                # application returns: a client that has its answer and then scrapes /metrics
                # (or reads the log) must find its request there, and the server or a background
                # task may yield between the two.
                counted = True
                _finished(scope, info, status, time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            status = status or 500
            raise
        finally:
            try:
                if not counted:  # no complete answer: the client left, or the application failed
                    _finished(scope, info, status, time.perf_counter() - started)
            finally:
                CURRENT.reset(token)


_REQUESTS = telemetry.Children(telemetry.HTTP_REQUESTS)
_DURATIONS = telemetry.Children(telemetry.HTTP_DURATION)
#: a status's text form, as the metrics label it: made once per status code, not per request
_STATUS_LABELS: dict[int, str] = {}


def _finished(scope: Scope, info: RequestInfo, status: int, seconds: float) -> None:
    """Log and count a request that has been answered (``status`` 0: the client left first)."""
    path = scope["path"]
    method = scope["method"] if scope["method"] in _METHODS else "OTHER"
    interface = interface_of(path)
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        template = path if interface in ("api3", "probe", "metrics") else "unmatched"
    label = _STATUS_LABELS.get(status)
    if label is None:
        label = _STATUS_LABELS[status] = str(status)
    _REQUESTS(interface, method, label).inc()
    _DURATIONS(interface, method, template).observe(seconds)
    if not log.isEnabledFor(logging.INFO):
        return  # the line would be dropped: no need to build it (a server at --log-level warning)
    target = path
    query = scope.get("query_string", b"")
    if query:
        target = f"{path}?{query.decode('latin-1')}"
    client = scope.get("client")
    address = f"{client[0]}:{client[1]}" if client else "-"
    phrase = _phrase(status)
    fields: dict[str, Any] = {
        "client": address,
        "method": scope["method"],
        "target": redact(target),
        "http_version": scope.get("http_version", "1.1"),
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
    }
    api3 = ""
    if info.api3_method is not None:
        fields["api3_method"], fields["api3_outcome"] = info.api3_method, info.api3_outcome
        api3 = f" api3 {info.api3_method} {info.api3_outcome}"
    log.info(
        '%s - "%s %s HTTP/%s" %s %s %.1f ms%s',
        address,
        fields["method"],
        fields["target"],
        fields["http_version"],
        status or "-",
        phrase,
        seconds * 1000,
        api3,
        extra={"request": fields},
    )


def _phrase(status: int) -> str:
    if status == 0:
        return "(no answer: the client went away)"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
