"""What ``shotlog mirror status`` shows, the same over REST and in the web UI's admin page."""

from __future__ import annotations

from typing import Any

from shotlog.eventlog import read as eventlog_read
from shotlog.store import local_events, mirrors
from shotlog.store.database import Database

__all__ = ["RECENT_LOCAL_EVENTS", "mirror_status"]

#: the newest of shotlog's own events on the mirror that the status shows (all: ``shotlog mirror
#: local-events``)
RECENT_LOCAL_EVENTS = 5


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def mirror_status(db: Database) -> dict[str, Any] | None:
    """The mirror's state, None when the database mirrors no site.

    Lag: the events the site has after the last one mirrored, and how much older, on the site's
    clock, the last mirrored event is than the site's newest (0 when caught up). Local events:
    shotlog's own on this database, kept apart from the site's (``shotlog.store.local_events``)."""
    with db.read() as conn:
        state = mirrors.read_state(conn)
        if state is None:
            return None
        mirrored_at = eventlog_read.created_at_through(conn, state.cursor)
        local_count = local_events.count(conn)
        recent = local_events.newest(conn, RECENT_LOCAL_EVENTS)
    head_id = state.site_head_id if state.site_head_id is not None else state.cursor
    lag_events = max(0, head_id - state.cursor)
    lag_seconds = 0.0
    if lag_events and state.site_head_at is not None and mirrored_at is not None:
        lag_seconds = max(0.0, (state.site_head_at - mirrored_at).total_seconds())
    return {
        "site": state.site,
        "last_event_id": state.cursor,
        "site_head_id": head_id,
        "lag_events": lag_events,
        "lag_seconds": lag_seconds,
        "open_gaps": sorted(int(k) for k in state.holes),
        "counts": dict(sorted(state.counts.items())),
        "last_error": state.last_error,
        "last_error_at": _iso(state.last_error_at),
        "last_poll_at": _iso(state.polled_at),
        "started_at": _iso(state.started_at),
        "local_events": local_count,
        "recent_local_events": recent,
    }
