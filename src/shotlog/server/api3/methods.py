"""The api3 methods: each turns the client's argument shape into a call on the Python API.

Handlers run synchronously in a worker thread (the store is synchronous). Each receives the view of
the store acting as the authenticated user (with sudo and session_uuid applied) and the raw args
(``args.Context``). This module holds the entity methods (read, create, update, delete, revive,
batch, summarize) and the table of every method; the schema's are in ``schema_methods``, the rest
in ``site_methods``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shotlog.accounts.scripts import Scripts
from shotlog.connection import BatchError
from shotlog.errors import ShotlogError, ValidationError
from shotlog.server.api3.args import Context, Handler, arguments, entity_id_of, entity_type_of
from shotlog.server.api3.pagecursor import PageCursors, after, id_order
from shotlog.server.api3.schema_methods import SCHEMA_METHODS
from shotlog.server.api3.site_methods import SITE_METHODS
from shotlog.server.api3.wire import ProtocolError
from shotlog.site import project_access, readings

__all__ = ["INFO", "METHODS", "Context", "crud_message", "dispatch"]

#: largest page a read may ask for (the client asks for api_max_entities_per_page, 500)
MAX_PAGE_SIZE = 10_000
#: a read offset beyond this is past the end of any table
MAX_OFFSET = 2**62

#: last ids of served pages, so the next page of an id-ordered read needs no OFFSET
_PAGE_CURSORS = PageCursors()

#: reported version: at least 7.4 so the client pages with has_next_page and turns every feature on
INFO: dict[str, Any] = {
    "version": [8, 50, 0],
    "full_version": [8, 50, 0, 0],
    "api_max_entities_per_page": 500,
    "user_authentication_method": "default",
    "unified_login_flow_enabled": False,
    "authentication_app_session_launcher_enabled": False,
    "s3_direct_uploads_enabled": False,
    "s3_enabled_upload_types": {},
    "shotlog": True,
}


def _fields(raw: Any, method: str) -> tuple[dict[str, Any], dict[str, str]]:
    """``[{"field_name", "value"[, "multi_entity_update_mode"]}]`` → (data, update modes)."""
    if raw is None:
        return {}, {}
    if not isinstance(raw, list):
        raise ProtocolError(f"API {method}() 'fields' must be a list of {{field_name, value}}, got {raw!r}")
    data: dict[str, Any] = {}
    modes: dict[str, str] = {}
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("field_name"), str):
            raise ProtocolError(f"API {method}() each field needs a field_name and a value, got {item!r}")
        data[item["field_name"]] = item.get("value")
        if "multi_entity_update_mode" in item:
            modes[item["field_name"]] = item["multi_entity_update_mode"]
    return data, modes


def _read(ctx: Context, args: Any) -> Any:
    a = arguments(args, "read")
    entity_type = entity_type_of(a, "read")
    paging = a.get("paging") or {}
    if not isinstance(paging, Mapping):
        raise ProtocolError(f"API read() 'paging' must be an object, got {paging!r}")
    per_page = paging.get("entities_per_page", 500)
    page = paging.get("current_page", 1)
    for name, value in (("entities_per_page", per_page), ("current_page", page)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ProtocolError(f"API read() paging.{name} must be a positive integer, got {value!r}")
    if per_page > MAX_PAGE_SIZE:
        raise ProtocolError(
            f"API read() paging.entities_per_page must be at most {MAX_PAGE_SIZE}, got {per_page!r}"
        )
    return_only = a.get("return_only", "active")
    if return_only not in ("active", "retired"):
        raise ProtocolError(f"API read() return_only must be 'active' or 'retired', got {return_only!r}")
    filters = a.get("filters") or {"logical_operator": "and", "conditions": []}
    fields = _return_fields(a.get("return_fields"), "read") or ["id"]
    paging_info: dict[str, Any] = {"has_next_page": False, "current_page": page, "page_count": None}
    offset = (page - 1) * per_page
    beyond = offset > MAX_OFFSET  # far past any table's end: an empty page, not an integer overflow
    # Paging in id order continues from the previous page's last id instead of an OFFSET
    # (see pagecursor); a count needs the original filters, so it keeps the OFFSET.
    direction = None if a.get("return_paging_info") or beyond else id_order(a.get("sorts"))
    keys: list[tuple[Any, ...] | None] = [None, None]
    query_filters = filters
    if direction is not None and isinstance(filters, Mapping):
        query = {k: v for k, v in a.items() if k != "paging"} | {"per_page": per_page}
        who = (ctx.principal.type, ctx.principal.id)
        keys = [PageCursors.key(who, query, page - 1), PageCursors.key(who, query, page)]
        last = _PAGE_CURSORS.get(keys[0]) if keys[0] is not None and page > 1 else None
        if last is not None:
            query_filters, offset = after(filters, direction, last), 0
    rows, has_next, count = ctx.sg.find_page(
        entity_type,
        query_filters,
        fields,
        a.get("sorts"),
        limit=1 if beyond else per_page,
        offset=0 if beyond else offset,
        retired_only=return_only == "retired",
        include_archived_projects=a.get("include_archived_projects", True) is not False,
        count=bool(a.get("return_paging_info")),
        additional_filter_presets=a.get("additional_filter_presets"),
    )
    if beyond:
        rows, has_next = [], False
    # kept per user, outside the rows
    if entity_type == "Project":
        project_access.fill_last_accessed(ctx.sg, rows, fields)
    elif entity_type == "Note":
        readings.fill_read_state(ctx.sg, rows, fields)
    if has_next and rows and keys[1] is not None:
        _PAGE_CURSORS.put(keys[1], int(rows[-1]["id"]))
    paging_info["has_next_page"] = has_next
    if count is not None:
        paging_info["entity_count"] = count
    return {"entities": rows, "paging_info": paging_info}


def _return_fields(raw: Any, method: str) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        raise ProtocolError(f"API {method}() return_fields must be a list of field names, got {raw!r}")
    return raw


def _create(ctx: Context, args: Any) -> Any:
    a = arguments(args, "create")
    data, _ = _fields(a.get("fields"), "create")
    entity_type = entity_type_of(a, "create")
    return_fields = _return_fields(a.get("return_fields"), "create")
    if entity_type == "ApiUser":
        # a script is made with its key, as on FPTR's Scripts page; the answer is the only place
        # the key is ever shown (FPTR's salted_password, which no read returns)
        entity, key = Scripts(ctx.sg, ctx.credentials).create(ctx.sg, data.get("firstname"), data)
        # as every create answers: the fields sent, then those asked for (the key aside: no read has it)
        answer = [f for f in dict.fromkeys([*data, *(return_fields or [])]) if f != "salted_password"]
        entity = ctx.sg.find_one("ApiUser", [["id", "is", entity["id"]]], answer) or entity
        return {**entity, "salted_password": key}
    return ctx.sg.create(entity_type, data, return_fields)


def _update(ctx: Context, args: Any) -> Any:
    a = arguments(args, "update")
    data, modes = _fields(a.get("fields"), "update")
    entity_type, entity_id = entity_type_of(a, "update"), entity_id_of(a, "update")
    if entity_type != "Note" or readings.FIELD not in data:
        return ctx.sg.update(entity_type, entity_id, data, modes)
    # read_by_current_user is the acting person's read state, kept outside the Note's row
    state = data.pop(readings.FIELD)
    readings.check_value(state)  # before any write: a bad value changes nothing
    result = ctx.sg.update(entity_type, entity_id, data, modes) if data else {"type": "Note", "id": entity_id}
    return {**result, readings.FIELD: readings.set_read_state(ctx.sg, entity_id, state)}


def _delete(ctx: Context, args: Any) -> Any:
    a = arguments(args, "delete")
    return ctx.sg.delete(entity_type_of(a, "delete"), entity_id_of(a, "delete"))


def _revive(ctx: Context, args: Any) -> Any:
    a = arguments(args, "revive")
    return ctx.sg.revive(entity_type_of(a, "revive"), entity_id_of(a, "revive"))


def _batch_failed(index: int, cause: str) -> str:
    return f"API batch() request with index {index} failed.  All requests rolled back.\n{cause}"


def _batch(ctx: Context, args: Any) -> Any:
    if not isinstance(args, list):
        raise ProtocolError(f"API batch() expects a list of requests, got {type(args).__name__}")
    requests = []
    kinds: list[str] = []
    for index, req in enumerate(args):
        kind = req.get("request_type") if isinstance(req, Mapping) else None
        kinds.append(kind if kind in ("create", "update", "delete", "revive") else "batch")
        try:
            if not isinstance(req, Mapping):
                raise ProtocolError(f"API batch() each request must be an object, got {req!r}")
            data, modes = _fields(req.get("fields"), kinds[-1])
            if "multi_entity_update_mode" in req:  # the legacy request-level mode: for every field
                mode = req["multi_entity_update_mode"]
                modes = {**dict.fromkeys(data, mode if isinstance(mode, str) else repr(mode)), **modes}
            return_fields = _return_fields(req.get("return_fields"), kinds[-1])
        except ProtocolError as exc:
            raise ProtocolError(_batch_failed(index, exc.message), exc.code) from None
        requests.append(
            {
                "request_type": kind,
                "entity_type": req.get("type"),
                "entity_id": req.get("id"),
                "data": data,
                "return_fields": return_fields,
                "multi_entity_update_modes": modes,
            }
        )
    try:
        return ctx.sg.batch(requests)
    except BatchError as exc:
        cause = crud_message(kinds[exc.index], exc.cause)
        raise ProtocolError(_batch_failed(exc.index, cause), exc.error_code) from None


def _summary_items(raw: Any, name: str, entity_type: str, catalog: Any, *, optional: bool) -> list[Any]:
    """``summaries`` / ``grouping``: a list of {field, type[, direction]}, each checked and named.

    ValidationError, not ProtocolError: these keep FPTR's ``API summarize() CRUD ERROR`` shape."""
    if raw is None and optional:
        return []
    if not isinstance(raw, list):
        raise ValidationError(f"'{name}' must be a list of {{field, type}}, got {raw!r}")
    for index, item in enumerate(raw):
        where = f"{name}[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("field"), str):
            raise ValidationError(f"{where} must be {{'field': name, 'type': kind}}, got {item!r}")
        if not isinstance(item.get("type"), str):
            raise ValidationError(
                f"{where}.type must be a summary or grouping type name, got {item.get('type')!r}"
            )
        if "direction" in item and item["direction"] not in ("asc", "desc"):
            raise ValidationError(f"{where}.direction must be 'asc' or 'desc', got {item['direction']!r}")
        field = item["field"]
        if "." not in field and catalog.schema.has_entity(entity_type):
            catalog.refresh_if_unknown(entity_type, field)  # a field another process just added
        if (
            "." not in field
            and catalog.schema.has_entity(entity_type)
            and not catalog.schema.has_field(entity_type, field)
        ):
            raise ValidationError(f"{where}.field: {entity_type} has no field {field!r}")
    return raw


