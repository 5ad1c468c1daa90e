"""The account page (your time zone, your password, your personal access tokens); admins list the
HumanUsers and set anyone's password.

A person's time zone is theirs alone (``shotlog.site.time_zones``): choosing one writes no event,
as changing a column's width in FPTR does not. Left unchosen, pages use the browser's zone.

Passwords are written through the store (``HumanUser.password_proxy``, kept as an Argon2 hash and
never read back; its Change event carries no value), as the signed-in user, so the event log says
who did it. FPTR's ``Shotgun_User_PasswordChange`` event is written too, as by every other way in.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.access.passwords import PasswordsBusy
from shotlog.accounts.access_tokens import DEFAULT_DAYS, MAX_DAYS
from shotlog.accounts.credentials import Principal
from shotlog.clock import utcnow_seconds
from shotlog.errors import ShotlogError, ValidationError
from shotlog.site import time_zones
from shotlog.web import sessions
from shotlog.web.pages import ZONE_COOKIE, Web

__all__ = ["MIN_PASSWORD", "AccountPages", "check_new_password"]

MIN_PASSWORD = 8


def check_new_password(new: str, confirm: str) -> dict[str, str]:
    """The form errors of a new password and its confirmation (pure)."""
    if len(new) < MIN_PASSWORD:
        return {"new": f"Use at least {MIN_PASSWORD} characters."}
    if len(new) > 1024:
        return {"new": "Use at most 1,024 characters."}
    if new != confirm:
        return {"confirm": "The two passwords differ."}
    return {}


class AccountPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    def _set_password(self, actor: Principal, user_id: int, password: str) -> None:
        # the store writes FPTR's Shotgun_User_PasswordChange with the field's Change
        self.web.view(actor).update("HumanUser", user_id, {"password_proxy": password})

    def _account(
        self,
        request: Request,
        status: int = 200,
        errors: dict[str, str] | None = None,
        *,
        new_token: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
    ) -> Response:
        """The page (read in a worker thread); ``new_token``: a token just made, shown this once."""
        user: Principal = request.state.user
        now = utcnow_seconds()
        tokens = [(t, t.expired(now)) for t in self.web.credentials.access_tokens.list(user.id)]
        zone = self.web.zone(request)
        browser = request.cookies.get(ZONE_COOKIE, "")
        options = time_zones.choices()
        if zone.source == "chosen" and zone.name not in options:  # an alias a browser once sent
            options = (zone.name, *options)
        return self.web.render(
            request,
            "account.html",
            status,
            options=options,
            chosen=zone.name if zone.source == "chosen" else "",
            browser=browser if browser in time_zones.known() else "",
            errors=errors or {},
            tokens=tokens,
            new_token=new_token,
            typed=typed or {},
            days=(DEFAULT_DAYS, MAX_DAYS),
        )

    async def account(self, request: Request) -> Response:
        return await run_in_threadpool(self._account, request)

    async def create_token(self, request: Request) -> Response:
        """A personal access token of the signed-in person, shown on the page that answers, once."""
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        user: Principal = request.state.user

        def make() -> Response:
            tokens = self.web.credentials.access_tokens
            try:
                token, secret = tokens.create(
                    self.web.view(user).actor, user.id, values.get("name", ""), values.get("days", "")
                )
            except ShotlogError as exc:
                return self._account(request, 400, {"token": exc.message}, typed=values)
            return self._account(request, 201, new_token={"name": token.name, "secret": secret})

        return await run_in_threadpool(make)

    async def revoke_token(self, request: Request) -> Response:
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        user: Principal = request.state.user
        token_id: int = request.path_params["id"]

        def revoke() -> str | None:
            tokens = self.web.credentials.access_tokens
            token = tokens.get(token_id)
            if token is None or token.user_id != user.id:  # someone else's: as if it did not exist
                return None
            tokens.revoke(self.web.view(user).actor, token_id)
            return token.name

        name = await run_in_threadpool(revoke)
        if name is None:
            return self.web.not_found(request, f"You have no personal access token {token_id}.")
        return self.web.redirect("/account", f"The token {name!r} is revoked; it is refused from now on.")

    async def set_time_zone(self, request: Request) -> Response:
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        name = values.get("time_zone", "").strip()
        user: Principal = request.state.user
        try:
            await run_in_threadpool(time_zones.write, self.web.store, (user.type, user.id), name or None)
        except ValidationError as exc:
            return await run_in_threadpool(self._account, request, 400, {"time_zone": exc.message})
        if name:
            return self.web.redirect("/account", f"Times are now shown in {name}.")
        return self.web.redirect("/account", "Times are now shown in your browser's time zone.")

    async def own_form(self, request: Request) -> Response:
        return self.web.render(request, "password.html", target=None, errors={})

    async def change_own(self, request: Request) -> Response:
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        user: Principal = request.state.user
        errors = check_new_password(values.get("new", ""), values.get("confirm", ""))
        current = values.get("current", "")
        if not current:
            errors["current"] = "Enter your current password."
        else:
            try:
                if await self.web.credentials.user_async(user.login, current) is None:
                    errors["current"] = "This is not your current password."
            except PasswordsBusy as exc:
                return self.web.render(
                    request, "password.html", 503, target=None, errors={"current": exc.message}
                )
        if errors:
            return self.web.render(request, "password.html", 400, target=None, errors=errors)
        await run_in_threadpool(self._set_password, user, user.id, values["new"])
        response = self.web.redirect("/events", "Your password is changed.")
        # the change ended every session of this user, this one too: this browser gets a new one
        await run_in_threadpool(sessions.renew_session, request, response, self.web.credentials, user)
        return response

    async def users(self, request: Request) -> Response:
        def load() -> list[dict[str, Any]]:
            return self.web.store.find(
                "HumanUser",
                [],
                ["name", "login", "email", "sg_status_list", "permission_rule_set"],
                order=[{"field_name": "name", "direction": "asc"}],
                limit=1000,
            )

        people = await run_in_threadpool(load)
        return self.web.render(request, "users.html", people=people)

    def _target(self, user_id: int) -> dict[str, Any] | None:
        return self.web.store.find_one("HumanUser", [["id", "is", user_id]], ["name", "login"])

    async def user_form(self, request: Request) -> Response:
        target = await run_in_threadpool(self._target, request.path_params["id"])
        if target is None:
            return self.web.not_found(request, f"There is no HumanUser {request.path_params['id']}.")
        return self.web.render(request, "password.html", target=target, errors={})

    async def set_for_user(self, request: Request) -> Response:
        target = await run_in_threadpool(self._target, request.path_params["id"])
        if target is None:
            return self.web.not_found(request, f"There is no HumanUser {request.path_params['id']}.")
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        errors = check_new_password(values.get("new", ""), values.get("confirm", ""))
        if not errors:
            try:
                await run_in_threadpool(self._set_password, request.state.user, target["id"], values["new"])
            except ShotlogError as exc:
                errors = {"new": str(exc)}
        if errors:
            return self.web.render(request, "password.html", 400, target=target, errors=errors)
        who = target.get("name") or target.get("login")
        response = self.web.redirect("/admin/users", f"Password set for {who}.")
        if target["id"] == request.state.user.id:  # an admin's own: this browser stays in
            await run_in_threadpool(
                sessions.renew_session, request, response, self.web.credentials, request.state.user
            )
        return response
