"""The api3 methods: each turns the client's argument shape into a call on the Python API.

Handlers run synchronously in a worker thread (the store is synchronous). Each receives the view of
the store acting as the authenticated user (with sudo and session_uuid applied) and the raw args.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shotlog import (
    activity,
    field_visibility,
    notes,
    preferences,
    project_access,
    readings,
    subscriptions,
    workschedule,
)
from shotlog.connection import BatchError, Shotlog
from shotlog.credentials import Credentials, Principal
from shotlog.errors import ShotlogError, ValidationError
from shotlog.server.api3.pagecursor import PageCursors, after, id_order
from shotlog.server.api3.wire import ProtocolError

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
    a = _dict(args, "create")
    data, _ = _fields(a.get("fields"), "create")
    return ctx.sg.create(_type(a, "create"), data, _return_fields(a.get("return_fields"), "create"))


def _update(ctx: Context, args: Any) -> Any:
    a = _dict(args, "update")
    data, modes = _fields(a.get("fields"), "update")
    entity_type, entity_id = _type(a, "update"), _id(a, "update")
    if entity_type != "Note" or readings.FIELD not in data:
        return ctx.sg.update(entity_type, entity_id, data, modes)
    # read_by_current_user is the acting person's read state, kept outside the Note's row
    state = data.pop(readings.FIELD)
    readings.check_value(state)  # before any write: a bad value changes nothing
    result = ctx.sg.update(entity_type, entity_id, data, modes) if data else {"type": "Note", "id": entity_id}
    return {**result, readings.FIELD: readings.set_read_state(ctx.sg, entity_id, state)}


def _delete(ctx: Context, args: Any) -> Any:
    a = _dict(args, "delete")
    return ctx.sg.delete(_type(a, "delete"), _id(a, "delete"))


def _revive(ctx: Context, args: Any) -> Any:
    a = _dict(args, "revive")
    return ctx.sg.revive(_type(a, "revive"), _id(a, "revive"))


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
    a = _dict(args, "summarize")
    entity_type = _type(a, "summarize")
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


def _project(a: Mapping[str, Any], method: str) -> int | None:
    """The id of the ``project`` passed ({"type": "Project", "id": 0} included), its shape checked."""
    project = a.get("project")
    if project is None:
        return None
    pid = project.get("id") if isinstance(project, Mapping) else None
    if (
        not isinstance(project, Mapping)
        or project.get("type") != "Project"
        or isinstance(pid, bool)
        or not isinstance(pid, int)
    ):
        raise ProtocolError(f"API {method}() 'project' must be a Project link {{type, id}}, got {project!r}")
    return pid


def _schema_read(ctx: Context, args: Any) -> Any:
    pid = _project(_dict(args, "schema_read"), "schema_read")
    if pid is None:
        return ctx.sg.schema_read()
    schema = ctx.sg.catalog.schema
    return {t: field_visibility.describe(ctx.sg, t, schema.fields[t], pid) for t in schema.types}


def _schema_entity_read(ctx: Context, args: Any) -> Any:
    _project(_dict(args, "schema_entity_read"), "schema_entity_read")
    return ctx.sg.schema_entity_read()


def _schema_field_read(ctx: Context, args: Any) -> Any:
    a = _dict(args, "schema_field_read")
    entity_type, name = _type(a, "schema_field_read"), a.get("field_name")
    if name is not None and not isinstance(name, str):
        raise ProtocolError(f"API schema_field_read() 'field_name' must be a field name, got {name!r}")
    found = ctx.sg.schema_field_read(entity_type, name)
    pid = _project(a, "schema_field_read")
    if pid is None:
        return found
    return field_visibility.describe(ctx.sg, ctx.sg.catalog.schema.entity(entity_type).name, found, pid)


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
    entity_type = _type(a, "schema_field_update")
    pid = _project(a, "schema_field_update")
    if pid and "visible" in props:
        # with a project, visibility is that project's own; other properties are the site's
        field_visibility.set_visible(ctx.sg, entity_type, name, pid, props.pop("visible"))
        if not props:
            return True
    return ctx.sg.schema_field_update(entity_type, name, props)


def _schema_field_delete(ctx: Context, args: Any) -> Any:
    a = _dict(args, "schema_field_delete")
    name = a.get("field_name")
    if not isinstance(name, str):
        raise ProtocolError(f"API schema_field_delete() needs field_name, got {name!r}")
    return ctx.sg.schema_field_delete(_type(a, "schema_field_delete"), name)


def _schema_entity_create(ctx: Context, args: Any) -> Any:
    a = _dict(args, "schema_entity_create")
    props = _properties(a.get("properties"), "schema_entity_create")
    display = props.get("name")
    if display is not None and not isinstance(display, str):
        raise ProtocolError(f"API schema_entity_create() 'name' must be text, got {display!r}")
    return ctx.sg.schema_entity_create(_type(a, "schema_entity_create"), display)


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
    a = _dict(args, "update_project_last_accessed_by_current_user")
    # the client reads the answer as a record list and takes its first item
    return project_access.touch(ctx.sg, a.get("project_id"), a.get("user_id"))


def _preferences_read(ctx: Context, args: Any) -> Any:
    return preferences.read(ctx.sg, _dict(args, "preferences_read").get("prefs"))


def _user_subscriptions_read(ctx: Context, args: Any) -> Any:
    return subscriptions.read(ctx.sg)


def _user_subscriptions_create(ctx: Context, args: Any) -> Any:
    return subscriptions.assign(ctx.sg, _dict(args, "user_subscriptions_create").get("users"))


def _work_schedule_read(ctx: Context, args: Any) -> Any:
    a = _dict(args, "work_schedule_read")
    return workschedule.read_schedule(
        ctx.sg, a.get("start_date"), a.get("end_date"), a.get("project"), a.get("user")
    )


def _work_schedule_update(ctx: Context, args: Any) -> Any:
    a = _dict(args, "work_schedule_update")
    return workschedule.update_day(
        ctx.sg,
        a.get("date"),
        a.get("working"),
        a.get("description"),
        a.get("project"),
        a.get("user"),
        a.get("recalculate_field"),
    )


def _export_page(ctx: Context, args: Any) -> Any:
    a = _dict(args, "export_page")
    page_id, fmt = a.get("page_id"), a.get("format")
    if isinstance(page_id, bool) or not isinstance(page_id, int):
        raise ProtocolError(f"API export_page() page_id must be an integer, got {page_id!r}")
    if fmt != "csv":
        raise ProtocolError(f"API export_page() format must be 'csv', got {fmt!r}")
    layout = a.get("layout_name")
    if layout is not None and not isinstance(layout, str):
        raise ProtocolError(f"API export_page() layout_name must be text, got {layout!r}")
    if ctx.sg.find_one("Page", [["id", "is", page_id]]) is None:
        raise ProtocolError(f"API export_page() Page {page_id} does not exist")
    # shotlog keeps a Page's name and type, not its columns, filters or layouts: nothing to export
    raise ProtocolError(
        f"API export_page() Page {page_id} is not API exportable"
        + (f" with layout {layout!r}" if layout is not None else "")
        + ": shotlog keeps no layouts for pages"
    )


def _nav_path(raw: Any, method: str, name: str) -> str:
    if not isinstance(raw, str) or not raw.startswith("/"):
        raise ProtocolError(f"API {method}() {name} must be a navigation path starting with '/', got {raw!r}")
    return raw


def _nav_expand(ctx: Context, args: Any) -> Any:
    path = _nav_path(_dict(args, "nav_expand").get("path"), "nav_expand", "path")
    # shotlog has no navigation hierarchy (FPTR's project navigation pages), so no path names an item
    raise ProtocolError(f"API nav_expand() no navigation item at path {path!r}")


def _nav_search(ctx: Context, args: Any) -> Any:
    a = _dict(args, "nav_search")
    path = _nav_path(a.get("root_path"), "nav_search", "root_path")
    criteria = a.get("search_criteria")
    if not isinstance(criteria, Mapping) or not (
        isinstance(criteria.get("search_string"), str) or isinstance(criteria.get("entity"), Mapping)
    ):
        raise ProtocolError(
            f"API nav_search() search_criteria needs a search_string or an entity, got {criteria!r}"
        )
    raise ProtocolError(f"API nav_search() no navigation item at root_path {path!r}")


def _activity_stream(ctx: Context, args: Any) -> Any:
    a = _dict(args, "activity_stream")
    q = activity.StreamQuery.parse(
        a.get("type"), a.get("id"), a.get("entity_fields"), a.get("min_id"), a.get("max_id"), a.get("limit")
    )
    return activity.read_stream(ctx.sg, q)


def _note_thread(ctx: Context, args: Any) -> Any:
    a = _dict(args, "note_thread_contents")
    return notes.read_thread(ctx.sg, a.get("note_id"), a.get("entity_fields"))


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
    "user_subscriptions_create": _user_subscriptions_create,
    "work_schedule_read": _work_schedule_read,
    "work_schedule_update": _work_schedule_update,
    "export_page": _export_page,
    "nav_expand": _nav_expand,
    "nav_search": _nav_search,
    "activity_stream": _activity_stream,
    "note_thread_contents": _note_thread,
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
