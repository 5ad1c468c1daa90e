"""The direct source: the shotlog database itself, pushed by the event-log wake-up.

On shotlog, event ids become visible in id order (``shotlog.eventlog.log`` appends under a lock),
so the position is the event id and ``id > cursor ORDER BY id`` never skips an event: no gap
handling is needed. The wake-up (PostgreSQL LISTEN/NOTIFY, SQLite ``data_version``) only says when
to look again; after a missed wake-up the pump still looks every second.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from typing import Any

import orjson

from shotlog.connection import Shotlog
from shotlog.daemon.events import Event, local_time, shape_parsed
from shotlog.daemon.sources.feed import Feed
from shotlog.eventlog.wakeup import BlockingWakeup
from shotlog.store.names import names_of

__all__ = ["DirectPump"]

log = logging.getLogger("engine")

_COLUMNS = (
    "id, event_type, attribute_name, {meta}, entity_type, entity_id, project_type, project_id, "
    "user_type, user_id, session_uuid, created_at"
)


class DirectPump:
    kind = "direct"
    ordered = True

    def __init__(
        self, store: Shotlog, database_url: str, *, batch: int = 500, idle_check: float = 1.0
    ) -> None:
        self.store = store
        self.database_url = database_url
        self.batch = batch
        self.idle_check = idle_check
        sqlite = store.db.is_sqlite
        mark = "?" if sqlite else "%s"
        # meta as text on both backends: one orjson parse instead of the driver's json module
        columns = _COLUMNS.format(meta="meta" if sqlite else "meta::text")
        self._after_sql = (
            f"SELECT {columns} FROM event_log_entries WHERE id > {mark} ORDER BY id LIMIT {mark}"
        )
        self._ids_sql = f"SELECT {columns} FROM event_log_entries WHERE id IN ({{marks}}) ORDER BY id"
        self._mark = mark

    def _read(self, sql: str, params: Sequence[Any]) -> list[Event]:
        """Rows straight from the log, links resolved to names in one query per page (as ``find``
        resolves them: a retired subject reads as a null link), shaped as the client shapes them.

        The daemon reads every event, so this is plain SQL on the driver's cursor: no statement
        compilation and no per-row result objects; each row becomes its callback dict once, and the
        plugins share it (each gets a cheap copy, ``events.fresh_copy``)."""
        catalog = self.store.catalog
        with self.store.db.read() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            finally:
                cursor.close()
            refs = set()
            for r in rows:
                if r[4] is not None and r[5] is not None:
                    refs.add((r[4], r[5]))
                if r[6] is not None and r[7] is not None:
                    refs.add((r[6], r[7]))
                if r[8] is not None and r[9] is not None:
                    refs.add((r[8], r[9]))
            names = names_of(conn, catalog, catalog.schema, refs) if refs else {}

        links = {key: {"type": key[0], "id": key[1], "name": name} for key, name in names.items()}
        get = links.get
        loads = orjson.loads
        times: dict[Any, dt.datetime] = {}  # events of one page often share their second
        out = []
        for eid, etype, attr, meta, ent_t, ent_i, proj_t, proj_i, user_t, user_i, session, created in rows:
            if meta is not None:
                text = meta
                meta = loads(text)
                # A datetime in JSON is a "YYYY-MM-DDTHH:MM:SSZ" string: no such ending, nothing
                # to convert (most events), and the text is searched in C.
                if 'Z"' in text:
                    meta = shape_parsed(meta)
            when = times.get(created)
            if when is None:
                # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff"; the client reads whole seconds
                naive = dt.datetime.fromisoformat(created[:19]) if isinstance(created, str) else created
                when = times[created] = local_time(naive)
            data = {
                "type": "EventLogEntry",
                "id": eid,
                "event_type": etype,
                "attribute_name": attr,
                "meta": meta,
                "entity": get((ent_t, ent_i)),
                "user": get((user_t, user_i)),
                "project": get((proj_t, proj_i)),
                "session_uuid": session,
                "created_at": when,
            }
            out.append(Event(eid, eid, data))
        return out

    def fetch(self, after: int, limit: int) -> list[Event]:
        return self._read(self._after_sql, (after, limit))

    def fetch_ids(self, ids: Sequence[int]) -> list[Event]:
        if not ids:
            return []
        wanted = sorted({int(i) for i in ids})
        out: list[Event] = []
        for start in range(0, len(wanted), 500):  # bounded statements (SQLite's parameter limit)
            chunk = wanted[start : start + 500]
            out += self._read(self._ids_sql.format(marks=", ".join([self._mark] * len(chunk))), chunk)
        return out

    def head(self) -> tuple[int, int]:
        head = self.store.head_event_id()
        return head, head

    def follow(self, feed: Feed, stop: threading.Event) -> None:
        wakeup: BlockingWakeup | None = None
        failures = 0
        while not stop.is_set():
            try:
                if wakeup is None:
                    wakeup = BlockingWakeup(self.database_url)
                if not feed.room(1.0):
                    continue
                events = self.fetch(feed.last_published, self.batch)
                feed.error = None
                failures = 0
                if events:
                    feed.publish(events)
                    continue  # a full page may mean more: read again before waiting
                feed.publish([], head_event_id=feed.last_published)
                wakeup.wait(self.idle_check)
            except Exception as exc:
                failures += 1
                feed.error = f"cannot read the event log: {exc}"
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                log.warning("direct source: %s; retrying in %.1f s", exc, delay)
                if wakeup is not None:
                    wakeup.close()
                    wakeup = None
                stop.wait(delay)
        if wakeup is not None:
            wakeup.close()

    def close(self) -> None:
        pass
