"""The api3 methods: each turns the client's argument shape into a call on the Python API.

Handlers run synchronously in a worker thread (the store is synchronous). Each receives the view of
the store acting as the authenticated user (with sudo and session_uuid applied) and the raw args.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shotlog.connection import BatchError, Shotlog
from shotlog.credentials import Credentials, Principal
from shotlog.errors import ShotlogError, ValidationError
from shotlog.server.api3.wire import ProtocolError

__all__ = ["INFO", "METHODS", "Context", "crud_message", "dispatch"]

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


class Context:
    def __init__(self, view: Shotlog, principal: Principal, credentials: Credentials) -> None:
        self.sg = view
        self.principal = principal
        self.credentials = credentials


Handler = Callable[[Context, Any], Any]


def _dict(args: Any, method: str) -> Mapping[str, Any]:
    if args is None:
        return {}
    if not isinstance(args, Mapping):
        raise ProtocolError(f"API {method}() expects an object of arguments, got {type(args).__name__}")
    return args


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


def _type(args: Mapping[str, Any], method: str) -> str:
    t = args.get("type")
    if not isinstance(t, str):
        raise ProtocolError(f"API {method}() needs 'type' (an entity type name), got {t!r}")
    return t


def _id(args: Mapping[str, Any], method: str) -> int:
    i = args.get("id")
    if isinstance(i, bool) or not isinstance(i, int):
        raise ProtocolError(f"API {method}() needs 'id' (an integer), got {i!r}")
    return i


def _read(ctx: Context, args: Any) -> Any:
    a = _dict(args, "read")
    entity_type = _type(a, "read")
    paging = a.get("paging") or {}
    if not isinstance(paging, Mapping):
        raise ProtocolError(f"API read() 'paging' must be an object, got {paging!r}")
    per_page = paging.get("entities_per_page", 500)
    page = paging.get("current_page", 1)
    for name, value in (("entities_per_page", per_page), ("current_page", page)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ProtocolError(f"API read() paging.{name} must be a positive integer, got {value!r}")
    return_only = a.get("return_only", "active")
    if return_only not in ("active", "retired"):
        raise ProtocolError(f"API read() return_only must be 'active' or 'retired', got {return_only!r}")
    if a.get("additional_filter_presets"):
        raise ValidationError(
            "additional_filter_presets are not supported yet", value=a.get("additional_filter_presets")
        )
    filters = a.get("filters") or {"logical_operator": "and", "conditions": []}
    fields = a.get("return_fields") or ["id"]
    if not isinstance(fields, list):
        raise ProtocolError(f"API read() return_fields must be a list, got {fields!r}")
    rows, has_next, count = ctx.sg.find_page(
        entity_type,
        filters,
        fields,
        a.get("sorts"),
        limit=per_page,
        offset=(page - 1) * per_page,
        retired_only=return_only == "retired",
        include_archived_projects=a.get("include_archived_projects", True) is not False,
        count=bool(a.get("return_paging_info")),
    )
    paging_info: dict[str, Any] = {"has_next_page": has_next, "current_page": page, "page_count": None}
    if count is not None:
        paging_info["entity_count"] = count
    return {"entities": rows, "paging_info": paging_info}


def _create(ctx: Context, args: Any) -> Any:
    a = _dict(args, "create")
    data, _ = _fields(a.get("fields"), "create")
    return ctx.sg.create(_type(a, "create"), data, a.get("return_fields"))


def _update(ctx: Context, args: Any) -> Any:
    a = _dict(args, "update")
    data, modes = _fields(a.get("fields"), "update")
    return ctx.sg.update(_type(a, "update"), _id(a, "update"), data, modes)


def _delete(ctx: Context, args: Any) -> Any:
    a = _dict(args, "delete")
    return ctx.sg.delete(_type(a, "delete"), _id(a, "delete"))


def _revive(ctx: Context, args: Any) -> Any:
    a = _dict(args, "revive")
    return ctx.sg.revive(_type(a, "revive"), _id(a, "revive"))


def _batch(ctx: Context, args: Any) -> Any:
    if not isinstance(args, list):
        raise ProtocolError(f"API batch() expects a list of requests, got {type(args).__name__}")
    requests = []
    for index, req in enumerate(args):
        if not isinstance(req, Mapping):
            raise ProtocolError(f"API batch() request with index {index} is not an object: {req!r}")
        kind = req.get("request_type")
        data, modes = _fields(req.get("fields"), str(kind))
        if "multi_entity_update_mode" in req:  # the legacy request-level mode applies to every field
            modes = {**dict.fromkeys(data, str(req["multi_entity_update_mode"])), **modes}
        requests.append(
            {
                "request_type": kind,
                "entity_type": req.get("type"),
                "entity_id": req.get("id"),
                "data": data,
                "return_fields": req.get("return_fields"),
                "multi_entity_update_modes": modes,
            }
        )
    return ctx.sg.batch(requests)


def _summarize(ctx: Context, args: Any) -> Any:
    a = _dict(args, "summarize")
    return ctx.sg.summarize(
        _type(a, "summarize"),
        a.get("filters") or [],
        a.get("summaries") or [],
        grouping=a.get("grouping"),
        include_archived_projects=a.get("include_archived_projects", True) is not False,
    )


def _schema_read(ctx: Context, args: Any) -> Any:
    return ctx.sg.schema_read()


def _schema_entity_read(ctx: Context, args: Any) -> Any:
    return ctx.sg.schema_entity_read()


def _schema_field_read(ctx: Context, args: Any) -> Any:
    a = _dict(args, "schema_field_read")
    return ctx.sg.schema_field_read(_type(a, "schema_field_read"), a.get("field_name"))


def _properties(raw: Any, method: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, list):
        raise ProtocolError(f"API {method}() properties must be a list of {{property_name, value}}")
    out = {}
    for p in raw:
        if not isinstance(p, Mapping) or not isinstance(p.get("property_name"), str):
            raise ProtocolError(f"API {method}() each property needs property_name and value, got {p!r}")
        out[p["property_name"]] = p.get("value")
    return out


def _schema_field_create(ctx: Context, args: Any) -> Any:
    a = _dict(args, "schema_field_create")
    props = _properties(a.get("properties"), "schema_field_create")
    display = props.pop("name", None)
    data_type = a.get("data_type")
    if not isinstance(data_type, str):
        raise ProtocolError(f"API schema_field_create() needs data_type, got {data_type!r}")
    if not isinstance(display, str):
        raise ProtocolError("API schema_field_create() needs a 'name' property (the display name)")
    return ctx.sg.schema_field_create(_type(a, "schema_field_create"), data_type, display, props)


def _schema_field_update(ctx: Context, args: Any) -> Any:
    a = _dict(args, "schema_field_update")
    name = a.get("field_name")
    if not isinstance(name, str):
        raise ProtocolError(f"API schema_field_update() needs field_name, got {name!r}")
    props = _properties(a.get("properties"), "schema_field_update")
    return ctx.sg.schema_field_update(_type(a, "schema_field_update"), name, props)


def _schema_field_delete(ctx: Context, args: Any) -> Any:
    a = _dict(args, "schema_field_delete")
    name = a.get("field_name")
    if not isinstance(name, str):
        raise ProtocolError(f"API schema_field_delete() needs field_name, got {name!r}")
    return ctx.sg.schema_field_delete(_type(a, "schema_field_delete"), name)


def _schema_entity_create(ctx: Context, args: Any) -> Any:
    a = _dict(args, "schema_entity_create")
    props = _properties(a.get("properties"), "schema_entity_create")
    return ctx.sg.schema_entity_create(_type(a, "schema_entity_create"), props.get("name"))


def _get_session_token(ctx: Context, args: Any) -> Any:
    token, _ = ctx.credentials.issue(ctx.principal, "session")
    return {"session_id": token}


def _text_search(ctx: Context, args: Any) -> Any:
    a = _dict(args, "text_search")
    text = a.get("text")
    return ctx.sg.text_search(
        text if isinstance(text, str) else "",
        a.get("entity_types") or {},
        a.get("project_ids"),
        a.get("max_results"),
    )


def _follow(ctx: Context, args: Any) -> Any:
    a = _dict(args, "follow")
    return ctx.sg.follow(a.get("user"), a.get("entity"))  # type: ignore[arg-type]


def _unfollow(ctx: Context, args: Any) -> Any:
    a = _dict(args, "unfollow")
    return ctx.sg.unfollow(a.get("user"), a.get("entity"))  # type: ignore[arg-type]


def _followers(ctx: Context, args: Any) -> Any:
    a = _dict(args, "followers")
    return ctx.sg.followers(a.get("entity"))  # type: ignore[arg-type]


def _following(ctx: Context, args: Any) -> Any:
    a = _dict(args, "following")
    return ctx.sg.following(a.get("user"), a.get("project"), a.get("entity_type"))  # type: ignore[arg-type]


def _project_last_accessed(ctx: Context, args: Any) -> Any:
    a = _dict(args, "update_project_last_accessed")
    return {"project_id": a.get("project_id"), "updated": True}


def _preferences_read(ctx: Context, args: Any) -> Any:
    return {}


def _user_subscriptions_read(ctx: Context, args: Any) -> Any:
    return []


METHODS: dict[str, Handler] = {
    "read": _read,
    "create": _create,
    "update": _update,
    "delete": _delete,
    "revive": _revive,
    "batch": _batch,
    "summarize": _summarize,
    "schema_read": _schema_read,
    "schema_entity_read": _schema_entity_read,
    "schema_field_read": _schema_field_read,
    "schema_field_create": _schema_field_create,
    "schema_field_update": _schema_field_update,
    "schema_field_delete": _schema_field_delete,
    "schema_entity_create": _schema_entity_create,
    "get_session_token": _get_session_token,
    "query_display_name_cache": _text_search,
    "follow": _follow,
    "unfollow": _unfollow,
    "followers": _followers,
    "following": _following,
    "update_project_last_accessed_by_current_user": _project_last_accessed,
    "preferences_read": _preferences_read,
    "user_subscriptions_read": _user_subscriptions_read,
}


def crud_message(method: str, exc: ShotlogError) -> str:
    """The message shape of FPTR's CRUD errors, which some callers match by prefix."""
    if isinstance(exc, BatchError):
        cause = crud_message(_batch_kind(exc), exc.cause)
        return f"API batch() request with index {exc.index} failed.  All requests rolled back.\n{cause}"
    return f"API {method}() CRUD ERROR #{exc.error_code}: {exc.message}"


def _batch_kind(exc: BatchError) -> str:
    return str(exc.details.get("request_type") or "batch")


def dispatch(ctx: Context, method: str, args: Any) -> Any:
    handler = METHODS.get(method)
    if handler is None:
        raise ProtocolError(f"API {method}() does not exist: unknown method {method!r}")
    return handler(ctx, args)
