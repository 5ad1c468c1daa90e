"""Gap handling for logs whose ids can commit out of order (a real FPTR site): pure logic.

FPTR reserves event ids early and commits them late, so polling ``id > last`` can see id 12 before
id 11 exists. The tracker keeps the highest id seen and the *holes* below it, each with a deadline
on the server's timeline (the ``created_at`` of the event that revealed it, plus ``timeout``):

* the poll always asks for ``id > max_seen`` (a window that moves past any gap: a gap followed by
  more than a page of events can neither stall nor busy-loop, unlike shotgunEvents issue #32), and
  separately for the ids of the open holes;
* an event that fills a hole is accepted once and the hole closes; an id at or below ``max_seen``
  that is not a hole (already seen, or its hole expired) is never accepted again;
* a hole expires when the server's clock, as read from the newest event's ``created_at``, passes its
  deadline: no dependence on the daemon host's clock, its time zone or DST.

Accepted events go to the journal in acceptance order, so cursors only move forward.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_HOLES", "Accepted", "GapTracker"]

#: holes tracked at most; a larger jump (an imported log with a hole of a million ids) keeps the newest
MAX_HOLES = 10_000


@dataclass
class Accepted:
    events: list[Mapping[str, Any]] = field(default_factory=list)
    filled: list[int] = field(default_factory=list)  # holes closed by a late event
    opened: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    dropped_late: list[int] = field(default_factory=list)  # arrived after their hole expired / duplicates


def _utc(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


class GapTracker:
    def __init__(
        self, max_seen: int, holes: Mapping[int, dt.datetime] | None = None, *, timeout: float
    ) -> None:
        self.max_seen = max_seen
        self.holes: dict[int, dt.datetime] = dict(holes or {})
        self.timeout = dt.timedelta(seconds=timeout)

    def accept(self, events: Iterable[Mapping[str, Any]]) -> Accepted:
        """Decide which polled events are new, in id order; update the holes."""
        out = Accepted()
        newest: dt.datetime | None = None
        for ev in sorted(events, key=lambda e: int(e["id"])):
            eid = int(ev["id"])
            created = _utc(ev.get("created_at"))
            if created is not None and (newest is None or created > newest):
                newest = created
            if eid in self.holes:
                del self.holes[eid]
                out.filled.append(eid)
                out.events.append(ev)
            elif eid > self.max_seen:
                deadline = (created or dt.datetime.now(dt.UTC)) + self.timeout
                first_missing = max(self.max_seen + 1, eid - MAX_HOLES)
                for missing in range(first_missing, eid):
                    self.holes[missing] = deadline
                    out.opened.append(missing)
                self.max_seen = eid
                out.events.append(ev)
            else:
                out.dropped_late.append(eid)
        if newest is not None:
            out.expired = self.expire(newest)
        if len(self.holes) > MAX_HOLES:
            for eid in sorted(self.holes)[: len(self.holes) - MAX_HOLES]:
                del self.holes[eid]
                out.expired.append(eid)
        return out

    def expire(self, server_now: dt.datetime) -> list[int]:
        gone = [eid for eid, deadline in self.holes.items() if deadline < server_now]
        for eid in gone:
            del self.holes[eid]
        return sorted(gone)

    def open_holes(self, limit: int) -> list[int]:
        return sorted(self.holes)[:limit]

    def dump_holes(self) -> dict[str, str]:
        return {str(k): v.astimezone(dt.UTC).isoformat() for k, v in sorted(self.holes.items())}

    @staticmethod
    def load_holes(raw: Mapping[str, str] | None) -> dict[int, dt.datetime]:
        out: dict[int, dt.datetime] = {}
        for k, v in (raw or {}).items():
            when = _utc(v)
            if when is not None:
                out[int(k)] = when
        return out
