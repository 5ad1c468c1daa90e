"""Note readings: ``Note.read_by_current_user`` is "read" or "unread" for each person.

As on FPTR, a person marks a Note read or unread by updating that field (scripts do so with
``sudo_as_login``); a script acting as itself has no read state, so its update changes nothing. A
change writes FPTR's ``Shotgun_Reading_Change`` event on the Note, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shotlog.errors import NotFound, ValidationError
from shotlog.store import sitestate

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = ["EVENT", "FIELD", "VALUES", "check_value", "fill_read_state", "set_read_state"]

FIELD = "read_by_current_user"
VALUES = ("read", "unread")
EVENT = "Shotgun_Reading_Change"


def check_value(value: Any) -> bool:
    """``"read"`` → True, ``"unread"`` → False; anything else is FPTR's list-value fault."""
    if value not in VALUES:
        raise ValidationError(
            f"Update failed for [Note.{FIELD}]: {value!r} is not a valid list value. "
            f"Valid list values: {', '.join(VALUES)}",
            entity_type="Note",
            field=FIELD,
            value=value,
        )
    return bool(value == "read")


def _person(sg: Shotlog) -> tuple[str, int] | None:
    user = sg.actor.link()
    return user if user is not None and user[0] == "HumanUser" else None


def set_read_state(sg: Shotlog, note_id: int, value: Any) -> str:
    """Mark Note ``note_id`` read or unread for the acting person; returns the state it now reads."""
    read = check_value(value)
    note = sg.find_one("Note", [["id", "is", note_id]], ["project", "subject"])
    if note is None:
        raise NotFound("Note", note_id)
    person = _person(sg)
    if person is None:
        return "unread"  # an ApiUser has no read state (FPTR accepts the update and keeps nothing)

    def work(tx: Any) -> None:
        if not sitestate.mark_read(tx.conn, note_id, person, read, tx.now):
            return
        old, new = ("unread", "read") if read else ("read", "unread")
        project = note.get("project")
        tx.create_event(
            {
                "event_type": EVENT,
                "description": f"{tx.actor.name} marked Note {note.get('subject') or note_id!r} as {new}",
                "entity": {"type": "Note", "id": note_id},
                "project": {"type": "Project", "id": project["id"]} if project else None,
                "attribute_name": FIELD,
                "meta": {
                    "type": "attribute_change",
                    "entity_type": "Note",
                    "entity_id": note_id,
                    "attribute_name": FIELD,
                    "old_value": old,
                    "new_value": new,
                },
            },
            builtin=True,
        )

    sg._write(work)  # the reading and its event commit together
    return "read" if read else "unread"


def fill_read_state(sg: Shotlog, rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> None:
    """Put the acting person's read state into Note rows that asked for it."""
    if FIELD not in fields or not rows:
        return
    person = _person(sg)
    read: set[int] = set()
    if person is not None:
        with sg.db.read() as conn:
            read = sitestate.read_notes(conn, [r["id"] for r in rows], person)
    for row in rows:
        row[FIELD] = "read" if row["id"] in read else "unread"
