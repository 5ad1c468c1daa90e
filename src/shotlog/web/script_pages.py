"""The Scripts admin page (FPTR's Admin > Scripts): scripts and their keys.

For user administrators (the route's rule and ``shotlog.accounts.scripts`` both ask): list the
scripts, create one, give one a new key, revoke its key. A new key is shown on the page that answers
the form, once; nothing can show it again.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.accounts.credentials import Principal
from shotlog.accounts.scripts import Scripts
from shotlog.errors import ShotlogError
from shotlog.web.pages import Web

__all__ = ["ScriptPages"]


class ScriptPages:
    def __init__(self, web: Web) -> None:
        self.web = web
        self.scripts = Scripts(web.store, web.credentials)
        self.tokens = web.credentials.access_tokens

    # -- scripts --------------------------------------------------------------------------------

    def _page(
        self,
        request: Request,
        status: int = 200,
        *,
        shown: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
    ) -> Response:
        """The page; ``shown``: a key just made, the one time it is shown."""
        return self.web.render(
            request,
            "scripts.html",
            status,
            scripts=self.scripts.list(),
            shown=shown,
            errors=errors or {},
            typed=typed or {},
        )

    async def index(self, request: Request) -> Response:
        return await run_in_threadpool(self._page, request)

    async def create(self, request: Request) -> Response:
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        user: Principal = request.state.user

        def make() -> Response:
            fields = {"description": values.get("description", "").strip() or None}
            if values.get("permission_rule_set", "").strip():
                fields["permission_rule_set"] = values["permission_rule_set"].strip()
            try:
                entity, key = self.scripts.create(self.web.view(user), values.get("firstname", ""), fields)
            except ShotlogError as exc:
                errors = {"firstname": exc.message}
                return self._page(request, 400, errors=errors, typed=values)
            shown = {"name": entity.get("firstname") or values.get("firstname"), "key": key, "made": True}
            return self._page(request, 201, shown=shown)

        return await run_in_threadpool(make)

    async def rotate(self, request: Request) -> Response:
        return await self._key(request, rotate=True)

    async def revoke(self, request: Request) -> Response:
        return await self._key(request, rotate=False)

    async def _key(self, request: Request, *, rotate: bool) -> Response:
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        user: Principal = request.state.user
        script_id = request.path_params["id"]

        def act() -> Response:
            view = self.web.view(user)
            try:
                if rotate:
                    script, key = self.scripts.rotate(view, script_id)
                    return self._page(request, shown={"name": script.name, "key": key, "made": False})
                script = self.scripts.revoke(view, script_id)
            except ShotlogError as exc:
                return self._page(request, 400, errors={"form": exc.message})
            return self.web.redirect("/admin/scripts", f"The key of {script.name} is revoked.")

        return await run_in_threadpool(act)
