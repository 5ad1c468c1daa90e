"""Totals and positions of event list pages, the meta-value filter and the setup-event rule, on a
real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

import shotlog
from shotlog.errors import FilterError
from shotlog.eventlog.setup_events import not_setup
from shotlog.web.eventlist import event_page, tally
from shotlog.web.filters import EventQuery
from shotlog.web.orientation import Tally


@pytest.fixture
def store(db_url: str) -> Iterator[shotlog.Shotlog]:
    conn = shotlog.connect(db_url)
    yield conn
    conn.close()


@pytest.fixture
def events(store: shotlog.Shotlog) -> list[int]:
    return [store.create_event("Test_Counting", description=f"event {i}")["id"] for i in range(23)]


@pytest.mark.parametrize("sort", ["-id", "id"])
def test_each_page_knows_its_range_and_the_total(
    store: shotlog.Shotlog, events: list[int], sort: str
) -> None:
    q = EventQuery(event_type="Test_Counting", size=5, sort=sort)
    seen = []
    while True:
        page = event_page(store, q)
        assert page.total == Tally(23)
        assert page.before == Tally(len(seen))
        seen += [r["id"] for r in page.rows]
        if not page.has_next:
            break
        q = replace(q, after=page.next_cursor, before=None)
    assert len(seen) == 23
    # back one page with Previous: the position is counted again, not carried
    back = event_page(store, replace(q, before=page.prev_cursor, after=None))
    assert back.before == Tally(15) and len(back.rows) == 5


def test_unfiltered_totals_are_exact_on_a_small_log(store: shotlog.Shotlog, events: list[int]) -> None:
    page = event_page(store, EventQuery(size=10))
    assert page.total == Tally(len(store.find("EventLogEntry", [], ["id"])))
    assert page.before == Tally(0)


def test_wide_ranges_are_estimated(store: shotlog.Shotlog, events: list[int]) -> None:
    first, last = events[0], events[-1]
    # unfiltered: the width of the id range (ids here have no gaps, so the estimate is right)
    assert tally(store, [], first, last, exact_span=5) == Tally(23, exact=False)
    assert tally(store, [], first, last) == Tally(23)
    # filtered: the newest matches past the cap, their density carried over the range
    filters = [["event_type", "is", "Test_Counting"]]
    assert tally(store, filters, first, last, exact_span=5, cap=4) == Tally(23, exact=False)
    assert tally(store, filters, first, last, exact_span=5, cap=100) == Tally(23)
    assert tally(store, filters, last + 1, last) == Tally(0)


def test_non_id_orders_count_pages_by_offset(store: shotlog.Shotlog, events: list[int]) -> None:
    page = event_page(store, EventQuery(event_type="Test_Counting", size=5, sort="-created_at", page=3))
    assert page.before == Tally(10) and page.total == Tally(23) and len(page.rows) == 5


@pytest.fixture
def shot(store: shotlog.Shotlog) -> dict[str, object]:
    project = store.create("Project", {"name": "counting"})
    shot = store.create("Shot", {"code": "c010", "project": project})
    store.update("Shot", shot["id"], {"sg_status_list": "fin"})
    store.update("Shot", shot["id"], {"sg_status_list": "ip"})
    return shot


def test_meta_values_filter_field_changes(store: shotlog.Shotlog, shot: dict[str, object]) -> None:
    mine = [["entity", "is", {"type": "Shot", "id": shot["id"]}], ["attribute_name", "is", "sg_status_list"]]

    def metas(*extra: list[object]) -> list[tuple[object, object]]:
        rows = store.find(
            "EventLogEntry", mine + list(extra), ["meta"], order=[{"field_name": "id", "direction": "asc"}]
        )
        return [(r["meta"].get("old_value"), r["meta"]["new_value"]) for r in rows]

    assert metas(["meta.new_value", "is", "fin"]) == [("wtg", "fin")]
    assert metas(["meta.old_value", "is", "fin"]) == [("fin", "ip")]
    assert metas(["meta.new_value", "is_not", "fin"]) == [(None, "wtg"), ("fin", "ip")]
    assert metas(["meta.new_value", "in", ["ip", "wtg"]]) == [(None, "wtg"), ("fin", "ip")]
    # through the event log page: counted like any filter
    page = event_page(store, EventQuery(entity_type="Shot", entity_id=shot["id"], new_value="fin"))  # type: ignore[arg-type]
    assert [r["meta"]["new_value"] for r in page.rows] == ["fin"] and page.total == Tally(1)
    with pytest.raises(FilterError, match=r"'greater_than' is not valid for EventLogEntry\.meta\.new_value"):
        store.find("EventLogEntry", [["meta.new_value", "greater_than", "a"]])


def test_setup_events_are_the_sites_making_not_its_work(store: shotlog.Shotlog) -> None:
    seeded = store.find("EventLogEntry", [], ["event_type"])
    assert seeded and store.find("EventLogEntry", not_setup(), ["id"]) == []  # a new site is all setup
    # a Manager: she makes a project
    person = store.create(
        "HumanUser", {"login": "pat", "firstname": "Pat", "lastname": "Lee", "permission_rule_set": "Manager"}
    )
    # a menu item shotlog makes for itself is setup; one a person makes is work
    store.create(
        "ActionMenuItem", {"title": "System's own", "url": "https://a.example/x", "entity_type": "Shot"}
    )
    as_pat = store.as_user(person)
    project = as_pat.create("Project", {"name": "work"})
    as_pat.update("HumanUser", person["id"], {"firstname": "Patricia"})
    item = as_pat.create(
        "ActionMenuItem", {"title": "Pat's own", "url": "https://a.example/y", "entity_type": "Shot"}
    )
    shown = store.find("EventLogEntry", not_setup(), ["event_type", "entity"])
    assert {r["event_type"] for r in shown} == {
        "Shotgun_Project_New",
        "Shotgun_Project_Change",
        "Shotgun_HumanUser_Change",
        "Shotgun_ActionMenuItem_New",
        "Shotgun_ActionMenuItem_Change",
    }
    assert all(r["entity"]["id"] in (project["id"], person["id"], item["id"]) for r in shown)
    # hidden by the page's query, unless an event type is asked for
    assert event_page(store, EventQuery(hide_setup=True)).total == Tally(len(shown))
    asked = event_page(store, EventQuery(hide_setup=True, event_type="Shotgun_ApiUser_*"))
    assert asked.rows and all(r["event_type"].startswith("Shotgun_ApiUser_") for r in asked.rows)
