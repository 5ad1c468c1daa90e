"""The event daemon page: every plugin's state, cursor, lag and last error; pause, resume, replay.

Built on ``shotlog.daemon.status``, which reads the daemons' state from the database, so the page
works whether the daemons run on this machine or elsewhere, and whether they are up or down.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.daemon import status
from shotlog.mirror.status import mirror_status
from shotlog.web.filters import whole_number
from shotlog.web.pages import Web

__all__ = ["DaemonPage"]

_STATE_CLASS = {
    "running": "ok",
    "paused": "info",
    "failed": "bad",
    "load_error": "bad",
    "missing": "warn",
    "stopped": "muted",
}


class DaemonPage:
    def __init__(self, web: Web) -> None:
        self.web = web

    def _load(self) -> tuple[list[Any], dict[str, Any] | None]:
        db = self.web.store.db
        return status.read_status(db, head_event_id=self.web.store.head_event_id()), mirror_status(db)

    async def index(self, request: Request) -> Response:
        return await self.show(request)

    async def show(
        self, request: Request, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
    ) -> Response:
        daemons, mirror = await run_in_threadpool(self._load)
        return self.web.render(
            request,
            "daemon.html",
            400 if errors else 200,
            daemons=daemons,
            mirror=mirror,
            state_class=_STATE_CLASS,
            errors=errors or {},
            values=values or {},
        )

    async def action(self, request: Request) -> Response:
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        daemon, plugin = request.path_params["daemon"], request.path_params["plugin"]
        verb = request.path_params["action"]
        collection = values.get("collection") or None
        key = f"{daemon}/{collection}/{plugin}"
        db = self.web.store.db
        try:
            if verb == "pause":
                await run_in_threadpool(status.pause, db, daemon, plugin, collection)
                message = f"Paused {plugin}: the daemon stops calling it within a second."
            elif verb == "resume":
                await run_in_threadpool(status.resume, db, daemon, plugin, collection)
                message = f"Resumed {plugin}."
            elif verb == "replay":
                raw = values.get("from_event_id", "").strip()
                first = whole_number(raw)
                if first is None or first < 1:
                    error = f"Replay starts at an event id (a positive whole number), got {raw!r}."
                    return await self.show(request, {key: error}, {key: raw})
                cursor = await run_in_threadpool(status.replay, db, daemon, plugin, first, collection)
                message = f"{plugin} will process again from event {raw} (cursor {cursor.position})."
            else:
                return self.web.not_found(request)
        except status.PluginNotFound as exc:
            return self.web.not_found(request, str(exc))
        except ValueError as exc:
            return await self.show(request, {key: str(exc)}, {key: values.get("from_event_id", "")})
        return self.web.redirect("/daemon", message)
