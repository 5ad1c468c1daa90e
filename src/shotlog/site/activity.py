"""The activity stream: the event log as FPTR's Activity tab shows it for one entity.

FPTR builds an entity's stream from its events: the entity's creation, later changes of its fields,
the creation of entities that hang off it (a Note linked to it, a Version or Task whose ``entity``
it is) and replies to its Notes. shotlog reads exactly those rows of its own log.

``update_for`` is the pure decision (does this event belong in the stream, and as what);
``read_stream`` runs the reads through the Python API, newest event first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shotlog.errors import NotFound, ValidationError
from shotlog.site import readings

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Candidate", "StreamQuery", "read_stream", "update_for"]

#: updates returned when the caller gives no limit (FPTR calls it "the system default")
DEFAULT_LIMIT = 100
#: the most one call returns
MAX_LIMIT = 1000
#: events read per page while looking for updates (most in-create Changes are skipped)
_PAGE = 500
#: field changes the Activity tab does not show
_HIDDEN_ATTRIBUTES = frozenset({"retirement_date", "updated_at", "updated_by", "cached_display_name"})
Ref = tuple[str, int]


@dataclass(frozen=True, slots=True)
class StreamQuery:
    """An ``activity_stream_read`` request, checked."""

    entity_type: str
    entity_id: int
    entity_fields: Mapping[str, Sequence[str]]
    min_id: int | None = None
    max_id: int | None = None
    limit: int = DEFAULT_LIMIT

    @classmethod
    def parse(
        cls,
        entity_type: Any,
        entity_id: Any,
        entity_fields: Any = None,
        min_id: Any = None,
        max_id: Any = None,
        limit: Any = None,
    ) -> StreamQuery:
        if not isinstance(entity_type, str):
            raise ValidationError(
                f"activity_stream_read: type must be an entity type name, got {entity_type!r}"
            )
        for name, value in (("id", entity_id), ("min_id", min_id), ("max_id", max_id), ("limit", limit)):
            if value is None and name != "id":
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(
                    f"activity_stream_read: {name} must be an integer, got {value!r}", field=name, value=value
                )
        if limit is not None and not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(
                f"activity_stream_read: limit must be between 1 and {MAX_LIMIT}, got {limit!r}",
                field="limit",
                value=limit,
            )
        return cls(
            entity_type, entity_id, check_entity_fields(entity_fields), min_id, max_id, limit or DEFAULT_LIMIT
        )


def check_entity_fields(raw: Any, method: str = "activity_stream_read") -> dict[str, list[str]]:
    """``{"Shot": ["sg_sequence"], ...}``, checked: a dict of lists of field names."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValidationError(
            f"{method}: entity_fields must be a dict of entity type → list of field names, got {raw!r}",
            field="entity_fields",
            value=raw,
        )
    out: dict[str, list[str]] = {}
    for etype, names in raw.items():
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise ValidationError(
                f"{method}: entity_fields[{etype!r}] must be a list of field names, got {names!r}",
                field="entity_fields",
                value=names,
            )
        out[str(etype)] = list(names)
    return out


@dataclass(frozen=True, slots=True)
class Candidate:
    """An event that belongs in the stream: what kind of update, about which entity."""

    event_id: int
    update_type: str  # "create", "update" or "create_reply"
    primary: Ref
    meta: Any


def _ref(link: Any) -> Ref | None:
    if isinstance(link, Mapping) and isinstance(link.get("type"), str) and isinstance(link.get("id"), int):
        return (link["type"], link["id"])
    return None


def _subject(event: Mapping[str, Any]) -> Ref | None:
    """The event's subject; meta names it even when the ``entity`` link reads null (retired)."""
    meta = event.get("meta")
    if isinstance(meta, Mapping) and isinstance(meta.get("entity_type"), str):
        eid = meta.get("entity_id")
        if isinstance(eid, int):
            return (meta["entity_type"], eid)
    return _ref(event.get("entity"))


