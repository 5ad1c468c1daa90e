"""Times shown in a reader's zone and dates typed in it (pure, table-driven), across DST changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shotlog.errors import ValidationError
from shotlog.site import time_zones
from shotlog.web.filters import parse_event_query
from shotlog.web.timezones import UTC, day_bounds, parse_local, reader_zone, shown, to_utc

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")  # its spring-forward skips midnight itself


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "zone", "local", "title"),
    [
        (dt.datetime(2026, 12, 7, 17, 4, 5), PARIS, "2026-12-07 18:04:05 CET", "2026-12-07 17:04:05 UTC"),
        (dt.datetime(2026, 7, 7, 17, 4, 5), PARIS, "2026-07-07 19:04:05 CEST", "2026-07-07 17:04:05 UTC"),
        (dt.datetime(2026, 12, 7, 3, 0, 0), NEW_YORK, "2026-12-06 22:00:00 EST", "2026-12-07 03:00:00 UTC"),
        ("2026-12-07T17:04:05Z", PARIS, "2026-12-07 18:04:05 CET", "2026-12-07 17:04:05 UTC"),
        (utc(2026, 12, 7, 17, 4, 5), ZoneInfo("America/Sao_Paulo"), "2026-12-07 14:04:05 UTC-03", None),
        (utc(2026, 12, 7, 17, 4, 5), ZoneInfo("Asia/Kathmandu"), "2026-12-07 22:49:05 UTC+05:45", None),
        (dt.datetime(2026, 12, 7, 17, 4, 5), UTC, "2026-12-07 17:04:05 UTC", "2026-12-07 17:04:05 UTC"),
        # the hour Paris lives twice: the same wall-clock time, told apart by the zone's name
        (utc(2026, 10, 25, 0, 30), PARIS, "2026-10-25 02:30:00 CEST", None),
        (utc(2026, 10, 25, 1, 30), PARIS, "2026-10-25 02:30:00 CET", None),
    ],
)
def test_a_time_is_shown_in_the_readers_zone_and_named(
    value: dt.datetime | str, zone: ZoneInfo, local: str, title: str | None
) -> None:
    moment = shown(value, zone)
    assert moment is not None
    assert moment.local == local
    if title:
        assert moment.utc == title
    assert moment.iso.endswith("Z")


def test_text_that_is_not_a_time_with_its_zone_is_not_shown_as_one() -> None:
    assert shown("soon", PARIS) is None
    assert shown(dt.date(2026, 12, 7), PARIS) is None
    assert shown("2026-12-07T17:04:05", PARIS) is None  # no offset: which zone would it be in?


@pytest.mark.parametrize(
    ("day", "zone", "start", "end", "hours"),
    [
        (dt.date(2026, 12, 7), PARIS, utc(2026, 12, 6, 23), utc(2026, 12, 7, 23), 24),
        (dt.date(2026, 3, 29), PARIS, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), 23),  # spring forward
        (dt.date(2026, 10, 25), PARIS, utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25),  # fall back
        (dt.date(2026, 3, 8), NEW_YORK, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23),
        (dt.date(2026, 9, 6), SANTIAGO, utc(2026, 9, 6, 4), utc(2026, 9, 7, 3), 23),  # no midnight
        (dt.date(2026, 3, 29), UTC, utc(2026, 3, 29), utc(2026, 3, 30), 24),
    ],
)
def test_a_local_day_is_its_real_hours_in_utc(
    day: dt.date, zone: ZoneInfo, start: dt.datetime, end: dt.datetime, hours: int
) -> None:
    assert day_bounds(day, zone) == (start, end)
    assert end - start == dt.timedelta(hours=hours)


@pytest.mark.parametrize(
    ("typed", "end", "expected"),
    [
        ("2026-03-29", False, utc(2026, 3, 28, 23)),
        ("2026-03-29", True, utc(2026, 3, 29, 22)),  # the end date includes its whole (short) day
        ("2026-03-29T01:59", False, utc(2026, 3, 29, 0, 59)),
        ("2026-03-29T03:00", False, utc(2026, 3, 29, 1)),
        ("2026-03-29T02:30", False, utc(2026, 3, 29, 1, 30)),  # skipped: read as 03:30 CEST
        ("2026-10-25T02:30", False, utc(2026, 10, 25, 0, 30)),  # repeated: its first occurrence
        ("2026-10-25 02:30:15", False, utc(2026, 10, 25, 0, 30, 15)),
    ],
)
def test_typed_dates_are_read_in_the_readers_zone(typed: str, end: bool, expected: dt.datetime) -> None:
    assert parse_local(typed, end, PARIS) == expected


def test_the_end_of_time_is_refused_not_overflowed() -> None:
    with pytest.raises(ValueError):
        parse_local("9999-12-31", True, UTC)  # its end would be year 10000
    _, errors = parse_event_query({"to": "9999-12-31"}, {"Shot"}, PARIS)
    assert "got '9999-12-31'" in errors["to"]


def test_to_utc_is_the_inverse_of_showing_away_from_changes() -> None:
    moment = to_utc(dt.datetime(2026, 7, 1, 9, 15), NEW_YORK)
    assert moment == utc(2026, 7, 1, 13, 15)
    shown_again = shown(moment, NEW_YORK)
    assert shown_again is not None and shown_again.local == "2026-07-01 09:15:00 EDT"


@pytest.mark.parametrize(
    "typed", ["29/03/2026", "2026-02-30", "2026-03-29T25:00", "yesterday", "0001-01-01", "0001-01-01T00:00"]
)
def test_a_date_that_cannot_be_read_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_local(typed, False, PARIS)


def test_the_event_log_filter_on_the_day_paris_springs_forward() -> None:
    q, errors = parse_event_query({"from": "2026-03-29", "to": "2026-03-29"}, {"Shot"}, PARIS)
    assert errors == {}
    assert q.date_from == utc(2026, 3, 28, 23) and q.date_to == utc(2026, 3, 29, 22)
    assert ["created_at", "less_than", utc(2026, 3, 29, 22)] in q.filters()
    same, _ = parse_event_query({"from": "2026-03-29", "to": "2026-03-29"}, {"Shot"})
    assert same.date_from == utc(2026, 3, 29) and same.date_to == utc(2026, 3, 30)  # default UTC


def test_a_bad_date_names_the_field_the_value_and_the_zone() -> None:
    _, errors = parse_event_query({"from": "29/03/2026"}, {"Shot"}, PARIS)
    expected = "Dates look like 2026-11-27 or 2026-11-27T14:30 (Europe/Paris), got '29/03/2026'."
    assert errors == {"from": expected}


@pytest.mark.parametrize(
    ("chosen", "browser", "name", "source"),
    [
        ("Asia/Tokyo", "Europe/Paris", "Asia/Tokyo", "chosen"),
        (None, "Europe/Paris", "Europe/Paris", "browser"),
        (None, "Mars/Olympus_Mons", "UTC", "unknown"),  # the cookie is the browser's to write
        (None, "../../etc/passwd", "UTC", "unknown"),
        (None, None, "UTC", "unknown"),
    ],
)
def test_the_readers_zone_is_the_chosen_one_else_the_browsers(
    chosen: str | None, browser: str | None, name: str, source: str
) -> None:
    zone = reader_zone(chosen, browser, time_zones.known())
    assert (zone.name, zone.source) == (name, source)


def test_a_zone_to_choose_is_checked_by_name() -> None:
    assert time_zones.check_zone("Europe/Paris") == "Europe/Paris"
    with pytest.raises(ValidationError) as caught:
        time_zones.check_zone("Europe/Atlantis")
    assert "'Europe/Atlantis' is not a time zone name" in caught.value.message
    assert caught.value.details["field"] == "time_zone"
    assert "UTC" in time_zones.choices() and "Europe/Paris" in time_zones.choices()
    assert "US/Eastern" not in time_zones.choices() and "US/Eastern" in time_zones.known()


def test_fptrs_meta_time_text_is_a_time_too() -> None:
    moment = shown("2026-12-07 17:04:05 UTC", PARIS)
    assert moment is not None and moment.local == "2026-12-07 18:04:05 CET"


def test_every_template_time_goes_through_the_when_filter() -> None:
    from shotlog.web.render import templates
    from shotlog.web.timezones import ReaderZone

    paris = ReaderZone(PARIS, "chosen")
    row = templates.from_string("{{ t | when }}|{{ v | value }}|{{ s | value }}|{{ n | when }}")
    html = row.render(
        t=dt.datetime(2026, 7, 1, 12),
        v="2026-12-07 17:04:05 UTC",
        s="2026-12-07 is a date",
        n=None,
        zone=paris,
    )
    summer, winter, text, none = html.split("|")
    assert summer == (
        '<time datetime="2026-07-01T12:00:00Z" title="2026-07-01 12:00:00 UTC">'
        "2026-07-01 14:00:00 CEST</time>"
    )
    assert winter == (
        '<time datetime="2026-12-07T17:04:05Z" title="2026-12-07 17:04:05 UTC">2026-12-07 18:04:05 CET</time>'
    )
    assert (text, none) == ("2026-12-07 is a date", "")
    assert "12:00:00 UTC</time>" in templates.from_string("{{ t | when }}").render(
        t=dt.datetime(2026, 7, 1, 12)
    )


def test_no_template_formats_a_time_by_itself() -> None:
    """Times reach pages only through ``when`` (or ``value``, which uses it): no strftime, isoformat
    or hand-made <time> in a template."""
    from pathlib import Path

    import shotlog.web

    folder = Path(shotlog.web.__file__).parent / "templates"
    for template in sorted(folder.glob("*.html")):
        text = template.read_text()
        for habit in ("strftime", "isoformat", "<time", "| iso"):
            assert habit not in text, f"{template.name} formats a time itself ({habit!r}): use | when"


def test_a_webhooks_dates_are_read_in_the_readers_zone_with_inclusive_ends() -> None:
    from shotlog.web.deliveries import parse_delivery_query, parse_when

    # the webhooks API takes naive UTC bounds, both inclusive
    assert parse_when("2026-10-25", False, PARIS) == dt.datetime(2026, 10, 24, 22)
    assert parse_when("2026-10-25", True, PARIS) == dt.datetime(2026, 10, 25, 22, 59, 59, 999999)  # 25 h
    assert parse_when("2026-10-25T12:00", True, PARIS) == dt.datetime(2026, 10, 25, 11)
    q, errors = parse_delivery_query({"since": "2026-03-29", "until": "2026-03-29"}, None, NEW_YORK)
    assert errors == {} and (q.since, q.until) == (
        dt.datetime(2026, 3, 29, 4),
        dt.datetime(2026, 3, 30, 3, 59, 59, 999999),
    )
