"""The event log's query string → store filters (pure, table-driven)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shotlog.web.filters import EventQuery, event_type_filters, parse_event_query

TYPES = {"Shot", "Asset", "Task"}


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        ("Shotgun_Shot_New", [["event_type", "is", "Shotgun_Shot_New"]]),
        ("Shotgun_Shot_*", [["event_type", "starts_with", "Shotgun_Shot_"]]),
        ("*_Change", [["event_type", "ends_with", "_Change"]]),
        ("*Shot*", [["event_type", "contains", "Shot"]]),
        (
            "Shotgun_*_Change",
            [["event_type", "starts_with", "Shotgun_"], ["event_type", "ends_with", "_Change"]],
        ),
        ("*", [["event_type", "is_not", None]]),
        (
            "Shotgun_Shot_New, Toolkit_*",
            [
                {
                    "filter_operator": "any",
                    "filters": [
                        {"filter_operator": "all", "filters": [["event_type", "is", "Shotgun_Shot_New"]]},
                        {"filter_operator": "all", "filters": [["event_type", "starts_with", "Toolkit_"]]},
                    ],
                }
            ],
        ),
    ],
)
def test_event_type_patterns(patterns: str, expected: list[Any]) -> None:
    assert event_type_filters(patterns) == expected


def test_every_field_becomes_a_filter() -> None:
    q, errors = parse_event_query(
        {
            "q": "status  changed",
            "event_type": "Shotgun_Shot_Change",
            "entity_type": "Shot",
            "entity_id": "12",
            "project": "3",
            "user": "HumanUser:7",
            "attribute": "sg_status_list",
            "from": "2026-11-01",
            "to": "2026-11-02",
            "id_from": "10",
            "id_to": "20",
        },
        TYPES,
    )
    assert errors == {}
    utc = dt.UTC
    assert q.filters() == [
        ["description", "contains", "status"],
        ["description", "contains", "changed"],
        ["event_type", "is", "Shotgun_Shot_Change"],
        ["entity", "is", {"type": "Shot", "id": 12}],
        ["project", "is", {"type": "Project", "id": 3}],
        ["user", "is", {"type": "HumanUser", "id": 7}],
        ["attribute_name", "is", "sg_status_list"],
        ["created_at", "greater_than", dt.datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=utc)],
        ["created_at", "less_than", dt.datetime(2026, 11, 3, tzinfo=utc)],  # the whole end day
        ["id", "greater_than", 9],
        ["id", "less_than", 21],
    ]


def test_entity_type_alone_filters_on_the_type() -> None:
    q, errors = parse_event_query({"entity_type": "Task"}, TYPES)
    assert not errors and q.filters() == [["entity", "type_is", "Task"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"entity_type": "Spaceship"}, "entity_type"),
        ({"entity_id": "5"}, "entity_id"),
        ({"entity_type": "Shot", "entity_id": "0"}, "entity_id"),
        ({"project": "1e3"}, "project"),
        ({"user": "Group:3"}, "user"),
        ({"event_type": "Shotgun Shot"}, "event_type"),
        ({"attribute": "a b"}, "attribute"),
        ({"from": "27/11/2026"}, "from"),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "to"),
        ({"size": "1000"}, "size"),
        ({"sort": "-meta"}, "sort"),
        ({"after": "x"}, "after"),
        ({"q": "x" * 201}, "q"),
        ({"id_from": "x"}, "id_from"),
        ({"id_from": "9", "id_to": "3"}, "id_to"),
    ],
)
def test_bad_values_are_named_by_their_field(params: dict[str, str], field: str) -> None:
    _, errors = parse_event_query(params, TYPES)
    assert errors.get(field)


def test_urls_keep_filters_and_drop_defaults() -> None:
    q, _ = parse_event_query({"event_type": "Shotgun_*", "size": "50", "sort": "-id", "after": "90"}, TYPES)
    assert q.url() == "/events?event_type=Shotgun_%2A"
    assert q.url(after=40) == "/events?event_type=Shotgun_%2A&after=40"
    assert q.url(sort="event_type", size=25) == "/events?event_type=Shotgun_%2A&sort=event_type&size=25"


def test_orders() -> None:
    assert EventQuery().order() == [{"field_name": "id", "direction": "desc"}]
    assert EventQuery(sort="event_type").order() == [
        {"field_name": "event_type", "direction": "asc"},
        {"field_name": "id", "direction": "asc"},
    ]
