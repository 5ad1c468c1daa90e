"""FPTR's REST API routes: access tokens, entities, search, schema.

Every handler answers JSON. Errors use FPTR's ``{"errors": [...]}`` envelope with a 4xx status
that says whose fault it was; a bug answers 500 with the same envelope and no traceback (the log
has it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shotlog.connection import Shotlog
from shotlog.credentials import ACCESS_TTL, Credentials, Principal
from shotlog.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ShotlogError,
    UnknownEntityType,
)
from shotlog.server.api3.wire import encode
from shotlog.server.rest import shapes
from shotlog.server.rest.openapi import spec

__all__ = ["rest_routes"]

log = logging.getLogger("shotlog.rest")

MAX_PAGE = 500


class HttpError(Exception):
    def __init__(
        self, status: int, title: str, *, code: int | None = None, source: Mapping[str, Any] | None = None
    ):
        super().__init__(title)
        self.status, self.title, self.code, self.source = status, title, code, source


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        encode(body), status_code=status, media_type="application/json", headers=dict(headers or {})
    )


def _status(exc: ShotlogError) -> int:
    if isinstance(exc, NotFound | UnknownEntityType):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, ConflictError):
        return 409
    return 400


Handler = Callable[[Request, Shotlog], Any]


class Rest:
    def __init__(self, store: Shotlog, credentials: Credentials) -> None:
        self.store = store
        self.credentials = credentials
        self._views: dict[tuple[str, int], Shotlog] = {}

    # -- plumbing -----------------------------------------------------------------------------------

    def authed(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                principal = await run_in_threadpool(self._bearer, request)
                view = self._view(principal)
                body = await request.body()
                request.state.body = body
                result = await run_in_threadpool(handler, request, view)
                return result if isinstance(result, Response) else _json(result)
            except HttpError as exc:
                return _json(
                    shapes.error(exc.status, exc.title, code=exc.code, source=exc.source), exc.status
                )
            except ShotlogError as exc:
                status = _status(exc)
                return _json(shapes.error(status, exc.message, code=exc.error_code), status)
            except Exception:
                log.exception("REST %s %s failed", request.method, request.url.path)
                return _json(shapes.error(500, "Internal error; the server log has the details"), 500)

        return endpoint

    def _bearer(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(401, "Authorization: Bearer <access token> is required", code=102)
        principal = self.credentials.token(token.strip(), "access")
        if principal is None:
            raise HttpError(401, "The access token is invalid or has expired", code=102)
        return principal

    def _view(self, principal: Principal) -> Shotlog:
        key = (principal.type, principal.id)
        view = self._views.get(key)
        if view is None:
            view = self.store.as_user({"type": principal.type, "id": principal.id})
            self._views[key] = view
        return view

    def _type(self, view: Shotlog, request: Request) -> str:
        name = request.path_params["entity"]
        found = shapes.type_from_url(view.catalog.schema, name)
        if found is None:
            view.catalog.refresh(force=True)
            found = shapes.type_from_url(view.catalog.schema, name)
        if found is None:
            raise HttpError(404, f"Unknown entity type {name!r}", source={"parameter": "entity"})
        return found

    def _id(self, request: Request) -> int:
        raw = request.path_params["id"]
        try:
            return int(raw)
        except ValueError:
            raise HttpError(
                400, f"Entity id must be an integer, got {raw!r}", source={"parameter": "id"}
            ) from None

    def _body(self, request: Request) -> Any:
        raw = request.state.body
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise HttpError(400, f"The request body is not valid JSON: {exc}") from None

    def _page(self, params: Mapping[str, str]) -> tuple[int, int]:
        def number(key: str, default: int, top: int | None) -> int:
            raw = params.get(key)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise HttpError(
                    400, f"{key} must be a positive integer, got {raw!r}", source={"parameter": key}
                ) from None
            if value < 1 or (top is not None and value > top):
                limit = f" at most {top}" if top else ""
                raise HttpError(
                    400, f"{key} must be a positive integer{limit}, got {value}", source={"parameter": key}
                )
            return value

        return number("page[number]", 1, None), number("page[size]", 20, MAX_PAGE)

    def _options(self, params: Mapping[str, Any]) -> tuple[bool, bool]:
        return_only = str(params.get("options[return_only]", params.get("return_only", "active")))
        if return_only not in ("active", "retired"):
            raise HttpError(400, f"options[return_only] must be active or retired, got {return_only!r}")
        archived = str(params.get("options[include_archived_projects]", "true")).lower()
        return return_only == "retired", archived not in ("false", "0")

    def _collection(
        self, view: Shotlog, request: Request, entity_type: str, filters: Any, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        number, size = self._page(params)
        retired, archived = self._options(params)
        schema = view.catalog.schema
        fields = shapes.parse_fields(params.get("fields"), schema, entity_type)
        rows, has_next, _ = view.find_page(
            entity_type,
            filters,
            fields,
            shapes.parse_sort(params.get("sort")),
            limit=size,
            offset=(number - 1) * size,
            retired_only=retired,
            include_archived_projects=archived,
        )
        path = f"{shapes.BASE}/entity/{shapes.url_name(entity_type)}"

        def page_link(n: int) -> str:
            return f"{path}?{urlencode({'page[number]': n, 'page[size]': size})}"

        links: dict[str, Any] = {"self": page_link(number)}
        if has_next:
            links["next"] = page_link(number + 1)
        if number > 1:
            links["prev"] = page_link(number - 1)
        return {"data": [shapes.record(schema, r) for r in rows], "links": links}

    # -- handlers -----------------------------------------------------------------------------------

    def list_entities(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        params = dict(request.query_params)
        return self._collection(view, request, entity_type, shapes.parse_simple_filters(params), params)

    def search(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        body = self._body(request)
        if not isinstance(body, Mapping):
            raise HttpError(
                400, "The search body must be a JSON object with filters, fields, sort, page, options"
            )
        params: dict[str, Any] = dict(request.query_params)
        if "fields" in body:
            f = body["fields"]
            params["fields"] = ",".join(f) if isinstance(f, list) else str(f)
        if "sort" in body:
            s = body["sort"]
            params["sort"] = ",".join(s) if isinstance(s, list) else str(s)
        page = body.get("page") or {}
        if isinstance(page, Mapping):
            for k in ("size", "number"):
                if k in page:
                    params[f"page[{k}]"] = str(page[k])
        options = body.get("options") or {}
        if isinstance(options, Mapping):
            for k, v in options.items():
                params[f"options[{k}]"] = str(v).lower() if isinstance(v, bool) else str(v)
        filters = shapes.search_filters(body.get("filters"))
        return self._collection(view, request, entity_type, filters, params)

    def read(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self._type(view, request), self._id(request)
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
        return {"data": shapes.record(view.catalog.schema, rows[0]), "links": {"self": str(request.url.path)}}

    def create(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        body = self._body(request)
        if not isinstance(body, Mapping):
            raise HttpError(400, "The request body must be a JSON object of field values")
        fields = request.query_params.get("options[fields]")
        created = view.create(entity_type, body, fields.split(",") if fields else None)
        return _json({"data": shapes.record(view.catalog.schema, created)}, 201)

    def update(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self._type(view, request), self._id(request)
        body = self._body(request)
        if not isinstance(body, Mapping):
            raise HttpError(400, "The request body must be a JSON object of field values")
        modes = {
            k[len("options[multi_entity_update_modes][") : -1]: v
            for k, v in request.query_params.items()
            if k.startswith("options[multi_entity_update_modes][") and k.endswith("]")
        }
        updated = view.update(entity_type, entity_id, body, modes)
        return {"data": shapes.record(view.catalog.schema, updated)}

    def delete(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self._type(view, request), self._id(request)
        if not view.delete(entity_type, entity_id):
            raise HttpError(400, f"{entity_type} {entity_id} is already retired")
        return Response(status_code=204)

    def revive(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self._type(view, request), self._id(request)
        if request.query_params.get("revive", "").lower() != "true":
            raise HttpError(
                400, "POST to an entity id revives it and needs ?revive=true", source={"parameter": "revive"}
            )
        revived = view.revive(entity_type, entity_id)
        return {"data": {"type": entity_type, "id": entity_id}, "meta": {"revived": revived}}

    def schema_entity(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        return {"data": view.schema_entity_read()[entity_type], "links": {"self": str(request.url.path)}}

    def schema_fields(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        return {"data": view.schema_field_read(entity_type), "links": {"self": str(request.url.path)}}

    def schema_field(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        name = request.path_params["field"]
        return {
            "data": view.schema_field_read(entity_type, name)[name],
            "links": {"self": str(request.url.path)},
        }

    # -- tokens -------------------------------------------------------------------------------------

    async def access_token(self, request: Request) -> Response:
        try:
            params: dict[str, str] = dict(request.query_params)
            if request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            return _json(await run_in_threadpool(self._grant, params))
        except HttpError as exc:
            return _json(shapes.error(exc.status, exc.title, code=exc.code, source=exc.source), exc.status)
        except Exception:
            log.exception("access token request failed")
            return _json(shapes.error(500, "Internal error; the server log has the details"), 500)

    def _grant(self, params: Mapping[str, str]) -> dict[str, Any]:
        grant = params.get("grant_type")
        principal: Principal | None
        if grant == "client_credentials":
            principal = self.credentials.script(params.get("client_id"), params.get("client_secret"))
        elif grant == "password":
            principal = self.credentials.user(params.get("username"), params.get("password"))
        elif grant == "refresh_token":
            principal = self.credentials.token(params.get("refresh_token"), "refresh")
        elif grant == "session_token":
            principal = self.credentials.token(params.get("session_token"), "session")
        else:
            raise HttpError(
                400,
                "grant_type must be client_credentials, password, refresh_token or session_token; "
                f"got {grant!r}",
                source={"parameter": "grant_type"},
            )
        if principal is None:
            raise HttpError(400, f"Invalid credentials for grant_type {grant}", code=102)
        access, _ = self.credentials.issue(principal, "access")
        refresh, _ = self.credentials.issue(principal, "refresh")
        return {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": int(ACCESS_TTL.total_seconds()),
            "refresh_token": refresh,
        }

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(spec())


def rest_routes(store: Shotlog, credentials: Credentials) -> list[Route]:
    rest = Rest(store, credentials)
    base = shapes.BASE
    return [
        Route(f"{base}/auth/access_token", rest.access_token, methods=["POST"]),
        Route(f"{base}/spec.json", rest.openapi, methods=["GET"]),
        Route(f"{base}/entity/{{entity}}", rest.authed(rest.list_entities), methods=["GET"]),
        Route(f"{base}/entity/{{entity}}", rest.authed(rest.create), methods=["POST"]),
        Route(f"{base}/entity/{{entity}}/_search", rest.authed(rest.search), methods=["POST"]),
        Route(f"{base}/entity/{{entity}}/{{id}}", rest.authed(rest.read), methods=["GET"]),
        Route(f"{base}/entity/{{entity}}/{{id}}", rest.authed(rest.update), methods=["PUT"]),
        Route(f"{base}/entity/{{entity}}/{{id}}", rest.authed(rest.delete), methods=["DELETE"]),
        Route(f"{base}/entity/{{entity}}/{{id}}", rest.authed(rest.revive), methods=["POST"]),
        Route(f"{base}/schema/{{entity}}", rest.authed(rest.schema_entity), methods=["GET"]),
        Route(f"{base}/schema/{{entity}}/fields", rest.authed(rest.schema_fields), methods=["GET"]),
        Route(f"{base}/schema/{{entity}}/fields/{{field}}", rest.authed(rest.schema_field), methods=["GET"]),
    ]
