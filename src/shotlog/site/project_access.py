"""``Project.last_accessed_by_current_user``: when the reading user last opened each project.

The time is kept per user (``update_project_last_accessed`` records it) and read back for the user a
request acts as, so two users reading the same Project see their own times.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shotlog.clock import utcnow_seconds
from shotlog.errors import NotFound, ValidationError
from shotlog.store import sitestate

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = ["FIELD", "fill_last_accessed", "touch"]

FIELD = "last_accessed_by_current_user"


def touch(sg: Shotlog, project_id: Any, user_id: Any = None) -> dict[str, Any]:
    """Record that the user (``user_id``, a HumanUser, else the acting user) opened the project now."""
    if isinstance(project_id, bool) or not isinstance(project_id, int):
        raise ValidationError(f"project_id must be an integer, got {project_id!r}", field="project_id")
    if sg.find_one("Project", [["id", "is", project_id]]) is None:
        raise NotFound("Project", project_id)
    if user_id is not None:
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise ValidationError(f"user_id must be a HumanUser id, got {user_id!r}", field="user_id")
        if sg.find_one("HumanUser", [["id", "is", user_id]]) is None:
            raise NotFound("HumanUser", user_id)
        user: tuple[str, int] = ("HumanUser", user_id)
    else:
        actor = sg.actor.link()
        if actor is None:
            raise ValidationError("update_project_last_accessed needs a user: pass one, or sign in as one")
        user = actor
    now = utcnow_seconds()
    with sg.db.write() as conn:
        sitestate.record_access(conn, project_id, user, now)
    return {"type": "Project", "id": project_id, FIELD: now}


def fill_last_accessed(sg: Shotlog, rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> None:
    """Put the acting user's access times into Project rows that asked for the field."""
    if FIELD not in fields or not rows:
        return
    user = sg.actor.link()
    if user is None:
        return
    with sg.db.read() as conn:
        times = sitestate.last_accesses(conn, [r["id"] for r in rows], user)
    for row in rows:
        row[FIELD] = times.get(row["id"])
