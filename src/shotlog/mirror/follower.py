"""The mirror's loop: read the site's log after the cursor, accept ids exactly once, append.

Each pass takes a read of ``id > max_seen`` and the open gaps (the daemon's ``GapTracker`` decides
what is new and when a gap is given up, on the site's clock; while the mirror catches up, the next
pages are read ahead, each after the last), lets ``ordering.release`` say which accepted events may
be appended, and appends them with their names and the new cursor **in one transaction**: after a
kill -9 the mirror resumes from the cursor it committed, reading again the events it had accepted
but not appended, so nothing is lost or appended twice. Gaps are not stored for resuming: reading
the site after the cursor finds them again, with the same deadlines (they come from the
``created_at`` of the events that reveal them).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from shotlog import backoff
from shotlog.clock import utcnow_seconds
from shotlog.connection import Shotlog
from shotlog.daemon.sources.gaps import GapTracker
from shotlog.eventlog import read as eventlog_read
from shotlog.eventlog.log import ForeignIdError, append_foreign
from shotlog.mirror import ordering
from shotlog.mirror.naming import Names, renamed
from shotlog.mirror.records import FORGET, to_row
from shotlog.mirror.site import Site, SiteRefused, SiteUnreachable
from shotlog.store import mirrors

__all__ = ["Follower", "MirrorStartError", "Options"]

log = logging.getLogger("shotlog.mirror")

#: how often, while catching up, the mirror asks the site for its newest event (for the lag and
#: the site's clock); once caught up, the last page tells it
_HEAD_EVERY = 5.0
#: while catching up, pages of events written per transaction
_WRITE_EVERY = 4
#: while catching up, pages read ahead of the writes (a bounded queue: the site serves the next
#: pages while this process converts and writes the last ones, still one request at a time)
_READ_AHEAD = 3


class MirrorStartError(Exception):
    """The mirror cannot start on this database (another site, ids that would not follow)."""


@dataclass(frozen=True)
class _Read:
    """One read of the site: a page after the last one read, the open gaps' ids asked again, and
    the site's newest event when it was asked for."""

    page: list[dict[str, Any]]
    late: list[dict[str, Any]]
    head: tuple[int, dt.datetime | None] | None


@dataclass(frozen=True)
class Options:
    batch: int = 500
    interval: float = 1.0
    gap_timeout: float = 120.0
    retry_max: float = 300.0
    from_event_id: int | None = None
    from_date: dt.datetime | None = None
    #: finds a second asking the site for the names of linked entities (0: none)
    name_fetch_rate: float = 1.0


