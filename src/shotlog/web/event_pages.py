"""The event log pages: the filtered, sorted, paged list, its live feed, and one event."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError
from shotlog.site import event_log_view
from shotlog.web.eventlist import (
    MAX_OFFSET,
    SCAN_WINDOW,
    EventPage,
    add_thumbnails,
    choices,
    event_page,
    get_event,
    live_events,
    scan_bounded,
    subject,
)
from shotlog.web.filters import PAGE_SIZES, SORTS, EventQuery, parse_event_query, whole_number
from shotlog.web.live_window import live_window
from shotlog.web.meta import describe_meta
from shotlog.web.orientation import page_count, page_text, range_text
from shotlog.web.pages import Web
from shotlog.web.render import templates

__all__ = ["EventPages", "export_query", "webhook_prefill"]


class EventPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    def _reader(self, request: Request) -> Shotlog:
        """The signed-in user's view: the event log shows what their permission set may read."""
        return self.web.view(request.state.user)

    def _query(self, request: Request) -> tuple[EventQuery, dict[str, str]]:
        return parse_event_query(
            dict(request.query_params),
            set(self.web.store.catalog.schema.types),
            self.web.zone(request).zone,
            hide_setup=event_log_view.hides_setup(self.web.store),
        )

    async def events(self, request: Request) -> Response:
        q, errors = await run_in_threadpool(self._query, request)
        jumps: dict[str, str] = {}
        jump_status = 400
        if "page" in errors:  # the jump form's field: its message goes beside it, the list still shows
            jumps["page"] = errors.pop("page")
        if (
            not errors
            and not jumps
            and ("goto" in request.query_params or ("page" in request.query_params and q.by_id))
        ):
            target, jumps, jump_status = await run_in_threadpool(self._jump, request, q)
            if target:
                return RedirectResponse(target, status_code=303)

        def load() -> dict[str, Any]:
            amis = self.web.action_items(request, "EventLogEntry", q.project_id)
            window = live_window(self.web.store)
            reader = self._reader(request)
            if errors:
                return {"result": None, "choices": choices(reader), "amis": amis, "window": window}
            result = event_page(reader, q)
            add_thumbnails(result.rows, self.web.links(request))
            return {"result": result, "choices": choices(reader), "amis": amis, "window": window}

        loaded = await run_in_threadpool(load)
        result = loaded["result"]
        status = 400 if errors else (jump_status if jumps else 200)
        return self.web.render(
            request,
            "events.html",
            status,
            q=q,
            errors=errors,
            jumps=jumps,
            goto=request.query_params.get("goto", ""),
            result=result,
            orientation=orientation(q, result) if result is not None else None,
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

    def _jump(self, request: Request, q: EventQuery) -> tuple[str, dict[str, str], int]:
        """Where the jump form goes: the page holding an event id (``goto``) or a page by number in
        id order (``page``), as a URL with a keyset cursor; or, keyed by field, why it cannot and
        the status to answer with (404 for an event not in the list)."""
        store = self._reader(request)
        raw = request.query_params.get("goto", "").strip()
        by_id = q if q.by_id else replace(q, sort="-id" if q.descending else "id")
        if raw:
            wanted = whole_number(raw.lstrip("#"))
            if wanted is None or wanted <= 0:
                return "", {"goto": f"An event id is a positive whole number, got {raw!r}."}, 400
            if store.find_one("EventLogEntry", by_id.filters() + [["id", "is", wanted]]) is None:
                if get_event(store, wanted) is None:
                    newest = store.head_event_id()
                    return "", {"goto": f"There is no event {wanted:,} (the newest is {newest:,})."}, 404
                why = f"Event {wanted:,} does not match these filters; clear them to see it."
                shown = replace(by_id, hide_setup=False)
                if by_id.hides_setup and store.find_one(
                    "EventLogEntry", shown.filters() + [["id", "is", wanted]]
                ):
                    why = f"Event {wanted:,} is a setup event, hidden here; show setup events to see it."
                return "", {"goto": why}, 404
            cursor = wanted + 1 if by_id.descending else wanted - 1
            return by_id.url(after=cursor, before=None, page=None, goto=None) + f"#e{wanted}", {}, 303
        if "goto" in request.query_params and "page" not in request.query_params:
            return "", {"goto": "Type an event id to go to."}, 400
        if q.page == 1:
            return q.url(after=None, before=None, page=None), {}, 303
        if scan_bounded(q):
            # counting rows to a page by number would read the whole log for a filter that matches
            # little; the list itself reads at most SCAN_WINDOW ids
            why = (
                "Pages of a search by words, attribute or changed values are reached by Older and "
                "Newer or by event id."
            )
            return "", {"page": why}, 400
        offset = (q.page - 1) * q.size
        if offset > MAX_OFFSET:
            why = f"Pages past row {MAX_OFFSET:,} are reached by event id or date, not by number."
            return "", {"page": why}, 400
        rows, _, _ = store.find_page(
            "EventLogEntry", q.filters(), ["id"], q.order(), limit=1, offset=offset - 1
        )
        if not rows:
            return "", {"page": f"Page {q.page:,} is past the last page of these events."}, 400
        return q.url(after=rows[0]["id"], before=None, page=None), {}, 303

    def _export_url(self, request: Request, q: EventQuery) -> tuple[str, str]:
        """The CSV export of the current filter (``/export/events.csv``, see docs/export.md), or
        why there is none: the export cannot filter on description text or attribute."""
        paths = {getattr(r, "path", "") for r in request.app.routes}
        if "/export/events.csv" not in paths:
            return "", "The CSV export is not installed on this server."
        if q.text or q.attribute or q.old_value or q.new_value:
            return "", (
                "The CSV export cannot filter on description text, attribute or old and new values; "
                "clear those filters."
            )
        query = export_query(q)
        return "/export/events.csv" + (f"?{urlencode({'query': json.dumps(query)})}" if query else ""), ""

    async def live(self, request: Request) -> Response:
        # the query reads the site's setup-events choice: off the event loop, as events() does
        q, errors = await run_in_threadpool(self._query, request)
        raw = request.query_params.get("head", "")
        after = whole_number(raw)
        if errors or after is None:
            problems = errors or {"head": f"head must be an event id, got {raw!r}"}
            return JSONResponse({"errors": problems}, status_code=400)

        def load() -> list[dict[str, Any]]:
            return add_thumbnails(live_events(self._reader(request), q, after), self.web.links(request))

        try:
            rows = await run_in_threadpool(load)
        except ShotlogError as exc:
            return JSONResponse({"errors": {"filter": str(exc)}}, status_code=400)
        row = templates.get_template("_event_row.html")
        zone = self.web.zone(request)
        html = "".join(row.render(e=e, subject=subject, fresh=True, zone=zone) for e in rows)
        head = rows[0]["id"] if rows else after
        # `count` new matching rows: the page adds them to its total and its range
        return JSONResponse({"head": head, "count": len(rows), "html": html})

    async def event(self, request: Request) -> Response:
        event_id = request.path_params["id"]

        def load() -> tuple[dict[str, Any] | None, int]:
            event = get_event(self._reader(request), event_id)
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


def orientation(q: EventQuery, result: EventPage) -> dict[str, Any]:
    """Where the page is, in words and in numbers for live mode's script."""
    if result.before is None:
        return {"range": "", "page": f"Page {q.page:,}" if not q.by_id else ""}
    before, total = result.before, result.total
    return {
        "range": range_text(before, len(result.rows), total),
        "page": page_text(before, q.size, total),
        "first": before.n + 1,
        "total": total.n if total is not None else None,
        "exact": total.exact if total is not None else False,
        "pages": page_count(total.n, q.size) if total is not None else None,
    }


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
