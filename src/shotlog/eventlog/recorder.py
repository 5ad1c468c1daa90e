"""The event recorder of a write transaction: ``shotlog.store.ports.EventRecorder`` for the store.

It turns each change the store records into events (``shotlog.eventlog.changes``), queues them,
and appends the queue to the log (``shotlog.eventlog.log.append``) when the transaction ends, or
at once for an event whose id the caller needs.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from shotlog.eventlog import log
from shotlog.eventlog.changes import custom_event, events_of
from shotlog.eventlog.events import Actor, EventBuilder, PendingEvent
from shotlog.store import mirrors
from shotlog.store.changes import CustomEvent
from shotlog.store.database import Database
from shotlog.store.ports import Change

__all__ = ["TransactionEvents"]


class TransactionEvents:
    """The events of one transaction on ``conn``, by ``actor``, at ``now``."""

    __slots__ = ("_actor", "_builder", "_conn", "_db", "_now", "_queue")

    def __init__(self, conn: Connection, db: Database, actor: Actor, now: dt.datetime) -> None:
        self._conn = conn
        self._db = db
        self._actor = actor
        self._now = now
        self._builder: EventBuilder | None = None
        self._queue: list[PendingEvent] = []

    def record(self, change: Change) -> None:
        if not self._actor.generates_events:
            return  # an ApiUser whose generate_event_log_entries is off logs nothing
        if self._builder is None:
            self._builder = EventBuilder(self._actor)
        self._queue += events_of(change, self._builder)

    def record_now(self, event: CustomEvent) -> int:
        # A mirrored database keeps shotlog's own events apart from the log (``log.append``), so
        # there would be no event to answer with; a custom event is the site's to write.
        site = mirrors.mirrored_site(self._db)
        if site is not None:
            raise mirrors.MirroredDatabase(site)
        pending = custom_event(event, self._actor)
        self._queue.append(pending)
        self.flush()
        if pending.id is None:  # the database became a mirror since the line above
            raise mirrors.MirroredDatabase(mirrors.mirrored_site(self._db) or "an FPTR site")
        return pending.id

    def flush(self) -> None:
        if self._queue:
            log.append(self._conn, self._db, self._queue, self._actor, self._now)
            self._queue = []
