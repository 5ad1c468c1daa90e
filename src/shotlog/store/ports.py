"""What the store needs from the layer above it: a recorder of each transaction's events.

The store writes entity rows and knows what changed (``shotlog.store.changes``); the event log,
above it, knows how changes read as EventLogEntry rows and how they are appended in order. So the
writer is handed a ``RecorderFactory`` by whoever builds the connection (``shotlog.connection``
wires ``shotlog.eventlog.recorder.TransactionEvents``) and never imports the event log.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.engine import Connection

from shotlog.store.changes import ChangeSet, CustomEvent, Retirement, SchemaChange
from shotlog.store.database import Database
from shotlog.store.subjects import Actor

__all__ = ["Change", "EventRecorder", "RecorderFactory"]

#: what an event recorder records
Change = ChangeSet | Retirement | SchemaChange


class EventRecorder(Protocol):
    """Records the events of one write transaction, in that transaction."""

    def record(self, change: Change) -> None:
        """Queue the events that describe ``change`` (none when the actor writes no events)."""

    def record_now(self, event: CustomEvent) -> int:
        """Append what is queued, then ``event`` (always: it was asked for); return its id."""

    def flush(self) -> None:
        """Append what is queued: the transaction's last step, so events commit with the data."""


class RecorderFactory(Protocol):
    """Makes the recorder of a transaction on ``conn`` by ``actor`` at ``now``."""

    def __call__(self, conn: Connection, db: Database, actor: Actor, now: dt.datetime) -> EventRecorder: ...
