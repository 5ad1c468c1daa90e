"""The archive job: move events older than the live window into month segments, purge old segments.

Each segment goes through a small state machine recorded in ``archive_segments``, so the job can be
killed (kill -9, power loss) at any instant and the next run finishes what was started:

    planned row (writing) -> segment written to a local temporary file -> object stored (atomic)
    -> row marked stored -> ONE transaction: delete the live rows, advance archived_through, mark done

* A row in ``writing``: the live rows are all still there (nothing is deleted before ``done``);
  the segment is written and stored again, replacing any object a killed run left.
* A row in ``stored``: the object is complete (its size is recorded); if it is still there the job
  runs the final transaction, else it writes it again.
* The final transaction deletes exactly the ids of the segment and checks the count it deleted
  against the count it wrote; events are therefore never in both places once the row is ``done``,
  and never in neither.

Readers of the archive only ever see ``done`` segments. Purging marks a segment ``purging`` before
deleting its object and ``purged`` after, so a purge interrupted half-way is simply redone.

This transaction is the one sanctioned way to delete EventLogEntry rows: the API refuses updates,
deletes and retirements of events (``EntityType.mutable`` is false for EventLogEntry, checked in
``shotlog.store.writer``); the archive works below the API, on the table itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from shotlog.archive.manifest import write_manifest
from shotlog.archive.policy import ArchivePolicy, month_of, next_month, purge_due, segment_key
from shotlog.archive.storage import ObjectStore
from shotlog.clock import utcnow_seconds
from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError
from shotlog.eventlog import log as event_log
from shotlog.eventlog import read as eventlog
from shotlog.eventlog.floor import archived_through
from shotlog.export.columns import ALL_COLUMNS
from shotlog.export.exporter import Export
from shotlog.export.query import EventQuery
from shotlog.export.sources import StoreSource
from shotlog.store.runlock import exclusive_run
from shotlog.store.tables import archive_segments as seg
from shotlog.store.tables import archive_state
from shotlog.webhooks import dispatching

__all__ = ["ArchiveBusy", "ArchiveError", "RunReport", "run_archive"]

log = logging.getLogger(__name__)

#: called with the name of each step as it completes (progress, and kill points in tests)
Checkpoint = Callable[[str, dict[str, Any]], None]

_PG_LOCK_KEY = 0x5E7A_4C41  # "the archive job" for pg_try_advisory_lock


class ArchiveError(ShotlogError):
    """The archive job cannot proceed (inconsistent counts, a missing object...)."""


class ArchiveBusy(ArchiveError):
    """Another archive run holds the job lock."""


@dataclass
class RunReport:
    archived_events: int = 0
    segments: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    archived_through: int = 0
    cutoff: dt.datetime | None = None
    #: why the run stopped short of the cutoff (webhook deliveries still owed), or None
    held_back: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "archived_events": self.archived_events,
            "segments": self.segments,
            "resumed": self.resumed,
            "purged": self.purged,
            "archived_through": self.archived_through,
            "cutoff": None if self.cutoff is None else self.cutoff.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "held_back": self.held_back,
        }


def _noop(step: str, info: dict[str, Any]) -> None:
    return None


def run_archive(
    store: Shotlog,
    storage: ObjectStore,
    policy: ArchivePolicy,
    *,
    now: dt.datetime | None = None,
    checkpoint: Checkpoint = _noop,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunReport:
    """One archive run: finish interrupted work, archive what is due, purge what has expired."""
    now = now or utcnow_seconds()
    storage.check()
    report = RunReport(cutoff=policy.cutoff(now))
    with job_lock(store):
        _ensure_state_row(store)
        _reconcile(store, storage, report, checkpoint)
        end = _archive_end(store, policy.cutoff(now))
        owed, reason = _webhook_bound(store)
        if owed < end:
            end, report.held_back = owed, reason
            log.info("archive held back at event %d: %s", owed, reason)
        start = archived_through(store.db) + 1
        while start <= end and not should_stop():
            last = _segment_end(store, start, end, policy.segment_events)
            if last < start:
                break
            month = month_of(_created_at(store, start) or now)
            key = segment_key(month, start, last)
            seg_id = _plan(store, month, start, last, key)
            checkpoint("planned", {"key": key, "first_id": start, "last_id": last})
            report.archived_events += _write_and_finish(store, storage, seg_id, start, last, key, checkpoint)
            report.segments.append(key)
            start = last + 1
        if not should_stop():
            _purge(store, storage, policy, now, report, checkpoint)
        write_manifest(store, storage)
    report.archived_through = archived_through(store.db)
    return report


# -- locking ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def job_lock(store: Shotlog) -> Iterator[None]:
    """One archive run at a time per database; a killed holder releases the lock with its process
    (``shotlog.store.runlock``)."""
    busy = ArchiveBusy("another archive run is in progress on this database")
    with exclusive_run(store.db, "archive", _PG_LOCK_KEY, busy):
        yield


# -- deciding what to archive -----------------------------------------------------------------------------


def _ensure_state_row(store: Shotlog) -> None:
    with store.db.write() as conn:
        exists = conn.execute(sa.select(archive_state.c.id).where(archive_state.c.id == 1)).first()
        if exists is None:
            conn.execute(
                sa.insert(archive_state).values(id=1, archived_through=0, updated_at=utcnow_seconds())
            )


def _archive_end(store: Shotlog, cutoff: dt.datetime) -> int:
    """The last id to archive: everything before the first event created at or after ``cutoff``.

    Archiving a prefix of ids keeps the live log's cursor contract simple (``live_floor``); an event
    older than the cutoff that comes after a newer one waits for the next run. The newest event
    always stays: ids are assigned as ``max(id) + 1`` (shotlog.eventlog.log), so an emptied log
    would hand out archived ids again.
    """
    with store.db.read() as conn:
        head = eventlog.head_id(conn)
        first_live = eventlog.first_id_since(conn, cutoff)
    return min(head, int(first_live or head + 1)) - 1


def _webhook_bound(store: Shotlog) -> tuple[int, str]:
    """The last id the archive may take without losing a webhook delivery, and why (webhooks say
    which events they still need: ``shotlog.webhooks.dispatching.owed_events``)."""
    owed = dispatching.owed_events(store.db)
    if owed is None:
        return 2**62, ""
    cursor = owed.dispatched_through
    if owed.first_owed is not None and owed.first_owed - 1 < cursor:
        return (
            owed.first_owed - 1,
            f"webhook deliveries of event {owed.first_owed} and later are pending or held",
        )
    return cursor, f"webhooks have dispatched events up to {cursor} only"


def _created_at(store: Shotlog, at_or_after: int) -> dt.datetime | None:
    with store.db.read() as conn:
        return eventlog.created_at_from(conn, at_or_after)


def _segment_end(store: Shotlog, start: int, end: int, max_events: int) -> int:
    """The last id of the segment starting at ``start``: the end of its month, at most ``max_events``.

    The month boundary is found by binary search over ids (created_at grows with id), with one
    indexed lookup per step, instead of scanning the created_at index.
    """
    first_at = _created_at(store, start)
    if first_at is None:
        return start - 1
    boundary = next_month(first_at)
    limit = min(end, start + max_events - 1)
    with store.db.read() as conn:
        last_at = eventlog.created_at_through(conn, limit)
        if last_at is None or last_at < boundary:
            return limit
        lo, hi = start, limit  # invariant: created_at(lo) < boundary <= created_at(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            at = eventlog.created_at_from(conn, mid)
            if at is not None and at < boundary:
                lo = mid
            else:
                hi = mid
    return lo


# -- one segment ------------------------------------------------------------------------------------------


def _plan(store: Shotlog, month: str, first: int, last: int, key: str) -> int:
    now = utcnow_seconds()
    with store.db.write() as conn:
        existing = conn.execute(sa.select(seg.c.id, seg.c.state).where(seg.c.key == key)).first()
        if existing is not None:
            if existing.state not in ("writing", "stored"):
                raise ArchiveError(f"archive segment {key} is already {existing.state}")
            return int(existing.id)
        return int(
            conn.execute(
                sa.insert(seg)
                .values(
                    month=month,
                    first_id=first,
                    last_id=last,
                    event_count=0,
                    key=key,
                    size_bytes=0,
                    state="writing",
                    created_at=now,
                    updated_at=now,
                )
                .returning(seg.c.id)
            ).scalar_one()
        )


def _write_and_finish(
    store: Shotlog, storage: ObjectStore, seg_id: int, first: int, last: int, key: str, checkpoint: Checkpoint
) -> int:
    with tempfile.TemporaryDirectory(prefix="shotlog-archive-") as tmp:
        path = Path(tmp) / "segment.jsonl.gz"
        count, first_at, last_at, digest = _write_segment(store, first, last, path)
        checkpoint("written", {"key": key, "count": count})
        size = path.stat().st_size
        storage.put_file(key, path)
    checkpoint("uploaded", {"key": key})
    with store.db.write() as conn:
        conn.execute(
            sa.update(seg)
            .where(seg.c.id == seg_id)
            .values(
                state="stored",
                event_count=count,
                first_at=first_at,
                last_at=last_at,
                size_bytes=size,
                sha256=digest,
                updated_at=utcnow_seconds(),
            )
        )
    checkpoint("stored", {"key": key})
    _finish(store, seg_id, first, last, count, key)
    checkpoint("done", {"key": key, "count": count})
    return count


def _write_segment(store: Shotlog, first: int, last: int, path: Path) -> tuple[int, Any, Any, str]:
    """The events first..last as gzip'd JSON Lines (every field, links with names). Flat memory."""
    export = Export(StoreSource(store), EventQuery(min_id=first, max_id=last), list(ALL_COLUMNS), "jsonl")
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
        for chunk in export.chunks():
            gz.write(chunk)
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    with store.db.read() as conn:
        first_at, last_at = eventlog.created_span(conn, first, last)
    return export.count, first_at, last_at, digest.hexdigest()


