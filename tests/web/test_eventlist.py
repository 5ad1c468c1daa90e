"""Keyset pages of the event list on a real store: every event once, in order, both ways, and
scan-bounded pages that read a window of ids at a time (run on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

import shotlog
from shotlog.web.eventlist import event_page
from shotlog.web.filters import EventQuery


@pytest.fixture
def store(db_url: str) -> Iterator[shotlog.Shotlog]:
    conn = shotlog.connect(db_url)
    yield conn
    conn.close()


@pytest.fixture
def events(store: shotlog.Shotlog) -> list[int]:
    """23 events of one type; every fifth one's description has the word "needle"."""
    return [
        store.create_event("Test_Paging", description="needle here" if i % 5 == 0 else "hay")["id"]
        for i in range(23)
    ]


def walk(store: shotlog.Shotlog, q: EventQuery, window: int = 100_000) -> tuple[list[list[int]], list[Any]]:
    """Follow Next from the first page to the end; the ids of each page and the pages."""
    pages, results = [], []
    while True:
        page = event_page(store, q, window=window)
        pages.append([r["id"] for r in page.rows])
        results.append(page)
        if not page.has_next:
            return pages, results
        q = replace(q, after=page.next_cursor, before=None)
        assert len(pages) < 100


@pytest.mark.parametrize("sort", ["-id", "id"])
def test_next_and_previous_visit_every_event_once(
    store: shotlog.Shotlog, events: list[int], sort: str
) -> None:
    q = EventQuery(event_type="Test_Paging", size=4, sort=sort)
    pages, results = walk(store, q)
    expected = sorted(events, reverse=sort == "-id")
    assert [i for p in pages for i in p] == expected
    assert all(len(p) == 4 for p in pages[:-1]) and results[0].has_prev is False
    # and back again from the last page with Previous
    back = [pages[-1]]
    page = results[-1]
    while page.has_prev:
        page = event_page(store, replace(q, before=page.prev_cursor, after=None))
        back.insert(0, [r["id"] for r in page.rows])
    assert back == pages


def test_past_the_end_offers_the_way_back(store: shotlog.Shotlog, events: list[int]) -> None:
    page = event_page(store, EventQuery(event_type="Test_Paging", size=4, after=min(events)))
    assert page.rows == [] and page.has_prev
    back = event_page(store, EventQuery(event_type="Test_Paging", size=4, before=page.prev_cursor))
    assert [r["id"] for r in back.rows] == sorted(events)[:4][::-1]


@pytest.mark.parametrize("sort", ["-id", "id"])
def test_unindexed_filters_read_a_window_at_a_time(
    store: shotlog.Shotlog, events: list[int], sort: str
) -> None:
    q = EventQuery(text="needle", size=2, sort=sort)
    assert event_page(store, q).window is None  # a small log is read in one window
    pages, results = walk(store, q, window=6)
    needles = [e for i, e in enumerate(events) if i % 5 == 0]
    assert [i for p in pages for i in p] == sorted(needles, reverse=sort == "-id")
    for page in results:
        assert page.count is None  # no count over an unindexed filter
        if page.window:
            lo, hi = page.window
            assert hi - lo < 6 and all(lo <= i <= hi for i in (r["id"] for r in page.rows))
    assert sum(1 for page in results if page.window) > 1  # the log was read a window at a time


def test_sorted_views_of_unindexed_filters_cover_the_newest_window(
    store: shotlog.Shotlog, events: list[int]
) -> None:
    page = event_page(store, EventQuery(text="needle", sort="-created_at", size=25), window=10)
    head = store.head_event_id()
    assert page.window == (head - 9, head)
    assert {r["id"] for r in page.rows} == {e for i, e in enumerate(events) if i % 5 == 0 and e > head - 10}


def test_filtered_pages_count_up_to_the_cap(store: shotlog.Shotlog, events: list[int]) -> None:
    page = event_page(store, EventQuery(event_type="Test_Paging", size=4))
    assert page.count == 23 and page.head == store.head_event_id()
    assert event_page(store, EventQuery(size=4)).count is None  # unfiltered: the head id says enough
