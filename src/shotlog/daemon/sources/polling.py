"""The polling source: any shotgun_api3 server (a real FPTR site, or shotlog), read by ``find``.

Ids on FPTR can commit out of order, so this source does not hand plugins raw ids as positions.
The pump polls ``id > max_seen`` (plus the open holes, see ``gaps.GapTracker``), and appends what
it accepts to the ``daemon_journal`` table in the state database, numbering events in acceptance
order (``seq``) in the same transaction that saves the tracker (``daemon_feeds``). Positions are
those sequence numbers: a late-committed lower id gets the next one, so every plugin processes it
exactly once and no cursor ever moves backwards. Workers that are behind read the journal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from shotlog.daemon.events import Event, from_wire, to_wire
from shotlog.daemon.sources.feed import Feed
from shotlog.daemon.sources.gaps import GapTracker
from shotlog.daemon.sources.retry import Retry
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS
from shotlog.store.database import Database
from shotlog.store.tables import daemon_feeds as df
from shotlog.store.tables import daemon_journal as dj

__all__ = ["Api3Pump"]

log = logging.getLogger("engine")

_ASC = [{"field_name": "id", "direction": "asc"}]


class Api3Pump:
    kind = "api3"
    ordered = False

    def __init__(
        self,
        connect: Callable[[], Any],
        state: Database,
        daemon: str,
        *,
        batch: int,
        interval: float,
        gap_timeout: float,
        retry: Retry,
    ) -> None:
        self._connect = connect
        self._sg: Any = None
        self.state = state
        self.daemon = daemon
        self.batch = batch
        self.interval = interval
        self.gap_timeout = gap_timeout
        self.retry = retry
        self._lock = threading.Lock()
        self.tracker: GapTracker | None = None
        self.seq = 0

    @property
    def sg(self) -> Any:
        if self._sg is None:
            self._sg = self._connect()
        return self._sg

    # -- journal ------------------------------------------------------------------------------------

    def init(self, start_after_id: int | None) -> None:
        """Load the tracker, or start one after ``start_after_id`` (None: the site's newest event)."""
        with self.state.read() as conn:
            row = conn.execute(sa.select(df).where(df.c.daemon == self.daemon)).first()
        if row is not None:
            self.tracker = GapTracker(
                int(row.max_seen_id), GapTracker.load_holes(row.holes), timeout=self.gap_timeout
            )
            self.seq = int(row.seq)
            return
        if start_after_id is None:
            newest = self.sg.find_one(
                "EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}]
            )
            start_after_id = int(newest["id"]) if newest else 0
        self.tracker = GapTracker(start_after_id, timeout=self.gap_timeout)
        with self.state.write() as conn:
            conn.execute(
                sa.insert(df).values(daemon=self.daemon, max_seen_id=start_after_id, holes={}, seq=0)
            )

    def position_of(self, event_id: int) -> int | None:
        """The journal position just before ``event_id`` (for --from-event-id): None when the
        journal no longer holds that event (pruned, or it predates the journal)."""
        with self.state.read() as conn:
            seq = conn.execute(
                sa.select(sa.func.min(dj.c.seq)).where(dj.c.daemon == self.daemon, dj.c.event_id >= event_id)
            ).scalar()
        if seq is not None:
            return int(seq) - 1
        if self.tracker is not None and self.tracker.max_seen < event_id:
            return self.seq  # not polled yet: everything from now on
        return None

    def _journal(self, rows: Sequence[Any]) -> list[Event]:
        return [Event(int(r.seq), int(r.event_id), from_wire(r.event)) for r in rows]

    def fetch(self, after: int, limit: int) -> list[Event]:
        with self.state.read() as conn:
            rows = conn.execute(
                sa.select(dj.c.seq, dj.c.event_id, dj.c.event)
                .where(dj.c.daemon == self.daemon, dj.c.seq > after)
                .order_by(dj.c.seq)
                .limit(limit)
            ).all()
        return self._journal(rows)

    def fetch_ids(self, ids: Sequence[int]) -> list[Event]:
        # Imported backlog ids are handed to the tracker as holes instead (see init_holes).
        return []

    def init_holes(self, ids: Sequence[int]) -> None:
        """Imported backlog ids: ids below the start that may still arrive."""
        assert self.tracker is not None
        import datetime as dt

        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.gap_timeout)
        for eid in ids:
            if eid <= self.tracker.max_seen:
                self.tracker.holes.setdefault(eid, deadline)
        self._save([], 0)

    def head(self) -> tuple[int, int]:
        return self.seq, self.tracker.max_seen if self.tracker else 0

    def _save(self, accepted: Sequence[Any], _unused: int) -> list[Event]:
        assert self.tracker is not None
        out: list[Event] = []
        with self._lock, self.state.write() as conn:
            seq = self.seq
            rows = []
            for ev in accepted:
                seq += 1
                wire = to_wire({k: ev.get(k) for k in SHOTGUNEVENTS_FIELDS})
                rows.append({"daemon": self.daemon, "seq": seq, "event_id": int(ev["id"]), "event": wire})
                out.append(Event(seq, int(ev["id"]), from_wire(wire)))
            if rows:
                conn.execute(sa.insert(dj), rows)
            conn.execute(
                sa.update(df)
                .where(df.c.daemon == self.daemon)
                .values(max_seen_id=self.tracker.max_seen, holes=self.tracker.dump_holes(), seq=seq)
            )
            self.seq = seq
        return out

    def prune(self, below: int) -> None:
        """Drop journal rows every cursor has passed."""
        with self.state.write() as conn:
            conn.execute(sa.delete(dj).where(dj.c.daemon == self.daemon, dj.c.seq <= below))

    # -- polling ------------------------------------------------------------------------------------

    def poll(self) -> tuple[list[Event], bool]:
        """One poll: (accepted events in journal order, whether the page was full)."""
        assert self.tracker is not None
        fields = list(SHOTGUNEVENTS_FIELDS)
        page = self.sg.find(
            "EventLogEntry", [["id", "greater_than", self.tracker.max_seen]], fields, _ASC, limit=self.batch
        )
        holes = self.tracker.open_holes(500)
        late = self.sg.find("EventLogEntry", [["id", "in", holes]], fields, _ASC) if holes else []
        result = self.tracker.accept([*late, *page])
        for eid in result.filled:
            log.info("Event %d committed late; processing it now", eid)
        if result.expired:
            log.warning(
                "Event id(s) %s never appeared within %.0f s of the events after them; not waiting longer",
                _ids(result.expired),
                self.gap_timeout,
            )
        if result.dropped_late:
            log.debug("Ignoring already accepted or expired event ids %s", _ids(result.dropped_late))
        events = self._save(result.events, 0) if (result.events or result.expired or result.opened) else []
        return events, len(page) >= self.batch

    def follow(self, feed: Feed, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if not feed.room(1.0):
                    continue
                events, full = self.poll()
                self.retry.ok()
                feed.error = None
            except Exception as exc:
                self._sg = None  # a fresh connection next time
                feed.error = f"cannot poll {type(exc).__name__}: {exc}"
                stop.wait(self.retry.failed("Polling the event log", exc))
                continue
            assert self.tracker is not None
            feed.publish(events, head_event_id=self.tracker.max_seen)
            if not full:  # a full page means we are behind: poll again at once
                stop.wait(self.interval)

    def close(self) -> None:
        if self._sg is not None:
            close = getattr(self._sg, "close", None)
            if callable(close):
                close()


def _ids(ids: Sequence[int]) -> str:
    if len(ids) <= 10:
        return ", ".join(map(str, ids))
    return f"{ids[0]}..{ids[-1]} ({len(ids)} ids)"
