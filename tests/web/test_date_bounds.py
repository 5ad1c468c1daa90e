"""Date-range pages: the id bounds derived from the dates narrow the scan and change no result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import shotlog
from shotlog.store.tables import event_log_entries as ele
from shotlog.web.eventlist import date_id_bounds, event_page
from shotlog.web.filters import EventQuery

START = dt.datetime(2024, 1, 1)


@pytest.fixture
def sg(db_url: str) -> Iterator[shotlog.Shotlog]:
    with shotlog.connect(db_url, migrate=False) as conn:
        yield conn


def test_date_range_pages_match_a_plain_date_filter(sg: shotlog.Shotlog) -> None:
    project = sg.create("Project", {"name": "Dates"})
    for i in range(40):
        sg.create("Shot", {"code": f"d{i:02d}", "project": project})
    ids = [e["id"] for e in sg.find("EventLogEntry", [], ["id"], order=[{"field_name": "id"}])]
    # one event every 6 hours, with a few written "late" (created before an event with a lower id,
    # as a long write transaction does) by up to 3 hours
    with sg.db.write() as conn:
        for n, event_id in enumerate(ids):
            late = dt.timedelta(hours=3) if n % 7 == 3 else dt.timedelta(0)
            at = START + dt.timedelta(hours=6 * n) - late
            conn.execute(sa.update(ele).where(ele.c.id == event_id).values(created_at=at))
    created = {e["id"]: e["created_at"] for e in sg.find("EventLogEntry", [], ["created_at"])}

    for first_day, days in ((3, 1), (5, 4), (0, 2), (20, 3)):
        since = (START + dt.timedelta(days=first_day)).replace(tzinfo=dt.UTC)
        until = since + dt.timedelta(days=days)
        expected = sorted((i for i, at in created.items() if since <= at < until), reverse=True)
        q = EventQuery(date_from=since, date_to=until, size=500)
        page = event_page(sg, q)
        assert [r["id"] for r in page.rows] == expected
        assert expected, "each range holds events"
        bounds = date_id_bounds(sg, since, until)
        # the bounds really narrow once the log reaches beyond the slack on that side
        if first_day >= 2:
            assert any(b[1] == "greater_than" for b in bounds)
        if (first_day + days + 1) * 4 < len(ids):
            assert any(b[1] == "less_than" for b in bounds)