class Follower:
    def __init__(self, store: Shotlog, site: Site, options: Options) -> None:
        self.store = store
        self.db = store.db
        self.site = site
        self.options = options
        self.tracker: GapTracker | None = None
        self.pending: list[Mapping[str, Any]] = []
        self.unwritten: list[Mapping[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.cursor = 0
        self.last_created: dt.datetime | None = None
        self.head: tuple[int, dt.datetime | None] | None = None
        self._head_at = 0.0
        self.stop_event = threading.Event()
        # Every request to the site goes through this one thread, in the order asked (the site's one
        # shotgun_api3 connection carries one request at a time). While catching up it reads up to
        # _READ_AHEAD pages ahead of the writes: ``_ahead`` holds them in id order, each page
        # starting after the last one (``_read_after``, touched on the reader thread only).
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="mirror-read")
        self._ahead: deque[Future[_Read]] = deque()
        self._read_after = 0
        self._head_due = False
        # ids of gaps filled while reads asked with the older gaps were under way: those reads
        # bring the same late events again, and they are not news (nor late after a timeout)
        self._refilled: set[int] = set()
        self._fields_schema: object = None
        self._display_fields: dict[str, str | None] = {}
        self.names = Names(options.name_fetch_rate, self._display_field)
        #: no event is appended before this (monotonic) time: see ``start``
        self._settled_at = 0.0

    # -- start ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Load the state, or start one at the chosen point of the site's log."""
        with self.db.read() as conn:
            state = mirrors.read_state(conn)
            local_head = eventlog_read.head_id(conn)
            self.last_created = eventlog_read.created_at_through(conn, local_head)
        if state is not None:
            if state.site.rstrip("/") != self.site.url.rstrip("/"):
                raise MirrorStartError(
                    f"this database mirrors {state.site}, not {self.site.url} (one site per database)"
                )
            if self.options.from_event_id is not None or self.options.from_date is not None:
                log.warning(
                    "resuming after event %d: --from-event-id/--from-date apply to a new mirror only",
                    state.cursor,
                )
            self.cursor = state.cursor
            self.counts.update(state.counts)
        else:
            self.cursor = self._first_cursor()
            if self.cursor < local_head:
                raise MirrorStartError(
                    f"this database's event log already reaches id {local_head}, and the site's events "
                    f"from id {self.cursor + 1} would not come after it: mirror into a database of its own"
                )
            with self.db.write() as conn:
                mirrors.start_state(conn, self.site.url, self.cursor, utcnow_seconds())
            # Other processes on this database (a server, a CLI) learn that it is a mirror within
            # MIRRORED_TTL; until then they may still append their own events to the log, with
            # ids above its head. Appending no site event before that keeps those ids below the
            # site's, so no reader of ``id > cursor`` ever sees one among them.
            self._settled_at = time.monotonic() + mirrors.MIRRORED_TTL
        self.tracker = GapTracker(self.cursor, timeout=self.options.gap_timeout)
        self.store.catalog.schema  # noqa: B018 - loaded now, not on the first page
        with self.db.read() as conn:
            self.names.want(mirrors.unnamed_links(conn))
        log.info("mirroring %s after event %d", self.site.url, self.cursor)

    def _first_cursor(self) -> int:
        o = self.options
        if o.from_event_id is not None:
            newest = self.site.head()[0]
            if o.from_event_id - 1 > newest:
                # saved as the cursor, it would skip every event the site writes up to it
                raise MirrorStartError(
                    f"--from-event-id {o.from_event_id} is beyond the site's newest event ({newest}): "
                    f"start at {newest + 1} or below"
                )
            return max(0, o.from_event_id - 1)
        if o.from_date is not None:
            first = self.site.first_id_since(o.from_date)
            if first is not None:
                return first - 1
        return self.site.head()[0]

    # -- one pass -----------------------------------------------------------------------------------------

    def poll(self) -> bool:
        """Read and append what the site has; True when more is waiting (the page was full, or
        pages read ahead are still to be taken), False when caught up."""
        try:
            return self._poll()
        except BaseException:
            # the pages read ahead follow one this pass did not accept: reading them would skip it
            self._drop_ahead()
            raise

    def _poll(self) -> bool:
        tracker = self.tracker
        assert tracker is not None
        if not self._ahead:  # nothing read ahead: a new run of pages starts after the last accepted id
            self._ahead.append(self._read_next(start_after=tracker.max_seen))
        read = self._ahead.popleft().result()
        page, late = read.page, read.late
        if read.head is not None:
            self.head = read.head
        if self.names.due(time.monotonic()):
            self._name_links()
        full = len(page) >= self.options.batch
        now = time.monotonic()
        if not full:
            if page:
                self.head = (int(page[-1]["id"]), page[-1].get("created_at"))
            elif self.head is None or self.head[0] < tracker.max_seen:
                self.head = self._reader.submit(self.site.head).result()
            self._head_at = now
        elif now - self._head_at >= _HEAD_EVERY or self.head is None:
            self._head_due = True  # asked with the next page read (the answer comes with it)
            self._head_at = now
        if self._refilled:
            late = [ev for ev in late if ev.get("id") not in self._refilled]
        events = []
        for ev in [*late, *page]:
            if isinstance(ev.get("id"), int):
                events.append(ev)
            else:  # no id: no place in the log
                self.counts["unplaceable"] += 1
                log.error("the site returned an event without an id: %r", ev)
        accepted = tracker.accept(events)
        if self._ahead:
            self._refilled.update(accepted.filled)
        if self.head is not None and self.head[1] is not None:
            head_at = self.head[1]
            accepted.expired += tracker.expire(head_at if head_at.tzinfo else head_at.replace(tzinfo=dt.UTC))
        self.counts["late_filled"] += len(accepted.filled)
        self.counts["gaps_given_up"] += len(accepted.expired)
        self.counts["late_after_timeout"] += len(accepted.dropped_late)
        for eid in accepted.filled:
            log.info("event %d committed late on the site; appended in its place", eid)
        if accepted.expired:
            log.warning(
                "event id(s) %s never appeared on the site within %.0f s",
                accepted.expired[:10],
                tracker.timeout.total_seconds(),
            )
        self.pending += accepted.events
        now_events, self.pending = ordering.release(self.pending, tracker.holes)
        if full:  # behind: the next pages are read while this one is written (the site is the slower)
            while len(self._ahead) < _READ_AHEAD:
                self._ahead.append(self._read_next())
        if not self._ahead:
            self._refilled.clear()  # no read asked with older gaps is left
        self.unwritten += now_events
        # Catching up, several pages share a commit (a commit's fsync costs more than a page's
        # rows); caught up, every poll commits what it released. Unwritten events are not lost to
        # a kill: the cursor has not moved past them, so they are read again.
        if not full or len(self.unwritten) >= _WRITE_EVERY * self.options.batch:
            self._append(self.unwritten)
            self.unwritten = []
        return full or bool(self._ahead)

    def _read_next(self, start_after: int | None = None) -> Future[_Read]:
        """Ask the reader thread for the next page (after ``start_after``, else after the last page
        it read), with the open gaps as they are now."""
        assert self.tracker is not None
        with_head, self._head_due = self._head_due, False
        return self._reader.submit(self._read, start_after, self.tracker.open_holes(500), with_head)

    def _read(self, start_after: int | None, holes: list[int], with_head: bool) -> _Read:
        """On the reader thread: one page, the gaps' late events, the site's head if asked."""
        if start_after is not None:
            self._read_after = start_after
        page = self.site.page(self._read_after, self.options.batch)
        ids = [ev["id"] for ev in page if isinstance(ev.get("id"), int)]
        if ids:
            self._read_after = max(self._read_after, *ids)
        late = self.site.by_ids(holes)
        return _Read(page, late, self.site.head() if with_head else None)

    def _drop_ahead(self) -> None:
        """Forget the pages read ahead (a pass failed): the next one reads again after the last
        accepted id, so nothing is skipped; a read still running ends unused."""
        for ahead in self._ahead:
            ahead.cancel()
        self._ahead.clear()
        self._refilled.clear()

    def _append(self, events: Sequence[Mapping[str, Any]]) -> None:
        known = self.store.catalog.schema.has_entity
        rows, names = [], {}
        counts = Counter(self.counts)
        for ev in events:
            row = to_row(ev, known, self.last_created or utcnow_seconds().replace(tzinfo=None))
            self.last_created = row.values["created_at"]
            if row.anomalies:
                counts.update(row.anomalies)
            rows.append(row.values)
            names.update(row.links)
            changed = renamed(ev, self._display_field)
            if changed is not None:
                self.names.want([changed], again=True)
        counts["events"] += len(rows)
        cursor = int(rows[-1]["id"]) if rows else self.cursor
        if rows and not self.wait_settled():
            return  # stopping: the cursor has not moved past them, the next run reads them again
        try:
            with self.db.write() as conn:
                self._write(conn, rows, names, counts, cursor)
        except ForeignIdError as exc:
            message = (
                f"{exc}: this database's log has events that did not come from {self.site.url} "
                "(written by a process that did not know the database mirrors it); the site's events "
                "cannot follow them"
            )
            self._record_error(message)
            raise MirrorStartError(message) from None
        self.cursor, self.counts = cursor, counts
        self.names.want(ref for ref, name in names.items() if name is None)

    def wait_settled(self) -> bool:
        """Wait until a new mirror may append (see ``start``); False when stopped meanwhile."""
        wait = self._settled_at - time.monotonic()
        if wait <= 0:
            return True
        log.info("waiting %.1f s for every process on this database to see that it is a mirror", wait)
        return not self.stop_event.wait(wait)

    def _display_field(self, entity_type: str) -> str | None:
        # asked for most events (``renamed``): remembered per schema version read
        schema = self.store.catalog.schema
        if schema is not self._fields_schema:
            self._fields_schema, self._display_fields = schema, {}
        try:
            return self._display_fields[entity_type]
        except KeyError:
            field = schema.display_field(entity_type) if schema.has_entity(entity_type) else None
            self._display_fields[entity_type] = field
            return field

    def _name_links(self) -> None:
        """One find of the names still wanted; kept in ``mirror_links`` in a transaction of its own.
        Asked on the reader thread after the pages under way (this thread waits, so ``names`` is
        never used by both at once)."""
        found = self._reader.submit(self.names.fetch, self.site).result()
        if found:
            with self.db.write() as conn:
                mirrors.record_links(conn, found, utcnow_seconds())
            self.counts["names_fetched"] += len(found)

    def _write(
        self,
        conn: Connection,
        rows: list[dict[str, Any]],
        names: dict[Any, Any],
        counts: Counter[str],
        cursor: int,
    ) -> None:
        """One transaction: the events, their names and the cursor (see the module's docstring)."""
        assert self.tracker is not None
        append_foreign(conn, self.db, rows)
        mirrors.forget_links(conn, [ref for ref, name in names.items() if name is FORGET])
        mirrors.record_links(conn, {ref: n for ref, n in names.items() if n is not FORGET}, utcnow_seconds())
        mirrors.save_progress(
            conn,
            cursor=cursor,
            holes=self.tracker.dump_holes(),
            counts=dict(counts),
            site_head=_naive_head(self.head),
            now=utcnow_seconds(),
            mirrored=bool(rows),
        )

    # -- the loop -------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Follow the site until ``stop``; wait out failures (backing off), stop on refused credentials."""
        failures = 0
        while not self.stop_event.is_set():
            began = time.monotonic()
            try:
                more = self.poll()
            except CancelledError:
                if self.stop_event.is_set():  # stopping: the reads not yet made were called off
                    return
                raise
            except SiteRefused as exc:
                self._record_error(str(exc))
                raise
            except SiteUnreachable as exc:
                failures += 1
                wait = backoff.delay(failures, 1.0, self.options.retry_max)
                log.warning("%s; trying again in %.0f s", exc, wait)
                self._record_error(str(exc))
                self.stop_event.wait(wait)
                continue
            failures = 0
            if not more:
                # polls start every interval (a poll's own time is not added to the wait), so an
                # event waits at most one interval and one poll to be read and written
                self.stop_event.wait(max(0.0, self.options.interval - (time.monotonic() - began)))

    def stop(self) -> None:
        self.stop_event.set()
        self.site.stop()
        self._reader.shutdown(wait=False, cancel_futures=True)

    def _record_error(self, message: str) -> None:
        with self.db.write() as conn:
            mirrors.record_error(conn, message, utcnow_seconds())


def _naive_head(head: tuple[int, dt.datetime | None] | None) -> tuple[int, dt.datetime | None] | None:
    if head is None:
        return None
    at = head[1]
    if isinstance(at, dt.datetime) and at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return head[0], at if isinstance(at, dt.datetime) else None
