"""What every page of the web UI shares: the signed-in user, rendering, redirects, forms, errors.

A page is an ``async`` function of the request, wrapped by ``signed_in``: no user means a redirect
to the sign-in form; ``request.state.user`` is the signed-in HumanUser. Every POST checks the form's
CSRF token (``Web.form``) before anything else. Store calls run in Starlette's thread pool, as in
the API. Errors are pages too: ``Web.not_found`` and ``Web.forbidden`` render the 404 and 403 pages.
The URL map that routes to the pages is ``server.app``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from shotlog.access.authority import SHOTLOG, Authority
from shotlog.accounts.credentials import Credentials, Principal
from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError
from shotlog.files.links import FileLinks
from shotlog.files.service import Files
from shotlog.site import time_zones
from shotlog.web import sessions
from shotlog.web.render import page
from shotlog.web.timezones import ReaderZone, reader_zone

__all__ = ["FLASH", "ZONE_COOKIE", "Handler", "Refusal", "Web", "local_path", "signed_in"]

Handler = Callable[[Request], Awaitable[Response]]
#: why a signed-in user (as ``shotlog.access.authority`` sees them, rules read now) may not use a
#: page, or None when they may
Refusal = Callable[[Authority], str | None]
FLASH = "shotlog_flash"
#: the browser's time zone, written by app.js; pages use it until the person chooses one
ZONE_COOKIE = "shotlog_tz"


def local_path(value: object, default: str = "/events") -> str:
    """A redirect target that stays on this site (no ``//host`` or ``scheme:`` escapes)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


class Web:
    """The plumbing of the pages, bound to one store, its credentials and its users' views."""

    def __init__(
        self,
        store: Shotlog,
        credentials: Credentials,
        views: Callable[[Principal], Shotlog] | None = None,
        files: Files | None = None,
    ) -> None:
        self.store = store
        self.credentials = credentials
        #: the site's files, for thumbnail URLs (none: pages show no thumbnails)
        self.files = files
        #: a user's view of the store, which names them in the events they cause (the server passes
        #: its shared cache, ``server.principals``)
        self.view = views or (lambda user: store.as_user({"type": user.type, "id": user.id}))

    def links(self, request: Request) -> FileLinks | None:
        """URLs of stored files for a page, relative to the site as the browser reached it. Call
        it in a worker thread: the site's URL key is read from the database once."""
        if self.files is None:
            return None
        return self.files.links(str(request.scope.get("root_path", "")))

    @staticmethod
    def zone(request: Request) -> ReaderZone:
        """The time zone this request's pages show times in and read typed dates in."""
        found: ReaderZone | None = getattr(request.state, "zone", None)
        if found is None:  # a page without a signed-in user: the browser's zone, else UTC
            found = reader_zone(None, request.cookies.get(ZONE_COOKIE), time_zones.known())
        return found

    def context(self, request: Request, **values: Any) -> dict[str, Any]:
        user: Principal | None = getattr(request.state, "user", None)
        who: Authority | None = getattr(request.state, "authority", None)
        may = (lambda capability: False) if who is None or user is None else who.can
        return {
            "zone": self.zone(request),
            "request": request,
            "user": user,
            "csrf": sessions.csrf_token(request),
            # the links a page offers follow the same rules as the pages they lead to
            "may": may,
            "is_admin": may("manage_webhooks"),
            "flash": request.cookies.get(FLASH, ""),
            "path": request.url.path,
            **values,
        }

    def render(self, request: Request, name: str, status: int = 200, **values: Any) -> Response:
        response = page(name, self.context(request, **values), status)
        if request.cookies.get(FLASH):
            response.delete_cookie(FLASH, path="/")
        return response

    def not_found(self, request: Request, what: str = "") -> Response:
        return self.render(request, "404.html", 404, what=what or f"No page at {request.url.path}")

    def forbidden(self, request: Request, message: str) -> Response:
        return self.render(request, "403.html", 403, message=message)

    @staticmethod
    def redirect(url: str, flash: str = "") -> Response:
        response = RedirectResponse(url, status_code=303)
        if flash:
            response.set_cookie(FLASH, quote(flash), max_age=30, httponly=True, samesite="lax", path="/")
        return response

    async def form(self, request: Request) -> dict[str, str] | None:
        """The posted form as strings, or None when its CSRF token is missing or wrong."""
        data = await request.form()
        values = {k: v for k, v in data.items() if isinstance(v, str)}
        if not sessions.check_csrf(request, values.get("csrf")):
            return None
        return values

    def csrf_failed(self, request: Request) -> Response:
        return self.forbidden(
            request,
            "This form was out of date or was not sent from shotlog (CSRF check failed). "
            "Reload the page and try again.",
        )

    def action_items(
        self, request: Request, entity_type: str, project_id: int | None
    ) -> list[dict[str, Any]]:
        """The Action Menu Items a page of ``entity_type`` offers (none without shotlog.actions)."""
        try:
            from shotlog.actions import menu_items
        except ImportError:
            return []
        user: Principal = request.state.user
        try:
            return menu_items(self.store, entity_type, project_id, user.link())
        except ShotlogError:
            return []


def signed_in(
    web: Web, handler: Handler, *, capability: str | None = None, refusal: Refusal | None = None
) -> Handler:
    """Wrap a page: no user means a redirect to the sign-in form (401 JSON for data endpoints);
    with ``capability``, only users whose permission rule set has it (``shotlog.access.rules``, the
    rules as the database holds them now) may use it; ``refusal`` says why a user may not
    (``shotlog.access.authority``'s answer), or None when they may."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        user, chosen, who = await run_in_threadpool(_who, request, web)
        if user is None:
            if request.url.path.endswith(".json"):
                return JSONResponse({"errors": {"session": "sign in first"}}, status_code=401)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
        request.state.user = user
        request.state.authority = who
        request.state.zone = reader_zone(chosen, request.cookies.get(ZONE_COOKIE), time_zones.known())
        if capability is not None and not who.can(capability):
            return web.forbidden(
                request,
                f"This page needs a permission set with {capability.replace('_', ' ')}; "
                f"{who.label()} does not have it.",
            )
        refused = None if refusal is None else refusal(who)
        if refused is not None:
            return web.forbidden(request, refused)
        return await handler(request)

    return wrapped


def _who(request: Request, web: Web) -> tuple[Principal | None, str | None, Authority]:
    """The signed-in user, the time zone they chose and their rights (one trip to the thread pool)."""
    user = sessions.current_user(request, web.credentials)
    if user is None:
        return None, None, SHOTLOG
    return user, time_zones.read(web.store, (user.type, user.id)), web.view(user).authority()
