"""The event stream and the daemon's status over HTTP.

``GET /api/v1/events/stream`` — the event log as server-sent events, for remote daemons
(``[shotlog] source = stream``) and anything else that wants pushed events:

* authentication is the REST API's: ``Authorization: Bearer <access token>``;
* each message is ``id: <event id>`` / ``event: event`` / ``data: <event JSON>``, the nine fields
  shotgunEvents reads plus ``type``, datetimes as UTC ``...Z`` strings; a ``head`` message first
  gives the newest id, and a comment every 15 s keeps idle connections open;
* resumable: ``?after_id=N`` or the ``Last-Event-ID`` header (which a browser's EventSource sends on
  reconnect) — the stream starts with the event after N; ids commit in order on shotlog, so nothing
  is skipped;
* ``follow=false`` ends the response after the backlog, ``limit=N`` after N events.

One wake-up per server process (``shotlog.eventlog.wakeup``) feeds every open stream.

``/api/v1/daemon/plugins`` — the status of every daemon plugin whose cursors live in this database
(``shotlog.daemon.status``), and ``POST .../{daemon}/{plugin}/pause|resume|replay`` for operators
(HumanUsers with the Admin permission set, or scripts).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from shotlog.connection import Shotlog
from shotlog.credentials import Credentials, Principal
from shotlog.daemon import status as daemon_status
from shotlog.daemon.events import EVENT_FIELDS, to_wire
from shotlog.eventlog.wakeup import Wakeup, open_wakeup
from shotlog.server.rest import shapes

__all__ = ["stream_routes"]

log = logging.getLogger("shotlog.stream")

KEEPALIVE_SECONDS = 15.0
PAGE = 500
MAX_LIMIT = 1_000_000
_ORDER = [{"field_name": "id", "direction": "asc"}]
_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


class _BadRequest(Exception):
    def __init__(
        self, status: int, title: str, parameter: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(title)
        self.status, self.title, self.parameter, self.headers = status, title, parameter, headers


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _error(exc: _BadRequest) -> Response:
    source = {"parameter": exc.parameter} if exc.parameter else None
    return _json(shapes.error(exc.status, exc.title, source=source), exc.status, exc.headers)


class _Heads:
    """One wake-up shared by every open stream: a waiter learns that the log may have grown."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._cond: asyncio.Condition | None = None
        self._task: asyncio.Task[None] | None = None
        self._wakeup: Wakeup | None = None
        self._tick = 0

    async def _run(self) -> None:
        assert self._cond is not None
        while True:
            try:
                if self._wakeup is None:
                    self._wakeup = await open_wakeup(self.database_url)
                woke = await self._wakeup.wait(KEEPALIVE_SECONDS)
            except Exception as exc:  # the database is away: streams still time out and re-read
                log.warning("event stream wake-up failed: %s", exc)
                self._wakeup = None
                await asyncio.sleep(1.0)
                woke = True
            if woke:
                async with self._cond:
                    self._tick += 1
                    self._cond.notify_all()

    async def wait(self, timeout: float) -> bool:
        if self._cond is None:
            self._cond = asyncio.Condition()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        async with self._cond:
            tick = self._tick
            try:
                await asyncio.wait_for(self._cond.wait_for(lambda: self._tick != tick), timeout)
            except TimeoutError:
                return False
        return True


