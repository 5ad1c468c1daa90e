"""The mirror's pure decisions: a site's event as a row, and which accepted events may be appended."""

from __future__ import annotations

import datetime as dt

from shotlog.mirror.ordering import release
from shotlog.mirror.records import FORGET, to_row

T0 = dt.datetime(2026, 1, 1, 12, 0)
KNOWN = {"Shot", "Project", "HumanUser"}.__contains__


def test_every_field_is_kept_and_links_are_named() -> None:
    row = to_row(
        {
            "id": 9,
            "event_type": "Shotgun_Shot_Change",
            "description": "d",
            "attribute_name": "code",
            "meta": {"type": "attribute_change"},
            "entity": {"type": "Shot", "id": 3, "name": "sh010"},
            "project": {"type": "Project", "id": 1, "name": "P"},
            "user": {"type": "HumanUser", "id": 2, "name": "Ann"},
            "session_uuid": "u",
            "created_at": dt.datetime(2026, 1, 1, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            "image": "https://site/thumb.jpg",
        },
        KNOWN,
        T0,
    )
    assert row.values == {
        "id": 9,
        "event_type": "Shotgun_Shot_Change",
        "description": "d",
        "attribute_name": "code",
        "session_uuid": "u",
        "image": "https://site/thumb.jpg",
        "entity_type": "Shot",
        "entity_id": 3,
        "project_type": "Project",
        "project_id": 1,
        "user_type": "HumanUser",
        "user_id": 2,
        "meta": {"type": "attribute_change"},
        "created_at": T0,
    }
    assert row.anomalies == []
    assert row.links == {("Shot", 3): "sh010", ("Project", 1): "P", ("HumanUser", 2): "Ann"}


def test_odd_events_are_kept_and_counted() -> None:
    row = to_row(
        {
            "id": 5,
            "event_type": None,
            "meta": [1, 2],
            "entity": {"type": "Booking", "id": 4},
            "created_at": "x",
        },
        KNOWN,
        T0,
    )
    assert row.values["event_type"] == "" and row.values["meta"] == [1, 2]
    assert (row.values["entity_type"], row.values["entity_id"]) == ("Booking", 4)
    assert row.values["created_at"] == T0
    assert row.anomalies == ["malformed", "odd_meta", "unknown_entity_type"]
    bad_link = to_row({"id": 6, "event_type": "X", "entity": "Shot 4", "created_at": T0}, KNOWN, T0)
    assert bad_link.values["entity_type"] is None and bad_link.anomalies == ["malformed"]


def test_a_retirement_forgets_the_name() -> None:
    row = to_row(
        {
            "id": 7,
            "event_type": "Shotgun_Shot_Retirement",
            "meta": {"entity_type": "Shot", "entity_id": 3},
            "entity": None,
            "created_at": T0,
        },
        KNOWN,
        T0,
    )
    assert row.links == {("Shot", 3): FORGET}


def test_events_wait_below_an_open_gap() -> None:
    pending = [{"id": 14}, {"id": 11}, {"id": 13}]
    assert release(pending, set()) == ([{"id": 11}, {"id": 13}, {"id": 14}], [])
    assert release(pending, {12}) == ([{"id": 11}], [{"id": 13}, {"id": 14}])
    assert release(pending, {15, 12}) == ([{"id": 11}], [{"id": 13}, {"id": 14}])
    assert release(pending, {10}) == ([], [{"id": 11}, {"id": 13}, {"id": 14}])
