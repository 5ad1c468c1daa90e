"""Projects and entities: lists of a type, and one entity with its fields and its own history."""

from __future__ import annotations

import functools
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.store import mirrors
from shotlog.web.entities import attachments_of, entity_fields, get_entity, list_entities
from shotlog.web.eventlist import add_thumbnails, event_page, subject
from shotlog.web.filters import parse_event_query, whole_number
from shotlog.web.orientation import Tally, page_count, page_text, range_text
from shotlog.web.pages import Web

__all__ = ["EntityPages"]


class EntityPages:
    def __init__(self, web: Web) -> None:
        self.web = web

    async def projects(self, request: Request) -> Response:
        return await self._entity_list(request, "Project")

    async def entity_types(self, request: Request) -> Response:
        schema = self.web.store.catalog.schema
        types = sorted(schema.types.values(), key=lambda t: t.display_name.lower())
        return self.web.render(request, "entity_types.html", types=types)

    async def entity_list(self, request: Request) -> Response:
        return await self._entity_list(request, request.path_params["type"])

    async def _entity_list(self, request: Request, entity_type: str) -> Response:
        if not self.web.store.catalog.schema.has_entity(entity_type):
            return self.web.not_found(request, f"There is no entity type {entity_type!r}.")
        page_no = request.query_params.get("page", "1")
        text = request.query_params.get("q", "").strip()[:200]
        number = whole_number(page_no)
        if number is None or not 1 <= number <= 10_000:
            return self.web.not_found(request, f"There is no page {page_no!r}.")
        listing = await run_in_threadpool(
            functools.partial(list_entities, self.web.store, entity_type, text=text, page=number)
        )
        etype = self.web.store.catalog.schema.entity(entity_type)
        before = Tally((listing.page - 1) * listing.size)
        total = Tally(listing.total) if listing.total is not None else None
        return self.web.render(
            request,
            "entities.html",
            entity_type=etype,
            listing=listing,
            text=text,
            where={
                "range": range_text(before, len(listing.rows), total, etype.display_name),
                "page": page_text(before, listing.size, total),
                "pages": page_count(total.n, listing.size) if total is not None else None,
            },
        )

    async def entity(self, request: Request) -> Response:
        entity_type, entity_id = request.path_params["type"], request.path_params["id"]
        if not self.web.store.catalog.schema.has_entity(entity_type):
            return self.web.not_found(request, f"There is no entity type {entity_type!r}.")
        params = {k: v for k, v in request.query_params.items() if k in ("after", "before")}
        q, errors = parse_event_query(
            {"entity_type": entity_type, "entity_id": str(entity_id), "size": "25", **params},
            set(self.web.store.catalog.schema.types),
        )

        def load() -> tuple[dict[str, Any] | None, bool, Any, list[dict[str, Any]]]:
            record, retired = get_entity(self.web.store, entity_type, entity_id)
            if record is None:
                record = _mirrored_entity(self.web.store, entity_type, entity_id)
            history = event_page(self.web.store, q) if record is not None and not errors else None
            links = self.web.links(request)
            if history is not None:
                add_thumbnails(history.rows, links)
            if record is not None and links is not None:
                # thumbnails as URLs the page's <img> can load (signed: the thumbnail route takes no cookie)
                links.present(self.web.store.catalog.schema, entity_type, [record])
            project = record.get("project") if record else None
            project_id = project["id"] if isinstance(project, dict) else None
            if entity_type == "Project":
                project_id = entity_id
            live = record is not None and not record.get(_MIRRORED)
            amis = self.web.action_items(request, entity_type, project_id) if live and not retired else []
            return record, retired, history, amis

        record, retired, history, amis = await run_in_threadpool(load)
        if record is None:
            return self.web.not_found(request, f"There is no {entity_type} with id {entity_id}.")
        files = await run_in_threadpool(attachments_of, self.web.store, entity_type, entity_id)
        return self.web.render(
            request,
            "entity.html",
            entity_type=self.web.store.catalog.schema.entity(entity_type),
            record=record,
            retired=retired,
            fields=[] if record.get(_MIRRORED) else entity_fields(self.web.store, entity_type),
            history=history,
            q=q,
            subject=subject,
            amis=amis,
            files=files,
        )


#: marks the record of an entity a mirror knows by its site's events only
_MIRRORED = "_mirrored"


def _mirrored_entity(store: Any, entity_type: str, entity_id: int) -> dict[str, Any] | None:
    """On a database mirroring an FPTR site, an entity its events link to (the mirror keeps no
    entity rows): its id and the name the site gave it, so its page shows its history."""
    if mirrors.mirrored_site(store.db) is None:
        return None
    with store.db.read() as conn:
        names = mirrors.link_names(conn, [(entity_type, entity_id)])
    if (entity_type, entity_id) not in names:
        return None
    display = store.catalog.schema.display_field(entity_type)
    return {"type": entity_type, "id": entity_id, display: names[(entity_type, entity_id)], _MIRRORED: True}
