"""Site-wide settings of the web UI's event log that an admin chooses: whether setup and system
events (``shotlog.eventlog.setup_events``) are hidden by default.

Kept in ``site_preferences`` under a ``shotlog.`` name, beside FPTR's preferences but never among
them: ``preferences_read`` answers only FPTR's names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shotlog.clock import utcnow_seconds
from shotlog.store import sitestate

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = ["HIDE_SETUP", "hides_setup", "set_hides_setup"]

HIDE_SETUP = "shotlog.event_log.hide_setup_events"


def hides_setup(sg: Shotlog) -> bool:
    """Whether the event log hides setup and system events unless asked to show them (off on a new
    site: everything shows)."""
    with sg.db.read() as conn:
        return sitestate.read_preferences(conn).get(HIDE_SETUP) is True


def set_hides_setup(sg: Shotlog, hide: bool) -> None:
    with sg.db.write() as conn:
        sitestate.write_preference(conn, HIDE_SETUP, bool(hide), utcnow_seconds())
