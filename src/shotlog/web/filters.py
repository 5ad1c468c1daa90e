"""The event log page's query string: parsed, checked and turned into store filters (pure).

A page's state lives in its URL (filters, sort, page size, cursor), so every view can be bookmarked,
shared and exported. ``parse_event_query`` never raises: a bad value becomes a message keyed by the
form field it came from, shown next to that field, and the page runs no query.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from shotlog.eventlog.setup_events import not_setup
from shotlog.web.timezones import UTC, parse_local

__all__ = [
    "PAGE_SIZES",
    "SORTS",
    "EventQuery",
    "event_type_filters",
    "parse_event_query",
    "whole_number",
]

PAGE_SIZES = (25, 50, 100, 200, 500)
DEFAULT_PAGE_SIZE = 50

#: sort key in the URL -> (store field, label); "-" prefix means descending
SORTS: dict[str, tuple[str, str]] = {
    "id": ("id", "Id"),
    "created_at": ("created_at", "Date"),
    "event_type": ("event_type", "Event type"),
    "attribute_name": ("attribute_name", "Attribute"),
    "description": ("description", "Description"),
}

_EVENT_TYPE = re.compile(r"^[A-Za-z0-9_*.\-]+$")
_LINK = re.compile(r"^([A-Za-z][A-Za-z0-9_]*):([0-9]+)$")
_DIGITS = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class EventQuery:
    """What the event list shows: filters, order, page size and where the page starts."""

    text: str = ""  # words in the description
    event_type: str = ""  # comma-separated patterns, * is a wildcard
    entity_type: str = ""
    entity_id: int | None = None
    project_id: int | None = None
    user: tuple[str, int] | None = None  # (HumanUser|ApiUser, id)
    attribute: str = ""
    old_value: str = ""  # meta.old_value of a field change, as text
    new_value: str = ""  # meta.new_value of a field change, as text
    hide_setup: bool = False  # leave out setup and system events (shotlog.eventlog.setup_events)
    date_from: dt.datetime | None = None  # inclusive, aware UTC (typed in the reader's zone)
    date_to: dt.datetime | None = None  # exclusive, aware UTC
    id_from: int | None = None  # inclusive
    id_to: int | None = None  # inclusive
    sort: str = "-id"
    size: int = DEFAULT_PAGE_SIZE
    before: int | None = None  # keyset cursor (id order): ids below this one
    after: int | None = None  # keyset cursor (id order): ids above this one
    page: int = 1  # offset paging, for orders other than id
    live: bool = False
    raw: Mapping[str, str] = field(default_factory=dict)  # the form values, to refill the form

    @property
    def sort_field(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def by_id(self) -> bool:
        return self.sort_field == "id"

    @property
    def hides_setup(self) -> bool:
        """Whether setup and system events are left out: asked for, and no event type chosen (a
        type typed in is shown even if it is a setup one)."""
        return self.hide_setup and not self.event_type

    def filters(self) -> list[Any]:
        """The store filters (shotgun_api3 filter lists) of this query, without the page cursor."""
        out: list[Any] = []
        if self.text:
            out.extend(["description", "contains", word] for word in self.text.split())
        if self.event_type:
            out.extend(event_type_filters(self.event_type))
        if self.entity_type and self.entity_id is not None:
            out.append(["entity", "is", {"type": self.entity_type, "id": self.entity_id}])
        elif self.entity_type:
            out.append(["entity", "type_is", self.entity_type])
        if self.project_id is not None:
            out.append(["project", "is", {"type": "Project", "id": self.project_id}])
        if self.user is not None:
            out.append(["user", "is", {"type": self.user[0], "id": self.user[1]}])
        if self.attribute:
            out.append(["attribute_name", "is", self.attribute])
        if self.old_value:
            out.append(["meta.old_value", "is", self.old_value])
        if self.new_value:
            out.append(["meta.new_value", "is", self.new_value])
        if self.hides_setup:
            out.extend(not_setup())
        if self.date_from is not None:
            out.append(["created_at", "greater_than", self.date_from - dt.timedelta(microseconds=1)])
        if self.date_to is not None:
            out.append(["created_at", "less_than", self.date_to])
        if self.id_from is not None:
            out.append(["id", "greater_than", self.id_from - 1])
        if self.id_to is not None:
            out.append(["id", "less_than", self.id_to + 1])
        return out

    def order(self) -> list[dict[str, str]]:
        direction = "desc" if self.descending else "asc"
        order = [{"field_name": self.sort_field, "direction": direction}]
        if not self.by_id:
            order.append({"field_name": "id", "direction": direction})
        return order

    def params(self, **changes: Any) -> dict[str, str]:
        """The URL parameters of this query (filters, sort, size), changed by ``changes``."""
        values = {k: v for k, v in self.raw.items() if v and k in _FILTER_KEYS}
        values["sort"] = self.sort
        values["size"] = str(self.size)
        if self.live:
            values["live"] = "1"
        for key, value in changes.items():
            if value is None or value == "":
                values.pop(key, None)
            else:
                values[key] = str(value)
        if values.get("sort") == "-id":
            values.pop("sort")
        if values.get("size") == str(DEFAULT_PAGE_SIZE):
            values.pop("size")
        return values

    def url(self, path: str = "/events", **changes: Any) -> str:
        query = urlencode(self.params(**changes))
        return f"{path}?{query}" if query else path


_FILTER_KEYS = (
    "q",
    "event_type",
    "entity_type",
    "entity_id",
    "project",
    "user",
    "attribute",
    "old_value",
    "new_value",
    "setup",
    "from",
    "to",
    "id_from",
    "id_to",
)


def event_type_filters(patterns: str) -> list[Any]:
    """Filters for comma-separated event-type patterns, where ``*`` matches any run of characters.

    One pattern becomes ``is`` (no wildcard) or a conjunction of ``starts_with`` / ``contains`` /
    ``ends_with`` on its fixed parts, so it compiles to indexed or cheap SQL; several patterns are
    ``any`` of them.
    """
    groups = [_one_pattern(p.strip()) for p in patterns.split(",") if p.strip()]
    if len(groups) == 1:
        return groups[0]
    return [{"filter_operator": "any", "filters": [{"filter_operator": "all", "filters": g} for g in groups]}]


def _one_pattern(pattern: str) -> list[Any]:
    if "*" not in pattern:
        return [["event_type", "is", pattern]]
    parts = pattern.split("*")
    out: list[Any] = []
    if parts[0]:
        out.append(["event_type", "starts_with", parts[0]])
    if parts[-1]:
        out.append(["event_type", "ends_with", parts[-1]])
    out.extend(["event_type", "contains", middle] for middle in parts[1:-1] if middle)
    return out or [["event_type", "is_not", None]]


def whole_number(text: str) -> int | None:
    """``text`` as a whole number if it is 1 to 18 ASCII digits (so it fits any id column), else None."""
    return int(text) if _DIGITS.fullmatch(text) else None


def _int(value: str) -> int:
    number = whole_number(value)
    if number is None or number <= 0:
        raise ValueError(value)
    return number


def parse_event_query(
    params: Mapping[str, str],
    entity_types: frozenset[str] | set[str],
    zone: ZoneInfo = UTC,
    *,
    hide_setup: bool = False,
) -> tuple[EventQuery, dict[str, str]]:
    """The query a page asks for, and a message per form field whose value is not acceptable.
    Dates are read in ``zone``, the reader's: ``to=2026-03-29`` ends where that day ends there.
    ``hide_setup`` is the site's default for setup events; ``setup=show`` or ``setup=hide`` overrides it."""
    raw = {k: v.strip() for k, v in params.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    q = EventQuery(raw=raw)

    text = raw.get("q", "")
    if len(text) > 200:
        errors["q"] = "Search text is limited to 200 characters."
    else:
        q = replace(q, text=text)

    event_type = raw.get("event_type", "")
    if event_type:
        bad = [p.strip() for p in event_type.split(",") if p.strip() and not _EVENT_TYPE.match(p.strip())]
        if bad:
            errors["event_type"] = (
                f"{bad[0]!r} is not an event type pattern: use letters, digits, _ and * "
                "(for example Shotgun_Shot_*), several separated by commas."
            )
        else:
            q = replace(q, event_type=event_type)

    entity_type = raw.get("entity_type", "")
    if entity_type and entity_type not in entity_types:
        errors["entity_type"] = f"Unknown entity type {entity_type!r}."
    else:
        q = replace(q, entity_type=entity_type)

    entity_id = raw.get("entity_id", "")
    if entity_id:
        try:
            q = replace(q, entity_id=_int(entity_id))
        except ValueError:
            errors["entity_id"] = f"Entity id must be a positive whole number, got {entity_id!r}."
        else:
            if not entity_type and "entity_type" not in errors:
                errors["entity_id"] = "Choose the entity type of this id."

    project = raw.get("project", "")
    if project:
        try:
            q = replace(q, project_id=_int(project))
        except ValueError:
            errors["project"] = f"Project must be a project id, got {project!r}."

    user = raw.get("user", "")
    if user:
        match = _LINK.match(user)
        if not match or match.group(1) not in ("HumanUser", "ApiUser"):
            errors["user"] = f"User must look like HumanUser:12 or ApiUser:3, got {user!r}."
        else:
            q = replace(q, user=(match.group(1), int(match.group(2))))

    attribute = raw.get("attribute", "")
    if attribute and not re.match(r"^[A-Za-z0-9_.]+$", attribute):
        errors["attribute"] = f"{attribute!r} is not a field name."
    else:
        q = replace(q, attribute=attribute)

    for key in ("old_value", "new_value"):
        value = raw.get(key, "")
        if len(value) > 200:
            label = "Old value" if key == "old_value" else "New value"
            errors[key] = f"{label} is limited to 200 characters."
        elif value:
            meta_change: dict[str, Any] = {key: value}
            q = replace(q, **meta_change)

    setup = raw.get("setup", "")
    if setup not in ("", "show", "hide"):
        errors["setup"] = f"setup must be show or hide, got {setup!r}."
    q = replace(q, hide_setup=setup == "hide" or (hide_setup and setup != "show"))

    for key, end in (("from", False), ("to", True)):
        value = raw.get(key, "")
        if not value:
            continue
        try:
            parsed = parse_local(value, end, zone)
        except ValueError:
            errors[key] = f"Dates look like 2026-11-27 or 2026-11-27T14:30 ({zone.key}), got {value!r}."
            continue
        change: dict[str, Any] = {"date_from" if key == "from" else "date_to": parsed}
        q = replace(q, **change)
    if q.date_from and q.date_to and q.date_from >= q.date_to and "to" not in errors:
        errors["to"] = "The end of the range must come after its start."

    for key in ("id_from", "id_to"):
        value = raw.get(key, "")
        if value:
            try:
                bound: dict[str, Any] = {key: _int(value)}
            except ValueError:
                errors[key] = f"Event ids are positive whole numbers, got {value!r}."
            else:
                q = replace(q, **bound)
    if q.id_from and q.id_to and q.id_from > q.id_to and "id_to" not in errors:
        errors["id_to"] = "The last id must not be below the first."

    sort = raw.get("sort", "") or "-id"
    if sort.lstrip("-") not in SORTS:
        errors["sort"] = f"Cannot sort by {sort!r}; choose one of {', '.join(SORTS)}."
    else:
        q = replace(q, sort=sort)

    size = raw.get("size", "")
    if size:
        if whole_number(size) not in PAGE_SIZES:
            errors["size"] = f"Page size must be one of {', '.join(map(str, PAGE_SIZES))}, got {size!r}."
        else:
            q = replace(q, size=int(size))

    for key in ("before", "after", "page"):
        value = raw.get(key, "")
        if not value:
            continue
        try:
            cursor: dict[str, Any] = {key: _int(value)}
        except ValueError:
            errors[key] = f"{key} must be a positive whole number, got {value!r}."
        else:
            q = replace(q, **cursor)
    q = replace(q, live=raw.get("live") in ("1", "on", "true"))
    return q, errors
