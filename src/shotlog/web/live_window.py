"""Where the event log's live window begins, for the event log page's note above its list.

Events older than the live window are moved to the archive (``shotlog.archive``); the event log
page says from which event (and date) it holds events, and links admins to the Archived Data page
for older ones. Two indexed reads: the archive's boundary and the first live event's date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shotlog.archive import ArchivePolicy, archived_through
from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError
from shotlog.eventlog import read

__all__ = ["LiveWindow", "live_window"]


@dataclass(frozen=True)
class LiveWindow:
    """Where the live log begins."""

    #: the lowest id the live log can hold (``archived_through + 1``)
    floor: int
    #: when its oldest event was created (None for an empty log)
    since: dt.datetime | None
    #: the live window's length in days, when an archive is configured
    live_days: int | None


def live_window(store: Shotlog) -> LiveWindow | None:
    """Where the live log begins, or None when nothing was archived and no archive is configured
    (the log then holds every event and the page has nothing to say)."""
    try:
        policy: ArchivePolicy | None = ArchivePolicy.from_env()
    except ShotlogError:  # a bad setting: the Archived Data page says which
        policy = None
    configured = policy is not None and bool(policy.url)
    through = archived_through(store.db)
    if not configured and through == 0:
        return None
    with store.db.read() as conn:
        since = read.created_at_from(conn, through + 1)
    return LiveWindow(through + 1, since, policy.live_days if policy is not None and configured else None)
