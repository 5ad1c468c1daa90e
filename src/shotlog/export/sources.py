"""Where exported events come from: the local store, any api3 server, or archived records.

Every source yields pages of rows in the layout of ``shotlog.export.columns`` (stored columns, link
names filled in, deep fields appended), in id order, a page at a time: memory stays flat however
long the log is.

``StoreSource`` is the fast path: the event log's driver SQL (``shotlog.eventlog.rows.page_sql``)
paged by id (keyset: ``id > cursor ORDER BY id LIMIT n``, an index range scan whatever the depth),
dates formatted and ``meta`` cast to text by the database so no JSON is decoded, and display names
looked up once per page for the ids not yet in a bounded cache. ``Api3Source`` pages the same way
through the real ``shotgun_api3`` client against any api3 server (another shotlog or an FPTR site).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import orjson

from shotlog.connection import Shotlog
from shotlog.eventlog import EVENT_FIELDS, IMAGE_FIELDS, rows
from shotlog.eventlog import read as eventlog
from shotlog.eventlog.rows import glob_prefix, is_glob, page_sql
from shotlog.export.columns import (
    BASE,
    CACHED_DISPLAY_NAME,
    ENTITY_NAME,
    IMAGE_BLUR_HASH,
    PROJECT_NAME,
    USER_NAME,
    DeepField,
    Layout,
)
from shotlog.export.query import EventQuery, ExportError
from shotlog.export.reader import NameCache, NameSql, PagePlan, Row, read_pages

__all__ = ["Api3Source", "EventSource", "StoreSource", "iso", "record_to_row"]

#: display names (and deep-field values) kept between pages, bounded so memory stays flat. On the
#: benchmark's 10M-event log (200,000 entities), pages of 2,000 events then look up 0.27 names per
#: event (2 us each on SQLite); 100,000 names would save 0.11 of them for 11 MiB more per process.
NAME_CACHE = 40_000
#: events per page: 2,000 reads as fast as 5,000 (a page costs one query and one name lookup), and
#: the pages in flight (read, queued, formatted) take about 10 MiB instead of 25
PAGE_SIZE = 2000


class EventSource(Protocol):
    """What the exporter needs from a source of events."""

    #: a short description for messages ("sqlite:///x.db", "https://site")
    label: str

    def field_type(self, entity_type: str, field: str) -> str | None:
        """The data type of ``entity_type.field``, None if either does not exist."""

    def check(self, query: EventQuery) -> None:
        """Raise ``ExportError`` if the query names something this source does not have."""

    def bounds(self, query: EventQuery) -> tuple[int, int] | None:
        """The (lowest, highest) event id the query can reach (for progress), None if unknown."""

    def pages(self, query: EventQuery, layout: Layout) -> Iterator[list[Row]]:
        """Matching events in id order, a page (list of rows) at a time."""


def iso(value: dt.datetime | None) -> str | None:
    """A datetime as ISO 8601 UTC text (naive values are UTC)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_value(value: Any) -> Any:
    """A value read through the API as what JSON Lines shows (datetimes as ISO text)."""
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dict) and {"type", "id"} <= value.keys():
        return {"type": value["type"], "id": value["id"], "name": value.get("name")}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


# -- the local store --------------------------------------------------------------------------------------


def _needs_images(layout: Layout) -> bool:
    """Whether any column reads the rarely used image and display-name fields (read only then)."""
    return any(layout.needs(pos) for pos in range(CACHED_DISPLAY_NAME, IMAGE_BLUR_HASH + 1))


