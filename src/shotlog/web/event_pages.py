"""The event log pages: the filtered, sorted, paged list, its live feed, and one event."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shotlog.errors import ShotlogError
from shotlog.web.eventlist import (
    SCAN_WINDOW,
    add_thumbnails,
    choices,
    event_page,
    get_event,
    live_events,
    subject,
)
from shotlog.web.filters import PAGE_SIZES, SORTS, EventQuery, parse_event_query, whole_number
from shotlog.web.live_window import live_window
from shotlog.web.meta import describe_meta
from shotlog.web.pages import Web
from shotlog.web.render import templates

__all__ = ["EventPages", "export_query", "webhook_prefill"]


class EventPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    def _query(self, request: Request) -> tuple[EventQuery, dict[str, str]]:
        return parse_event_query(
            dict(request.query_params), set(self.web.store.catalog.schema.types), self.web.zone(request).zone
        )

    async def events(self, request: Request) -> Response:
        q, errors = self._query(request)

        def load() -> dict[str, Any]:
            amis = self.web.action_items(request, "EventLogEntry", q.project_id)
            window = live_window(self.web.store)
            if errors:
                return {"result": None, "choices": choices(self.web.store), "amis": amis, "window": window}
            result = event_page(self.web.store, q)
            add_thumbnails(result.rows, self.web.links(request))
            return {"result": result, "choices": choices(self.web.store), "amis": amis, "window": window}

        loaded = await run_in_threadpool(load)
        result = loaded["result"]
        return self.web.render(
            request,
            "events.html",
            400 if errors else 200,
            q=q,
            errors=errors,
            result=result,
            choices=loaded["choices"],
            sorts=SORTS,
            page_sizes=PAGE_SIZES,
            subject=subject,
            export=self._export_url(request, q),
            live_url=q.url("/events/live.json") if q.live and q.by_id and q.descending else "",
            amis=loaded["amis"],
            scan_window=SCAN_WINDOW,
            ami_query=json.dumps(export_query(q)),
            live_window=loaded["window"],
        )

    def _export_url(self, request: Request, q: EventQuery) -> tuple[str, str]:
        """The CSV export of the current filter (``/export/events.csv``, see docs/export.md), or
        why there is none: the export cannot filter on description text or attribute."""
        paths = {getattr(r, "path", "") for r in request.app.routes}
        if "/export/events.csv" not in paths:
            return "", "The CSV export is not installed on this server."
        if q.text or q.attribute:
            return "", "The CSV export cannot filter on description text or attribute; clear those filters."
        query = export_query(q)
        return "/export/events.csv" + (f"?{urlencode({'query': json.dumps(query)})}" if query else ""), ""

    async def live(self, request: Request) -> Response:
        q, errors = self._query(request)
        raw = request.query_params.get("head", "")
        after = whole_number(raw)
        if errors or after is None:
            problems = errors or {"head": f"head must be an event id, got {raw!r}"}
            return JSONResponse({"errors": problems}, status_code=400)

        def load() -> list[dict[str, Any]]:
            return add_thumbnails(live_events(self.web.store, q, after), self.web.links(request))

        try:
            rows = await run_in_threadpool(load)
        except ShotlogError as exc:
            return JSONResponse({"errors": {"filter": str(exc)}}, status_code=400)
        row = templates.get_template("_event_row.html")
        zone = self.web.zone(request)
        html = "".join(row.render(e=e, subject=subject, fresh=True, zone=zone) for e in rows)
        head = rows[0]["id"] if rows else after
        return JSONResponse({"head": head, "count": len(rows), "html": html})

    async def event(self, request: Request) -> Response:
        event_id = request.path_params["id"]

        def load() -> tuple[dict[str, Any] | None, int]:
            event = get_event(self.web.store, event_id)
            if event is not None:
                add_thumbnails([event], self.web.links(request))
            return event, self.web.store.head_event_id()

        event, head = await run_in_threadpool(load)
        if event is None:
            return self.web.not_found(request, f"There is no event {event_id}.")
        return self.web.render(
            request,
            "event.html",
            e=event,
            subject=subject(event),
            meta=describe_meta(event.get("meta")),
            head=head,
            webhook_url=webhook_prefill(event),
        )


def export_query(q: EventQuery) -> dict[str, Any]:
    """The export's filter (``shotlog.export.EventQuery`` as JSON) equal to the page's filters."""
    out: dict[str, Any] = {}
    if q.project_id is not None:
        out["project_ids"] = [q.project_id]
    if q.entity_type:
        out["entity_type"] = q.entity_type
        if q.entity_id is not None:
            out["entity_ids"] = [q.entity_id]
    if q.event_type:
        out["event_types"] = [p.strip() for p in q.event_type.split(",") if p.strip()]
    if q.user is not None:
        out["users"] = [list(q.user)]
    if q.date_from is not None:
        out["since"] = q.date_from.isoformat()
    if q.date_to is not None:
        out["until"] = q.date_to.isoformat()
    if q.id_from is not None:
        out["min_id"] = q.id_from
    if q.id_to is not None:
        out["max_id"] = q.id_to
    return out


def webhook_prefill(event: dict[str, Any]) -> str:
    """A link to the new-webhook form filled in from an event: its entity type and action, or its type."""
    event_type = str(event.get("event_type") or "")
    match = re.match(r"^Shotgun_([A-Za-z0-9]+)_(New|Change|Retirement|Revival)$", event_type)
    params: dict[str, str] = {"from_event": str(event["id"])}
    if match:
        action = {"New": "create", "Change": "update", "Retirement": "delete", "Revival": "revive"}
        params.update(entity_type=match.group(1), action=action[match.group(2)])
        if match.group(2) == "Change" and event.get("attribute_name"):
            params["fields"] = str(event["attribute_name"])
    else:
        params["event_type"] = event_type
    project = event.get("project")
    if isinstance(project, dict):
        params["projects"] = str(project["id"])
    return "/webhooks/new?" + urlencode(params)
