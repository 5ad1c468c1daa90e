"""Reading the archive: the list of segments, and their events as an export source.

``Segment`` is one ``done`` row of ``archive_segments``. ``ArchiveSource`` streams the events of
the segments a query can reach (pruned by id range and dates), decompressing as it goes and
matching each record in Python, so searching and downloading never restore anything into the live
log. It plugs into ``shotlog.export.Export`` like any other source, which gives downloads the same
formats, columns and filters as ``shotlog events export``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from shotlog.archive.storage import ObjectStore
from shotlog.export.columns import Layout
from shotlog.export.query import EventQuery, ExportError
from shotlog.export.sources import iso, record_to_row
from shotlog.store.database import Database
from shotlog.store.tables import archive_segments as seg

__all__ = ["ArchiveSource", "Segment", "iter_records", "list_segments", "scan"]

#: an extra test of each archived record, beyond the ``EventQuery`` (``ArchiveFilter.matches``)
RecordTest = Callable[[Mapping[str, Any]], bool]

_EVENT_FIELDS = {
    "id": "number",
    "event_type": "text",
    "description": "text",
    "entity": "entity",
    "project": "entity",
    "user": "entity",
    "attribute_name": "text",
    "meta": "serializable",
    "session_uuid": "uuid",
    "created_at": "date_time",
}


@dataclass(frozen=True)
class Segment:
    id: int
    month: str
    first_id: int
    last_id: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    event_count: int
    key: str
    size_bytes: int
    state: str
    sha256: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "month": self.month,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "first_at": iso(self.first_at),
            "last_at": iso(self.last_at),
            "event_count": self.event_count,
            "key": self.key,
            "size_bytes": self.size_bytes,
            "state": self.state,
            "sha256": self.sha256,
        }


def list_segments(
    db: Database, *, months: Sequence[str] = (), ids: Sequence[int] = (), include_purged: bool = False
) -> list[Segment]:
    """The archive's segments in id order (``done`` ones; with ``include_purged`` the purged too)."""
    states = ("done", "purging", "purged") if include_purged else ("done",)
    stmt = sa.select(seg).where(seg.c.state.in_(states)).order_by(seg.c.first_id)
    if months:
        stmt = stmt.where(seg.c.month.in_(list(months)))
    if ids:
        stmt = stmt.where(seg.c.id.in_(list(ids)))
    with db.read() as conn:
        rows = conn.execute(stmt).all()
    return [
        Segment(
            r.id,
            r.month,
            r.first_id,
            r.last_id,
            r.first_at,
            r.last_at,
            r.event_count,
            r.key,
            r.size_bytes,
            r.state,
            r.sha256,
        )
        for r in rows
    ]


def iter_records(storage: ObjectStore, segment: Segment) -> Iterator[dict[str, Any]]:
    """The events of one segment as dicts (the JSON Lines shape), streamed."""
    with storage.open(segment.key) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
        for line in gz:
            if line.strip():
                yield orjson.loads(line)


def scan(
    storage: ObjectStore, segments: Sequence[Segment], query: EventQuery, *, after: int = 0
) -> Iterator[dict[str, Any]]:
    """Every record with an id above ``after`` in the segments ``query`` can reach, in id order.

    The one read path of archived events: downloads (``ArchiveSource``) and searches
    (``shotlog.archive.search``) both read through it and match what it yields. Segments the
    query's ids or dates cannot reach, and those wholly at or below ``after``, are never opened.

    Segments whose id ranges overlap are read side by side, merged by id: on a mirror the archive
    job's segment of the live log's setup and mirrored events spans the ids of the site's archived
    events imported beside it (``shotlog.archive.imports``), and a reader paging by id would
    otherwise pass those ids before reading them.
    """
    reachable = [s for s in segments if s.last_id > after and _reaches(s, query)]
    for group in _overlapping(reachable):
        streams = [_above(iter_records(storage, s), after) for s in group]
        yield from streams[0] if len(streams) == 1 else heapq.merge(*streams, key=_record_id)


def _overlapping(segments: Sequence[Segment]) -> Iterator[list[Segment]]:
    """The segments in runs whose id ranges overlap, in id order (most runs are one segment)."""
    run: list[Segment] = []
    end = 0
    for segment in sorted(segments, key=lambda s: s.first_id):
        if run and segment.first_id > end:
            yield run
            run = []
        end = segment.last_id if not run else max(end, segment.last_id)
        run.append(segment)
    if run:
        yield run


def _above(records: Iterator[dict[str, Any]], after: int) -> Iterator[dict[str, Any]]:
    return (r for r in records if _record_id(r) > after)


def _record_id(record: Mapping[str, Any]) -> int:
    return int(record.get("id") or 0)


def _reaches(segment: Segment, query: EventQuery) -> bool:
    lo, hi = query.id_range()
    if segment.last_id < lo or segment.first_id > hi:
        return False
    if query.since is not None and segment.last_at is not None and segment.last_at < query.since:
        return False
    return not (query.until is not None and segment.first_at is not None and segment.first_at >= query.until)


class ArchiveSource:
    """Archived events as an export source (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        storage: ObjectStore,
        *,
        months: Sequence[str] = (),
        segment_ids: Sequence[int] = (),
        page_size: int = 2000,
        where: RecordTest | None = None,
    ) -> None:
        self.db = db
        #: what the query cannot say (the event log page's description words and attribute)
        self.where = where
        self.storage = storage
        self.months = tuple(months)
        self.segment_ids = tuple(segment_ids)
        self.page_size = page_size
        self.label = f"archive {storage.url}"

    def segments(self) -> list[Segment]:
        return list_segments(self.db, months=self.months, ids=self.segment_ids)

    def field_type(self, entity_type: str, field: str) -> str | None:
        if entity_type == "EventLogEntry":
            return _EVENT_FIELDS.get(field)
        raise ExportError(
            f"linked fields ({entity_type}.{field}) are not kept in the archive: "
            "archived events carry their links' names as they were when archived",
            option="columns",
        )

    def check(self, query: EventQuery) -> None:
        query.check()
        if (self.months or self.segment_ids) and not self.segments():
            wanted = ", ".join([*self.months, *(str(i) for i in self.segment_ids)])
            raise ExportError(f"no archived segment matches {wanted}", option="segment")

    def bounds(self, query: EventQuery) -> tuple[int, int] | None:
        segments = [s for s in self.segments() if _reaches(s, query)]
        if not segments:
            return None
        lo, hi = query.id_range()
        return max(segments[0].first_id, lo), min(segments[-1].last_id, hi)

    def pages(self, query: EventQuery, layout: Layout) -> Iterator[list[tuple[Any, ...]]]:
        page: list[tuple[Any, ...]] = []
        for record in scan(self.storage, self.segments(), query):
            if query.matches(record) and (self.where is None or self.where(record)):
                page.append(record_to_row(record, layout))
                if len(page) >= self.page_size:
                    yield page
                    page = []
        if page:
            yield page