def _summarize(ctx: Context, args: Any) -> Any:
    a = arguments(args, "summarize")
    entity_type = entity_type_of(a, "summarize")
    filters = a.get("filters")
    if filters is not None and not isinstance(filters, list | Mapping):
        raise ValidationError(f"'filters' must be a list or a filter group, got {filters!r}")
    archived = a.get("include_archived_projects", True)
    if not isinstance(archived, bool):
        raise ValidationError(f"'include_archived_projects' must be true or false, got {archived!r}")
    summaries = _summary_items(a.get("summaries"), "summaries", entity_type, ctx.sg.catalog, optional=True)
    grouping = _summary_items(a.get("grouping"), "grouping", entity_type, ctx.sg.catalog, optional=True)
    return ctx.sg.summarize(
        entity_type,
        filters or [],
        summaries,
        grouping=grouping or None,
        include_archived_projects=archived,
    )


METHODS: dict[str, Handler] = {
    "read": _read,
    "create": _create,
    "update": _update,
    "delete": _delete,
    "revive": _revive,
    "batch": _batch,
    "summarize": _summarize,
    **SCHEMA_METHODS,
    **SITE_METHODS,
}


def crud_message(method: str, exc: ShotlogError) -> str:
    """The message shape of FPTR's CRUD errors, which some callers match by prefix."""
    if isinstance(exc, BatchError):
        return _batch_failed(exc.index, crud_message("batch", exc.cause))
    return f"API {method}() CRUD ERROR #{exc.error_code}: {exc.message}"


def dispatch(ctx: Context, method: str, args: Any) -> Any:
    handler = METHODS.get(method)
    if handler is None:
        raise ProtocolError(f"API {method}() does not exist: unknown method {method!r}")
    return handler(ctx, args)
