"""The one read path of the event log: its pages, rows and shaped events agree with ``find``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import shotlog
from shotlog.eventlog import EVENT_FIELDS, SHOTGUNEVENTS_FIELDS, read
from shotlog.eventlog.rows import COLUMNS, EventRow, page_sql
from shotlog.export.query import EventQuery


def _log(sg: shotlog.Shotlog) -> dict[str, Any]:
    """A few events: a project, shots in it (one retired), a change with a datetime in its meta."""
    project = sg.create("Project", {"name": "Read"})
    shot = sg.create("Shot", {"code": "sh010", "project": project})
    gone = sg.create("Shot", {"code": "sh020", "project": project})
    sg.update("Shot", shot["id"], {"description": "first"})
    sg.create_event("custom_event", description="by hand", entity=shot, meta={"n": 1})
    sg.delete("Shot", gone["id"])
    return project


def test_shaped_events_are_what_find_returns(sg: shotlog.Shotlog) -> None:
    _log(sg)
    want = sg.find("EventLogEntry", [], list(EVENT_FIELDS), order=[{"field_name": "id", "direction": "asc"}])
    got = read.events_after(sg.db, sg.catalog, 0, 1000)
    assert got == want
    assert all(e["created_at"].tzinfo is dt.UTC and e["created_at"].microsecond == 0 for e in got)
    # shotgunEvents' fields only: no description
    lean = read.events_after(sg.db, sg.catalog, 0, 1000, description=False)
    assert [set(e) for e in lean] == [{"type", *SHOTGUNEVENTS_FIELDS}] * len(want)


def test_pages_and_rows_by_id(sg: shotlog.Shotlog) -> None:
    _log(sg)
    with sg.db.read() as conn:
        head = read.head_id(conn)
        assert head == sg.head_event_id() > 3
        bounds = read.bounds(conn)
        assert bounds == (1, head)
        page = read.page(conn, 1, 2)
        assert [r.id for r in page] == [2, 3]
        assert tuple(page[0]._fields) == COLUMNS == EventRow._fields
        assert read.page(conn, 0, 100, to_id=2)[-1].id == 2
        by_id = read.rows_by_id(conn, [3, 1, 3, head + 5])
    assert sorted(by_id) == [1, 3]
    assert by_id[3]["id"] == 3 and set(by_id[3]) == set(COLUMNS)
    picked = read.events_by_id(sg.db, sg.catalog, [head, 2, head])
    assert [e["id"] for e in picked] == [2, head]
    assert [r.id for r in read.iter_rows(sg.db, head - 2, batch=1)] == [head - 1, head]


def test_a_filtered_driver_page(sg: shotlog.Shotlog) -> None:
    project = _log(sg)
    sql, params = page_sql(
        sg.db.is_sqlite,
        100,
        EventQuery(project_ids=(project["id"],), event_types=("Shotgun_Shot_*",), entity_type="Shot"),
    )
    with sg.db.read() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, [0, *params])
        rows = [EventRow._make(r) for r in cursor.fetchall()]
    want = sg.find(
        "EventLogEntry",
        [["project", "is", project], ["event_type", "starts_with", "Shotgun_Shot_"]],
        ["id"],
        order=[{"field_name": "id", "direction": "asc"}],
    )
    assert [r.id for r in rows] == [e["id"] for e in want] and rows
    assert all(r.entity_type == "Shot" for r in rows)
