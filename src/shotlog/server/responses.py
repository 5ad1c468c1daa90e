"""Errors and JSON answers of the HTTP APIs: one error type, one envelope, one last resort.

Every HTTP route but api3's answers a failure in FPTR's REST envelope ``{"errors": [...]}``
(``rest.shapes.error``) with a 4xx status that says whose fault it was: a handler raises
``HttpError`` and its route answers ``HttpError.response()``. A shotlog error becomes one through
``from_shotlog``; a bug answers 500 with a log reference and nothing of the exception's text
(``internal_error``). The other two surfaces keep the shapes their clients read: api3 answers its
faults inside an HTTP 200 (``api3.wire.error_body``, as shotgun_api3 expects) and the web UI's pages
render theirs as HTML (``web.pages``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from shotlog.errors import ShotlogError, incident_ref
from shotlog.server.api3.wire import encode
from shotlog.server.rest import shapes

__all__ = [
    "UNAUTHORIZED",
    "HttpError",
    "from_shotlog",
    "internal_error",
    "json_response",
    "not_routed",
    "shotlog_source",
]

#: the header of a 401 that asks for a bearer token (RFC 6750)
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


class HttpError(Exception):
    """A request the server refuses: answered in the REST envelope with ``status``.

    ``code`` is FPTR's error code (the status when not given), ``source`` where the bad input was
    (``{"parameter": ...}``, ``{"pointer": ...}`` or a field), ``ref`` the id of the log entry of a
    failure (a fresh id when not given)."""

    def __init__(
        self,
        status: int,
        title: str,
        *,
        code: int | None = None,
        source: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ref: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.code, self.source = status, title, code, source
        self.headers, self.ref, self.detail = headers, ref, detail

    def response(self) -> Response:
        body = shapes.error(
            self.status, self.title, code=self.code, source=self.source, ref=self.ref, detail=self.detail
        )
        return json_response(body, self.status, self.headers)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """``body`` as JSON (datetimes as UTC ``...Z`` strings, as api3 writes them)."""
    return Response(
        encode(body), status_code=status, media_type="application/json", headers=dict(headers or {})
    )


def shotlog_source(exc: ShotlogError, *, as_parameter: tuple[str, ...] = ()) -> dict[str, Any]:
    """Where the bad input was, from the error's details: the field and the query parameter.

    ``as_parameter`` lists details that name a request parameter on routes whose fields are their
    parameters (the export's options): the first one present becomes the only ``parameter``."""
    for key in as_parameter:
        value = exc.details.get(key)
        if isinstance(value, str):
            return {"parameter": value}
    out: dict[str, Any] = {}
    for key in ("parameter", "field"):
        value = exc.details.get(key)
        if isinstance(value, str):
            out[key] = value
    return out


def from_shotlog(exc: ShotlogError, *, as_parameter: tuple[str, ...] = ()) -> HttpError:
    """A shotlog error as the HTTP APIs answer it: its status, message, error code and source, and
    the log reference of a translated database failure as the error's id."""
    return HttpError(
        shapes.http_status(exc),
        exc.message,
        code=exc.error_code,
        source=shotlog_source(exc, as_parameter=as_parameter),
        ref=shapes.failure_ref(exc),
    )


def internal_error(log: logging.Logger, what: str) -> Response:
    """The 500 of a bug, logged with its traceback under a reference the client is given.

    Call it from an ``except`` block; ``what`` names the failed request in the log."""
    ref = incident_ref()
    log.exception("ref %s: %s failed", ref, what)
    return json_response(shapes.internal_error(ref), 500)


def error_response(
    exc: Exception, log: logging.Logger, what: str, *, as_parameter: tuple[str, ...] = ()
) -> Response:
    """What a route answers for an exception it did not handle itself: an ``HttpError`` as it is, a
    shotlog error as ``from_shotlog`` shapes it, anything else as the 500 of a bug.

    Call it from an ``except Exception`` block, so that a bug is logged with its traceback."""
    if isinstance(exc, HttpError):
        return exc.response()
    if isinstance(exc, ShotlogError):
        return from_shotlog(exc, as_parameter=as_parameter).response()
    return internal_error(log, what)


async def not_routed(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods answer in the REST envelope, not as plain text."""
    assert isinstance(exc, HTTPException)
    title = {
        404: f"No such path: {request.url.path}",
        405: f"{request.method} is not allowed on {request.url.path}",
    }
    error = HttpError(exc.status_code, title.get(exc.status_code, str(exc.detail)), headers=exc.headers)
    return error.response()