class StoreSource:
    """Events of a local shotlog database, read with plain SQL (see the module docstring).

    The SQL is prepared here (``plan``, ``name_sql``) and run by ``shotlog.export.reader``, which a
    parallel export's worker processes run too, on connections of their own.
    """

    def __init__(self, store: Shotlog, *, page_size: int = PAGE_SIZE, name_cache: int | None = None) -> None:
        self.store = store
        self.db = store.db
        self.catalog = store.catalog
        self.page_size = page_size
        self.label = store.db.url.split("@")[-1]
        self.name_cache_size = NAME_CACHE if name_cache is None else name_cache
        self._names = NameCache(self.name_cache_size)
        self._name_sql: NameSql | None = None
        self._deep: dict[tuple[str, int], Any] = {}

    def field_type(self, entity_type: str, field: str) -> str | None:
        self.catalog.refresh_if_unknown(entity_type, field)
        schema = self.catalog.schema
        if not schema.has_entity(entity_type):
            return None
        f = schema.fields[entity_type].get(field)
        return None if f is None or f.retired else f.data_type

    def check(self, query: EventQuery) -> None:
        query.check()
        if query.entity_type is not None and self.field_type(query.entity_type, "id") is None:
            raise ExportError(f"unknown entity type {query.entity_type!r}", option="entity_type")

    # -- SQL ------------------------------------------------------------------------------------------

    def plan(self, query: EventQuery, layout: Layout) -> PagePlan:
        """The page statement of ``query`` as driver SQL (plain data a worker process can run)."""
        images = _needs_images(layout)
        # dates formatted and meta as text by the database: the rows are written out as they come
        # (a project is always a Project: its type column is not read)
        sql, params = page_sql(
            self.db.is_sqlite, self.page_size, query, iso=True, images=images, omit=("project_type",)
        )
        return PagePlan(
            sql=sql,
            params=params,
            start=(query.min_id - 1) if query.min_id else 0,
            entity_names=layout.needs(ENTITY_NAME),
            project_names=layout.needs(PROJECT_NAME),
            user_names=layout.needs(USER_NAME),
            images=images,
        )

    def name_sql(self) -> NameSql:
        """The name statements of every entity type, and of types created later as they appear."""
        if self._name_sql is None:
            schema = self.catalog.schema
            self._name_sql = NameSql(
                self.db.is_sqlite,
                {t: self._name_statement(t) for t in schema.types},
                more=self._new_type_statement,
            )
        return self._name_sql

    def _new_type_statement(self, entity_type: str) -> str | None:
        self.catalog.refresh_if_unknown(entity_type)
        return self._name_statement(entity_type)

    def _name_statement(self, entity_type: str) -> str | None:
        """``SELECT '<type>', id, <display field as text> FROM <table> WHERE id IN <the ids>``.

        Retired entities are named too (an export names an event's retired subject). A display
        field that is a number reads as its digits; a type without one reads NULL.
        """
        schema = self.catalog.schema
        if not schema.has_entity(entity_type):
            return None
        etype = schema.entity(entity_type)
        quote = self.db.reader.dialect.identifier_preparer.quote
        display = schema.fields[entity_type].get(etype.display_field)
        name = f"CAST({quote(display.column)} AS TEXT)" if display is not None and display.column else "NULL"
        literal = "'" + entity_type.replace("'", "''") + "'"
        ids = "IN (SELECT value FROM json_each(?))" if self.db.is_sqlite else "= ANY(%s::bigint[])"
        return f"SELECT {literal}, id, {name} FROM {quote(etype.table)} WHERE id {ids}"

    def bounds(self, query: EventQuery) -> tuple[int, int] | None:
        with self.db.read() as conn:
            live = eventlog.bounds(conn)
        if live is None:
            return None
        lo, hi = live
        lo = max(lo, query.min_id or 0)
        hi = hi if query.max_id is None else min(hi, query.max_id)
        return (lo, hi) if lo <= hi else None

    def pages(self, query: EventQuery, layout: Layout) -> Iterator[list[Row]]:
        return self.read(self.plan(query, layout), layout)

    def read(self, plan: PagePlan, layout: Layout) -> Iterator[list[Row]]:
        """The pages of ``plan`` (from ``self.plan``) through this store's read connections."""
        deep = None
        if layout.deep:
            fields = layout.deep

            def deep(raw: Sequence[Sequence[Any]]) -> list[dict[int, Any]]:
                return [self._deep_values(d, raw) for d in fields]

        return read_pages(plan, self.name_sql(), self._names, self._transaction, deep)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self.db.read() as conn:
            yield conn.connection.dbapi_connection

    def _deep_values(self, field: DeepField, raw: Sequence[Sequence[Any]]) -> dict[int, Any]:
        """``{entity id: value}`` of one deep field for the rows of a page that link to its type."""
        type_pos, id_pos = {
            "entity": (rows.ENTITY_TYPE, rows.ENTITY_ID),
            "project": (None, rows.PROJECT_ID),
            "user": (rows.USER_TYPE, rows.USER_ID),
        }[field.link]
        ids = {
            r[id_pos]
            for r in raw
            if r[id_pos] is not None and (type_pos is None or r[type_pos] == field.entity_type)
        }
        cache = self._deep
        key = field.path
        missing = [i for i in ids if (key, i) not in cache]
        if missing and len(cache) + len(missing) > self.name_cache_size:
            cache.clear()
            missing = list(ids)  # the page needs them all again
        if missing:
            for start in range(0, len(missing), 5000):
                chunk = missing[start : start + 5000]
                found = {
                    r["id"]: _json_value(r.get(field.field))
                    for r in self.store.find(field.entity_type, [["id", "in", chunk]], [field.field])
                }
                for i in chunk:
                    cache[(key, i)] = found.get(i)
        values = {i: cache.get((key, i)) for i in ids}
        values[-1] = (type_pos, id_pos, field.entity_type)  # where to look in a row (read by deep_cell)
        return values


