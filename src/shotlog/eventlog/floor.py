"""Where the live log starts: the boundary between archived and live events.

Events leave the live log as a prefix: every event with ``id <= archived_through`` is in the
archive (or was purged from it), every later one is live. A consumer whose cursor is behind that
boundary would silently skip the archived events, so reading from there is an error that says where
the archive ends and how to read it.

The boundary belongs to the event log (every reader of the log checks it), so it lives here; the
archive job moves it (``shotlog.archive.job``) and reads it from here.
"""

from __future__ import annotations

import sqlalchemy as sa

from shotlog.errors import ShotlogError
from shotlog.store.database import Database
from shotlog.store.tables import archive_state

__all__ = ["CursorArchived", "archived_through", "check_cursor", "live_floor"]


class CursorArchived(ShotlogError):
    """A cursor points before the live log: the events after it were moved to the archive."""

    def __init__(self, after_id: int, floor: int) -> None:
        super().__init__(
            f"events up to id {floor - 1} have been archived, so reading after id {after_id} would skip "
            f"them; the live log starts at id {floor}. Read the older events with `shotlog archive search` "
            f"or `shotlog archive download`, then resume after id {floor - 1}.",
            after_id=after_id,
            live_floor=floor,
        )
        self.after_id = after_id
        self.floor = floor


def archived_through(db: Database) -> int:
    """The highest archived event id (0 when nothing was archived)."""
    with db.read() as conn:
        value = conn.execute(
            sa.select(archive_state.c.archived_through).where(archive_state.c.id == 1)
        ).scalar()
    return int(value or 0)


def live_floor(db: Database) -> int:
    """The lowest event id that can still be in the live log (1 when nothing was archived)."""
    return archived_through(db) + 1


def check_cursor(db: Database, after_id: int) -> None:
    """Raise ``CursorArchived`` if reading ``id > after_id`` would miss archived events."""
    through = archived_through(db)
    if after_id < through:
        raise CursorArchived(after_id, through + 1)
