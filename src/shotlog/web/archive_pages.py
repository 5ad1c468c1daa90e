"""The Archived Data page (admin menu): retention settings, segments, downloads, search in place.

FPTR lets admins download archived events from *Archived Data* in the admin menu; this page does
that and more, on ``shotlog.archive``: it shows the live window and archive window, lists every
segment (period, events, size, where it is stored), streams a segment or a date range as CSV (the
columns of the event log's CSV export) or JSON Lines, and searches archived events with the event
log's own filters without restoring anything.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from shotlog.archive import Archive, ArchivePolicy, archived_through
from shotlog.archive.search import ArchivePage
from shotlog.errors import ShotlogError
from shotlog.eventlog import read
from shotlog.export.exporter import Export
from shotlog.export.query import ExportError, parse_iso
from shotlog.web.archived import (
    EXPORT_FIELDS,
    FORMATS,
    archive_filter,
    parse_download,
    size_text,
    where_stored,
)
from shotlog.web.eventlist import choices, for_list, subject
from shotlog.web.filters import PAGE_SIZES, EventQuery, parse_event_query
from shotlog.web.pages import Web

__all__ = ["ArchivePages"]

NOT_CONFIGURED = (
    "No archive is configured on this server: set SHOTLOG_ARCHIVE_URL to the archive's directory or "
    "s3://bucket/prefix and restart it."
)


class ArchivePages:
    def __init__(self, web: Web) -> None:
        self.web = web

    def _types(self) -> set[str]:
        return set(self.web.store.catalog.schema.types)

    async def index(self, request: Request) -> Response:
        return await self.show(request)

    async def show(
        self, request: Request, download_errors: dict[str, str] | None = None, status: int = 200
    ) -> Response:
        params = dict(request.query_params)
        searching = "search" in params and download_errors is None
        q, errors = parse_event_query(params if searching else {}, self._types(), self.web.zone(request).zone)

        def load() -> dict[str, Any]:
            return self._load(q if searching and not errors else None)

        loaded = await run_in_threadpool(load)
        return self.web.render(
            request,
            "archive.html",
            400 if errors else status,
            q=q,
            errors=errors,
            searching=searching,
            download_errors=download_errors or {},
            download=params if download_errors is not None else {},
            page_sizes=PAGE_SIZES,
            formats=FORMATS,
            subject=subject,
            size_text=size_text,
            **loaded,
        )

    def _load(self, q: EventQuery | None) -> dict[str, Any]:
        """Everything the page shows; a search when ``q`` is given."""
        store = self.web.store
        out: dict[str, Any] = {"problem": "", "policy": None, "storage_url": "", "results": None}
        try:
            archive = Archive(store)
            out["policy"] = archive.policy
        except ShotlogError as exc:  # a bad SHOTLOG_ARCHIVE_* setting
            out["problem"] = str(exc)
            archive = None
        segments = Archive(store, ArchivePolicy()).segments() if archive is None else archive.segments()
        through = archived_through(store.db)
        with store.db.read() as conn:
            out["first_live_at"] = read.created_at_from(conn, through + 1)
        out.update(
            segments=segments,
            archived_through=through,
            archived_events=sum(s.event_count for s in segments),
            archived_bytes=sum(s.size_bytes for s in segments),
            choices=choices(store),
        )
        if archive is not None and archive.policy.url:
            try:
                out["storage_url"] = archive.storage.url
            except ShotlogError as exc:
                out["problem"] = str(exc)
        elif archive is not None:
            out["problem"] = NOT_CONFIGURED
        # without a configured archive only the key is known (a segment written with `archive run --to`)
        url = out["storage_url"]
        out["locations"] = {s.id: where_stored(url, s.key) if url else s.key for s in segments}
        if q is not None:
            out["results"], out["search_error"] = self._search(archive, q)
        return out

    @staticmethod
    def _search(archive: Archive | None, q: EventQuery) -> tuple[ArchivePage | None, str]:
        if archive is None or not archive.policy.url:
            return None, "Archived events cannot be searched: " + NOT_CONFIGURED
        try:
            found = archive.find(archive_filter(q), after=q.after or 0, limit=q.size)
        except ShotlogError as exc:
            return None, str(exc)
        for row in found.rows:
            # records keep their dates as ISO text; the page shows datetimes like the event log's
            row["created_at"] = parse_iso(row.get("created_at"))
            row["archived"] = True
        for_list(found.rows)
        return found, ""

    async def download(self, request: Request) -> Response:
        """A segment, a date range or a search's results, streamed as CSV or JSON Lines."""
        wanted, errors = parse_download(
            dict(request.query_params), self._types(), self.web.zone(request).zone
        )
        if errors:
            return await self.show(request, download_errors=errors, status=400)

        def prepare() -> tuple[Export, str]:
            archive = Archive(self.web.store)
            if not archive.policy.url:
                raise ShotlogError(NOT_CONFIGURED)
            archive.storage.check()
            ids = [wanted.segment] if wanted.segment is not None else []
            export = archive.download(wanted.fmt, segment_ids=ids, query=archive_filter(wanted.q))
            month = next((s.month for s in archive.segments() if s.id == wanted.segment), None)
            return export, export.filename(wanted.stem(month))

        try:
            export, filename = await run_in_threadpool(prepare)
        except ExportError as exc:
            field = EXPORT_FIELDS.get(str(exc.details.get("option")), "form")
            return await self.show(request, download_errors={field: str(exc)}, status=400)
        except ShotlogError as exc:
            return await self.show(request, download_errors={"form": str(exc)}, status=409)
        # a sync iterator: Starlette reads it in the thread pool, a page of events at a time
        return StreamingResponse(
            export.chunks(),
            media_type=export.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
