"""The Archived Data page's pure decisions: its filters, its download requests, sizes in words.

The page searches and downloads archived events with the event log page's own filters (the same
query string, parsed by ``filters.parse_event_query``), turned here into the archive's
``ArchiveFilter``. A download names a segment or a date range (or any filters) and a format; a bad
value becomes a message keyed by the form field it came from, as on every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from shotlog.archive.search import ArchiveFilter
from shotlog.export.query import query_from_dict
from shotlog.web.event_pages import export_query
from shotlog.web.filters import EventQuery, parse_event_query, whole_number
from shotlog.web.timezones import UTC

__all__ = ["FORMATS", "Download", "archive_filter", "parse_download", "size_text", "where_stored"]

#: download format in the URL -> its label
FORMATS = {"csv": "CSV", "jsonl": "JSON Lines"}
#: the export's option names, as the page's fields are named (``ExportError.option`` -> field)
EXPORT_FIELDS = {"since": "from", "until": "to", "min_id": "id_from", "max_id": "id_to", "segment": "segment"}


def archive_filter(q: EventQuery) -> ArchiveFilter:
    """The archive's filter equal to the event log page's (``q`` parsed without errors)."""
    return ArchiveFilter(
        query_from_dict(export_query(q)),
        words=tuple(q.text.split()),
        attribute=q.attribute,
        old_value=q.old_value,
        new_value=q.new_value,
        # the setup events are left out when asked (setup=hide), never by the log's default
        hide_setup=q.hides_setup,
    )


@dataclass(frozen=True)
class Download:
    """What a download asks for: a format, perhaps one segment, and the page's filters."""

    fmt: str = "csv"
    segment: int | None = None
    q: EventQuery = field(default_factory=EventQuery)

    def stem(self, month: str | None = None) -> str:
        """The file name without its extension: ``archive-2024-03`` or ``archive-2024-01-01-to-...``."""
        if self.segment is not None:
            return f"archive-{month or 'segment'}-segment-{self.segment}"
        raw = self.q.raw
        if raw.get("from") or raw.get("to"):
            span = "-to-".join(v for v in (raw.get("from", ""), raw.get("to", "")) if v)
            return "archive-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in span)
        return "archive-events"


def parse_download(
    params: Mapping[str, str], entity_types: frozenset[str] | set[str], zone: ZoneInfo = UTC
) -> tuple[Download, dict[str, str]]:
    """The download asked for, and a message per form field whose value cannot be used. Dates are
    read in ``zone``, the reader's, as the event log reads them."""
    q, errors = parse_event_query(params, entity_types, zone)
    fmt = (params.get("format") or "csv").strip()
    if fmt not in FORMATS:
        errors["format"] = f"Format must be CSV (csv) or JSON Lines (jsonl), got {fmt!r}."
        fmt = "csv"
    raw_segment = (params.get("segment") or "").strip()
    segment = whole_number(raw_segment) if raw_segment else None
    if raw_segment and not segment:
        errors["segment"] = f"Segment must be a segment id from the list, got {raw_segment!r}."
    return Download(fmt, segment, q), errors


def size_text(n: int | None) -> str:
    """Bytes in words: ``812 bytes``, ``4.2 KB``, ``1.3 MB`` (powers of 1,000, as disks count)."""
    if n is None:
        return "—"
    if n < 1000:
        return f"{n:,} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{value:,.1f} {unit}"
    raise AssertionError("unreachable")


def where_stored(storage_url: str, key: str) -> str:
    """The full address of a segment: its store's URL and its key."""
    return f"{storage_url.rstrip('/')}/{key}"
