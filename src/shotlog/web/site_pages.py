"""The pages around the others: home, sign-in and sign-out, the admin overview and the 404 page."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shotlog.access.passwords import PasswordsBusy
from shotlog.accounts.credentials import Principal
from shotlog.accounts.signin_body import MAX_SIGNIN_BODY, bounded
from shotlog.site import event_log_view
from shotlog.web import sessions
from shotlog.web.pages import FLASH, Web, local_path
from shotlog.web.render import page

__all__ = ["SitePages"]


class SitePages:
    def __init__(self, web: Web) -> None:
        self.web = web
        self.credentials = web.credentials
        self.store = web.store

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
        address = request.client.host if request.client else ""
        refused = await run_in_threadpool(self.credentials.signins.throttled, login, address, "web")
        if refused is not None:  # refused before the password is checked: it costs no hash
            page_ = self._login_page(request, target, login, {"form": refused.message(login)}, 429)
            page_.headers["Retry-After"] = str(refused.retry_after)
            return page_
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
            await run_in_threadpool(self.credentials.signins.failed, login, "web", address)
            return self._login_page(request, target, login, {"password": "Wrong login or password."}, 401)
        response = RedirectResponse(target, status_code=303)
        await run_in_threadpool(sessions.set_session, request, response, self.credentials, user)
        await run_in_threadpool(self.credentials.signins.logged_in, user, "web", "password")
        return response

    async def logout(self, request: Request) -> Response:
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        response = self.web.redirect("/login", "You are signed out.")
        user: Principal = request.state.user
        await run_in_threadpool(sessions.clear_session, request, response, self.credentials)
        await run_in_threadpool(self.credentials.signins.logged_out, user, "web")
        return response

    # -- admin --------------------------------------------------------------------------------------

    async def admin(self, request: Request) -> Response:
        return await self._admin(request)

    async def _admin(self, request: Request, status: int = 200, error: str = "") -> Response:
        def load() -> dict[str, Any]:
            scripts = self.store.find(
                "ApiUser",
                [],
                ["firstname", "description", "generate_event_log_entries", "sg_status_list"],
                order=[{"field_name": "firstname", "direction": "asc"}],
                limit=500,
            )
            hides = event_log_view.hides_setup(self.store)
            return {"scripts": scripts, "head": self.store.head_event_id(), "hides_setup": hides}

        data = await run_in_threadpool(load)
        return self.web.render(
            request, "admin.html", status, backend=self.store.db.backend, setting_error=error, **data
        )

    async def event_log_setting(self, request: Request) -> Response:
        """An admin's choice: hide setup and system events from the event log by default."""
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        choice = values.get("hide_setup", "")
        if choice not in ("1", "0"):
            return await self._admin(
                request, 400, f"Hide setup events must be 1 (hide) or 0 (show), got {choice!r}."
            )
        await run_in_threadpool(event_log_view.set_hides_setup, self.store, choice == "1")
        if choice == "1":
            return self.web.redirect("/admin", "The event log now hides setup and system events by default.")
        return self.web.redirect("/admin", "The event log now shows every event by default.")

    async def unknown(self, request: Request) -> Response:
        """No such page: the friendly page for browsers; API clients keep the JSON 404 of the APIs."""
        if "text/html" not in request.headers.get("accept", ""):
            raise HTTPException(404)
        return self.web.not_found(request)
