"""The direct source: the shotlog database itself, pushed by the event-log wake-up.

On shotlog, event ids become visible in id order (``shotlog.eventlog.log`` appends under a lock),
so the position is the event id and ``id > cursor ORDER BY id`` never skips an event: no gap
handling is needed. The wake-up (PostgreSQL LISTEN/NOTIFY, SQLite ``data_version``) only says when
to look again; after a missed wake-up the pump still looks every second.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import orjson

from shotlog.connection import Shotlog
from shotlog.daemon.events import Event, local_time, shape_parsed
from shotlog.daemon.sources.feed import Feed
from shotlog.daemon.sources.retry import Retry
from shotlog.eventlog.read import events_after, events_by_id
from shotlog.eventlog.wakeup import BlockingWakeup

__all__ = ["DirectPump"]

log = logging.getLogger("engine")


def _meta(text: str) -> Any:
    """``meta`` as the client reads it: its datetimes in local time."""
    value = orjson.loads(text)
    # A datetime in JSON is a "YYYY-MM-DDTHH:MM:SSZ" string: no such ending, nothing to convert
    # (most events), and the text is searched in C.
    return shape_parsed(value) if 'Z"' in text else value


#: the client's shape of an event (local time, no description), from the event log's own
_CLIENT = {"description": False, "meta": _meta, "when": local_time}


class DirectPump:
    kind = "direct"
    ordered = True

    def __init__(
        self,
        store: Shotlog,
        database_url: str,
        *,
        batch: int = 500,
        idle_check: float = 1.0,
        retry: Retry | None = None,
    ) -> None:
        self.store = store
        self.database_url = database_url
        self.batch = batch
        self.idle_check = idle_check
        # the configuration's max_conn_retries and conn_retry_sleep, as for the other sources
        self.retry = retry or Retry(5, 60.0)

    @staticmethod
    def _wrap(events: list[dict[str, Any]]) -> list[Event]:
        """The events as the client shapes them (``eventlog.read``: links named in one query per
        page, a retired subject read as a null link), each once: the plugins share it (each gets a
        cheap copy, ``events.fresh_copy``)."""
        return [Event(data["id"], data["id"], data) for data in events]

    def fetch(self, after: int, limit: int) -> list[Event]:
        return self._wrap(events_after(self.store.db, self.store.catalog, after, limit, **_CLIENT))

    def fetch_ids(self, ids: Sequence[int]) -> list[Event]:
        if not ids:
            return []
        return self._wrap(events_by_id(self.store.db, self.store.catalog, ids, **_CLIENT))

    def head(self) -> tuple[int, int]:
        head = self.store.head_event_id()
        return head, head

    def follow(self, feed: Feed, stop: threading.Event) -> None:
        wakeup: BlockingWakeup | None = None
        while not stop.is_set():
            try:
                if wakeup is None:
                    wakeup = BlockingWakeup(self.database_url)
                if not feed.room(1.0):
                    continue
                events = self.fetch(feed.last_published, self.batch)
                feed.error = None
                self.retry.ok()
                if events:
                    feed.publish(events)
                    continue  # a full page may mean more: read again before waiting
                feed.publish([], head_event_id=feed.last_published)
                wakeup.wait(self.idle_check)
            except Exception as exc:
                feed.error = f"cannot read the event log: {exc}"
                delay = self.retry.failed("direct source: reading the event log", exc)
                if wakeup is not None:
                    wakeup.close()
                    wakeup = None
                stop.wait(delay)
        if wakeup is not None:
            wakeup.close()

    def close(self) -> None:
        pass
