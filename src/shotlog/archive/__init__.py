"""Retention and archive: events older than the live window move to compressed month segments.

    from shotlog.archive import Archive, ArchivePolicy

    archive = Archive(sg, ArchivePolicy(url="s3://bucket/shotlog", live_days=183))
    report = archive.run()                          # safe to kill at any point; the next run finishes
    for segment in archive.segments(): ...          # month, ids, dates, count, size
    export = archive.download("csv", months=["2024-03"])
    for chunk in export.chunks(): ...               # bytes to stream (web UI admin area)
    export = archive.search(EventQuery(event_types=("Shotgun_Shot_*",)), fmt="jsonl")
    page = archive.find(ArchiveFilter(EventQuery(), words=("lighting",)), after=0, limit=50)

``live_floor(db)`` is the lowest id of the live log; ``Shotlog.iter_events`` raises
``CursorArchived`` for a cursor behind it. See docs/export.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shotlog.archive.policy import ArchivePolicy
from shotlog.archive.search import ArchiveFilter, ArchivePage
from shotlog.archive.storage import ArchiveStorageError, DirectoryStore, ObjectStore, S3Store, open_storage
from shotlog.eventlog.floor import CursorArchived, archived_through, check_cursor, live_floor

if TYPE_CHECKING:
    import datetime as dt

    from shotlog.archive.job import Checkpoint, RunReport
    from shotlog.archive.segments import Segment
    from shotlog.connection import Shotlog
    from shotlog.export.exporter import Export
    from shotlog.export.query import EventQuery

__all__ = [
    "Archive",
    "ArchiveFilter",
    "ArchivePage",
    "ArchivePolicy",
    "ArchiveStorageError",
    "CursorArchived",
    "DirectoryStore",
    "ObjectStore",
    "S3Store",
    "archived_through",
    "check_cursor",
    "live_floor",
    "open_storage",
]


class Archive:
    """The archive of one database: run the job, list segments, download and search them."""

    def __init__(
        self, store: Shotlog, policy: ArchivePolicy | None = None, storage: ObjectStore | None = None
    ) -> None:
        self.store = store
        self.policy = policy or ArchivePolicy.from_env()
        self._storage = storage

    @property
    def storage(self) -> ObjectStore:
        if self._storage is None:
            self._storage = open_storage(
                self.policy.url or "", s3_endpoint=self.policy.s3_endpoint, s3_region=self.policy.s3_region
            )
        return self._storage

    def run(self, *, now: dt.datetime | None = None, checkpoint: Checkpoint | None = None) -> RunReport:
        from shotlog.archive.job import run_archive

        kwargs: dict[str, Any] = {"now": now}
        if checkpoint is not None:
            kwargs["checkpoint"] = checkpoint
        return run_archive(self.store, self.storage, self.policy, **kwargs)

    def segments(self, *, months: Sequence[str] = (), include_purged: bool = False) -> list[Segment]:
        from shotlog.archive.segments import list_segments

        return list_segments(self.store.db, months=months, include_purged=include_purged)

    def live_floor(self) -> int:
        return live_floor(self.store.db)

    def download(
        self,
        fmt: str = "jsonl",
        *,
        months: Sequence[str] = (),
        segment_ids: Sequence[int] = (),
        query: EventQuery | ArchiveFilter | None = None,
        columns: Sequence[str] | str | None = None,
        bom: bool = True,
        neutralise: bool = True,
    ) -> Export:
        """A checked export of archived events (``chunks()`` streams it); raises before any work.

        ``query`` may be an ``ArchiveFilter``: the event log page's filters (description words,
        attribute) on top of the export's."""
        from shotlog.archive.segments import ArchiveSource
        from shotlog.export.exporter import Export

        where = query if isinstance(query, ArchiveFilter) else ArchiveFilter(query or _everything())
        source = ArchiveSource(
            self.store.db,
            self.storage,
            months=months,
            segment_ids=segment_ids,
            where=where.matches if where.extra else None,
        )
        return Export(source, where.query, columns, fmt, bom=bom, neutralise=neutralise)

    def find(
        self, where: ArchiveFilter, *, segment_ids: Sequence[int] = (), after: int = 0, limit: int = 50
    ) -> ArchivePage:
        """A page of archived events ``where`` matches, oldest first, after id ``after`` (a cursor);
        read in place, never restored. Raises ``ExportError`` for a bad query."""
        from shotlog.archive.search import find_archived
        from shotlog.archive.segments import list_segments

        where.query.check()
        segments = list_segments(self.store.db, ids=segment_ids)
        return find_archived(self.storage, segments, where, after=after, limit=limit)

    def search(
        self,
        query: EventQuery,
        *,
        columns: Sequence[str] | str | None = None,
        fmt: str = "jsonl",
        limit: int | None = None,
    ) -> Export:
        """Archived events matching ``query``, read from the segments it can reach, never restored."""
        from shotlog.archive.segments import ArchiveSource
        from shotlog.export.exporter import Export

        return Export(ArchiveSource(self.store.db, self.storage), query, columns, fmt, limit=limit)


def _everything() -> EventQuery:
    from shotlog.export.query import EventQuery

    return EventQuery()
