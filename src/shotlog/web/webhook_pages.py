"""Webhook administration pages, built on the webhooks Python API (``shotlog.webhooks.api``).

List with status and performance badges; create and edit forms with every option; enable,
disable, delete; test connection with its result; the delivery log with filters, one delivery's
full request and response, redeliver, replay a range of events, release or discard held
deliveries. Every action is a POST with the session's CSRF token, and every change goes through
the API, which validates completely before writing (nothing is half-saved). Who may use these
pages is ``shotlog.authority``'s decision, the same one the webhooks REST API asks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.authority import Authority, webhook_refusal
from shotlog.errors import ShotlogError
from shotlog.web.filters import whole_number
from shotlog.web.webhook_form import ACTIONS, form_field, form_from_hook, form_from_query, parse_hook_form

if TYPE_CHECKING:
    from shotlog.connection import Shotlog
    from shotlog.web.routes import Web

__all__ = ["performance_badges", "status_badge", "webhook_routes"]

Handler = Callable[[Request], Awaitable[Response]]
DELIVERY_PAGE = 50
DELIVERY_STATUSES = ("delivered", "failed", "pending", "held", "discarded")
#: FPTR's thresholds (webhooks reference §7.4): mean response above 0.5 s is slow; processing time
#: over the events' time span above 10 % of the budget is heavy load, above 50 % very heavy
SLOW_MEAN_SECONDS = 0.5
HEAVY_RATIO, VERY_HEAVY_RATIO = 0.10, 0.50
LOAD_MIN_SPAN = 60.0
_STATUS_CLASS = {"active": "ok", "unstable": "warn", "failed": "bad", "disabled": "muted"}


def status_badge(status: str) -> tuple[str, str]:
    """(label, css modifier) of a hook status."""
    return status, _STATUS_CLASS.get(status, "muted")


def performance_badges(metrics: dict[str, Any]) -> list[tuple[str, str, str]]:
    """FPTR's load badges from ``performance_metrics``: (label, css modifier, explanation).

    Load is response time over the time the events spanned; a burst inside one minute is measured
    against a whole minute (the unit of FPTR's budget), so four quick deliveries in the same
    second are not "heavy load".
    """
    out: list[tuple[str, str, str]] = []
    mean = metrics.get("mean_process_time")
    if isinstance(mean, int | float) and mean > SLOW_MEAN_SECONDS:
        out.append(("Slow response", "warn", f"mean response time {mean * 1000:.0f} ms (over 500 ms)"))
    total, span = metrics.get("process_time_sum"), metrics.get("event_time_span")
    if isinstance(total, int | float) and isinstance(span, int | float):
        ratio = total / max(float(span), LOAD_MIN_SPAN)
        if ratio > VERY_HEAVY_RATIO:
            out.append(("Very heavy load", "bad", f"receiver busy {ratio:.0%} of the time (over 50 %)"))
        elif ratio > HEAVY_RATIO:
            out.append(("Heavy load", "warn", f"receiver busy {ratio:.0%} of the time (over 10 %)"))
    return out


def _parse_when(value: str, end: bool) -> dt.datetime:
    """A form date (``YYYY-MM-DD`` or with ``THH:MM``) as naive UTC; an end date includes its day."""
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d" and end:
            parsed += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
        return parsed
    raise ValueError(value)


@dataclass
class DeliveryQuery:
    status: str | None = None
    entity_type: str | None = None
    entity_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    acknowledgement: str | None = None
    page: int = 1


def parse_delivery_query(
    params: dict[str, str], entity_types: set[str] | None = None
) -> tuple[DeliveryQuery, dict[str, str]]:
    """The delivery filters of a hook's page, and a message per form field that is not acceptable."""
    q, errors = DeliveryQuery(), {}
    status = params.get("status", "").strip()
    if status:
        if status in DELIVERY_STATUSES:
            q.status = status
        else:
            errors["status"] = f"Status must be one of {', '.join(DELIVERY_STATUSES)}, got {status!r}."
    q.entity_type = params.get("entity_type", "").strip() or None
    if q.entity_type and entity_types is not None and q.entity_type not in entity_types:
        errors["entity_type"] = f"Unknown entity type {q.entity_type!r}."
    entity_id = params.get("entity_id", "").strip()
    if entity_id:
        number = whole_number(entity_id)
        if number is not None and number > 0:
            q.entity_id = number
        else:
            errors["entity_id"] = f"Entity id must be a positive whole number, got {entity_id!r}."
    for key, end in (("since", False), ("until", True)):
        value = params.get(key, "").strip()
        if value:
            try:
                setattr(q, key, _parse_when(value, end))
            except ValueError:
                errors[key] = f"Dates look like 2026-11-27 or 2026-11-27T14:30, got {value!r}."
    q.acknowledgement = params.get("acknowledgement", "").strip() or None
    page = params.get("page", "1")
    number = whole_number(page)
    if number is not None and 1 <= number <= 10_000:
        q.page = number
    else:
        errors["page"] = f"There is no page {page!r}."
    return q, errors


class WebhookPages:
    def __init__(self, web: Web) -> None:
        from shotlog.webhooks.api import Webhooks

        self.web = web
        self.hooks = Webhooks(web.store)

    # -- helpers ------------------------------------------------------------------------------------

    def _form_context(self) -> dict[str, Any]:
        from shotlog.eventlog.global_events import written_global_types
        from shotlog.webhooks.hooks import GLOBAL_EVENT_TYPES, excluded_type

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

    def _load_hook(self, hook_id: str) -> dict[str, Any] | None:
        from shotlog.webhooks.api import WebhookNotFound

        try:
            return self.hooks.get_hook(hook_id)
        except WebhookNotFound:
            return None

    def _by(self, request: Request) -> Shotlog:
        """The signed-in user's view of the store: the Shotgun_Webhook_* events name them."""
        user = request.state.user
        return self.web.store.as_user({"type": user.type, "id": user.id})

    async def _post(self, request: Request) -> tuple[dict[str, str], list[str]] | None:
        data = await request.form()
        from shotlog.web import sessions

        values = {k: v for k, v in data.items() if isinstance(v, str)}
        if not sessions.check_csrf(request, values.get("csrf")):
            return None
        projects = [v for v in data.getlist("projects") if isinstance(v, str)]
        return values, projects

    # -- list, create, edit -------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        status = request.query_params.get("status", "")
        if status and status not in _STATUS_CLASS:
            return self.web.render(
                request,
                "webhooks.html",
                400,
                hooks=[],
                status_filter=status,
                status_classes=_STATUS_CLASS,
                error=f"Status must be one of {', '.join(_STATUS_CLASS)}, got {status!r}.",
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
            status_classes=_STATUS_CLASS,
            error="",
        )

    async def new(self, request: Request) -> Response:
        form = form_from_query(dict(request.query_params))
        return await self._render_form(request, form, {}, None, 200)

    async def create(self, request: Request) -> Response:
        posted = await self._post(request)
        if posted is None:
            return self.web.csrf_failed(request)
        form, body, errors = parse_hook_form(*posted)
        if errors:
            return await self._render_form(request, form, errors, None, 400)
        try:
            hook = await run_in_threadpool(lambda: self.hooks.create_hook(body, by=self._by(request)))
        except ShotlogError as exc:
            return await self._render_form(request, form, _api_error(exc), None, 400)
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
        if errors:
            return await self._render_form(request, form, errors, hook, 400)
        try:
            updated = await run_in_threadpool(
                lambda: self.hooks.update_hook(hook_id, body, by=self._by(request))
            )
        except ShotlogError as exc:
            return await self._render_form(request, form, _api_error(exc), hook, 400)
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
        q, errors = parse_delivery_query(params, set(self.web.store.catalog.schema.types))

        def load() -> tuple[dict[str, Any] | None, Any, dict[str, Any] | None]:
            hook = self._load_hook(hook_id)
            if hook is None:
                return None, None, None
            test = self._test_delivery(hook_id, test_id) if test_id else None
            page = None
            if not errors:
                page = self.hooks.list_deliveries(
                    hook_id,
                    status=q.status,
                    entity_type=q.entity_type,
                    entity_id=q.entity_id,
                    since=q.since,
                    until=q.until,
                    acknowledgement=q.acknowledgement,
                    page=q.page,
                    page_size=DELIVERY_PAGE,
                )
            recent = self.hooks.list_deliveries(hook_id, page_size=100)
            hook["badges"] = performance_badges(recent.performance_metrics)
            hook["metrics"] = recent.performance_metrics
            self._with_projects([hook])
            return hook, page, test

        hook, page, test = await run_in_threadpool(load)
        if hook is None:
            return self.web.not_found(request, f"There is no webhook {hook_id}.")
        filters = {k: v for k, v in params.items() if k != "page" and v}
        return self.web.render(
            request,
            "webhook.html",
            400 if errors else status,
            hook=hook,
            deliveries=page,
            q=q,
            params=params,
            errors=errors,
            secret=secret,
            test=test,
            replay_errors=replay_errors or {},
            replay_values=replay_values or {},
            statuses=DELIVERY_STATUSES,
            page_url=lambda n: f"/webhooks/{hook_id}?" + urlencode({**filters, "page": n}),
            status_badge=status_badge,
        )

    def _test_delivery(self, hook_id: str, delivery_id: str) -> dict[str, Any] | None:
        """A test delivery of this hook, to show its outcome (None if it is not one)."""
        from shotlog.webhooks.api import WebhookNotFound

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
        from shotlog.webhooks.api import WebhookNotFound

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
                    args[key.removeprefix("replay_")] = _parse_when(raw, end)
                except ValueError:
                    errors[key] = f"Dates look like 2026-11-27 or 2026-11-27T14:30, got {raw!r}."
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
        noun = "delivery" if queued == 1 else "deliveries"
        return self.web.redirect(f"/webhooks/{hook_id}", f"Replay queued {queued} {noun}.")

    async def _show_errors(
        self, request: Request, hook_id: str, errors: dict[str, str], values: dict[str, str]
    ) -> Response:
        return await self._show(request, hook_id, status=400, replay_errors=errors, replay_values=values)

    # -- deliveries ---------------------------------------------------------------------------------

    async def delivery(self, request: Request) -> Response:
        from shotlog.webhooks.api import WebhookNotFound

        delivery_id = request.path_params["id"]

        def load() -> tuple[dict[str, Any], dict[str, Any] | None]:
            d = self.hooks.get_delivery(delivery_id)
            return d, self._load_hook(d["hook_id"])

        try:
            delivery, hook = await run_in_threadpool(load)
        except WebhookNotFound:
            return self.web.not_found(request, f"There is no delivery {delivery_id}.")
        return self.web.render(
            request,
            "delivery.html",
            d=delivery,
            hook=hook,
            request_body=_pretty(delivery.get("request_body")),
            response_body=_pretty(delivery.get("response_body")),
        )

    async def redeliver(self, request: Request) -> Response:
        from shotlog.webhooks.api import WebhookNotFound

        delivery_id = request.path_params["id"]
        if await self.web.form(request) is None:
            return self.web.csrf_failed(request)
        try:
            new_id = await run_in_threadpool(self.hooks.redeliver, delivery_id)
        except WebhookNotFound:
            return self.web.not_found(request, f"There is no delivery {delivery_id}.")
        return self.web.redirect(f"/webhooks/deliveries/{new_id}", "Redelivery queued.")


def _held(n: int) -> str:
    return f"{n} held delivery" if n == 1 else f"{n} held deliveries"


def _pretty(text: Any) -> str:
    """JSON bodies indented; anything else as it is."""
    if not isinstance(text, str) or not text:
        return "" if text is None else str(text)
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _api_error(exc: ShotlogError) -> dict[str, str]:
    field = getattr(exc, "field", None) or exc.details.get("field")
    return {form_field(field): str(exc)}


def _managers_only(web: Web, handler: Handler) -> Handler:
    """A page for the people who may manage webhooks (the caller has signed the user in)."""

    async def page(request: Request) -> Response:
        user = request.state.user
        refusal = webhook_refusal(Authority(user.type, user.id, user.permission_rule_set))
        if refusal is not None:
            return web.forbidden(request, refusal)
        return await handler(request)

    return page


def webhook_routes(web: Web) -> list[tuple[str, Handler, tuple[str, ...]]]:
    """The webhook pages, each refusing who may not manage webhooks (the caller wraps each as a
    signed-in page). Empty without the webhooks package."""
    try:
        import shotlog.webhooks.api  # noqa: F401
    except ImportError:
        return []
    pages = WebhookPages(web)
    routes: list[tuple[str, Handler, tuple[str, ...]]] = [
        ("/webhooks", pages.index, ("GET",)),
        ("/webhooks/new", pages.new, ("GET",)),
        ("/webhooks/new", pages.create, ("POST",)),
        ("/webhooks/deliveries/{id}", pages.delivery, ("GET",)),
        ("/webhooks/deliveries/{id}/redeliver", pages.redeliver, ("POST",)),
        ("/webhooks/{id}", pages.show, ("GET",)),
        ("/webhooks/{id}/edit", pages.edit, ("GET",)),
        ("/webhooks/{id}/edit", pages.update, ("POST",)),
        ("/webhooks/{id}/enable", pages.enable, ("POST",)),
        ("/webhooks/{id}/disable", pages.disable, ("POST",)),
        ("/webhooks/{id}/delete", pages.delete, ("POST",)),
        ("/webhooks/{id}/test", pages.test, ("POST",)),
        ("/webhooks/{id}/release", pages.release, ("POST",)),
        ("/webhooks/{id}/discard", pages.discard, ("POST",)),
        ("/webhooks/{id}/replay", pages.replay, ("POST",)),
    ]
    return [(path, _managers_only(web, handler), methods) for path, handler, methods in routes]
