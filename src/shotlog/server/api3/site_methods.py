"""The api3 methods beyond entities and schema: session tokens, text search, following,
preferences, subscriptions, work schedules, pages and navigation, activity streams, note threads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shotlog.server.api3.args import Context, Handler, arguments
from shotlog.server.api3.wire import ProtocolError
from shotlog.site import activity, notes, preferences, project_access, subscriptions, workschedule

__all__ = ["SITE_METHODS"]


def _get_session_token(ctx: Context, args: Any) -> Any:
    token, _ = ctx.credentials.issue(ctx.principal, "session")
    return {"session_id": token}


def _text_search(ctx: Context, args: Any) -> Any:
    a = arguments(args, "text_search")
    text = a.get("text")
    return ctx.sg.text_search(
        text if isinstance(text, str) else "",
        a.get("entity_types") or {},
        a.get("project_ids"),
        a.get("max_results"),
    )


def _follow(ctx: Context, args: Any) -> Any:
    a = arguments(args, "follow")
    return ctx.sg.follow(a.get("user"), a.get("entity"))  # type: ignore[arg-type]


def _unfollow(ctx: Context, args: Any) -> Any:
    a = arguments(args, "unfollow")
    return ctx.sg.unfollow(a.get("user"), a.get("entity"))  # type: ignore[arg-type]


def _followers(ctx: Context, args: Any) -> Any:
    a = arguments(args, "followers")
    return ctx.sg.followers(a.get("entity"))  # type: ignore[arg-type]


def _following(ctx: Context, args: Any) -> Any:
    a = arguments(args, "following")
    return ctx.sg.following(a.get("user"), a.get("project"), a.get("entity_type"))  # type: ignore[arg-type]


def _project_last_accessed(ctx: Context, args: Any) -> Any:
    a = arguments(args, "update_project_last_accessed_by_current_user")
    # the client reads the answer as a record list and takes its first item
    return project_access.touch(ctx.sg, a.get("project_id"), a.get("user_id"))


def _preferences_read(ctx: Context, args: Any) -> Any:
    return preferences.read(ctx.sg, arguments(args, "preferences_read").get("prefs"))


def _user_subscriptions_read(ctx: Context, args: Any) -> Any:
    return subscriptions.read(ctx.sg)


def _user_subscriptions_create(ctx: Context, args: Any) -> Any:
    return subscriptions.assign(ctx.sg, arguments(args, "user_subscriptions_create").get("users"))


def _work_schedule_read(ctx: Context, args: Any) -> Any:
    a = arguments(args, "work_schedule_read")
    return workschedule.read_schedule(
        ctx.sg, a.get("start_date"), a.get("end_date"), a.get("project"), a.get("user")
    )


def _work_schedule_update(ctx: Context, args: Any) -> Any:
    a = arguments(args, "work_schedule_update")
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
    a = arguments(args, "export_page")
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
    path = _nav_path(arguments(args, "nav_expand").get("path"), "nav_expand", "path")
    # shotlog has no navigation hierarchy (FPTR's project navigation pages), so no path names an item
    raise ProtocolError(f"API nav_expand() no navigation item at path {path!r}")


def _nav_search(ctx: Context, args: Any) -> Any:
    a = arguments(args, "nav_search")
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
    a = arguments(args, "activity_stream")
    q = activity.StreamQuery.parse(
        a.get("type"), a.get("id"), a.get("entity_fields"), a.get("min_id"), a.get("max_id"), a.get("limit")
    )
    return activity.read_stream(ctx.sg, q)


def _note_thread(ctx: Context, args: Any) -> Any:
    a = arguments(args, "note_thread_contents")
    return notes.read_thread(ctx.sg, a.get("note_id"), a.get("entity_fields"))


SITE_METHODS: dict[str, Handler] = {
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
