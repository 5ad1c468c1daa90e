"""HTTP routes of Action Menu Items and event export (the web UI calls these; docs/export.md).

    GET  /api/v1/action_menu_items?entity_type=Shot[&project_id=3]   the items a page shows
    POST /api/v1/action_menu_items/{id}/trigger                       trigger one (JSON or form body)
    GET|POST /export/events.csv, /export/events.jsonl                 stream an export of a filter
    GET  /api/v1/archive/segments                                     archived segments (admins)
    GET  /api/v1/archive/download?month=2024-03&format=csv            stream archived events (admins)

Authentication (``server.principals``): the web UI's session cookie (a POST must then carry its
CSRF token in ``X-CSRF-Token`` or a ``csrf_token`` field), or ``Authorization: Bearer`` with a REST
access token or an api3 session token. Errors answer in the REST envelope ``{"errors": [...]}``
(``server.responses``) with a 4xx status that names the parameter and value; nothing is streamed
until every input has been checked. The URL map is ``server.app``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from anyio import from_thread
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from shotlog.accounts.credentials import Principal
from shotlog.actions import (
    TriggerContext,
    check_deliverable,
    deliver,
    form_fields,
    ids_from,
    menu_items,
    query_from_dict,
    trigger,
)
from shotlog.archive import Archive
from shotlog.connection import Shotlog
from shotlog.export import Export, StoreSource
from shotlog.export.query import EventQuery
from shotlog.server.principals import Principals
from shotlog.server.responses import HttpError, error_response
from shotlog.webhooks.netguard import AddressPolicy
from shotlog.webhooks.settings import WebhookSettings

__all__ = ["ARCHIVE_READERS", "ActionsApi"]

log = logging.getLogger("shotlog.actions")


_PARAMETER_DETAILS = ("option", "field", "parameter")


def _int(value: Any, name: str, *, required: bool = False) -> int | None:
    if value in (None, ""):
        if required:
            raise HttpError(400, f"{name} is required", source={"parameter": name})
        return None
    # an int, or ASCII digits (int() would also take "+5", " 5", "5_0" and other scripts' digits)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = 0
    if not 1 <= number < 2**63:
        raise HttpError(400, f"{name} must be a positive integer, got {value!r}", source={"parameter": name})
    return number


class ActionsApi:
    """The handlers; ``policy`` defaults to the webhook settings' (``SHOTLOG_WEBHOOKS_ALLOW_PRIVATE``,
    ``SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS``), so one setting governs every request shotlog sends."""

    def __init__(self, principals: Principals, policy: AddressPolicy | None = None) -> None:
        self.store = principals.store
        self.principals = principals
        #: the addresses server-side delivery may reach: the webhooks' policy, for every principal
        self.policy = policy or WebhookSettings.for_server().policy

    # -- plumbing -------------------------------------------------------------------------------------

    def endpoint(
        self, handler: Callable[[Request, Principal, dict[str, Any]], Any]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                body = await self._body(request)
                principal = await run_in_threadpool(self._principal, request, body)
                result = await run_in_threadpool(handler, request, principal, body)
                return result if isinstance(result, Response) else JSONResponse(result)
            except Exception as exc:
                # The export's options are these routes' parameters, so an option or field is
                # named as one.
                return error_response(
                    exc, log, f"{request.method} {request.url.path}", as_parameter=_PARAMETER_DETAILS
                )

        return run

    async def _body(self, request: Request) -> dict[str, Any]:
        """Query parameters, overlaid by a JSON or form body (lists kept for repeated fields)."""
        data: dict[str, Any] = {}
        for key in request.query_params:
            values = request.query_params.getlist(key)
            data[key] = values if len(values) > 1 else values[0]
        if request.method != "POST":
            return data
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                form = await request.form()
            except (HTTPException, MultiPartException) as exc:
                # a multipart body without a boundary, or one that does not parse (Starlette's 400,
                # which would otherwise end as a 500 here): the client's fault, named as such
                why = exc.detail if isinstance(exc, HTTPException) else exc.message
                raise HttpError(
                    400, f"the request body is not a valid {kind} form: {why}", source={"parameter": "body"}
                ) from None
            for key in form:
                fields = [v for v in form.getlist(key) if isinstance(v, str)]
                data[key] = (
                    fields if len(fields) > 1 or key in ("cols", "column_display_names") else fields[0]
                )
            return data
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise HttpError(400, f"the request body is not valid JSON: {exc}") from None
            if not isinstance(body, dict):
                raise HttpError(400, f"the request body must be a JSON object, got {type(body).__name__}")
            data.update(body)
        return data

    def _principal(self, request: Request, body: Mapping[str, Any]) -> Principal:
        return self.principals.bearer_or_session(
            request, request.headers.get("x-csrf-token") or body.get("csrf_token")
        )

    # -- handlers -------------------------------------------------------------------------------------

    def list_items(self, request: Request, principal: Principal, data: dict[str, Any]) -> Any:
        entity_type = data.get("entity_type")
        if not isinstance(entity_type, str) or not entity_type:
            raise HttpError(
                400, "entity_type is required (the type of the page)", source={"parameter": "entity_type"}
            )
        project_id = _int(data.get("project_id"), "project_id")
        items = menu_items(self.store, entity_type, project_id, principal.link())
        return {"data": items}

    def trigger_item(self, request: Request, principal: Principal, data: dict[str, Any]) -> Any:
        item_id = _int(request.path_params["id"], "id", required=True)
        assert item_id is not None
        entity_type = data.get("entity_type")
        if not isinstance(entity_type, str) or not entity_type:
            raise HttpError(
                400, "entity_type is required (the type of the page)", source={"parameter": "entity_type"}
            )
        query = data.get("query") or {}
        if isinstance(query, str):
            try:
                query = json.loads(query)
            except ValueError:
                raise HttpError(
                    400,
                    f"query must be a JSON object of filters, got {query!r}",
                    source={"parameter": "query"},
                ) from None

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            return tuple(str(v) for v in (value if isinstance(value, list | tuple) else [value]))

        ctx = TriggerContext(
            entity_type=entity_type,
            selected_ids=ids_from(data.get("selected_ids"), "selected_ids"),
            ids=ids_from(data.get("ids"), "ids"),
            page_id=_int(data.get("page_id"), "page_id"),
            project_id=_int(data.get("project_id"), "project_id"),
            cols=strings("cols"),
            column_display_names=strings("column_display_names"),
            sort_column=data.get("sort_column"),
            sort_direction=data.get("sort_direction"),
            grouping_column=data.get("grouping_column"),
            grouping_direction=data.get("grouping_direction"),
            grouping_method=data.get("grouping_method"),
            title=data.get("title"),
            referrer_path=data.get("referrer_path") or request.headers.get("referer"),
            server_hostname=request.url.hostname,
            session_uuid=data.get("session_uuid"),
            query=query,
        )
        fmt = data.get("format", "csv")
        columns = data.get("columns")
        deliver_on_server = data.get("deliver") not in (None, "")
        if deliver_on_server and data.get("deliver") != "server":
            raise HttpError(
                400,
                f'deliver must be "server" (or left out), got {data.get("deliver")!r}',
                source={"parameter": "deliver"},
            )
        result = trigger(
            self.store,
            item_id,
            ctx,
            principal.link(),
            principal.login,
            before_post=(lambda url: check_deliverable(url, self.policy)) if deliver_on_server else None,
        )
        if result.action == "export":
            assert result.query is not None
            view = self.principals.view(principal)
            export = Export(StoreSource(view), _visible_events(view, result.query), columns, fmt)
            return _stream(export, "events")
        out: dict[str, Any] = {
            "action": "post",
            "url": result.item.get("url"),
            "payload": result.payload,
            "form": form_fields(result.payload),
            "event_id": result.event_id,
        }
        if deliver_on_server:
            # on the server's event loop (this handler runs in a worker thread), as webhooks do
            posted = from_thread.run(deliver, str(result.item.get("url")), result.payload, self.policy)
            out.update(action="posted", status=posted.status, response=posted.excerpt, error=posted.error)
        return out

    def archive_segments(self, request: Request, principal: Principal, data: dict[str, Any]) -> Any:
        _archive_reader(self.principals.view(principal))
        archive = Archive(self.store)
        purged = str(data.get("all", "false")).lower() in ("1", "true", "yes")
        return {
            "data": [s.as_dict() for s in archive.segments(include_purged=purged)],
            "live_floor": archive.live_floor(),
        }

    def archive_download(self, request: Request, principal: Principal, data: dict[str, Any]) -> Any:
        """``?month=2024-03`` (repeatable) or ``?segment=4``, ``format=csv|jsonl``, ``columns``, filters."""
        _archive_reader(self.principals.view(principal))
        fmt = data.get("format", "csv")
        months = data.get("month") or []
        months = [months] if isinstance(months, str) else list(months)
        segments = list(ids_from(data.get("segment"), "segment"))
        options = ("format", "month", "segment", "columns", "bom", "raw_csv")
        filters = {k: v for k, v in data.items() if k not in options}
        for key in ("project_ids", "entity_ids", "ids"):
            if isinstance(filters.get(key), str):
                filters[key] = list(ids_from(filters[key], key))
        archive = Archive(self.store)
        if not archive.policy.url:
            raise HttpError(409, "no archive is configured (SHOTLOG_ARCHIVE_URL)")
        archive.storage.check()
        export = archive.download(
            fmt,
            months=months,
            segment_ids=segments,
            query=query_from_dict(filters),
            columns=data.get("columns"),
            neutralise=not _flag(data, "raw_csv"),
        )
        stem = "archive-" + ("-".join(months) if months else "events")
        return _stream(export, stem)

    def export_events(self, request: Request, principal: Principal, data: dict[str, Any]) -> Any:
        fmt = "jsonl" if request.url.path.endswith(".jsonl") else "csv"
        filters = data.get("query")
        if filters is None:
            # Flat parameters (?project_ids=1&event_types=Shotgun_Shot_*): everything but the options.
            options = ("columns", "csrf_token", "bom", "limit", "raw_csv")
            filters = {k: v for k, v in data.items() if k not in options}
            for key in ("project_ids", "entity_ids", "ids"):
                if isinstance(filters.get(key), str):
                    filters[key] = list(ids_from(filters[key], key))
            for key in ("min_id", "max_id"):
                if key in filters:
                    filters[key] = _int(filters[key], key)
        elif isinstance(filters, str):
            try:
                filters = json.loads(filters)
            except ValueError:
                raise HttpError(
                    400, "query must be a JSON object of filters", source={"parameter": "query"}
                ) from None
        query = query_from_dict(filters)
        limit = _int(data.get("limit"), "limit")
        bom = str(data.get("bom", "true")).lower() not in ("0", "false", "no")
        view = self.principals.view(principal)
        export = Export(
            StoreSource(view),
            _visible_events(view, query),
            data.get("columns"),
            fmt,
            bom=bom,
            neutralise=not _flag(data, "raw_csv"),
            limit=limit,
        )
        return _stream(export, "events")


def _visible_events(view: Shotlog, query: EventQuery) -> EventQuery:
    """``query`` kept to the projects a restricted permission set (Vendor, Client) belongs to: the
    export reads the log with its own SQL, so the condition ``find`` adds is added here."""
    projects = view.visible_projects()
    if projects is None:
        return query
    wanted = [p for p in (query.project_ids or projects) if p in projects]
    # an id no project has when none is left (an empty list would mean every project)
    return dataclasses.replace(query, project_ids=tuple(wanted) or (2**62,))


def _flag(data: dict[str, Any], key: str) -> bool:
    """A yes/no query parameter, off unless given as 1, true or yes (``?raw_csv=1``)."""
    return str(data.get(key, "")).lower() in ("1", "true", "yes")


#: permission groups that may read the archive (FPTR: the admin menu's "Archived Data")
ARCHIVE_READERS = ("Admin", "Manager", "API Admin")


def _archive_reader(view: Shotlog) -> None:
    """The archive's reader: a permission set with read_archive (Admin, Manager, API Admin by default)."""
    if not view.authority().can("read_archive"):
        raise HttpError(
            403,
            f"the archive is for the {', '.join(ARCHIVE_READERS)} permission groups",
            source={"parameter": "user"},
        )


def _stream(export: Export, stem: str) -> StreamingResponse:
    """The export as a download; the generator runs in the thread pool, a page at a time."""
    return StreamingResponse(
        export.chunks(),
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(stem)}"',
            "Cache-Control": "no-store",
        },
    )
