"""The Archived Data page's pure decisions: download requests, file names, sizes, its filter."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shotlog.web.archived import archive_filter, parse_download, size_text, where_stored
from shotlog.web.filters import parse_event_query

TYPES = {"Shot", "Asset"}


@pytest.mark.parametrize(
    ("params", "fmt", "segment", "stem"),
    [
        ({}, "csv", None, "archive-events"),
        ({"format": "jsonl", "segment": "4"}, "jsonl", 4, "archive-2024-03-segment-4"),
        ({"from": "2024-02-01", "to": "2024-03-31"}, "csv", None, "archive-2024-02-01-to-2024-03-31"),
        ({"from": "2024-02-01T10:30"}, "csv", None, "archive-2024-02-01T10-30"),
    ],
)
def test_a_download_names_its_file(params: dict[str, str], fmt: str, segment: int | None, stem: str) -> None:
    wanted, errors = parse_download(params, TYPES)
    assert errors == {}
    assert (wanted.fmt, wanted.segment, wanted.stem("2024-03")) == (fmt, segment, stem)


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"format": "xlsx"}, "format", "got 'xlsx'"),
        ({"segment": "0"}, "segment", "got '0'"),
        ({"segment": "march"}, "segment", "got 'march'"),
        ({"from": "2024-03-10", "to": "2024-03-01"}, "to", "must come after its start"),
        ({"to": "yesterday"}, "to", "got 'yesterday'"),
        ({"entity_type": "Nope"}, "entity_type", "Unknown entity type 'Nope'"),
    ],
)
def test_a_bad_download_names_its_field(params: dict[str, str], field: str, words: str) -> None:
    _, errors = parse_download(params, TYPES)
    assert field in errors and words in errors[field], errors


def test_the_page_filter_is_the_event_logs() -> None:
    q, errors = parse_event_query(
        {
            "q": "rain  Layer",
            "attribute": "sg_status_list",
            "event_type": "Shotgun_Shot_*",
            "to": "2024-03-01",
        },
        TYPES,
    )
    assert errors == {}
    where = archive_filter(q)
    assert where.words == ("rain", "Layer") and where.attribute == "sg_status_list" and where.extra
    assert where.query.event_types == ("Shotgun_Shot_*",)
    assert where.query.until == dt.datetime(2024, 3, 2)
    record = {"id": 5, "description": "Rain LAYER pass", "attribute_name": "sg_status_list"}
    assert where.matches(record)
    assert not where.matches({**record, "attribute_name": "code"})
    assert not where.matches({**record, "description": "rain pass"})


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (None, "—"),
        (0, "0 bytes"),
        (999, "999 bytes"),
        (1000, "1.0 KB"),
        (4_250_000, "4.2 MB"),
        (3 * 10**12, "3.0 TB"),
    ],
)
def test_sizes_in_words(n: int | None, text: str) -> None:
    assert size_text(n) == text


def test_where_a_segment_is_stored() -> None:
    assert (
        where_stored("s3://bucket/shotlog/", "2024/2024-03/x.jsonl.gz")
        == "s3://bucket/shotlog/2024/2024-03/x.jsonl.gz"
    )


def test_changed_values_and_setup_events_match_like_the_event_log() -> None:
    q, errors = parse_event_query({"old_value": "wtg", "new_value": "ip", "setup": "hide"}, TYPES)
    assert errors == {}
    where = archive_filter(q)
    change = {"id": 9, "event_type": "Shotgun_Shot_Change", "meta": {"old_value": "wtg", "new_value": "ip"}}
    assert where.matches(change)
    assert not where.matches({**change, "meta": {"old_value": "wtg", "new_value": "fin"}})
    assert not where.matches({**change, "meta": None})
    numbers = archive_filter(parse_event_query({"new_value": "3"}, TYPES)[0])
    assert numbers.matches({"id": 1, "meta": {"new_value": 3}})  # compared as text, as the store does
    hide = archive_filter(parse_event_query({"setup": "hide"}, TYPES)[0])
    assert not hide.matches(
        {"id": 1, "event_type": "Shotgun_User_Login", "user": {"type": "HumanUser", "id": 1}}
    )
    assert not hide.matches(
        {"id": 1, "event_type": "Shotgun_HumanUser_New", "user": {"type": "ApiUser", "id": 1}}
    )
    assert hide.matches(
        {"id": 1, "event_type": "Shotgun_HumanUser_New", "user": {"type": "HumanUser", "id": 2}}
    )
    assert hide.matches({"id": 1, "event_type": "Shotgun_Shot_New", "user": None})


def test_a_download_reads_its_dates_in_the_readers_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    wanted, errors = parse_download({"from": "2024-07-01", "to": "2024-07-01"}, TYPES, paris)
    assert errors == {}
    # the first of July in Paris (UTC+2 in summer): 22:00 UTC the day before, to 22:00 UTC that day
    assert wanted.q.date_from == dt.datetime(2024, 6, 30, 22, tzinfo=dt.UTC)
    assert wanted.q.date_to == dt.datetime(2024, 7, 1, 22, tzinfo=dt.UTC)
    in_utc, _ = parse_download({"from": "2024-07-01"}, TYPES)
    assert in_utc.q.date_from == dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