def _finish(store: Shotlog, seg_id: int, first: int, last: int, count: int, key: str) -> None:
    """The one transaction that moves the segment's events out of the live log."""
    with store.db.write() as conn:
        deleted = event_log.remove_archived(conn, first, last)
        if deleted != count:
            # Rolls back: the live rows stay, the segment stays 'stored' for a later, fresh attempt.
            raise ArchiveError(
                f"archive segment {key} holds {count} events but the live log had {deleted} in "
                f"{first}..{last}; nothing was deleted"
            )
        conn.execute(
            sa.update(archive_state)
            .where(archive_state.c.id == 1, archive_state.c.archived_through < last)
            .values(archived_through=last, updated_at=utcnow_seconds())
        )
        conn.execute(
            sa.update(seg).where(seg.c.id == seg_id).values(state="done", updated_at=utcnow_seconds())
        )
    log.info("archived %s events %s..%s to %s", count, first, last, key)


def _reconcile(store: Shotlog, storage: ObjectStore, report: RunReport, checkpoint: Checkpoint) -> None:
    """Finish the segments a previous run left in ``writing``, ``stored`` or ``purging``."""
    with store.db.read() as conn:
        pending = conn.execute(
            sa.select(seg).where(seg.c.state.in_(("writing", "stored", "purging"))).order_by(seg.c.first_id)
        ).all()
    for row in pending:
        if row.state == "purging":
            storage.delete(row.key)
            _set_state(store, row.id, "purged")
            report.purged.append(row.key)
            continue
        if row.first_id <= archived_through(store.db):
            # Cannot happen through this module; refuse rather than delete events twice.
            raise ArchiveError(
                f"archive segment {row.key} is {row.state} but its events are already archived"
            )
        if row.state == "stored" and storage.size(row.key) == row.size_bytes:
            _finish(store, row.id, row.first_id, row.last_id, row.event_count, row.key)
            report.archived_events += row.event_count
        else:
            report.archived_events += _write_and_finish(
                store, storage, row.id, row.first_id, row.last_id, row.key, checkpoint
            )
        report.resumed.append(row.key)


def _set_state(store: Shotlog, seg_id: int, state: str) -> None:
    with store.db.write() as conn:
        conn.execute(
            sa.update(seg).where(seg.c.id == seg_id).values(state=state, updated_at=utcnow_seconds())
        )


def _purge(
    store: Shotlog,
    storage: ObjectStore,
    policy: ArchivePolicy,
    now: dt.datetime,
    report: RunReport,
    checkpoint: Checkpoint,
) -> None:
    with store.db.read() as conn:
        done = conn.execute(
            sa.select(seg.c.id, seg.c.key, seg.c.last_at)
            .where(seg.c.state == "done")
            .order_by(seg.c.first_id)
        ).all()
    for row in done:
        if not purge_due(row.last_at, now, policy):
            continue
        _set_state(store, row.id, "purging")
        checkpoint("purging", {"key": row.key})
        storage.delete(row.key)
        _set_state(store, row.id, "purged")
        report.purged.append(row.key)
