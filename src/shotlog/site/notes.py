"""A Note's conversation as FPTR's ``note_thread_read`` gives it: the Note, then its Replies and the
files attached to it, oldest first.

Each kind of record carries FPTR's default fields plus those the caller names per type in
``entity_fields``; the values are exactly what ``find`` returns for the same fields. A Reply's
``user`` also carries the author's ``image``, which FPTR adds so a client can show the thumbnail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from shotlog.errors import NotFound, ValidationError
from shotlog.site import readings
from shotlog.site.activity import check_entity_fields

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = ["DEFAULT_FIELDS", "read_thread", "thread_order"]

#: what each record of a thread has without entity_fields
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "Note": ("content", "created_at", "created_by"),
    "Reply": ("content", "created_at", "user"),
    "Attachment": ("created_at", "created_by"),
}
_EPOCH = dt.datetime(1970, 1, 1)  # naive UTC, as the store's times


def thread_order(
    records: Sequence[Mapping[str, Any]], created_events: Mapping[tuple[str, int], int] | None = None
) -> list[Mapping[str, Any]]:
    """The Note first, then Replies and Attachments by creation time.

    Times have whole seconds, so records made in one second are put in the order of the events that
    created them (``created_events``: (type, id) → event id), then by type and id.
    """
    events = created_events or {}
    note = [r for r in records if r["type"] == "Note"]
    rest = [r for r in records if r["type"] != "Note"]

    def key(r: Mapping[str, Any]) -> tuple[dt.datetime, int, str, int]:
        created = r.get("created_at")
        when = created if isinstance(created, dt.datetime) else _EPOCH
        return (when, events.get((r["type"], r["id"]), 0), r["type"], r["id"])

    return [*note, *sorted(rest, key=key)]


def _fields(kind: str, extra: Mapping[str, Sequence[str]]) -> list[str]:
    return list(dict.fromkeys([*DEFAULT_FIELDS[kind], *extra.get(kind, [])]))


def _user_images(sg: Shotlog, replies: Sequence[dict[str, Any]]) -> None:
    """Add ``image`` to each Reply's author link."""
    schema = sg.catalog.schema
    by_type: dict[str, set[int]] = {}
    for r in replies:
        user = r.get("user")
        if isinstance(user, dict):
            by_type.setdefault(user["type"], set()).add(user["id"])
    images: dict[tuple[str, int], Any] = {}
    for etype, ids in by_type.items():
        if not schema.has_entity(etype) or "image" not in schema.fields[etype]:
            continue
        for row in sg.find(etype, [["id", "in", sorted(ids)]], ["image"]):
            images[(etype, row["id"])] = row.get("image")
    for r in replies:
        user = r.get("user")
        if isinstance(user, dict):
            r["user"] = {**user, "image": images.get((user["type"], user["id"]))}


def read_thread(sg: Shotlog, note_id: Any, entity_fields: Any = None) -> list[Mapping[str, Any]]:
    """The records of Note ``note_id``'s thread (see the module docstring)."""
    if isinstance(note_id, bool) or not isinstance(note_id, int):
        raise ValidationError(
            f"note_thread_read: note_id must be an integer, got {note_id!r}", field="note_id", value=note_id
        )
    extra = check_entity_fields(entity_fields, "note_thread_read")
    note = sg.find("Note", [["id", "is", note_id]], _fields("Note", extra))
    if not note:
        raise NotFound("Note", note_id)
    readings.fill_read_state(sg, note, _fields("Note", extra))
    link = {"type": "Note", "id": note_id}
    replies = sg.find("Reply", [["entity", "is", link]], _fields("Reply", extra))
    _user_images(sg, replies)
    attachments = sg.find("Attachment", [["attachment_links", "is", link]], _fields("Attachment", extra))
    records = [*note, *replies, *attachments]
    return thread_order(records, _creation_events(sg, records))


def _creation_events(sg: Shotlog, records: Sequence[Mapping[str, Any]]) -> dict[tuple[str, int], int]:
    """(type, id) → id of the event that created it, for the Replies and Attachments of a thread."""
    links = [{"type": r["type"], "id": r["id"]} for r in records if r["type"] != "Note"]
    if not links:
        return {}
    rows = sg.find(
        "EventLogEntry",
        [["entity", "in", links], ["event_type", "in", ["Shotgun_Reply_New", "Shotgun_Attachment_New"]]],
        ["entity"],
    )
    return {(r["entity"]["type"], r["entity"]["id"]): r["id"] for r in rows if r.get("entity")}