def _int_param(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise _BadRequest(400, f"{name} must be an integer from {low} to {high}, got {raw[:50]!r}", name)
    return value


def _message(row: dict[str, Any]) -> bytes:
    data = orjson.dumps(to_wire({"type": "EventLogEntry", **{k: row.get(k) for k in EVENT_FIELDS}}))
    return b"id: %d\nevent: event\ndata: %s\n\n" % (row["id"], data)


class Stream:
    def __init__(self, store: Shotlog, credentials: Credentials) -> None:
        self.store = store
        self.credentials = credentials
        self.heads = _Heads(store.db.url)
        self._views: dict[tuple[str, int], Shotlog] = {}

    def _principal(self, request: Request) -> Principal:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _BadRequest(401, "Authorization: Bearer <access token> is required", headers=_UNAUTHORIZED)
        principal = self.credentials.token(token.strip(), "access")
        if principal is None:
            raise _BadRequest(401, "The access token is invalid or has expired", headers=_UNAUTHORIZED)
        return principal

    def _view(self, principal: Principal) -> Shotlog:
        key = (principal.type, principal.id)
        if key not in self._views:
            self._views[key] = self.store.as_user({"type": principal.type, "id": principal.id})
        return self._views[key]

    async def events(self, request: Request) -> Response:
        try:
            principal = await run_in_threadpool(self._principal, request)
            params = request.query_params
            if "after_id" in params:
                after = _int_param(params.get("after_id"), "after_id", 0, 0, 2**62)
            else:
                after = _int_param(request.headers.get("last-event-id"), "Last-Event-ID", 0, 0, 2**62)
            limit = _int_param(params.get("limit"), "limit", MAX_LIMIT, 0, MAX_LIMIT)
            follow_raw = params.get("follow", "true").lower()
            if follow_raw not in ("true", "false", "1", "0"):
                raise _BadRequest(400, f"follow must be true or false, got {follow_raw[:50]!r}", "follow")
            follow = follow_raw in ("true", "1")
        except _BadRequest as exc:
            return _error(exc)
        view = self._view(principal)
        return StreamingResponse(
            self._messages(view, after, limit, follow),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _messages(self, view: Shotlog, after: int, limit: int, follow: bool) -> AsyncIterator[bytes]:
        head = await run_in_threadpool(view.head_event_id)
        yield b"retry: 1000\nevent: head\ndata: %s\n\n" % orjson.dumps({"head_event_id": head})
        cursor, sent = after, 0
        while sent < limit:
            page = min(PAGE, limit - sent)
            rows = await run_in_threadpool(
                functools.partial(
                    view.find,
                    "EventLogEntry",
                    [["id", "greater_than", cursor]],
                    list(EVENT_FIELDS),
                    _ORDER,
                    limit=page,
                )
            )
            if rows:
                yield b"".join(_message(r) for r in rows)
                cursor = rows[-1]["id"]
                sent += len(rows)
                if len(rows) == page:
                    continue
            if not follow:
                return
            if not await self.heads.wait(KEEPALIVE_SECONDS):
                yield b": keep-alive\n\n"


class DaemonApi:
    """``/api/v1/daemon/plugins``: status, pause, resume, replay."""

    def __init__(self, store: Shotlog, stream: Stream) -> None:
        self.store = store
        self.stream = stream

    def _admin(self, principal: Principal) -> None:
        if principal.type == "HumanUser" and principal.permission_rule_set != "Admin":
            raise _BadRequest(403, "Only admins and scripts may pause, resume or replay daemon plugins")

    async def _guard(self, request: Request, fn: Callable[[], Any], *, admin: bool) -> Response:
        try:
            principal = await run_in_threadpool(self.stream._principal, request)
            if admin:
                self._admin(principal)
            return _json(await run_in_threadpool(fn))
        except _BadRequest as exc:
            return _error(exc)
        except daemon_status.PluginNotFound as exc:
            return _json(shapes.error(404, str(exc), source={"parameter": "plugin"}), 404)
        except ValueError as exc:
            return _json(shapes.error(400, str(exc)), 400)

    async def plugins(self, request: Request) -> Response:
        def run() -> Any:
            head = self.store.head_event_id()
            daemons = daemon_status.read_status(self.store.db)
            out = []
            for d in daemons:
                body = d.as_dict()
                if d.source in ("direct", None):  # positions are this database's event ids
                    for p in body["plugins"]:
                        p["lag"] = max(0, head - p["position"])
                    body["head_event_id"] = head
                out.append(body)
            return {"data": out}

        return await self._guard(request, run, admin=False)

    def _action(self, name: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            daemon = request.path_params["daemon"]
            plugin = request.path_params["plugin"]
            collection = request.query_params.get("collection")

            def run() -> Any:
                if name == "pause":
                    cur = daemon_status.pause(self.store.db, daemon, plugin, collection)
                elif name == "resume":
                    cur = daemon_status.resume(self.store.db, daemon, plugin, collection)
                else:
                    raw = request.query_params.get("from_event_id")
                    if raw is None:
                        raise _BadRequest(400, "replay needs ?from_event_id=N", "from_event_id")
                    first = _int_param(raw, "from_event_id", 1, 1, 2**62)
                    cur = daemon_status.replay(self.store.db, daemon, plugin, first, collection)
                return {
                    "data": {
                        "daemon": daemon,
                        "collection": cur.collection,
                        "plugin": cur.plugin,
                        "action": name,
                    }
                }

            return await self._guard(request, run, admin=True)

        return endpoint


def stream_routes(store: Shotlog, credentials: Credentials) -> list[Route]:
    stream = Stream(store, credentials)
    api = DaemonApi(store, stream)
    base = shapes.BASE
    return [
        Route(f"{base}/events/stream", stream.events, methods=["GET"]),
        Route(f"{base}/daemon/plugins", api.plugins, methods=["GET"]),
        *(
            Route(f"{base}/daemon/plugins/{{daemon}}/{{plugin}}/{name}", api._action(name), methods=["POST"])
            for name in ("pause", "resume", "replay")
        ),
    ]
