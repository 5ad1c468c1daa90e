"""``/api/v1/mirror``: the state of the mirror of an FPTR site this database holds, if any (what
``shotlog mirror status --json`` prints)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.mirror.status import mirror_status
from shotlog.server.principals import Principals
from shotlog.server.responses import HttpError

__all__ = ["MirrorApi"]


class MirrorApi:
    def __init__(self, principals: Principals) -> None:
        self.principals = principals

    async def status(self, request: Request) -> Response:
        """``{"data": status}``, or ``{"data": null}`` on a database that mirrors no site."""
        try:
            await run_in_threadpool(self.principals.bearer, request)
        except HttpError as exc:
            return exc.response()
        body: dict[str, Any] = {"data": await run_in_threadpool(mirror_status, self.principals.store.db)}
        return Response(orjson.dumps(body), media_type="application/json")