def update_for(event: Mapping[str, Any], stream: Ref, reply_notes: Mapping[int, int]) -> Candidate | None:
    """Whether ``event`` shows in the stream of ``stream``, and as what.

    ``reply_notes`` maps the ids of the Replies that belong to the stream to their Note's id.
    """
    subject = _subject(event)
    if subject is None:
        return None
    event_type = str(event.get("event_type") or "")
    meta = event.get("meta") if isinstance(event.get("meta"), Mapping) else {}
    assert isinstance(meta, Mapping)
    if event_type == f"Shotgun_{subject[0]}_New":
        if subject[0] == "Reply":
            note = reply_notes.get(subject[1])
            if note is None:
                return None
            return Candidate(event["id"], "create_reply", ("Note", note), dict(meta))
        return Candidate(event["id"], "create", subject, dict(meta))
    if event_type == f"Shotgun_{stream[0]}_Change" and subject == stream:
        if meta.get("in_create") or meta.get("attribute_name") in _HIDDEN_ATTRIBUTES:
            return None
        return Candidate(event["id"], "update", subject, dict(meta))
    return None


def _format_time(value: Any) -> Any:
    # FPTR's stream gives times as text, which the client leaves as it is
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")  # the store's times are naive UTC
    return value


# -- reads ------------------------------------------------------------------------------------------


def _linked(sg: Shotlog, stream: Ref) -> tuple[list[Ref], dict[int, int]]:
    """The entities whose creation shows in the stream, and the stream's Replies → their Note."""
    schema = sg.catalog.schema
    link = {"type": stream[0], "id": stream[1]}
    found: list[Ref] = [stream]
    notes: list[int] = [stream[1]] if stream[0] == "Note" else []
    if stream[0] == "Project":
        return found, {}  # a project's stream is every creation in it: read by project below
    for etype in schema.types:
        fields = schema.fields[etype]
        paths = [
            name
            for name in ("entity", "note_links", "tasks")
            if name in fields
            and stream[0] in fields[name].valid_types
            and etype not in ("Reply", "EventLogEntry")
        ]
        if not paths:
            continue
        conditions = [{"path": p, "relation": "is", "values": [link]} for p in paths]
        rows = sg.find(etype, {"logical_operator": "or", "conditions": conditions}, ["id"])
        found.extend((etype, r["id"]) for r in rows)
        if etype == "Note":
            notes.extend(r["id"] for r in rows)
    replies: dict[int, int] = {}
    if notes and schema.has_entity("Reply"):
        rows = sg.find("Reply", [["entity", "in", [{"type": "Note", "id": n} for n in notes]]], ["entity"])
        for r in rows:
            note = _ref(r.get("entity"))
            if note is not None:
                replies[r["id"]] = note[1]
                found.append(("Reply", r["id"]))
    return found, replies


def _event_filter(stream: Ref, subjects: Sequence[Ref], q: StreamQuery, below: int | None) -> dict[str, Any]:
    conditions: list[dict[str, Any]] = []
    if stream[0] == "Project":
        project = {"type": "Project", "id": stream[1]}
        conditions.append(
            {
                "logical_operator": "or",
                "conditions": [
                    {
                        "logical_operator": "and",
                        "conditions": [
                            {"path": "project", "relation": "is", "values": [project]},
                            {"path": "event_type", "relation": "ends_with", "values": ["_New"]},
                        ],
                    },
                    {"path": "entity", "relation": "is", "values": [project]},
                ],
            }
        )
    else:
        types = sorted({f"Shotgun_{t}_New" for t, _ in subjects} | {f"Shotgun_{stream[0]}_Change"})
        conditions.append(
            {"path": "entity", "relation": "in", "values": [{"type": t, "id": i} for t, i in subjects]}
        )
        conditions.append({"path": "event_type", "relation": "in", "values": types})
    if q.min_id is not None:
        conditions.append({"path": "id", "relation": "greater_than", "values": [q.min_id - 1]})
    upper = q.max_id + 1 if q.max_id is not None else None
    if below is not None:
        upper = below if upper is None else min(upper, below)
    if upper is not None:
        conditions.append({"path": "id", "relation": "less_than", "values": [upper]})
    return {"logical_operator": "and", "conditions": conditions}


