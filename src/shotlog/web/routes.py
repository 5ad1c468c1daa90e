"""The web UI's URL map (``web_routes``), the plumbing every page shares (``Web``), sign-in and
the admin page.

Every page but the sign-in form needs a signed-in HumanUser (``signed_in``); every POST checks the
form's CSRF token before anything else. Store calls run in Starlette's thread pool, as in the API.
The other pages live in ``event_pages``, ``entity_pages``, ``webhook_pages`` and ``daemon_pages``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from shotlog.authority import USER_ADMINS
from shotlog.bounded_body import MAX_SIGNIN_BODY, bounded
from shotlog.connection import Shotlog
from shotlog.credentials import Credentials, Principal
from shotlog.errors import ShotlogError
from shotlog.passwords import PasswordsBusy
from shotlog.web import sessions
from shotlog.web.account_pages import account_routes
from shotlog.web.daemon_pages import daemon_routes
from shotlog.web.entity_pages import EntityPages
from shotlog.web.event_pages import EventPages
from shotlog.web.render import page
from shotlog.web.webhook_pages import webhook_routes

__all__ = ["Web", "web_routes"]

Handler = Callable[[Request], Awaitable[Response]]
FLASH = "shotlog_flash"


class _UiPath(Convertor[str]):
    """Any path outside the APIs: the UI's catch-all must leave /api and /api3 to their own 404s."""

    regex = r"(?!api3?(?:/|$)|healthz$).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("shotlog_ui_path", _UiPath())


def local_path(value: object, default: str = "/events") -> str:
    """A redirect target that stays on this site (no ``//host`` or ``scheme:`` escapes)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


class Web:
    """The pages, bound to one store and its credentials."""

    def __init__(self, store: Shotlog, credentials: Credentials) -> None:
        self.store = store
        self.credentials = credentials

    # -- plumbing -----------------------------------------------------------------------------------

    def context(self, request: Request, **values: Any) -> dict[str, Any]:
        user: Principal | None = getattr(request.state, "user", None)
        return {
            "request": request,
            "user": user,
            "csrf": sessions.csrf_token(request),
            "is_admin": bool(user and user.permission_rule_set in sessions.ADMIN_RULES),
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

    # -- sign-in ------------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/events", status_code=303)

    async def login_form(self, request: Request) -> Response:
        user = await run_in_threadpool(sessions.current_user, request, self.credentials)
        target = local_path(request.query_params.get("next"))
        if user is not None:
            return RedirectResponse(target, status_code=303)
        return self._login_page(request, target, "", {})

    def _login_page(
        self, request: Request, target: str, login: str, errors: dict[str, str], status: int = 200
    ) -> Response:
        response = Response()
        token = sessions.login_csrf(request, response)
        context = {"request": request, "next": target, "login": login, "errors": errors, "user": None}
        context["flash"] = request.cookies.get(FLASH, "")
        rendered = page("login.html", {**context, "login_csrf": token}, status)
        if context["flash"]:
            response.delete_cookie(FLASH, path="/")
        rendered.raw_headers += [h for h in response.raw_headers if h[0] == b"set-cookie"]
        return rendered

    async def login(self, request: Request) -> Response:
        small = await bounded(request)
        if small is None:  # refused before parsing: nobody's sign-in form is this large
            message = f"The sign-in form is larger than {MAX_SIGNIN_BODY:,} bytes."
            return self._login_page(request, "/events", "", {"form": message}, 413)
        data = await small.form()
        values = {k: v for k, v in data.items() if isinstance(v, str)}
        target = local_path(values.get("next"))
        tried = values.get("login", "").strip()
        login = tried[:255]  # what the page shows again and a failure event names
        password = values.get("password", "")
        if not sessions.check_csrf(request, values.get("csrf"), login=True):
            return self._login_page(
                request, target, login, {"form": "The sign-in form expired. Please try again."}, 403
            )
        errors: dict[str, str] = {}
        if not login:
            errors["login"] = "Enter your login."
        if not password:
            errors["password"] = "Enter your password."
        if errors:
            return self._login_page(request, target, login, errors, 400)
        try:
            # awaited on the event loop: a flood of sign-ins waiting for a password check holds
            # none of the threads the other pages need
            # (the whole login: one too long for any account is refused there without a check)
            user = await self.credentials.user_async(tried, password)
        except PasswordsBusy as exc:
            page_ = self._login_page(request, target, login, {"form": exc.message}, 503)
            page_.headers["Retry-After"] = "1"
            return page_
        if user is None:
            await run_in_threadpool(self.credentials.signins.failed, login, "web")
            return self._login_page(request, target, login, {"password": "Wrong login or password."}, 401)
        response = RedirectResponse(target, status_code=303)
        await run_in_threadpool(sessions.set_session, request, response, self.credentials, user)
        await run_in_threadpool(self.credentials.signins.logged_in, user, "web", "password")
        return response

    async def logout(self, request: Request) -> Response:
        values = await self.form(request)
        if values is None:
            return self.csrf_failed(request)
        response = self.redirect("/login", "You are signed out.")
        user: Principal = request.state.user
        await run_in_threadpool(sessions.clear_session, request, response, self.credentials)
        await run_in_threadpool(self.credentials.signins.logged_out, user, "web")
        return response

    # -- admin --------------------------------------------------------------------------------------

    async def admin(self, request: Request) -> Response:
        def load() -> dict[str, Any]:
            scripts = self.store.find(
                "ApiUser",
                [],
                ["firstname", "description", "generate_event_log_entries", "sg_status_list"],
                order=[{"field_name": "firstname", "direction": "asc"}],
                limit=500,
            )
            return {"scripts": scripts, "head": self.store.head_event_id()}

        data = await run_in_threadpool(load)
        return self.render(request, "admin.html", backend=self.store.db.backend, **data)

    async def unknown(self, request: Request) -> Response:
        """No such page: the friendly page for browsers; API clients keep the JSON 404 of the APIs."""
        if "text/html" not in request.headers.get("accept", ""):
            raise HTTPException(404)
        return self.not_found(request)


def signed_in(web: Web, handler: Handler, *, rules: tuple[str, ...] = ()) -> Handler:
    """Wrap a page: no user means a redirect to the sign-in form (401 JSON for data endpoints);
    with ``rules``, only users with one of those permission rule sets may use it."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        user = await run_in_threadpool(sessions.current_user, request, web.credentials)
        if user is None:
            if request.url.path.endswith(".json"):
                return JSONResponse({"errors": {"session": "sign in first"}}, status_code=401)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
        request.state.user = user
        if rules and user.permission_rule_set not in rules:
            names = " or ".join(rules)
            return web.forbidden(request, f"This page is for users with the {names} permission set.")
        return await handler(request)

    return wrapped


