"""Request bodies: how large each endpoint takes them and how long a client may take to send one.

Every request with a body passes ``BodyGuard`` before any route reads it. An endpoint that parses its
body whole (REST, the token endpoint, the export, the web UI's forms) gets it read here first, up to
its limit: a larger one is answered 413 before a byte of it is parsed, by its ``Content-Length`` if
it declares one, else as soon as it passes the limit; the connection is then closed, since the rest
of the body is never read. A body that takes longer than ``SHOTLOG_BODY_TIMEOUT`` to arrive is
answered 408 and its connection closed, so a client sending a byte now and then holds nothing for
long. Only the time spent waiting for the client counts: a route that is slow to read does not make
its client late.

Two kinds of route read their bodies themselves: api3, which answers a body past its limit with its
own fault (HTTP 200, as shotgun_api3 expects), and uploads, whose bodies stream to the file store
under ``SHOTLOG_FILES_MAX_BYTES``. Both get the time limit here; an upload, which may be gigabytes on
a slow link, only for each wait for more of its body.

The decision (``rule_for``) is pure; ``BodyGuard`` is the ASGI layer that applies it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shotlog import settings
from shotlog.accounts.signin_body import MAX_SIGNIN_BODY
from shotlog.server.api3.wire import encode
from shotlog.server.rest import shapes

__all__ = ["BodyGuard", "BodyLimits", "BodyRule", "late_body_response", "rule_for"]

#: the routes that stream their bodies to the file store (``server.uploads``, ``server.file_routes``)
_UPLOAD_PREFIXES = ("/upload/", "/files/upload/")
_TOKEN_PATH = "/api/v1/auth/access_token"
_API3_PATH = "/api3/json"


@dataclass(frozen=True)
class BodyLimits:
    """The limits in force (``SHOTLOG_REST_MAX_BODY``, ``SHOTLOG_FORM_MAX_BODY``,
    ``SHOTLOG_BODY_TIMEOUT``); api3's own, ``SHOTLOG_API3_MAX_BODY``, is its endpoint's to apply."""

    rest: int
    form: int
    timeout: float

    @classmethod
    def from_settings(cls) -> BodyLimits:
        return cls(
            rest=settings.REST_MAX_BODY.read(),
            form=settings.FORM_MAX_BODY.read(),
            timeout=settings.BODY_TIMEOUT.read(),
        )


@dataclass(frozen=True)
class BodyRule:
    """How one request's body is taken."""

    #: bytes the guard reads at most; None: the route reads the body itself and enforces its limit
    limit: int | None
    #: what the 413 calls the body ("a REST API request body")
    what: str
    #: the time limit is for each wait for more of the body, not for the whole of it (uploads)
    stalls_only: bool = False


def rule_for(method: str, path: str, limits: BodyLimits) -> BodyRule:
    """The rule of a request to ``path`` (its path within the site, without a ``root_path``)."""
    if method == "POST" and path == _API3_PATH:
        return BodyRule(None, "an api3 request body")
    if path.startswith(_UPLOAD_PREFIXES):
        return BodyRule(None, "an upload", stalls_only=True)
    if path == _TOKEN_PATH:
        return BodyRule(MAX_SIGNIN_BODY, "a token request body")
    if path.startswith(("/api/", "/export/")):
        return BodyRule(limits.rest, "a REST API request body")
    return BodyRule(limits.form, "a form post")


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"0", b"")
        if name == b"transfer-encoding":
            return True
    return False


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() else None
    return None


class _Late(Exception):
    """The client took longer than the time limit to send its body."""


class BodyGuard:
    """The ASGI layer that applies ``rule_for`` to every HTTP request with a body."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):  # served under a prefix: the path within the site
            path = path[len(root) :]
        rule = rule_for(scope["method"], path, self.limits)
        if rule.limit is None:
            await self._timed(rule, scope, receive, send)
        else:
            await self._buffered(rule.limit, rule.what, scope, receive, send)

    async def _buffered(self, limit: int, what: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the whole body (at most ``limit`` bytes, in time), then let the route have it."""
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, 413, f"{what[0].upper()}{what[1:]} may have at most {limit:,} bytes")
            return
        clock = _Clock(self.limits.timeout, stalls_only=False)
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await clock.wait(receive)
            except _Late:
                await _refuse(send, 408, _late_title(self.limits.timeout))
                return
            if message["type"] == "http.disconnect":
                return  # nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, 413, f"{what[0].upper()}{what[1:]} may have at most {limit:,} bytes")
                return
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body, only a disconnect can come

        await self.app(scope, replay, send)

    async def _timed(self, rule: BodyRule, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the route read its body itself, in time: a late body reads to it as a disconnect,
        and the client is answered 408 if the route has not answered yet."""
        clock = _Clock(self.limits.timeout, stalls_only=rule.stalls_only)
        late = False
        started = False
        body_done = False

        async def timed_receive() -> Message:
            nonlocal late, body_done
            if late:
                return {"type": "http.disconnect"}
            if body_done:
                return await receive()
            try:
                message = await clock.wait(receive)
            except _Late:
                late = True
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except ClientDisconnect:  # a route outside the middleware read its body as a stream
            if not late:
                return  # the client went away: nobody to answer
        if late and not started:
            await _refuse(send, 408, _late_title(self.limits.timeout))


class _Clock:
    """The time a body has left: waits for the client are counted, the route's own time is not."""

    def __init__(self, limit: float, *, stalls_only: bool) -> None:
        self.limit = limit
        self.stalls_only = stalls_only
        self.spent = 0.0

    async def wait(self, receive: Receive) -> Message:
        allowed = self.limit if self.stalls_only else self.limit - self.spent
        began = time.monotonic()
        try:
            async with asyncio.timeout(max(allowed, 0.0)):
                return await receive()
        except TimeoutError:
            raise _Late from None
        finally:
            self.spent += time.monotonic() - began


def _late_title(limit: float) -> str:
    return f"The request body did not arrive within {limit:g} seconds"


def late_body_response() -> Response:
    """What a route that streams its body answers when the body stopped arriving: the guard's 408
    (a client that went away reads nothing)."""
    title = f"The request body stopped arriving: none of it for {settings.BODY_TIMEOUT.read():g} seconds"
    body = encode(shapes.error(408, title))
    return Response(body, 408, {"connection": "close"}, media_type="application/json")


async def _refuse(send: Send, status: int, title: str) -> None:
    """Answer ``status`` in the REST error envelope and close the connection (the rest of the body
    is not read, so the connection cannot carry another request)."""
    body = encode(shapes.error(status, title))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
