"""Which events an export (or an archive search) takes: ``EventQuery`` and its pure checks.

The same query runs three ways: compiled to SQL for the local store, to api3 filters for a remote
server, and matched in Python against archived records. Matching rules are identical on all three:
event types take shell-style wildcards (``Shotgun_Shot_*``, case-sensitive), dates are UTC with an
inclusive start and an exclusive end, and id bounds are inclusive.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from shotlog.errors import ValidationError

# the event-type patterns are the event log's (its SQL serves them); re-exported for callers here
from shotlog.eventlog.rows import glob_prefix, glob_to_regex, is_glob

__all__ = [
    "USER_TYPES",
    "EventQuery",
    "ExportError",
    "glob_prefix",
    "glob_to_regex",
    "is_glob",
    "query_from_dict",
]

USER_TYPES = ("HumanUser", "ApiUser")
_MAX_ID = 2**63 - 1
_MAX_VALUES = 10_000


class ExportError(ValidationError):
    """An export or archive request is invalid: it names the option and the value at fault."""


@dataclass(frozen=True)
class EventQuery:
    """The filters of an export. Every part is optional; parts combine with AND, values with OR."""

    project_ids: tuple[int, ...] = ()
    #: only events whose subject (``entity``) is of this type...
    entity_type: str | None = None
    #: ...and, if given, one of these ids (needs ``entity_type``)
    entity_ids: tuple[int, ...] = ()
    #: exact names or shell-style patterns: ``Shotgun_Shot_*``, ``*_Retirement``
    event_types: tuple[str, ...] = ()
    #: (``HumanUser``/``ApiUser``, id) pairs
    users: tuple[tuple[str, int], ...] = ()
    #: UTC, inclusive (naive datetimes are taken as UTC)
    since: dt.datetime | None = None
    #: UTC, exclusive
    until: dt.datetime | None = None
    #: inclusive id bounds
    min_id: int | None = None
    max_id: int | None = None
    #: only these event ids (the selected rows of an event list)
    ids: tuple[int, ...] = ()
    #: extra, caller-defined notes carried along (not a filter)
    label: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Accept lists from callers and JSON bodies; store tuples so the query is hashable and frozen.
        for name in ("project_ids", "entity_ids", "event_types", "ids"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        users: Any = self.users
        if isinstance(users, list):
            object.__setattr__(self, "users", tuple(tuple(u) for u in users))
        for name in ("since", "until"):
            value = getattr(self, name)
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                object.__setattr__(self, name, value.astimezone(dt.UTC).replace(tzinfo=None))

    def check(self) -> EventQuery:
        """Raise ``ExportError`` naming the first bad part; return ``self`` when all are sound."""
        _ids("project", self.project_ids)
        _ids("entity id", self.entity_ids)
        _ids("event", self.ids)
        if self.entity_ids and not self.entity_type:
            raise ExportError("entity ids need an entity type (--entity-type)", option="entity_ids")
        if self.entity_type is not None and (
            not isinstance(self.entity_type, str)
            or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", self.entity_type)
        ):
            raise ExportError(
                f"entity type must be a type name, got {self.entity_type!r}", option="entity_type"
            )
        if not isinstance(self.event_types, tuple) or len(self.event_types) > _MAX_VALUES:
            raise ExportError(
                f"event types must be a list of names, got {self.event_types!r}", option="event_types"
            )
        for pattern in self.event_types:
            if not isinstance(pattern, str) or not pattern or len(pattern) > 255:
                raise ExportError(
                    f"event type pattern must be a non-empty name, got {pattern!r}", option="event_types"
                )
        for user in self.users:
            if (
                len(user) != 2
                or user[0] not in USER_TYPES
                or not isinstance(user[1], int)
                or isinstance(user[1], bool)
            ):
                raise ExportError(f"user must be (HumanUser|ApiUser, id), got {user!r}", option="users")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dt.datetime):
                raise ExportError(f"{name} must be a datetime, got {value!r}", option=name)
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise ExportError(
                f"until ({self.until:%Y-%m-%d %H:%M:%S}) must be after "
                f"since ({self.since:%Y-%m-%d %H:%M:%S})",
                option="until",
            )
        for name in ("min_id", "max_id"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_ID
            ):
                raise ExportError(
                    f"{name} must be an event id (a non-negative integer), got {value!r}", option=name
                )
        if self.min_id is not None and self.max_id is not None and self.max_id < self.min_id:
            raise ExportError(f"max_id {self.max_id} is below min_id {self.min_id}", option="max_id")
        return self

    # -- matching a record in Python (archive search) --------------------------------------------------

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Whether an event record (the JSON Lines shape: links as ``{type, id, name}``) matches."""
        event_id = record.get("id")
        if not isinstance(event_id, int):
            return False
        if self.min_id is not None and event_id < self.min_id:
            return False
        if self.max_id is not None and event_id > self.max_id:
            return False
        if self.ids and event_id not in self.ids:
            return False
        if self.event_types and not self.matches_type(str(record.get("event_type") or "")):
            return False
        if self.project_ids:
            project = record.get("project") or {}
            if project.get("id") not in self.project_ids:
                return False
        if self.entity_type is not None:
            entity = record.get("entity") or {}
            if entity.get("type") != self.entity_type:
                return False
            if self.entity_ids and entity.get("id") not in self.entity_ids:
                return False
        if self.users:
            user = record.get("user") or {}
            if (user.get("type"), user.get("id")) not in self.users:
                return False
        if self.since is not None or self.until is not None:
            created = parse_iso(record.get("created_at"))
            if created is None:
                return False
            if self.since is not None and created < self.since:
                return False
            if self.until is not None and created >= self.until:
                return False
        return True

    def matches_type(self, event_type: str) -> bool:
        return any(fnmatchcase(event_type, p) if is_glob(p) else event_type == p for p in self.event_types)

    def id_range(self) -> tuple[int, int]:
        """The inclusive id range the query allows."""
        return (self.min_id or 0, _MAX_ID if self.max_id is None else self.max_id)

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary, stored with triggered exports and shown in logs."""
        out: dict[str, Any] = {}
        for name in ("project_ids", "entity_type", "entity_ids", "event_types", "min_id", "max_id", "ids"):
            value = getattr(self, name)
            if value not in (None, ()):
                out[name] = list(value) if isinstance(value, tuple) else value
        if self.users:
            out["users"] = [{"type": t, "id": i} for t, i in self.users]
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.strftime("%Y-%m-%dT%H:%M:%SZ")
        return out


def _ids(what: str, values: Sequence[Any]) -> None:
    if not isinstance(values, tuple) or len(values) > _MAX_VALUES:
        raise ExportError(
            f"{what} ids must be a list of at most {_MAX_VALUES} ids, got {values!r}", option=what
        )
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_ID:
            raise ExportError(f"{what} id must be a positive integer, got {value!r}", option=what)


def parse_iso(value: Any) -> dt.datetime | None:
    """``2024-03-01T10:00:00Z`` (or with an offset, or a date) as a naive UTC datetime; None if not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


