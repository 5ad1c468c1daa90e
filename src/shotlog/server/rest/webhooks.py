"""FPTR's webhook management endpoints under ``/api/v1/webhook``.

Same requests, responses and errors as FPTR (webhooks reference §3): hooks are addressed by UUID,
bad fields answer 400 with code 103 and ``source: {field: [message]}``, unknown hooks 404 with code
104 (103 when the id is not a UUID). They use the REST API's access tokens and error envelope
(``rest.endpoint``, ``server.responses``), and every one of them is for the principals
``shotlog.access.authority`` lets manage webhooks (the web UI's pages ask the same question): anyone else
gets a 403 before anything is read or changed. Differences, each closing a documented FPTR gap:
``test_connection`` on an unknown hook is a 404, and its 204 carries what the receiver answered in
``X-Shotlog-Test-*`` headers; ``redeliver`` answers ``Location`` with the new delivery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from shotlog.access.authority import Authority, webhook_refusal
from shotlog.connection import Shotlog
from shotlog.errors import PermissionDenied, ValidationError
from shotlog.server.responses import HttpError, json_response
from shotlog.server.rest import shapes
from shotlog.server.rest.endpoint import Handler
from shotlog.webhooks.api import WebhookNotFound, Webhooks
from shotlog.webhooks.hooks import HookInvalid
from shotlog.webhooks.settings import WebhookSettings

__all__ = ["BASE", "WebhookRoutes"]

BASE = f"{shapes.BASE}/webhook"
PAGE_SIZE = 500
MAX_PAGE_SIZE = 500


def _invalid(field: str, message: str) -> HttpError:
    """FPTR's 400: a generic title, the message under the offending field in ``source``."""
    return HttpError(400, "Request Parameters invalid.", code=103, source={field: [message]}, detail=message)


def _not_found(exc: WebhookNotFound) -> HttpError:
    return HttpError(404, exc.message, code=104 if exc.valid_id else 103)


def _caller(view: Shotlog) -> Authority:
    """The caller as ``shotlog.access.authority`` sees it, its permission set and that set's rules
    read now: a set taken away, or a rule changed, takes effect on the next request."""
    if view.actor.type is None:
        return Authority(None, None, None)
    return view.authority()


