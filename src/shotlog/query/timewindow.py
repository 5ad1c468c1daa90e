"""The date ranges of FPTR's relative relations (in_last, in_next, in_calendar_*). Pure.

Calendar relations use UTC days, Monday-first ISO weeks, months and years.
"""

from __future__ import annotations

import datetime as dt

from shotlog.errors import FilterError

__all__ = ["UNITS", "calendar_window", "relative_window"]

UNITS = ("HOUR", "DAY", "WEEK", "MONTH", "YEAR")


def _out_of_range(amount: object, unit: str) -> FilterError:
    return FilterError(
        f"{amount!r} {unit} away from now is outside the supported dates (years 1-9999)", value=amount
    )


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError(f"year {year} is out of range")
    # clamp the day: Jan 31 + 1 month is Feb 28/29
    for day in (when.day, 30, 29, 28):
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def shift(when: dt.datetime, amount: int, unit: str) -> dt.datetime:
    try:
        if unit == "HOUR":
            return when + dt.timedelta(hours=amount)
        if unit == "DAY":
            return when + dt.timedelta(days=amount)
        if unit == "WEEK":
            return when + dt.timedelta(weeks=amount)
        if unit == "MONTH":
            return _add_months(when, amount)
        if unit == "YEAR":
            return _add_months(when, 12 * amount)
    except OverflowError:  # past year 1 or 9999: the caller's number, not a server fault
        raise _out_of_range(amount, unit) from None
    raise FilterError(f"Unknown time unit {unit!r}; use one of {', '.join(UNITS)}", value=unit)


def relative_window(relation: str, values: list[object], now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``in_last 2 DAY`` → (now - 2 days, now); ``in_next`` → (now, now + n)."""
    if len(values) == 1:
        values = [values[0], "DAY"]
    if len(values) != 2:
        raise FilterError(f"{relation} expects [count, unit], got {values!r}", value=values)
    amount, unit = values
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise FilterError(f"{relation} expects an integer count, got {amount!r}", value=amount)
    if not isinstance(unit, str) or unit.upper() not in UNITS:
        raise FilterError(f"{relation} expects a unit in {', '.join(UNITS)}, got {unit!r}", value=unit)
    unit = unit.upper()
    try:
        if relation.endswith("in_last"):
            return shift(now, -amount, unit), now
        return now, shift(now, amount, unit)
    except FilterError:  # reword: shift saw the negated count of in_last
        raise _out_of_range(amount, unit) from None


def calendar_window(relation: str, values: list[object], now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``in_calendar_week [-1]`` → [start of last week, start of this week)."""
    offset = values[0] if values else 0
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise FilterError(f"{relation} expects an integer offset, got {offset!r}", value=offset)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        if relation == "in_calendar_day":
            start = day + dt.timedelta(days=offset)
            return start, start + dt.timedelta(days=1)
        if relation == "in_calendar_week":
            start = day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=offset)
            return start, start + dt.timedelta(weeks=1)
        if relation == "in_calendar_month":
            start = _add_months(day.replace(day=1), offset)
            return start, _add_months(start, 1)
        if relation == "in_calendar_year":
            start = _add_months(day.replace(month=1, day=1), 12 * offset)
            return start, _add_months(start, 12)
    except (OverflowError, ValueError):  # the window's far end left the calendar (year 1 or 9999)
        raise _out_of_range(offset, relation.removeprefix("in_calendar_").upper()) from None
    raise FilterError(f"Unknown relation {relation!r}", value=relation)