_QUERY_KEYS = {
    "project_ids",
    "entity_type",
    "entity_ids",
    "event_types",
    "users",
    "since",
    "until",
    "min_id",
    "max_id",
    "ids",
}


def query_from_dict(data: Mapping[str, Any] | None) -> EventQuery:
    """An ``EventQuery`` from JSON (HTTP bodies, query strings): dates as ISO text, users as links.

    Unknown keys and bad values are ``ExportError`` naming them.
    """
    if not data:
        return EventQuery()
    if not isinstance(data, Mapping):
        raise ExportError(f"the filter must be an object of EventQuery fields, got {data!r}", option="query")
    unknown = sorted(set(data) - _QUERY_KEYS)
    if unknown:
        raise ExportError(
            f"unknown filter {unknown[0]!r}; filters are {', '.join(sorted(_QUERY_KEYS))}", option=unknown[0]
        )
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if key in ("project_ids", "entity_ids", "event_types", "ids"):
            if not isinstance(value, list | tuple):
                value = [value]
            kwargs[key] = tuple(value)
        elif key == "users":
            users = []
            for u in value if isinstance(value, list | tuple) else [value]:
                if isinstance(u, Mapping):
                    users.append((u.get("type"), u.get("id")))
                elif isinstance(u, list | tuple) and len(u) == 2:
                    users.append((u[0], u[1]))
                elif isinstance(u, str) and ":" in u and u.partition(":")[2].isdigit():
                    kind, _, ident = u.partition(":")  # HumanUser:7, as in query strings
                    users.append((kind, int(ident)))
                else:
                    raise ExportError(f"user must be a {{type, id}} link, got {u!r}", option="users")
            kwargs[key] = tuple(users)
        elif key in ("since", "until"):
            when = value if isinstance(value, dt.datetime) else parse_iso(value)
            if when is None:
                raise ExportError(f"{key} must be an ISO date or date-time, got {value!r}", option=key)
            kwargs[key] = when
        else:
            kwargs[key] = value
    return EventQuery(**kwargs).check()
