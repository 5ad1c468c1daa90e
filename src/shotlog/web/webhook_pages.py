"""Webhook administration pages, built on the webhooks Python API (``shotlog.webhooks.api``).

List with status and performance badges; create and edit forms with every option; enable,
disable, delete; test connection with its result; the delivery log with filters, one delivery's
full request and response, redeliver, replay a range of events, release or discard held
deliveries. Every action is a POST with the session's CSRF token, and every change goes through
the API, which validates completely before writing (nothing is half-saved). Who may use these
pages is ``shotlog.access.authority``'s decision, the same one the webhooks REST API asks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.access.authority import Authority, webhook_refusal
from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError
from shotlog.schema.global_events import written_global_types
from shotlog.web import sessions
from shotlog.web.deliveries import (
    DELIVERY_PAGE,
    DELIVERY_STATES,
    STATE_CLASS,
    STATUS_CLASS,
    DeliveryCounts,
    attempt_view,
    delivery_row,
    parse_delivery_query,
    parse_when,
    performance_badges,
    status_badge,
)
from shotlog.web.filters import whole_number
from shotlog.web.pages import Web
from shotlog.web.webhook_form import (
    ACTIONS,
    FIELD_LABELS,
    form_from_hook,
    form_from_query,
    hook_errors,
    in_words,
    parse_hook_form,
)
from shotlog.web.wording import counted
from shotlog.webhooks.api import WebhookNotFound, Webhooks
from shotlog.webhooks.hooks import GLOBAL_EVENT_TYPES, excluded_type, parse_hook
from shotlog.webhooks.states import DeliveryState

__all__ = ["WebhookPages", "managers_only"]


class WebhookPages:
    def __init__(self, web: Web) -> None:
        self.web = web
        self.hooks = Webhooks(web.store)

    # -- helpers ------------------------------------------------------------------------------------

    def _form_context(self) -> dict[str, Any]:
        schema = self.web.store.catalog.schema
        projects = self.web.store.find(
            "Project", [], ["name"], order=[{"field_name": "name", "direction": "asc"}], limit=500
        )
        types = sorted(t for t in schema.types if not excluded_type(t))
        return {
            "entity_types": types,
            "projects": projects,
            "global_event_types": GLOBAL_EVENT_TYPES,
            "written_event_types": written_global_types(),
        }

    async def _render_form(
        self, request: Request, form: Any, errors: dict[str, str], hook: dict[str, Any] | None, status: int
    ) -> Response:
        extra = await run_in_threadpool(self._form_context)
        return self.web.render(
            request,
            "webhook_form.html",
            status,
            form=form,
            errors=errors,
            hook=hook,
            actions=ACTIONS,
            other_entity_types=json.dumps(form.other_entity_types) if form.other_entity_types else "",
            labels=FIELD_LABELS,
            **extra,
        )

    def _with_projects(self, hooks: list[dict[str, Any]]) -> None:
        """Give each hook ``project_links`` (the projects of its filter, by name)."""
        ids = sorted({p for h in hooks for p in h.get("projects") or []})
        found = self.web.store.find("Project", [["id", "in", ids]], ["name"]) if ids else []
        names = {p["id"]: p for p in found}
        for hook in hooks:
            hook["project_links"] = [
                names.get(p, {"type": "Project", "id": p, "name": f"Project #{p}"})
                for p in hook.get("projects") or []
            ]

    def _load_hook(self, hook_id: str, *, with_counts: bool = True) -> dict[str, Any] | None:
        try:
            return self.hooks.get_hook(hook_id, with_counts=with_counts)
        except WebhookNotFound:
            return None

    def _by(self, request: Request) -> Shotlog:
        """The signed-in user's view of the store: the Shotgun_Webhook_* events name them."""
        return self.web.view(request.state.user)

    async def _post(self, request: Request) -> tuple[dict[str, str], list[str]] | None:
        data = await request.form()
        values = {k: v for k, v in data.items() if isinstance(v, str)}
        if not sessions.check_csrf(request, values.get("csrf")):
            return None
        projects = [v for v in data.getlist("projects") if isinstance(v, str)]
        return values, projects

    # -- list, create, edit -------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        status = request.query_params.get("status", "")
        if status and status not in STATUS_CLASS:
            return self.web.render(
                request,
                "webhooks.html",
                400,
                hooks=[],
                status_filter=status,
                status_classes=STATUS_CLASS,
                error=f"Status must be one of {', '.join(STATUS_CLASS)}, got {status!r}.",
            )

        def load() -> list[dict[str, Any]]:
            hooks, _ = self.hooks.list_hooks(status or None, page_size=500)
            for hook in hooks:
                recent = self.hooks.list_deliveries(hook["id"], page_size=100)
                hook["badges"] = performance_badges(recent.performance_metrics)
                hook["metrics"] = recent.performance_metrics
            self._with_projects(hooks)
            return hooks

        hooks = await run_in_threadpool(load)
        return self.web.render(
            request,
            "webhooks.html",
            hooks=hooks,
            status_filter=status,
            status_classes=STATUS_CLASS,
            error="",
        )

    def _check(self, form: Any, body: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
        """The form's own errors and every one the API's validation finds in the rest, at once (the
        form's words win where both speak of a field)."""
        catalog = self.web.store.catalog
        catalog.refresh()
        schema = catalog.schema
        found = hook_errors(body, lambda b: parse_hook(b, schema), form.kind)
        return {**found, **errors}

    async def new(self, request: Request) -> Response:
        form = form_from_query(dict(request.query_params))
        return await self._render_form(request, form, {}, None, 200)

    async def create(self, request: Request) -> Response:
        posted = await self._post(request)
        if posted is None:
            return self.web.csrf_failed(request)
        form, body, errors = parse_hook_form(*posted)
        errors = await run_in_threadpool(self._check, form, body, errors)
        if errors:
            return await self._render_form(request, form, errors, None, 400)
        try:
            hook = await run_in_threadpool(lambda: self.hooks.create_hook(body, by=self._by(request)))
        except ShotlogError as exc:
            return await self._render_form(request, form, _api_error(exc, form.kind), None, 400)
        if hook.get("signing_secret"):
            # shown once: render the hook's page now rather than redirecting
            return await self._show(request, hook["id"], secret=hook["signing_secret"], status=201)
        return self.web.redirect(f"/webhooks/{hook['id']}", "Webhook created.")

    async def edit(self, request: Request) -> Response:
        hook = await run_in_threadpool(self._load_hook, request.path_params["id"])
        if hook is None:
            return self.web.not_found(request, f"There is no webhook {request.path_params['id']}.")
        return await self._render_form(request, form_from_hook(hook), {}, hook, 200)

    async def update(self, request: Request) -> Response:
        hook_id = request.path_params["id"]
        hook = await run_in_threadpool(self._load_hook, hook_id)
        if hook is None:
            return self.web.not_found(request, f"There is no webhook {hook_id}.")
        posted = await self._post(request)
        if posted is None:
            return self.web.csrf_failed(request)
        form, body, errors = parse_hook_form(*posted)
        form.token_set = bool(hook.get("is_token_set"))
        form.signing_secret_set = bool(hook.get("is_signing_secret_set"))
        errors = await run_in_threadpool(self._check, form, body, errors)
        if errors:
            return await self._render_form(request, form, errors, hook, 400)
        try:
            updated = await run_in_threadpool(
                lambda: self.hooks.update_hook(hook_id, body, by=self._by(request))
            )
        except ShotlogError as exc:
            return await self._render_form(request, form, _api_error(exc, form.kind), hook, 400)
        if updated.get("signing_secret"):
            return await self._show(request, hook_id, secret=updated["signing_secret"])
        return self.web.redirect(f"/webhooks/{hook_id}", "Webhook saved.")

    # -- one hook -----------------------------------------------------------------------------------

    async def show(self, request: Request) -> Response:
        return await self._show(request, request.path_params["id"])

    async def _show(
        self,
        request: Request,
        hook_id: str,
        *,
        secret: str = "",
        status: int = 200,
        replay_errors: dict[str, str] | None = None,
        replay_values: dict[str, str] | None = None,
    ) -> Response:
        params = dict(request.query_params) if request.method == "GET" else {}
        test_id = params.pop("test", "")
        zone = self.web.zone(request).zone
        q, errors = parse_delivery_query(params, set(self.web.store.catalog.schema.types), zone)

        def load() -> tuple[dict[str, Any] | None, Any, dict[str, Any] | None]:
            hook = self._load_hook(hook_id, with_counts=False)
            if hook is None:
                return None, None, None
            test = self._test_delivery(hook_id, test_id) if test_id else None
            page = None
            if not errors:
                # the table and the counts above it come from one listing (same conditions, one read)
                page = self.hooks.delivery_log(
                    hook_id,
                    state=q.state,
                    entity_type=q.entity_type,
                    entity_id=q.entity_id,
                    since=q.since,
                    until=q.until,
                    acknowledgement=q.acknowledgement,
                    page=q.page,
                    page_size=DELIVERY_PAGE,
                )
            # Health's counts, the held ones and the table's: one read (one grouped count, two when
            # the table is filtered), so the page never shows two numbers for one thing
            log = page.log_counts if page is not None else None
            counts = DeliveryCounts(log if log is not None else self.hooks.delivery_counts(hook_id))
            hook["log_counts"] = counts
            hook["held_deliveries"] = counts.by_state[DeliveryState.HELD]
            hook["pending_deliveries"] = counts.by_state[DeliveryState.PENDING]
            recent = self.hooks.list_deliveries(hook_id, page_size=100)
            hook["badges"] = performance_badges(recent.performance_metrics)
            hook["metrics"] = recent.performance_metrics
            self._with_projects([hook])
            return hook, page, test

        hook, page, test = await run_in_threadpool(load)
        if hook is None:
            return self.web.not_found(request, f"There is no webhook {hook_id}.")
        filters = {k: v for k, v in params.items() if k != "page" and v}
        rows = [delivery_row(d) for d in page.deliveries] if page is not None else []
        counts = DeliveryCounts(page.counts) if page is not None and page.counts is not None else None
        return self.web.render(
            request,
            "webhook.html",
            400 if errors else status,
            hook=hook,
            deliveries=page,
            rows=rows,
            counts=counts,
            shown=counts.range_shown(q.state, q.page, DELIVERY_PAGE, len(rows)) if counts else "",
            q=q,
            params=params,
            errors=errors,
            secret=secret,
            test=test,
            replay_errors=replay_errors or {},
            replay_values=replay_values or {},
            states=DELIVERY_STATES,
            state_class=STATE_CLASS,
            page_url=lambda n: f"/webhooks/{hook_id}?" + urlencode({**filters, "page": n}),
            state_url=lambda st: f"/webhooks/{hook_id}?" + urlencode({**filters, "state": st}),
            status_badge=status_badge,
        )

    def _test_delivery(self, hook_id: str, delivery_id: str) -> dict[str, Any] | None:
        """A test delivery of this hook, to show its outcome (None if it is not one)."""
        try:
            delivery = self.hooks.get_delivery(delivery_id)
        except WebhookNotFound:
            return None
        return delivery if delivery["hook_id"] == hook_id and delivery["kind"] == "test" else None

    async def _hook_button(self, request: Request, run: Callable[[str], tuple[str, str]]) -> Response:
        """A POST button on a hook: check CSRF, run, redirect where ``run`` says with its message."""
        hook_id = request.path_params["id"]
        if await self.web.form(request) is None:
            return self.web.csrf_failed(request)
        try:
            url, message = await run_in_threadpool(run, hook_id)
        except WebhookNotFound:
            return self.web.not_found(request, f"There is no webhook {hook_id}.")
        return self.web.redirect(url, message)

    async def _action(self, request: Request, run: Callable[[str], str]) -> Response:
        """A POST button on a hook that comes back to the hook with ``run``'s message."""
        return await self._hook_button(request, lambda h: (f"/webhooks/{h}", run(h)))

    async def enable(self, request: Request) -> Response:
        return await self._action(
            request, lambda h: (self.hooks.enable_hook(h, by=self._by(request)), "Webhook enabled.")[1]
        )

    async def disable(self, request: Request) -> Response:
        return await self._action(
            request,
            lambda h: (
                self.hooks.disable_hook(h, by=self._by(request)),
                "Webhook disabled: new deliveries are held.",
            )[1],
        )

    async def release(self, request: Request) -> Response:
        return await self._action(request, lambda h: f"Released {_held(self.hooks.release_held(h))}.")

    async def discard(self, request: Request) -> Response:
        return await self._action(request, lambda h: f"Discarded {_held(self.hooks.discard_held(h))}.")

    async def delete(self, request: Request) -> Response:
        def delete(hook_id: str) -> tuple[str, str]:
            self.hooks.delete_hook(hook_id, by=self._by(request))
            return "/webhooks", "Webhook deleted with its delivery log."

        return await self._hook_button(request, delete)

    async def test(self, request: Request) -> Response:
        """Send a test delivery now; the hook's page then shows it (code, time, error)."""

        def test(hook_id: str) -> tuple[str, str]:
            result = self.hooks.test_hook(hook_id)
            return f"/webhooks/{hook_id}?{urlencode({'test': result.delivery_id})}", ""

        return await self._hook_button(request, test)

    async def replay(self, request: Request) -> Response:
        hook_id = request.path_params["id"]
        values = await self.web.form(request)
        if values is None:
            return self.web.csrf_failed(request)
        errors: dict[str, str] = {}
        args: dict[str, Any] = {}
        for key, name in (("after_id", "after_id"), ("to_id", "to_id")):
            raw = values.get(key, "").strip()
            if raw:
                number = whole_number(raw)
                if number is not None:
                    args[name] = number
                else:
                    errors[key] = f"Event ids are whole numbers, got {raw!r}."
        for key, end in (("replay_since", False), ("replay_until", True)):
            raw = values.get(key, "").strip()
            if raw:
                try:
                    args[key.removeprefix("replay_")] = parse_when(raw, end, self.web.zone(request).zone)
                except ValueError:
                    zone = self.web.zone(request).name
                    errors[key] = f"Dates look like 2026-11-27 or 2026-11-27T14:30 ({zone}), got {raw!r}."
        if not errors and not args:
            errors["after_id"] = "Give a range: events after an id, up to an id, or between two dates."
        if errors:
            return await self._show_errors(request, hook_id, errors, values)
        try:
            queued = await run_in_threadpool(lambda: self.hooks.replay(hook_id, **args))
        except ShotlogError as exc:
            if type(exc).__name__ == "WebhookNotFound":
                return self.web.not_found(request, f"There is no webhook {hook_id}.")
            return await self._show_errors(request, hook_id, {"after_id": str(exc)}, values)
        return self.web.redirect(f"/webhooks/{hook_id}", f"Replay queued {counted(queued, 'delivery')}.")

    async def _show_errors(
        self, request: Request, hook_id: str, errors: dict[str, str], values: dict[str, str]
    ) -> Response:
        return await self._show(request, hook_id, status=400, replay_errors=errors, replay_values=values)

    # -- deliveries ---------------------------------------------------------------------------------

    async def delivery(self, request: Request) -> Response:
        delivery_id = request.path_params["id"]

        def load() -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]]]:
            d = self.hooks.get_delivery(delivery_id)
            return d, self._load_hook(d["hook_id"]), self.hooks.delivery_attempts(delivery_id)

        try:
            delivery, hook, attempts = await run_in_threadpool(load)
        except WebhookNotFound:
            return self.web.not_found(request, f"There is no delivery {delivery_id}.")
        views = [attempt_view(n, a) for n, a in enumerate(attempts, start=1)]
        # newest first: the answer that decided the delivery's state is what a reader looks for
        views.reverse()
        return self.web.render(
            request,
            "delivery.html",
            d=delivery,
            row=delivery_row(delivery),
            hook=hook,
            attempts=views,
            pretty=_pretty,
        )

    async def redeliver(self, request: Request) -> Response:
        delivery_id = request.path_params["id"]
        if await self.web.form(request) is None:
            return self.web.csrf_failed(request)
        try:
            new_id = await run_in_threadpool(self.hooks.redeliver, delivery_id)
        except WebhookNotFound:
            return self.web.not_found(request, f"There is no delivery {delivery_id}.")
        return self.web.redirect(f"/webhooks/deliveries/{new_id}", "Redelivery queued.")


def _held(n: int) -> str:
    return counted(n, "held delivery")


def _pretty(text: Any) -> str:
    """JSON bodies indented; anything else as it is."""
    if not isinstance(text, str) or not text:
        return "" if text is None else str(text)
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _api_error(exc: ShotlogError, kind: str) -> dict[str, str]:
    """What the API refused at saving (the address policy, a project gone meanwhile), in words."""
    field = getattr(exc, "field", None) or exc.details.get("field")
    where, words = in_words(field, exc.message, kind)
    return {where: words}


def managers_only(who: Authority) -> str | None:
    """Why ``who`` may not use the webhook pages (``shotlog.access.authority``, as the webhooks REST API
    asks, with the rules the database holds now), or None when they may."""
    return webhook_refusal(who)