class WebhookRoutes:
    """The handlers of ``/api/v1/webhook``; ``guarded`` makes one a REST handler (``rest.endpoint``)."""

    def __init__(self, store: Shotlog, settings: WebhookSettings | None = None) -> None:
        # the settings default to the server's (SHOTLOG_WEBHOOKS_*)
        self.api = Webhooks(store, settings or WebhookSettings.for_server())

    def guarded(self, fn: Callable[[Request], Any]) -> Handler:
        """``fn`` for the principals who may manage webhooks, its failures in FPTR's shapes."""

        def handler(request: Request, view: Shotlog) -> Any:
            refusal = webhook_refusal(_caller(view))
            if refusal is not None:
                raise PermissionDenied(refusal)  # the REST envelope's 403
            request.state.view = view  # who is calling: the Shotgun_Webhook_* events name them
            try:
                return fn(request)
            except HookInvalid as exc:
                raise _invalid(exc.field, exc.message) from None
            except ValidationError as exc:  # the URL checks name their field in details
                field = exc.details.get("field")
                raise _invalid(field if isinstance(field, str) else "body", exc.message) from None
            except WebhookNotFound as exc:
                raise _not_found(exc) from None

        return handler

    def _body(self, request: Request, *, required: bool) -> Any:
        ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        raw: bytes = request.state.body
        if raw.strip() and ctype != "application/json":
            raise HttpError(415, f"Content-Type must be application/json, got {ctype!r}", code=103)
        if not raw.strip():
            if required:
                raise HookInvalid("body", "ensure_field_present: the request needs a JSON object body")
            return {}
        import json

        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise HookInvalid("body", "The request body is not valid JSON") from None
        if not isinstance(body, Mapping):
            raise HookInvalid("body", "The request body must be a JSON object")
        return body

    def _page(self, request: Request) -> tuple[int, int]:
        params = request.query_params
        out = []
        for key, default, top in (("page[number]", 1, 1_000_000), ("page[size]", PAGE_SIZE, MAX_PAGE_SIZE)):
            raw = params.get(key)
            if raw is None:
                out.append(default)
                continue
            # ASCII digits: str.isdigit() takes other scripts' digits too (the document says integer)
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not 1 <= int(raw) <= top:
                raise HookInvalid(key, f"{key} must be an integer from 1 to {top}, got {raw!r}")
            out.append(int(raw))
        return out[0], out[1]

    def _links(self, request: Request, number: int, size: int, has_next: bool) -> dict[str, Any]:
        kept = [(k, v) for k, v in request.query_params.multi_items() if not k.startswith("page[")]

        def link(n: int) -> str:
            query = urlencode([*kept, ("page[number]", str(n)), ("page[size]", str(size))])
            return f"{request.url.path}?{query}"

        return {"self": link(number), "next": link(number + 1) if has_next else None}

    # -- hooks --------------------------------------------------------------------------------------

    def list_hooks(self, request: Request) -> Any:
        number, size = self._page(request)
        status = request.query_params.get("status")
        if status is not None and status not in ("active", "unstable", "failed", "disabled"):
            return {"data": [], "links": self._links(request, number, size, False)}
        hooks, has_next = self.api.list_hooks(status, page=number, page_size=size)
        url = request.query_params.get("url")
        if url is not None:
            hooks = [h for h in hooks if h["url"] == url]
        return {"data": hooks, "links": self._links(request, number, size, has_next)}

    def create_hook(self, request: Request) -> Any:
        hook = self.api.create_hook(self._body(request, required=True), by=request.state.view)
        return json_response({"data": hook, "links": {"self": f"{BASE}/hooks/{hook['id']}"}}, 201)

    def read_hook(self, request: Request) -> Any:
        hook = self.api.get_hook(request.path_params["hook"])
        return {"data": hook, "links": {"self": request.url.path}}

    def update_hook(self, request: Request) -> Any:
        body = self._body(request, required=False)
        if not body:
            raise HookInvalid("body", "ensure_field_present: the request body has no field to update")
        hook = self.api.update_hook(request.path_params["hook"], body, by=request.state.view)
        return {"data": hook, "links": {"self": request.url.path}}

    def delete_hook(self, request: Request) -> Any:
        self.api.delete_hook(request.path_params["hook"], by=request.state.view)
        return Response(status_code=204)

    def test_connection(self, request: Request) -> Any:
        result = self.api.test_hook(request.path_params["hook"])
        headers = {
            "X-Shotlog-Test-Ok": "true" if result.ok else "false",
            "X-Shotlog-Test-Response-Code": str(result.response_code or 0),
            "X-Shotlog-Test-Latency-Ms": f"{result.latency_ms:.1f}",
            "X-Shotlog-Test-Delivery-Id": result.delivery_id,
        }
        if result.error:
            headers["X-Shotlog-Test-Error"] = result.error.encode("ascii", "replace").decode()[:500]
        return Response(status_code=204, headers=headers)

    # -- deliveries ---------------------------------------------------------------------------------

    def list_deliveries(self, request: Request) -> Any:
        number, size = self._page(request)
        params = request.query_params
        status = params.get("status")
        if status is not None and status not in ("delivered", "failed", "pending", "held", "discarded"):
            raise HookInvalid("status", "status must be one of: delivered, failed, pending, held, discarded")
        entity_id = params.get("entity_id")
        if entity_id is not None and not (
            entity_id.isascii() and entity_id.isdigit() and len(entity_id) <= 19 and int(entity_id) < 2**63
        ):
            raise HookInvalid("entity_id", f"entity_id must be an integer, got {entity_id[:40]!r}")
        page = self.api.list_deliveries(
            request.path_params["hook"],
            status=status,
            entity_type=params.get("entity_type"),
            entity_id=int(entity_id) if entity_id is not None else None,
            since=_unix_param(params, "from"),
            until=_unix_param(params, "to"),
            acknowledgement=params.get("acknowledgement"),
            page=number,
            page_size=size,
        )
        return {
            "data": page.deliveries,
            "included": [],
            "performance_metrics": page.performance_metrics,
            "links": self._links(request, number, size, page.has_next),
        }

    def read_delivery(self, request: Request) -> Any:
        delivery = self.api.get_delivery(request.path_params["delivery"])
        return {"data": delivery, "links": {"self": request.url.path}}

    def acknowledge(self, request: Request) -> Any:
        body = self._body(request, required=False)
        delivery_id = request.path_params["delivery"]
        if "acknowledgement" in body:
            delivery = self.api.acknowledge(delivery_id, body["acknowledgement"])
        else:  # FPTR answers 200 to an empty body or unknown keys, changing nothing
            delivery = self.api.get_delivery(delivery_id)
        return {"data": delivery, "links": {"self": request.url.path}}

    def redeliver(self, request: Request) -> Any:
        new = self.api.redeliver(request.path_params["delivery"])
        return Response(status_code=204, headers={"Location": f"{BASE}/deliveries/{new}"})


def _unix_param(params: Mapping[str, str], key: str) -> dt.datetime | None:
    raw = params.get(key)
    if raw is None:
        return None
    try:
        seconds = float(raw)
        return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise HookInvalid(key, f"{key} must be a unix time in seconds, got {raw!r}") from None