# -- any api3 server --------------------------------------------------------------------------------------


class Api3Source:
    """Events of any api3 server, read through the real ``shotgun_api3`` client.

    Filters the server can apply are sent (projects, entity, exact event types and ``prefix*``
    patterns, users, dates, ids); other patterns and exact date bounds are checked here, so the
    result matches the local path exactly.
    """

    def __init__(self, client: Any, *, page_size: int = 500) -> None:
        self.client = client
        self.page_size = page_size
        self.label = str(
            getattr(getattr(client, "config", None), "server", "") or getattr(client, "base_url", "")
        )
        self._schema: dict[str, dict[str, Any] | None] = {}

    def field_type(self, entity_type: str, field: str) -> str | None:
        if entity_type not in self._schema:
            try:
                self._schema[entity_type] = self.client.schema_field_read(entity_type)
            except Exception:  # the client raises Fault for an unknown type
                self._schema[entity_type] = None
        fields = self._schema[entity_type]
        if not fields or field not in fields:
            return None
        return str(fields[field].get("data_type", {}).get("value"))

    def check(self, query: EventQuery) -> None:
        query.check()
        if query.entity_type is not None and self.field_type(query.entity_type, "id") is None:
            raise ExportError(
                f"unknown entity type {query.entity_type!r} on {self.label}", option="entity_type"
            )

    def bounds(self, query: EventQuery) -> tuple[int, int] | None:
        first = self.client.find_one(
            "EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "asc"}]
        )
        last = self.client.find_one(
            "EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}]
        )
        if not first or not last:
            return None
        lo = max(first["id"], query.min_id or 0)
        hi = last["id"] if query.max_id is None else min(last["id"], query.max_id)
        return (lo, hi) if lo <= hi else None

    def _filters(self, query: EventQuery) -> tuple[list[Any], bool]:
        """Server-side filters, and whether event types still need checking here."""
        filters: list[Any] = []
        if query.max_id is not None:
            filters.append(["id", "less_than", query.max_id + 1])
        if query.ids:
            filters.append(["id", "in", list(query.ids)])
        if query.project_ids:
            filters.append(["project", "in", [{"type": "Project", "id": i} for i in query.project_ids]])
        if query.entity_type is not None:
            if query.entity_ids:
                filters.append(
                    ["entity", "in", [{"type": query.entity_type, "id": i} for i in query.entity_ids]]
                )
            else:
                filters.append(["entity", "type_is", query.entity_type])
        local_types = False
        if query.event_types:
            alts: list[Any] = []
            exact = [t for t in query.event_types if not is_glob(t)]
            if exact:
                alts.append(["event_type", "in", exact])
            for pattern in (t for t in query.event_types if is_glob(t)):
                prefix = glob_prefix(pattern)
                if prefix:
                    alts.append(["event_type", "starts_with", prefix])
                else:
                    local_types = True
            if not local_types:
                filters.append({"filter_operator": "any", "filters": alts})
        if query.users:
            filters.append(["user", "in", [{"type": t, "id": i} for t, i in query.users]])
        if query.since is not None:
            filters.append(
                ["created_at", "greater_than", query.since.replace(tzinfo=dt.UTC) - dt.timedelta(seconds=1)]
            )
        if query.until is not None:
            filters.append(
                ["created_at", "less_than", query.until.replace(tzinfo=dt.UTC) + dt.timedelta(seconds=1)]
            )
        # starts_with is case-insensitive on api3 servers: always confirm patterns here.
        return filters, bool(query.event_types)

    def pages(self, query: EventQuery, layout: Layout) -> Iterator[list[Row]]:
        filters, check_types = self._filters(query)
        fields = list(EVENT_FIELDS)
        if _needs_images(layout):
            fields += IMAGE_FIELDS
        fields += [d.path for d in layout.deep]
        cursor = (query.min_id - 1) if query.min_id else 0
        while True:
            batch = self.client.find(
                "EventLogEntry",
                [["id", "greater_than", cursor], *filters],
                fields,
                order=[{"field_name": "id", "direction": "asc"}],
                limit=self.page_size,
            )
            if not batch:
                return
            cursor = batch[-1]["id"]
            rows = []
            for record in batch:
                row = record_to_row(_api3_record(record), layout)
                if check_types and not query.matches_type(row[1] or ""):
                    continue
                if not _in_dates(query, record.get("created_at")):
                    continue
                rows.append(row)
            if rows:
                yield rows
            if len(batch) < self.page_size:
                return