def web_routes(store: Shotlog, credentials: Credentials) -> list[BaseRoute]:
    """Every route of the web UI; mounted after the API routes, ending with the UI's 404 page."""
    web = Web(store, credentials)
    events, entities = EventPages(web), EntityPages(web)

    def page_route(
        path: str, handler: Handler, methods: tuple[str, ...] = ("GET",), rules: tuple[str, ...] = ()
    ) -> Route:
        return Route(path, signed_in(web, handler, rules=rules), methods=list(methods))

    own, admin_only = account_routes(web)

    routes: list[BaseRoute] = [
        Mount("/static", app=StaticFiles(packages=[("shotlog.web", "static")]), name="static"),
        Route("/", web.home, methods=["GET"]),
        Route("/login", web.login_form, methods=["GET"]),
        Route("/login", web.login, methods=["POST"]),
        page_route("/logout", web.logout, ("POST",)),
        page_route("/events", events.events),
        page_route("/events/live.json", events.live),
        page_route("/events/{id:int}", events.event),
        page_route("/projects", entities.projects),
        page_route("/entities", entities.entity_types),
        page_route("/entities/{type}", entities.entity_list),
        page_route("/entities/{type}/{id:int}", entities.entity),
        page_route("/admin", web.admin),
    ]
    routes += [page_route(path, handler, methods) for path, handler, methods in own]
    # setting other people's passwords is for admins; the daemon for managers too
    routes += [
        page_route(path, handler, methods, USER_ADMINS["HumanUser"]) for path, handler, methods in admin_only
    ]
    # webhook pages ask shotlog.authority themselves, as the webhooks REST API does
    routes += [page_route(path, handler, methods) for path, handler, methods in webhook_routes(web)]
    for path, handler, methods in daemon_routes(web):
        routes.append(page_route(path, handler, methods, sessions.ADMIN_RULES))
    routes.append(Route("/{path:shotlog_ui_path}", web.unknown))
    return routes
