"""Action Menu Items (AMIs): custom entries of the web UI's entity and event menus, as on FPTR.

An ``ActionMenuItem`` entity names a ``title``, a ``url``, the ``entity_type`` whose pages show it
(none: every page), whether it needs a selection, its ``list_order`` and ``folder``, and whom it is
for: ``projects`` (with ``configure_for_project``) and ``permissions_groups`` (Groups whose users
see it). Triggering one records a ``Shotgun_ActionMenuItem_Triggered`` event and builds FPTR's POST
payload (``payload``: the form fields FPTR sends to the item's URL). The built-in item "Export
events to CSV" (url ``shotlog:export-events``) instead streams the events of the selected
entities, or of the current filter, as CSV (``shotlog.server.actions_routes``).

Server-side delivery (``deliver``) posts the payload through the webhooks' guarded client: the
same address policy (no private or internal address unless the webhook settings allow it, checked
again at connect time), no redirects followed, and only the status and a short sanitised
``excerpt`` of the answer handed back to the caller.
"""

from __future__ import annotations

import unicodedata
import urllib.parse
import uuid as uuidlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shotlog.connection import Shotlog
from shotlog.errors import NotFound, PermissionDenied, ValidationError
from shotlog.export.query import EventQuery, query_from_dict
from shotlog.webhooks.netguard import AddressPolicy, check_url
from shotlog.webhooks.sender import Sender

__all__ = [
    "EXCERPT_CHARS",
    "EXPORT_URL",
    "TRIGGERED",
    "Posted",
    "TriggerContext",
    "Triggered",
    "check_deliverable",
    "deliver",
    "ensure_builtin_items",
    "excerpt",
    "menu_items",
    "payload",
    "query_from_dict",
    "trigger",
]

TRIGGERED = "Shotgun_ActionMenuItem_Triggered"
EXPORT_URL = "shotlog:export-events"
EXPORT_TITLE = "Export events to CSV"
ITEM_FIELDS = [
    "title",
    "url",
    "entity_type",
    "selection_required",
    "list_order",
    "folder",
    "configure_for_project",
    "projects",
    "permissions_groups",
    "sg_description",
]


@dataclass(frozen=True)
class TriggerContext:
    """What the page knew when the user clicked: FPTR sends all of it to the item's URL."""

    entity_type: str
    selected_ids: tuple[int, ...] = ()
    #: every id the page's query returned (FPTR's ``ids``), not only the visible ones
    ids: tuple[int, ...] = ()
    page_id: int | None = None
    project_id: int | None = None
    cols: tuple[str, ...] = ()
    column_display_names: tuple[str, ...] = ()
    sort_column: str | None = None
    sort_direction: str | None = None
    grouping_column: str | None = None
    grouping_direction: str | None = None
    grouping_method: str | None = None
    title: str | None = None
    referrer_path: str | None = None
    server_hostname: str | None = None
    session_uuid: str | None = None
    #: the page's current filter, as ``EventQuery`` fields (the built-in export uses it)
    query: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Triggered:
    """The outcome of ``trigger``: the item, the event recorded, and what to do next."""

    item: dict[str, Any]
    event_id: int
    #: ``export`` for the built-in export, else ``post``
    action: str
    payload: dict[str, Any]
    query: EventQuery | None = None


def ensure_builtin_items(store: Shotlog) -> dict[str, Any]:
    """The built-in "Export events to CSV" item, created on first use (admins may reorder or
    restrict it like any other item; deleting it retires it until next use)."""
    found = store.find_one("ActionMenuItem", [["url", "is", EXPORT_URL]], ITEM_FIELDS)
    if found is not None:
        return found
    return store.create(
        "ActionMenuItem",
        {
            "title": EXPORT_TITLE,
            "url": EXPORT_URL,
            "list_order": 1000,
            "sg_description": "Download the events of the selected entities, or of the filter, as CSV",
        },
        ITEM_FIELDS,
    )


def _user_groups(store: Shotlog, user: Mapping[str, Any] | None) -> set[int]:
    if not user or user.get("type") != "HumanUser":
        return set()
    groups = store.find("Group", [["users", "is", {"type": "HumanUser", "id": user["id"]}]], ["id"])
    return {g["id"] for g in groups}


def applies(item: Mapping[str, Any], entity_type: str, project_id: int | None, groups: set[int]) -> bool:
    """Whether ``item`` shows on a page of ``entity_type`` in ``project_id`` for a user in ``groups``."""
    if item.get("entity_type") not in (None, "", entity_type):
        return False
    projects = {p["id"] for p in item.get("projects") or []}
    if (item.get("configure_for_project") or projects) and project_id not in projects:
        return False
    allowed = {g["id"] for g in item.get("permissions_groups") or []}
    return not allowed or bool(allowed & groups)


