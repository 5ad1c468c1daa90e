"""FPTR's REST API routes: access tokens, entities, search, schema.

Every handler answers JSON. Errors use FPTR's ``{"errors": [...]}`` envelope with a 4xx status
that says whose fault it was; a bug answers 500 with the same envelope and no traceback (the log
has it). One route per path dispatches on the method, so a wrong method's 405 lists every method
the path allows in ``Allow``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shotlog.bounded_body import MAX_SIGNIN_BODY, bounded
from shotlog.connection import Shotlog
from shotlog.credentials import Credentials, Grant, Principal, RefreshReused
from shotlog.errors import (
    ShotlogError,
    UnknownField,
    incident_ref,
)
from shotlog.passwords import PasswordsBusy
from shotlog.server.api3.wire import encode
from shotlog.server.rest import shapes
from shotlog.server.rest.openapi import MAX_ID, MAX_PAGE, MAX_PAGE_NUMBER, spec

__all__ = ["rest_routes"]

log = logging.getLogger("shotlog.rest")

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
_EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
_BOOLEANS = {"true": True, "false": False}


class HttpError(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        *,
        code: int | None = None,
        source: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(title)
        self.status, self.title, self.code, self.source = status, title, code, source
        self.headers = headers


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        encode(body), status_code=status, media_type="application/json", headers=dict(headers or {})
    )


def _http_error(exc: HttpError) -> Response:
    body = shapes.error(exc.status, exc.title, code=exc.code, source=exc.source)
    return _json(body, exc.status, exc.headers)


def _source(exc: ShotlogError) -> dict[str, Any]:
    """Where the bad input was, from the error's details: the field and the query parameter."""
    out: dict[str, Any] = {}
    for key in ("parameter", "field"):
        value = exc.details.get(key)
        if isinstance(value, str):
            out[key] = value
    return out


