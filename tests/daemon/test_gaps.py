"""The polling source's gap tracker: pure decisions, table by table."""

from __future__ import annotations

import datetime as dt

from shotlog.daemon.sources.gaps import MAX_HOLES, GapTracker

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def ev(i: int, seconds: float = 0) -> dict[str, object]:
    return {"id": i, "created_at": T0 + dt.timedelta(seconds=seconds)}


def test_in_order_events_are_accepted_once() -> None:
    t = GapTracker(10, timeout=60)
    got = t.accept([ev(11), ev(12)])
    assert [e["id"] for e in got.events] == [11, 12] and not t.holes
    again = t.accept([ev(12), ev(13)])
    assert [e["id"] for e in again.events] == [13] and again.dropped_late == [12]


def test_late_id_fills_its_hole_exactly_once() -> None:
    t = GapTracker(10, timeout=60)
    got = t.accept([ev(11), ev(13)])
    assert [e["id"] for e in got.events] == [11, 13] and got.opened == [12]
    assert t.open_holes(10) == [12]
    late = t.accept([ev(12, 1)])
    assert [e["id"] for e in late.events] == [12] and late.filled == [12] and not t.holes
    assert t.accept([ev(12, 1)]).events == []  # never twice
    assert t.max_seen == 13  # never backwards


def test_holes_expire_on_the_servers_clock_not_the_daemons() -> None:
    t = GapTracker(10, timeout=60)
    t.accept([ev(12, 0)])
    assert t.accept([ev(13, 59)]).expired == []
    assert t.accept([ev(14, 61)]).expired == [11]
    assert t.accept([ev(11, 62)]).events == []  # too late: dropped, reported


def test_a_gap_followed_by_more_than_a_page_moves_on() -> None:
    """shotgunEvents #32: the window moves past the gap, so each poll makes progress."""
    t = GapTracker(0, timeout=300)
    t.accept([ev(i) for i in range(2, 502)])  # 1 is missing, then a full page
    assert t.max_seen == 501 and t.open_holes(10) == [1]
    nxt = t.accept([ev(i) for i in range(502, 1002)])
    assert next(e["id"] for e in nxt.events) == 502 and t.max_seen == 1001


def test_huge_jumps_track_a_bounded_number_of_holes() -> None:
    t = GapTracker(0, timeout=300)
    t.accept([ev(10 * MAX_HOLES)])
    assert len(t.holes) == MAX_HOLES


def test_holes_survive_a_round_trip_through_json() -> None:
    t = GapTracker(10, timeout=60)
    t.accept([ev(13)])
    again = GapTracker(13, GapTracker.load_holes(t.dump_holes()), timeout=60)
    assert again.holes == t.holes
