"""One ``/api/v1`` path as an endpoint: authenticate, dispatch on the method, answer JSON or errors.

Every handler answers JSON. Errors use FPTR's ``{"errors": [...]}`` envelope with a 4xx status
that says whose fault it was (``server.responses``); a bug answers 500 with the same envelope and
no traceback (the log has it). One route per path dispatches on the method, so a wrong method's
405 lists every method the path allows in ``Allow``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.connection import Shotlog
from shotlog.server.principals import Principals
from shotlog.server.responses import HttpError, error_response, json_response

__all__ = ["EVERY_METHOD", "Endpoint", "Handler", "reject_constant", "rest_endpoint"]

log = logging.getLogger("shotlog.rest")

#: the methods of a route that claims its path from a wider one (a wrong method is then a 405)
EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
#: FPTR's error code of a failed authentication
AUTH_FAILED = 102

#: a handler runs in a worker thread with the request (its body read) and the caller's view
Handler = Callable[[Request, Shotlog], Any]
Endpoint = Callable[[Request], Awaitable[Response]]


def reject_constant(name: str) -> Any:
    """``json.loads``'s ``parse_constant``: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not a JSON number")


def rest_endpoint(principals: Principals, handlers: Mapping[str, Handler]) -> Endpoint:
    """The endpoint of one path: authenticate the bearer token, then run the method's handler.

    The body is read into ``request.state.body`` first, so handlers, which run in a worker
    thread, read it without awaiting."""

    def caller(request: Request) -> Shotlog:
        return principals.view(principals.bearer(request, code=AUTH_FAILED))

    allowed = sorted({*handlers, *(["HEAD"] if "GET" in handlers else [])})

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        handler = handlers.get(method)
        if handler is None:  # a route that takes every method, to claim its path from a wider one
            title = f"{request.method} is not allowed on {request.url.path}"
            return HttpError(405, title, headers={"Allow": ", ".join(allowed)}).response()
        try:
            view = await run_in_threadpool(caller, request)
            request.state.body = await request.body()
            result = await run_in_threadpool(handler, request, view)
            return result if isinstance(result, Response) else json_response(result)
        except Exception as exc:
            return error_response(exc, log, f"REST {request.method} {request.url.path}")

    return endpoint