def _short(value: Any, limit: int = 200) -> str:
    """``repr(value)``, cut short: an error names the bad value without echoing a huge one."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


Handler = Callable[[Request, Shotlog], Any]


class Rest:
    def __init__(self, store: Shotlog, credentials: Credentials) -> None:
        self.store = store
        self.credentials = credentials
        self._views: dict[tuple[str, int], Shotlog] = {}

    # -- plumbing -----------------------------------------------------------------------------------

    def authed(self, handlers: Mapping[str, Handler]) -> Callable[[Request], Awaitable[Response]]:
        """One endpoint for a path: authenticate, then run the handler of the request's method."""

        allowed = sorted({*handlers, *(["HEAD"] if "GET" in handlers else [])})

        async def endpoint(request: Request) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            handler = handlers.get(method)
            if handler is None:  # a route that takes every method, to claim its path from a wider one
                title = f"{request.method} is not allowed on {request.url.path}"
                return _json(shapes.error(405, title), 405, {"Allow": ", ".join(allowed)})
            try:
                view = await run_in_threadpool(self._authenticate, request)
                request.state.body = await request.body()
                result = await run_in_threadpool(handler, request, view)
                return result if isinstance(result, Response) else _json(result)
            except HttpError as exc:
                return _http_error(exc)
            except ShotlogError as exc:
                status = shapes.http_status(exc)
                body = shapes.error(
                    status, exc.message, code=exc.error_code, source=_source(exc), ref=shapes.failure_ref(exc)
                )
                return _json(body, status)
            except Exception:
                ref = incident_ref()
                log.exception("ref %s: REST %s %s failed", ref, request.method, request.url.path)
                return _json(shapes.internal_error(ref), 500)

        return endpoint

    def _authenticate(self, request: Request) -> Shotlog:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(
                401, "Authorization: Bearer <access token> is required", code=102, headers=_UNAUTHORIZED
            )
        principal = self.credentials.token(token.strip(), "access")
        if principal is None:
            raise HttpError(
                401, "The access token is invalid or has expired", code=102, headers=_UNAUTHORIZED
            )
        return self._view(principal)

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
            # Another process may have just created it; every schema change bumps the schema's
            # version, so checking the version (not reloading every type and field) is enough.
            view.catalog.refresh()
            found = shapes.type_from_url(view.catalog.schema, name)
        if found is None:
            raise HttpError(404, f"Unknown entity type {_short(name)}", source={"parameter": "entity"})
        return found

    def _id(self, request: Request) -> int:
        raw = request.path_params["id"]
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not 1 <= value <= MAX_ID:
            raise HttpError(
                400,
                f"Entity id must be a positive integer of at most 64 bits, got {_short(raw)}",
                source={"parameter": "id"},
            )
        return value

    def _body(self, request: Request, *, required: bool) -> Any:
        raw = request.state.body
        if not raw.strip():
            if required:
                raise HttpError(400, "The request needs a JSON object body")
            return {}
        try:
            return json.loads(raw, parse_constant=_reject_constant)
        except RecursionError:
            raise HttpError(400, "The request body is nested too deeply") from None
        except ValueError as exc:
            raise HttpError(400, f"The request body is not valid JSON: {exc}") from None

    def _object_body(self, request: Request) -> Mapping[str, Any]:
        body = self._body(request, required=True)
        if not isinstance(body, Mapping):
            raise HttpError(
                400, f"The request body must be a JSON object of field values, got {_short(body)}"
            )
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
                    f"{key} must be an integer from 1 to {top}, got {_short(raw)}",
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
                f"options[return_only] must be active or retired, got {_short(return_only)}",
                source={"parameter": key},
            )
        key = "options[include_archived_projects]"
        archived = _BOOLEANS.get(str(params.get(key, "true")).lower())
        if archived is None:
            raise HttpError(
                400, f"{key} must be true or false, got {_short(params[key])}", source={"parameter": key}
            )
        return return_only == "retired", archived

    def _collection(
        self,
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
        return {"data": [shapes.record(schema, r) for r in rows], "links": links}

    # -- handlers -----------------------------------------------------------------------------------

    def list_entities(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        params = dict(request.query_params)
        return self._collection(
            view,
            entity_type,
            shapes.parse_simple_filters(params, view.catalog.schema, entity_type),
            params,
            request.url.path,
            request.query_params.multi_items(),
        )

    def search(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        body = self._body(request, required=False)
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
                    f"page must be an object with number and size, got {_short(page)}",
                    source={"pointer": "/page"},
                )
            for k in ("size", "number"):
                if k in page:
                    v = page[k]
                    if isinstance(v, bool) or not isinstance(v, int):
                        raise HttpError(
                            400,
                            f"page.{k} must be an integer, got {_short(v)}",
                            source={"pointer": f"/page/{k}"},
                        )
                    params[f"page[{k}]"] = str(v)
        if "options" in body:
            options = body["options"]
            if not isinstance(options, Mapping):
                raise HttpError(
                    400, f"options must be an object, got {_short(options)}", source={"pointer": "/options"}
                )
            for k, v in options.items():
                if k not in ("return_only", "include_archived_projects"):
                    continue
                if not isinstance(v, bool | str):
                    raise HttpError(
                        400,
                        f"options.{k} must be a string or a boolean, got {_short(v)}",
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
            view, entity_type, filters, params, request.url.path, request.query_params.multi_items()
        )

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
        return {"data": shapes.record(view.catalog.schema, rows[0]), "links": {"self": request.url.path}}

    def create(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        body = self._object_body(request)
        fields = request.query_params.get("options[fields]")
        names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        created = view.create(entity_type, body, names)
        record = shapes.record(view.catalog.schema, created)
        return _json({"data": record, "links": {"self": record["links"]["self"]}}, 201)

    def update(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self._type(view, request), self._id(request)
        body = self._object_body(request)
        prefix = "options[multi_entity_update_modes]["
        modes = {
            k[len(prefix) : -1]: v
            for k, v in request.query_params.items()
            if k.startswith(prefix) and k.endswith("]")
        }
        updated = view.update(entity_type, entity_id, body, modes)
        return {"data": shapes.record(view.catalog.schema, updated), "links": {"self": request.url.path}}

    def delete(self, request: Request, view: Shotlog) -> Any:
        entity_type, entity_id = self._type(view, request), self._id(request)
        if not view.delete(entity_type, entity_id):
            raise HttpError(400, f"{entity_type} {entity_id} is already retired", source={"parameter": "id"})
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
        return {"data": view.schema_entity_read()[entity_type], "links": {"self": request.url.path}}

    def schema_fields(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        return {"data": view.schema_field_read(entity_type), "links": {"self": request.url.path}}

    def schema_field(self, request: Request, view: Shotlog) -> Any:
        entity_type = self._type(view, request)
        name = request.path_params["field"]
        if not view.catalog.schema.has_field(entity_type, name):
            view.catalog.refresh()
        try:
            if not view.catalog.schema.has_field(entity_type, name):
                raise UnknownField(entity_type, name)
            data = view.schema_field_read(entity_type, name)[name]
        except UnknownField:
            raise HttpError(
                404, f"{entity_type} has no field {_short(name)}", source={"parameter": "field"}
            ) from None
        return {"data": data, "links": {"self": request.url.path}}

    # -- tokens -------------------------------------------------------------------------------------

    async def access_token(self, request: Request) -> Response:
        try:
            params = await self._token_params(request)
            user: Principal | None = None
            if params.get("grant_type") == "password":
                # checked on the event loop: sign-ins waiting for a password check hold no thread
                user = await self.credentials.user_async(params.get("username"), params.get("password"))
            return _json(await run_in_threadpool(self._grant, params, user))
        except HttpError as exc:
            return _http_error(exc)
        except PasswordsBusy as exc:
            return _json(shapes.error(503, exc.message), 503, {"Retry-After": "1"})
        except Exception:
            ref = incident_ref()
            log.exception("ref %s: access token request failed", ref)
            return _json(shapes.internal_error(ref), 500)

    async def _token_params(self, request: Request) -> dict[str, str]:
        """The grant's parameters: a form (or, leniently, a JSON object) body, and the query string.

        FPTR takes them in the query string too, and clients send them there, so shotlog does; the
        access log never shows that query string (``server.access_log``)."""
        params: dict[str, str] = dict(request.query_params)
        small = await bounded(request)
        if small is None:
            raise HttpError(413, f"A token request body may have at most {MAX_SIGNIN_BODY:,} bytes")
        content_type = request.headers.get("content-type", "").lower()
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                form = await small.form()
            except (HTTPException, MultiPartException, ValueError) as exc:
                detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
                raise HttpError(400, f"The form body could not be parsed: {detail}") from None
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
            await form.close()
        elif content_type.startswith("application/json"):
            raw = await small.body()
            try:
                body = json.loads(raw, parse_constant=_reject_constant) if raw.strip() else {}
            except (ValueError, RecursionError):
                raise HttpError(400, "The request body is not valid JSON") from None
            if not isinstance(body, Mapping):
                raise HttpError(400, "A JSON token request must be an object of parameters")
            params.update({k: v for k, v in body.items() if isinstance(v, str)})
        return params

    def _grant(self, params: Mapping[str, str], user: Principal | None = None) -> dict[str, Any]:
        """Tokens for ``params``; ``user`` is the password grant's user, checked by the caller."""
        grant = params.get("grant_type")
        principal: Principal | None
        tokens: Grant | None = None
        if grant == "client_credentials":
            principal = self.credentials.script(params.get("client_id"), params.get("client_secret"))
        elif grant == "password":
            principal = user
        elif grant == "refresh_token":
            try:
                refreshed = self.credentials.refresh(params.get("refresh_token"))
            except RefreshReused as exc:
                # RFC 6749's invalid_grant: 400, as for any refresh token that is not good
                raise HttpError(400, exc.message, code=102) from None
            principal, tokens = refreshed if refreshed is not None else (None, None)
        elif grant == "session_token":
            principal = self.credentials.token(params.get("session_token"), "session")
        else:
            raise HttpError(
                400,
                "grant_type must be client_credentials, password, refresh_token or session_token; "
                f"got {_short(grant)}",
                source={"parameter": "grant_type"},
            )
        if principal is None:
            username = params.get("username")
            if grant == "password" and username:
                self.credentials.signins.failed(username[:255], "rest")
            raise HttpError(400, f"Invalid credentials for grant_type {grant}", code=102)
        if grant == "password":
            # a password grant starts a session; refresh and session_token grants continue one
            self.credentials.signins.logged_in(principal, "rest", "password")
        if tokens is None:  # a new grant: the first tokens of a new family
            tokens = self.credentials.grant(principal)
        return {
            "token_type": "Bearer",
            "access_token": tokens.access_token,
            "expires_in": tokens.expires_in,
            "refresh_token": tokens.refresh_token,
        }

    async def openapi(self, request: Request) -> Response:
        names = await run_in_threadpool(self._entity_names)
        return _json(spec(names))

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
        f"{key} must be a string or an array of strings, got {_short(value)}",
        source={"pointer": f"/{key}"},
    )


def rest_routes(store: Shotlog, credentials: Credentials) -> list[Route]:
    rest = Rest(store, credentials)
    base = shapes.BASE

    def route(path: str, handlers: Mapping[str, Handler], *, every_method: bool = False) -> Route:
        methods = _EVERY_METHOD if every_method else list(handlers)
        return Route(f"{base}{path}", rest.authed(handlers), methods=methods)

    return [
        Route(f"{base}/auth/access_token", rest.access_token, methods=["POST"]),
        Route(f"{base}/spec.json", rest.openapi, methods=["GET"]),
        route("/entity/{entity}", {"GET": rest.list_entities, "POST": rest.create}),
        # Before /entity/{entity}/{id}, and for every method: GET .../_search is a 405, not a bad id.
        route("/entity/{entity}/_search", {"POST": rest.search}, every_method=True),
        route(
            "/entity/{entity}/{id}",
            {"GET": rest.read, "PUT": rest.update, "DELETE": rest.delete, "POST": rest.revive},
        ),
        route("/schema/{entity}", {"GET": rest.schema_entity}),
        route("/schema/{entity}/fields", {"GET": rest.schema_fields}),
        route("/schema/{entity}/fields/{field}", {"GET": rest.schema_field}),
    ]