def _in_dates(query: EventQuery, created: Any) -> bool:
    if query.since is None and query.until is None:
        return True
    if not isinstance(created, dt.datetime):
        return False
    value = created.astimezone(dt.UTC).replace(tzinfo=None) if created.tzinfo else created
    if query.since is not None and value < query.since:
        return False
    return not (query.until is not None and value >= query.until)


def _api3_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """An api3 record in the JSON Lines shape (what ``record_to_row`` reads)."""
    out = {k: _json_value(v) for k, v in record.items()}
    meta = record.get("meta")
    if out.get("entity") is None and isinstance(meta, Mapping) and meta.get("entity_id") is not None:
        # The server reads a retired subject as null; its meta still says what it was.
        out["entity"] = {"type": meta.get("entity_type"), "id": meta.get("entity_id"), "name": None}
    return out


# -- archived records -------------------------------------------------------------------------------------


def _link_parts(value: Any) -> tuple[Any, Any, Any]:
    if isinstance(value, Mapping):
        return value.get("type"), value.get("id"), value.get("name")
    return None, None, None


def record_to_row(record: Mapping[str, Any], layout: Layout | None = None) -> Row:
    """A record in the JSON Lines shape (archived, or read through api3) as a row of the layout."""
    et, ei, en = _link_parts(record.get("entity"))
    _, pi, pn = _link_parts(record.get("project"))
    ut, ui, un = _link_parts(record.get("user"))
    st, si, _ = _link_parts(record.get("image_source_entity"))
    meta = record.get("meta")
    row: Row = (
        record.get("id"),
        record.get("event_type"),
        record.get("description"),
        et,
        ei,
        en,
        pi,
        pn,
        ut,
        ui,
        un,
        record.get("attribute_name"),
        None if meta is None else orjson.dumps(meta).decode(),
        record.get("session_uuid"),
        record.get("created_at"),
        record.get("cached_display_name"),
        record.get("image"),
        record.get("filmstrip_image"),
        st,
        si,
        record.get("image_blur_hash"),
    )
    if layout is not None and layout.deep:
        row += tuple(record.get(d.path) for d in layout.deep)
    assert len(row) >= BASE
    return row