def _entities(
    sg: Shotlog, refs: Iterable[Ref], extra: Mapping[str, Sequence[str]]
) -> dict[Ref, dict[str, Any]]:
    """The primary entities as the stream shows them: type, id, name, status and the asked fields."""
    schema = sg.catalog.schema
    by_type: dict[str, set[int]] = {}
    for t, i in refs:
        by_type.setdefault(t, set()).add(i)
    out: dict[Ref, dict[str, Any]] = {}
    for etype, ids in by_type.items():
        if not schema.has_entity(etype):
            continue
        display = schema.display_field(etype)
        status = "sg_status_list" if "sg_status_list" in schema.fields[etype] else None
        fields = [display, *([status] if status else []), *extra.get(etype, [])]
        for row in sg.find(etype, [["id", "in", sorted(ids)]], fields):
            entity: dict[str, Any] = {
                "type": etype,
                "id": row["id"],
                "name": row.get(display),
                "status": row.get(status) if status else None,
            }
            for name in extra.get(etype, []):
                entity[name] = row.get(name)
            out[(etype, row["id"])] = entity
    return out


def read_stream(sg: Shotlog, q: StreamQuery) -> dict[str, Any]:
    """FPTR's ``activity_stream_read`` answer: the newest ``limit`` updates within the id bounds."""
    schema = sg.catalog.schema
    etype = schema.entity(q.entity_type).name
    stream: Ref = (etype, q.entity_id)
    if sg.find_one(etype, [["id", "is", q.entity_id]]) is None:
        raise NotFound(etype, q.entity_id)
    subjects, replies = _linked(sg, stream)
    chosen: list[tuple[Candidate, Mapping[str, Any]]] = []
    below: int | None = None
    fields = ["event_type", "entity", "meta", "user", "created_at"]
    while len(chosen) < q.limit:
        page = sg.find(
            "EventLogEntry",
            _event_filter(stream, subjects, q, below),
            fields,
            order=[{"field_name": "id", "direction": "desc"}],
            limit=_PAGE,
        )
        for event in page:
            candidate = update_for(event, stream, replies)
            if candidate is not None:
                chosen.append((candidate, event))
        if len(page) < _PAGE:
            break
        below = page[-1]["id"]
    primaries = _entities(sg, [c.primary for c, _ in chosen], q.entity_fields)
    notes = [p for p in primaries.values() if p["type"] == "Note"]
    readings.fill_read_state(sg, notes, [readings.FIELD])
    read = {p["id"] for p in notes if p.pop(readings.FIELD) == "read"}
    for p in notes:  # the field stays only where the caller asked for it
        if readings.FIELD in q.entity_fields.get("Note", []):
            p[readings.FIELD] = "read" if p["id"] in read else "unread"
    users = _users(sg, [_ref(e.get("user")) for _, e in chosen])
    updates = []
    for candidate, row in chosen:
        primary = primaries.get(candidate.primary)
        if primary is None:
            continue  # its subject was deleted since: the Activity tab no longer shows it
        user = _ref(row.get("user"))
        updates.append(
            {
                "id": candidate.event_id,
                "update_type": candidate.update_type,
                "created_at": _format_time(row.get("created_at")),
                "created_by": users.get(user) if user else None,
                "meta": candidate.meta,
                "primary_entity": primary,
                "read": candidate.primary[0] == "Note" and candidate.primary[1] in read,
            }
        )
        if len(updates) == q.limit:
            break
    ids = [u["id"] for u in updates]
    return {
        "entity_type": etype,
        "entity_id": q.entity_id,
        "earliest_update_id": min(ids) if ids else None,
        "latest_update_id": max(ids) if ids else None,
        "updates": updates,
    }


def _users(sg: Shotlog, refs: Iterable[Ref | None]) -> dict[Ref, dict[str, Any]]:
    """Who made each update: the link with the user's status and image, as FPTR's stream gives it."""
    schema = sg.catalog.schema
    out: dict[Ref, dict[str, Any]] = {}
    by_type: dict[str, set[int]] = {}
    for ref in refs:
        if ref is not None:
            by_type.setdefault(ref[0], set()).add(ref[1])
    for etype, ids in by_type.items():
        if not schema.has_entity(etype):
            continue
        fields = schema.fields[etype]
        display = schema.display_field(etype)
        wanted = [display] + [f for f in ("sg_status_list", "image") if f in fields]
        for row in sg.find(etype, [["id", "in", sorted(ids)]], wanted):
            out[(etype, row["id"])] = {
                "type": etype,
                "id": row["id"],
                "name": row.get(display),
                "status": row.get("sg_status_list"),
                "image": row.get("image"),
            }
    return out
