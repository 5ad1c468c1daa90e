"""Searching archived events in place, a page at a time, with the event log page's filters.

``ArchiveFilter`` is the export's ``EventQuery`` plus the filters of the event log page that the
export has no SQL for: words in the description, the changed attribute, a field change's old and
new value (compared as text, as ``store.metafilters`` does), and leaving out setup and system
events (``eventlog.setup_events``). They are matched in Python against archived records, like the
rest of the query (``EventQuery.matches``).

``find_archived`` reads the segments through ``segments.scan`` (the one read path) in id order
from a cursor and stops after a page of matches, or after ``scan_limit`` records read when matches
are rare, so one page of a search never decompresses the whole archive; the page says where it
stopped and the next one goes on from there. Nothing is restored into the live log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shotlog.archive.segments import Segment, scan
from shotlog.archive.storage import ObjectStore
from shotlog.eventlog.setup_events import SETUP_EVENT_TYPES, UNLESS_BY_A_PERSON
from shotlog.export.query import EventQuery

__all__ = ["SCAN_LIMIT", "ArchiveFilter", "ArchivePage", "find_archived", "is_setup"]

#: archived records one page of a search reads at most (about a second of gzip and JSON decoding)
SCAN_LIMIT = 200_000


@dataclass(frozen=True)
class ArchiveFilter:
    """Which archived events a search or a download takes; every part optional, parts ANDed."""

    query: EventQuery = field(default_factory=EventQuery)
    #: every word must be in the description (case-insensitive), as on the event log page
    words: tuple[str, ...] = ()
    #: the changed field of ``_Change`` events
    attribute: str = ""
    #: ``meta.old_value`` / ``meta.new_value`` of a field change, as text
    old_value: str = ""
    new_value: str = ""
    #: leave out setup and system events (``eventlog.setup_events``)
    hide_setup: bool = False

    def matches(self, record: Mapping[str, Any]) -> bool:
        """The page's filters beyond the query (the query is matched by the reader)."""
        if self.words:
            text = str(record.get("description") or "").casefold()
            if not all(word.casefold() in text for word in self.words):
                return False
        if self.attribute and record.get("attribute_name") != self.attribute:
            return False
        meta = record.get("meta")
        meta = meta if isinstance(meta, Mapping) else {}
        for key, wanted in (("old_value", self.old_value), ("new_value", self.new_value)):
            if wanted and _as_text(meta.get(key)) != wanted:
                return False
        return not (self.hide_setup and is_setup(record))

    @property
    def extra(self) -> bool:
        """Whether anything beyond the export's query filters."""
        return bool(self.words or self.attribute or self.old_value or self.new_value or self.hide_setup)


def is_setup(record: Mapping[str, Any]) -> bool:
    """Whether an archived event is a setup or system event (``eventlog.setup_events``' rule)."""
    event_type = record.get("event_type")
    if event_type in SETUP_EVENT_TYPES:
        return True
    user = record.get("user")
    by_person = isinstance(user, Mapping) and user.get("type") == "HumanUser"
    return event_type in UNLESS_BY_A_PERSON and not by_person


def _as_text(value: Any) -> str | None:
    """A meta value as the store's meta filters compare it: a string as it is, else its JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


@dataclass
class ArchivePage:
    """One page of a search, oldest first."""

    rows: list[dict[str, Any]]
    #: the cursor (``after``) of the next page; None when the reachable archive is exhausted
    next_after: int | None
    #: how many records this page read to find its rows
    scanned: int


def find_archived(
    storage: ObjectStore,
    segments: list[Segment],
    where: ArchiveFilter,
    *,
    after: int = 0,
    limit: int = 50,
    scan_limit: int = SCAN_LIMIT,
) -> ArchivePage:
    """The first ``limit`` archived records above id ``after`` that ``where`` matches."""
    rows: list[dict[str, Any]] = []
    scanned = 0
    last = after
    for record in scan(storage, segments, where.query, after=after):
        scanned += 1
        last = int(record["id"])
        if where.query.matches(record) and where.matches(record):
            rows.append(record)
            if len(rows) >= limit:
                break
        if scanned >= scan_limit:
            break
    else:
        return ArchivePage(rows, None, scanned)
    # stopped early: the next page starts after the last record read, unless nothing remains
    more = last < max((s.last_id for s in segments), default=0)
    return ArchivePage(rows, last if more else None, scanned)
