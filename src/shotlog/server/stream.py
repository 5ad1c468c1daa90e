"""The event stream and the daemon's status over HTTP.

``GET /api/v1/events/stream`` — the event log as server-sent events, for remote daemons
(``[shotlog] source = stream``) and anything else that wants pushed events:

* authentication is the REST API's: ``Authorization: Bearer <access token>`` (``server.principals``);
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

from shotlog.accounts.credentials import Principal
from shotlog.connection import Shotlog
from shotlog.daemon import status as daemon_status
from shotlog.daemon.events import to_wire
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS
from shotlog.eventlog.wakeup import Wakeup, open_wakeup
from shotlog.server.principals import Principals
from shotlog.server.responses import HttpError

__all__ = ["DaemonApi", "Stream"]

log = logging.getLogger("shotlog.stream")

KEEPALIVE_SECONDS = 15.0
PAGE = 500
MAX_LIMIT = 1_000_000
_ORDER = [{"field_name": "id", "direction": "asc"}]


def _json(body: Any) -> Response:
    # orjson's own datetimes (ISO 8601 with offset), as the daemon status has always been answered
    return Response(orjson.dumps(body), media_type="application/json")


def _bad(title: str, parameter: str) -> HttpError:
    return HttpError(400, title, source={"parameter": parameter})


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
    # ASCII digits only, as the OpenAPI document says: int() would also take "+5", " 5", "5_0"
    # and other scripts' digits (and refuses thousands of digits with an error of its own)
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 20 else None
    if value is None or not low <= value <= high:
        raise _bad(f"{name} must be an integer from {low} to {high}, got {raw[:50]!r}", name)
    return value


def _message(row: dict[str, Any]) -> bytes:
    data = orjson.dumps(to_wire({"type": "EventLogEntry", **{k: row.get(k) for k in SHOTGUNEVENTS_FIELDS}}))
    return b"id: %d\nevent: event\ndata: %s\n\n" % (row["id"], data)


class Stream:
    """``/api/v1/events/stream``."""

    def __init__(self, principals: Principals) -> None:
        self.principals = principals
        self.heads = _Heads(principals.store.db.url)

    async def events(self, request: Request) -> Response:
        try:
            principal = await run_in_threadpool(self.principals.bearer, request)
            params = request.query_params
            # a malformed Last-Event-ID is refused even beside after_id, which wins over it
            resumed = _int_param(request.headers.get("last-event-id"), "Last-Event-ID", 0, 0, 2**62)
            if "after_id" in params:
                after = _int_param(params.get("after_id"), "after_id", 0, 0, 2**62)
            else:
                after = resumed
            limit = _int_param(params.get("limit"), "limit", MAX_LIMIT, 0, MAX_LIMIT)
            follow_raw = params.get("follow", "true").lower()
            if follow_raw not in ("true", "false", "1", "0"):
                raise _bad(f"follow must be true or false, got {follow_raw[:50]!r}", "follow")
            follow = follow_raw in ("true", "1")
        except HttpError as exc:
            return exc.response()
        view = self.principals.view(principal)
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
                    list(SHOTGUNEVENTS_FIELDS),
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

    def __init__(self, principals: Principals) -> None:
        self.store = principals.store
        self.principals = principals

    def _admin(self, principal: Principal) -> None:
        # the permission set's rules, read now (Admin and the API sets have manage_daemon by default)
        if not self.principals.view(principal).authority().can("manage_daemon"):
            raise HttpError(403, "Only admins and scripts may pause, resume or replay daemon plugins")

    async def _guard(self, request: Request, fn: Callable[[], Any], *, admin: bool) -> Response:
        try:
            principal = await run_in_threadpool(self.principals.bearer, request)
            if admin:
                self._admin(principal)
            return _json(await run_in_threadpool(fn))
        except HttpError as exc:
            return exc.response()
        except daemon_status.PluginNotFound as exc:
            return HttpError(404, str(exc), source={"parameter": "plugin"}).response()
        except ValueError as exc:
            return HttpError(400, str(exc)).response()

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

    def action(self, name: str) -> Callable[[Request], Awaitable[Response]]:
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
                        raise _bad("replay needs ?from_event_id=N", "from_event_id")
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