def menu_items(
    store: Shotlog, entity_type: str, project_id: int | None = None, user: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The items a page of ``entity_type`` shows to ``user``, ordered by ``list_order`` then title."""
    ensure_builtin_items(store)
    store.catalog.schema.entity(entity_type)  # UnknownEntityType for a bad page type
    groups = _user_groups(store, user)
    items = store.find("ActionMenuItem", [], ITEM_FIELDS)
    shown = [i for i in items if applies(i, entity_type, project_id, groups)]
    shown.sort(
        key=lambda i: (i.get("list_order") is None, i.get("list_order") or 0, i.get("title") or "", i["id"])
    )
    for item in shown:
        item["builtin"] = item.get("url") == EXPORT_URL
    return shown


def payload(
    item: Mapping[str, Any],
    ctx: TriggerContext,
    user: Mapping[str, Any] | None,
    user_login: str | None,
    project: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """FPTR's POST fields for an item (pure). Ids are comma-separated strings, as FPTR sends them;
    ``cols`` and ``column_display_names`` are lists (repeated form fields)."""
    out: dict[str, Any] = {
        "entity_type": ctx.entity_type,
        "ids": ",".join(str(i) for i in ctx.ids),
        "selected_ids": ",".join(str(i) for i in ctx.selected_ids),
        "title": ctx.title or item.get("title") or "",
        "cols": list(ctx.cols),
        "column_display_names": list(ctx.column_display_names),
        "user_id": "" if not user else str(user["id"]),
        "user_login": user_login or "",
        "session_uuid": ctx.session_uuid or "",
        "server_hostname": ctx.server_hostname or "",
        "referrer_path": ctx.referrer_path or "",
        "page_id": "" if ctx.page_id is None else str(ctx.page_id),
    }
    if project is not None:
        out["project_id"] = str(project["id"])
        out["project_name"] = project.get("name") or ""
    for name in ("sort_column", "sort_direction", "grouping_column", "grouping_direction", "grouping_method"):
        value = getattr(ctx, name)
        if value:
            out[name] = value
    return out


def form_fields(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The payload as form fields in order, lists as repeated fields (what a browser form posts)."""
    fields: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, list):
            fields.extend((key, str(v)) for v in value)
        else:
            fields.append((key, str(value)))
    return fields


def trigger(
    store: Shotlog,
    item_id: int,
    ctx: TriggerContext,
    user: Mapping[str, Any] | None = None,
    user_login: str | None = None,
    *,
    before_post: Callable[[str], None] | None = None,
) -> Triggered:
    """Check the item applies, record ``Shotgun_ActionMenuItem_Triggered``, and say what to do.

    ``before_post(url)`` runs for an item that is not the built-in export after every other check
    and before the event is written (server-side delivery vets the URL there, so that a refused
    URL writes nothing)."""
    items = store.find("ActionMenuItem", [["id", "is", item_id]], ITEM_FIELDS)
    if not items:
        raise NotFound("ActionMenuItem", item_id)
    item = items[0]
    store.catalog.schema.entity(ctx.entity_type)
    if not applies(item, ctx.entity_type, ctx.project_id, _user_groups(store, user)):
        raise PermissionDenied(
            f"Action Menu Item {item_id} ({item.get('title')!r}) is not available on {ctx.entity_type} pages"
            + (f" of project {ctx.project_id}" if ctx.project_id is not None else "")
            + " for this user"
        )
    if item.get("selection_required") and not ctx.selected_ids:
        raise ValidationError(
            f"Action Menu Item {item.get('title')!r} needs a selection: selected_ids is empty",
            field="selected_ids",
        )
    if ctx.session_uuid:
        try:
            uuidlib.UUID(ctx.session_uuid)
        except ValueError:
            raise ValidationError(
                f"session_uuid must be a UUID, got {ctx.session_uuid!r}", field="session_uuid"
            ) from None
    is_export = item.get("url") == EXPORT_URL
    query = export_query(ctx) if is_export else None
    project = None
    if ctx.project_id is not None:
        project = store.find_one("Project", [["id", "is", ctx.project_id]], ["name"])
        if project is None:
            raise NotFound("Project", ctx.project_id)
    if before_post is not None and not is_export:
        before_post(str(item.get("url") or ""))
    data = payload(item, ctx, user, user_login, project)
    writer = store.as_user(user) if user else store
    if ctx.session_uuid:
        writer = writer.with_session_uuid(ctx.session_uuid)
    meta = {
        "type": "action_menu_item_triggered",
        "action_menu_item_id": item["id"],
        "title": item.get("title"),
        "url": item.get("url"),
        "entity_type": ctx.entity_type,
        "selected_ids": list(ctx.selected_ids),
        "page_id": ctx.page_id,
    }
    if query is not None:
        meta["export_query"] = query.describe()
    event = writer.create_event(
        TRIGGERED,
        description=f"{item.get('title')} triggered on {ctx.entity_type}"
        + (f" ({len(ctx.selected_ids)} selected)" if ctx.selected_ids else ""),
        entity={"type": "ActionMenuItem", "id": item["id"]},
        project={"type": "Project", "id": project["id"]} if project else None,
        meta=meta,
        builtin=True,
    )
    return Triggered(item, event["id"], "export" if is_export else "post", data, query)


