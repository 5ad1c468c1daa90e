"""The windows of in_last / in_next / in_calendar_* (UTC, Monday-first weeks), without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from shotlog.errors import FilterError
from shotlog.query.timewindow import UNITS, calendar_window, relative_window, shift

D = dt.datetime
# a Wednesday in a leap year, mid-afternoon
NOW = D(2024, 2, 28, 15, 45, 30)


@pytest.mark.parametrize(
    ("relation", "values", "window"),
    [
        ("in_last", [2, "HOUR"], (D(2024, 2, 28, 13, 45, 30), NOW)),
        ("in_last", [3, "DAY"], (D(2024, 2, 25, 15, 45, 30), NOW)),
        ("in_last", [1, "WEEK"], (D(2024, 2, 21, 15, 45, 30), NOW)),
        ("in_last", [1, "MONTH"], (D(2024, 1, 28, 15, 45, 30), NOW)),
        ("in_last", [2, "YEAR"], (D(2022, 2, 28, 15, 45, 30), NOW)),
        ("in_last", [3], (D(2024, 2, 25, 15, 45, 30), NOW)),  # DAY by default
        ("in_last", [3, "day"], (D(2024, 2, 25, 15, 45, 30), NOW)),
        ("in_last", [0, "DAY"], (NOW, NOW)),
        ("not_in_last", [3, "DAY"], (D(2024, 2, 25, 15, 45, 30), NOW)),
        ("in_next", [10, "HOUR"], (NOW, D(2024, 2, 29, 1, 45, 30))),
        ("in_next", [1, "DAY"], (NOW, D(2024, 2, 29, 15, 45, 30))),
        ("in_next", [2, "WEEK"], (NOW, D(2024, 3, 13, 15, 45, 30))),
        ("in_next", [11, "MONTH"], (NOW, D(2025, 1, 28, 15, 45, 30))),
        ("in_next", [1, "YEAR"], (NOW, D(2025, 2, 28, 15, 45, 30))),
        ("not_in_next", [1, "DAY"], (NOW, D(2024, 2, 29, 15, 45, 30))),
    ],
)
def test_relative_windows(relation: str, values: list[object], window: tuple[D, D]) -> None:
    assert relative_window(relation, values, NOW) == window


@pytest.mark.parametrize(
    ("when", "amount", "unit", "expected"),
    [
        (D(2024, 1, 31), 1, "MONTH", D(2024, 2, 29)),  # clamped to the month's last day
        (D(2023, 1, 31), 1, "MONTH", D(2023, 2, 28)),
        (D(2024, 3, 31), -1, "MONTH", D(2024, 2, 29)),
        (D(2024, 5, 31), 1, "MONTH", D(2024, 6, 30)),
        (D(2024, 1, 15), -1, "MONTH", D(2023, 12, 15)),
        (D(2024, 12, 15), 1, "MONTH", D(2025, 1, 15)),
        (D(2024, 3, 15), -27, "MONTH", D(2021, 12, 15)),
        (D(2024, 2, 29), 1, "YEAR", D(2025, 2, 28)),
        (D(2024, 2, 29), -4, "YEAR", D(2020, 2, 29)),
        (D(2024, 3, 10, 23), 2, "HOUR", D(2024, 3, 11, 1)),
    ],
)
def test_shift(when: D, amount: int, unit: str, expected: D) -> None:
    assert shift(when, amount, unit) == expected


@pytest.mark.parametrize(
    ("relation", "offset", "window"),
    [
        ("in_calendar_day", 0, (D(2024, 2, 28), D(2024, 2, 29))),
        ("in_calendar_day", 1, (D(2024, 2, 29), D(2024, 3, 1))),
        ("in_calendar_day", -28, (D(2024, 1, 31), D(2024, 2, 1))),
        ("in_calendar_week", 0, (D(2024, 2, 26), D(2024, 3, 4))),  # Monday to Monday
        ("in_calendar_week", -1, (D(2024, 2, 19), D(2024, 2, 26))),
        ("in_calendar_week", 1, (D(2024, 3, 4), D(2024, 3, 11))),
        ("in_calendar_month", 0, (D(2024, 2, 1), D(2024, 3, 1))),
        ("in_calendar_month", -1, (D(2024, 1, 1), D(2024, 2, 1))),
        ("in_calendar_month", -2, (D(2023, 12, 1), D(2024, 1, 1))),
        ("in_calendar_month", 11, (D(2025, 1, 1), D(2025, 2, 1))),
        ("in_calendar_month", -14, (D(2022, 12, 1), D(2023, 1, 1))),
        ("in_calendar_year", 0, (D(2024, 1, 1), D(2025, 1, 1))),
        ("in_calendar_year", -1, (D(2023, 1, 1), D(2024, 1, 1))),
        ("in_calendar_year", 2, (D(2026, 1, 1), D(2027, 1, 1))),
    ],
)
def test_calendar_windows(relation: str, offset: int, window: tuple[D, D]) -> None:
    assert calendar_window(relation, [offset], NOW) == window


def test_calendar_defaults_and_edges() -> None:
    assert calendar_window("in_calendar_day", [], NOW) == (D(2024, 2, 28), D(2024, 2, 29))
    sunday = D(2024, 3, 3, 23, 59, 59)
    assert calendar_window("in_calendar_week", [0], sunday) == (D(2024, 2, 26), D(2024, 3, 4))
    monday = D(2024, 3, 4)
    assert calendar_window("in_calendar_week", [0], monday) == (D(2024, 3, 4), D(2024, 3, 11))
    new_year = D(2024, 12, 31, 23, 0)
    assert calendar_window("in_calendar_day", [1], new_year) == (D(2025, 1, 1), D(2025, 1, 2))
    assert calendar_window("in_calendar_month", [1], new_year) == (D(2025, 1, 1), D(2025, 2, 1))
    leap_day = D(2024, 2, 29, 12)
    assert calendar_window("in_calendar_year", [1], leap_day) == (D(2025, 1, 1), D(2026, 1, 1))
    assert calendar_window("in_calendar_month", [12], leap_day) == (D(2025, 2, 1), D(2025, 3, 1))


def test_units() -> None:
    assert UNITS == ("HOUR", "DAY", "WEEK", "MONTH", "YEAR")


@pytest.mark.parametrize(
    ("relation", "values", "needle"),
    [
        ("in_last", [1, "FORTNIGHT"], "FORTNIGHT"),
        ("in_last", [1, "DAYS"], "DAYS"),
        ("in_last", [1, None], "None"),
        ("in_last", ["1", "DAY"], "'1'"),
        ("in_last", [1.5, "DAY"], "1.5"),
        ("in_last", [True, "DAY"], "True"),
        ("in_last", [], "[]"),
        ("in_next", [1, "DAY", 2], "[1, 'DAY', 2]"),
        ("in_last", [10**9, "DAY"], "1000000000"),
        ("in_next", [10**6, "WEEK"], "1000000"),
        ("in_next", [8000, "YEAR"], "8000"),
        ("in_last", [10**8, "MONTH"], "100000000"),
        ("in_next", [10**12, "HOUR"], "1000000000000"),
    ],
)
def test_bad_relative_values(relation: str, values: list[object], needle: str) -> None:
    with pytest.raises(FilterError) as info:
        relative_window(relation, values, NOW)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("relation", "values", "needle"),
    [
        ("in_calendar_day", ["today"], "today"),
        ("in_calendar_week", [None], "None"),
        ("in_calendar_month", [1.0], "1.0"),
        ("in_calendar_year", [False], "False"),
        ("in_calendar_decade", [0], "in_calendar_decade"),
        ("in_calendar_day", [10**9], "1000000000"),
        ("in_calendar_week", [-(10**6)], "-1000000"),
        ("in_calendar_month", [10**6], "1000000"),
        ("in_calendar_year", [8000], "8000"),
        ("in_calendar_year", [-2024], "-2024"),
    ],
)
def test_bad_calendar_values(relation: str, values: list[object], needle: str) -> None:
    with pytest.raises(FilterError) as info:
        calendar_window(relation, values, NOW)
    assert needle in str(info.value)


def test_bad_shift_unit() -> None:
    with pytest.raises(FilterError, match="'EON'"):
        shift(NOW, 1, "EON")
