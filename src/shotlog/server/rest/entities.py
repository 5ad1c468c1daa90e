"""FPTR's REST entities and schema: list, search, read, create, update, delete, revive, describe.

The handlers run in a worker thread with the caller's view (``rest.endpoint``); the URL map that
routes to them is ``server.app``. Records, filters and errors take FPTR's shapes (``rest.shapes``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shotlog.connection import Shotlog
from shotlog.errors import UnknownField, shown
from shotlog.files.service import Files
from shotlog.server import large_json
from shotlog.server.responses import HttpError, json_response
from shotlog.server.rest import shapes
from shotlog.server.rest.endpoint import reject_constant
from shotlog.server.rest.openapi import MAX_ID, MAX_PAGE, MAX_PAGE_NUMBER, spec
from shotlog.server.uploads import site_base

__all__ = ["Entities"]

_BOOLEANS = {"true": True, "false": False}


class Entities:
    """The handlers of ``/api/v1/entity`` and ``/api/v1/schema``, and the OpenAPI document."""

    def __init__(self, store: Shotlog, files: Files | None = None, public_url: str | None = None) -> None:
        self.store = store
        #: thumbnails and uploaded files read as URLs of this site, as api3 reads them
        self.files = files
        self.public_url = public_url

    def records(
        self, request: Request, view: Shotlog, entity_type: str, rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """``rows`` as FPTR's REST records, their image and uploaded-file values as URLs of the
        address the caller reached the site by (``shotlog.files.links``)."""
        schema = view.catalog.schema
        if self.files is not None and rows:
            self.files.links(site_base(request, self.public_url)).present(schema, entity_type, rows)
        return [shapes.record(schema, r) for r in rows]

    def entity_type(self, view: Shotlog, request: Request) -> str:
        name = request.path_params["entity"]
        found = shapes.type_from_url(view.catalog.schema, name)
        if found is None:
            # Another process may have just created it; every schema change bumps the schema's
            # version, so checking the version (not reloading every type and field) is enough.
            view.catalog.refresh()
            found = shapes.type_from_url(view.catalog.schema, name)
        if found is None:
            raise HttpError(404, f"Unknown entity type {shown(name)}", source={"parameter": "entity"})
        return found

    def record_id(self, request: Request) -> int:
        raw = request.path_params["id"]
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not 1 <= value <= MAX_ID:
            raise HttpError(
                400,
                f"Entity id must be a positive integer of at most 64 bits, got {shown(raw)}",
                source={"parameter": "id"},
            )
        return value

    def body(self, request: Request, *, required: bool) -> Any:
        raw = request.state.body
        if not raw.strip():
            if required:
                raise HttpError(400, "The request needs a JSON object body")
            return {}
        try:
            if len(raw) > large_json.YIELDING_BYTES:  # in a worker thread; lets the event loop run
                return large_json.loads(raw, parse_constant=reject_constant)
            return json.loads(raw, parse_constant=reject_constant)
        except RecursionError:
            raise HttpError(400, "The request body is nested too deeply") from None
        except ValueError as exc:
            raise HttpError(400, f"The request body is not valid JSON: {exc}") from None

    def _object_body(self, request: Request) -> Mapping[str, Any]:
        body = self.body(request, required=True)
        if not isinstance(body, Mapping):
            raise HttpError(400, f"The request body must be a JSON object of field values, got {shown(body)}")
        return body

    def _page(self, params: Mapping[str, str]) -> tuple[int, int]:
        def number(key: str, default: int, top: int) -> int:
            raw = params.get(key)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                value = None
            if value is None or not 1 <= value <= top:
                raise HttpError(
                    400,
                    f"{key} must be an integer from 1 to {top}, got {shown(raw)}",
                    source={"parameter": key},
                )
            return value

        return number("page[number]", 1, MAX_PAGE_NUMBER), number("page[size]", 20, MAX_PAGE)

    def _options(self, params: Mapping[str, Any]) -> tuple[bool, bool]:
        key = "options[return_only]" if "options[return_only]" in params else "return_only"
        return_only = str(params.get(key, "active"))
        if return_only not in ("active", "retired"):
            raise HttpError(
                400,
                f"options[return_only] must be active or retired, got {shown(return_only)}",
                source={"parameter": key},
            )
        key = "options[include_archived_projects]"
        archived = _BOOLEANS.get(str(params.get(key, "true")).lower())
        if archived is None:
            raise HttpError(
                400, f"{key} must be true or false, got {shown(params[key])}", source={"parameter": key}
            )
        return return_only == "retired", archived

    def _collection(
        self,
        request: Request,
        view: Shotlog,
        entity_type: str,
        filters: Any,
        params: Mapping[str, Any],
        path: str,
        keep: list[tuple[str, str]],
    ) -> dict[str, Any]:
        """One page of records; ``keep`` are the query parameters the page links repeat."""
        number, size = self._page(params)
        retired, archived = self._options(params)
        schema = view.catalog.schema
        fields = shapes.parse_fields(params.get("fields"), schema, entity_type)
        rows, has_next, _ = view.find_page(
            entity_type,
            shapes.bounded_filters(filters),
            fields,
            shapes.parse_sort(params.get("sort")),
            limit=size,
            offset=(number - 1) * size,
            retired_only=retired,
            include_archived_projects=archived,
        )
        kept = [(k, v) for k, v in keep if k not in ("page[number]", "page[size]")]

        def page_link(n: int) -> str:
            return f"{path}?{urlencode([*kept, ('page[number]', str(n)), ('page[size]', str(size))])}"

        links: dict[str, Any] = {"self": page_link(number)}
        if has_next:
            links["next"] = page_link(number + 1)
        if number > 1:
            links["prev"] = page_link(number - 1)
        return {"data": self.records(request, view, entity_type, rows), "links": links}

    # -- handlers -----------------------------------------------------------------------------------

    def list_entities(self, request: Request, view: Shotlog) -> Any:
        entity_type = self.entity_type(view, request)
        params = dict(request.query_params)
        return self._collection(
            request,
            view,
            entity_type,
            shapes.parse_simple_filters(params, view.catalog.schema, entity_type),
            params,
            request.url.path,
            request.query_params.multi_items(),
        )

    def search(self, request: Request, view: Shotlog) -> Any:
        entity_type = self.entity_type(view, request)
        body = self.body(request, required=False)
        if not isinstance(body, Mapping):
            raise HttpError(
                400, "The search body must be a JSON object with filters, fields, sort, page, options"
            )
        params: dict[str, Any] = dict(request.query_params)
        # The query string's own page and options must be valid even where the body overrides them.
        self._page(params)
        self._options(params)
        for key in ("fields", "sort"):
            if key in body:
                params[key] = _names(body[key], key)
        if "page" in body:
            page = body["page"]
            if not isinstance(page, Mapping):
                raise HttpError(
                    400,
                    f"page must be an object with number and size, got {shown(page)}",
                    source={"pointer": "/page"},
                )
            for k in ("size", "number"):
                if k in page:
                    v = page[k]
                    if isinstance(v, bool) or not isinstance(v, int):
                        raise HttpError(
                            400,
                            f"page.{k} must be an integer, got {shown(v)}",
                            source={"pointer": f"/page/{k}"},
                        )
                    params[f"page[{k}]"] = str(v)
        if "options" in body:
            options = body["options"]
            if not isinstance(options, Mapping):
                raise HttpError(
                    400, f"options must be an object, got {shown(options)}", source={"pointer": "/options"}
                )
            for k, v in options.items():
                if k not in ("return_only", "include_archived_projects"):
                    continue
                if not isinstance(v, bool | str):
                    raise HttpError(
                        400,
                        f"options.{k} must be a string or a boolean, got {shown(v)}",
                        source={"pointer": f"/options/{k}"},
                    )
                params[f"options[{k}]"] = str(v).lower() if isinstance(v, bool) else v
        if "filters" in body and body["filters"] is None:
            raise HttpError(
                400, "filters must be an array or an object, got None", source={"pointer": "/filters"}
            )
        filters = shapes.search_filters(body.get("filters"))
        # The page links name the same _search with another page: POST the same body to follow them.
        return self._collection(
            request, view, entity_type, filters, params, request.url.path, request.query_params.multi_items()
        )

    def read(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self.entity_type(view, request), self.record_id(request)
        params = dict(request.query_params)
        retired, archived = self._options(params)
        fields = shapes.parse_fields(params.get("fields"), view.catalog.schema, entity_type)
        rows = view.find(
            entity_type,
            [["id", "is", entity_id]],
            fields,
            retired_only=retired,
            include_archived_projects=archived,
        )
        if not rows:
            raise HttpError(404, f"No {entity_type} with id {entity_id}", source={"parameter": "id"})
        record = self.records(request, view, entity_type, rows[:1])[0]
        return {"data": record, "links": {"self": request.url.path}}

    def create(self, request: Request, view: Shotlog) -> Any:
        entity_type = self.entity_type(view, request)
        body = self._object_body(request)
        fields = request.query_params.get("options[fields]")
        names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        created = view.create(entity_type, body, names)
        record = self.records(request, view, entity_type, [created])[0]
        return json_response({"data": record, "links": {"self": record["links"]["self"]}}, 201)

    def update(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self.entity_type(view, request), self.record_id(request)
        body = self._object_body(request)
        prefix = "options[multi_entity_update_modes]["
        modes = {
            k[len(prefix) : -1]: v
            for k, v in request.query_params.items()
            if k.startswith(prefix) and k.endswith("]")
        }
        updated = view.update(entity_type, entity_id, body, modes)
        record = self.records(request, view, entity_type, [updated])[0]
        return {"data": record, "links": {"self": request.url.path}}

    def delete(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self.entity_type(view, request), self.record_id(request)
        if not view.delete(entity_type, entity_id):
            raise HttpError(400, f"{entity_type} {entity_id} is already retired", source={"parameter": "id"})
        return Response(status_code=204)

    def revive(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self.entity_type(view, request), self.record_id(request)
        if request.query_params.get("revive", "").lower() != "true":
            raise HttpError(
                400, "POST to an entity id revives it and needs ?revive=true", source={"parameter": "revive"}
            )
        revived = view.revive(entity_type, entity_id)
        return {"data": {"type": entity_type, "id": entity_id}, "meta": {"revived": revived}}

    def schema_entity(self, request: Request, view: Shotlog) -> Any:
        entity_type = self.entity_type(view, request)
        return {"data": view.schema_entity_read()[entity_type], "links": {"self": request.url.path}}

    def schema_fields(self, request: Request, view: Shotlog) -> Any:
        entity_type = self.entity_type(view, request)
        return {"data": view.schema_field_read(entity_type), "links": {"self": request.url.path}}

    def schema_field(self, request: Request, view: Shotlog) -> Any:
        entity_type = self.entity_type(view, request)
        name = request.path_params["field"]
        if not view.catalog.schema.has_field(entity_type, name):
            view.catalog.refresh()
        try:
            if not view.catalog.schema.has_field(entity_type, name):
                raise UnknownField(entity_type, name)
            data = view.schema_field_read(entity_type, name)[name]
        except UnknownField:
            raise HttpError(
                404, f"{entity_type} has no field {shown(name)}", source={"parameter": "field"}
            ) from None
        return {"data": data, "links": {"self": request.url.path}}

    async def openapi(self, request: Request) -> Response:
        names = await run_in_threadpool(self._entity_names)
        return json_response(spec(names))

    def _entity_names(self) -> list[str]:
        types = sorted(self.store.catalog.schema.types)
        return [shapes.url_name(t) for t in types] + types


def _names(value: Any, key: str) -> str:
    """``fields`` or ``sort`` of a search body: a comma-separated string or a list of names."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    raise HttpError(
        400,
        f"{key} must be a string or an array of strings, got {shown(value)}",
        source={"pointer": f"/{key}"},
    )