def export_query(ctx: TriggerContext) -> EventQuery:
    """The events the built-in export takes: those of the selected entities (the selected events
    on an event page), else those matching the page's current filter."""
    base = query_from_dict(ctx.query)
    if not ctx.selected_ids:
        return base
    if ctx.entity_type == "EventLogEntry":
        return _replace(base, ids=tuple(ctx.selected_ids))
    return _replace(base, entity_type=ctx.entity_type, entity_ids=tuple(ctx.selected_ids))


def _replace(query: EventQuery, **changes: Any) -> EventQuery:
    import dataclasses

    return dataclasses.replace(query, **changes).check()


#: characters of a receiver's answer handed back by server-side delivery
EXCERPT_CHARS = 200
#: characters of an error message handed back (room for the address guard's explanation)
ERROR_CHARS = 400
#: seconds server-side delivery waits for the item's URL
DELIVERY_TIMEOUT = 10.0


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """At most ``limit`` characters of ``text`` that are safe to show (pure): tabs and line breaks
    become spaces; every other control, format (such as bidirectional overrides), surrogate,
    private-use or unassigned character is dropped."""
    kept: list[str] = []
    for ch in text:
        if ch in "\t\n\r":
            kept.append(" ")
        elif not unicodedata.category(ch).startswith("C"):
            kept.append(ch)
        if len(kept) >= limit:
            break
    return "".join(kept)


def check_deliverable(url: str, policy: AddressPolicy) -> None:
    """Server-side delivery's early check: an http(s) URL whose every address ``policy`` allows.

    Raises a ``ValidationError`` naming ``url`` (``RefusedAddress`` for an internal address). The
    connection is checked again when it is made (``deliver``), which is what defeats DNS rebinding.
    """
    check_url(url, policy)


@dataclass(frozen=True)
class Posted:
    """What server-side delivery tells the caller: the status, and never more of the answer than
    an ``excerpt``; or, when no answer came (refused, unreachable, timed out), the ``error``."""

    status: int | None
    excerpt: str | None
    error: str | None


async def deliver(
    url: str, data: Mapping[str, Any], policy: AddressPolicy, *, timeout: float = DELIVERY_TIMEOUT
) -> Posted:
    """POST the payload to an item's URL as a form, as FPTR's browser does, through the webhooks'
    guarded sender (connect-time address check, redirects not followed)."""
    sender = Sender(policy, limit=1, limit_per_host=1)
    await sender.open()
    try:
        reply = await sender.post(
            url,
            urllib.parse.urlencode(form_fields(data)).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
            timeout=timeout,
            verify_tls=True,
        )
    finally:
        await sender.close()
    return Posted(
        reply.status,
        None if reply.body is None else excerpt(reply.body),
        # aiohttp's messages can quote bytes of a malformed answer: they are cut down the same way
        None if reply.error is None else excerpt(reply.error, ERROR_CHARS),
    )


def ids_from(value: Any, name: str) -> tuple[int, ...]:
    """Ids given as a list or FPTR's comma-separated string."""
    if value in (None, "", []):
        return ()
    items: Sequence[Any] = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValidationError(
            f"{name} must be a list of ids or a comma-separated string, got {value!r}", field=name
        )
    out = []
    for item in items:
        try:
            ident = int(str(item).strip())
        except ValueError:
            raise ValidationError(f"{name} must hold integer ids, got {item!r}", field=name) from None
        if not 1 <= ident < 2**63:
            raise ValidationError(f"{name} must hold positive ids, got {item!r}", field=name)
        out.append(ident)
    return tuple(out)
