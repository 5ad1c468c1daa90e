"""Times as a person reads them and dates as they type them, in their time zone (pure).

The database keeps every time in UTC. Pages show it in the reader's zone, named
(``2026-12-07 18:04:05 CET``), with the UTC time in the tooltip; a date typed into a filter means
that day, or that minute, in the reader's zone. ``to_utc`` is the one place a typed local time
becomes UTC. Around a daylight-saving change a local day is 23 or 25 hours long, and ``day_bounds``
gives exactly those hours (a day whose midnight is skipped begins at the change). A typed time the
change skips is read with the offset before it (02:30 on Paris's spring-forward night is 03:30
CEST); a time the change repeats (02:30 on a fall-back night) means its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = [
    "TIME_TEXT",
    "UTC",
    "ReaderZone",
    "Shown",
    "day_bounds",
    "parse_local",
    "reader_zone",
    "shown",
    "to_utc",
    "zone_abbreviation",
]

UTC = ZoneInfo("UTC")

#: text that is a time in UTC: FPTR's form in an event's meta (``2026-12-07 17:04:05 UTC``) or ISO
#: with a Z; other text (a Text field that happens to hold a date) is left as typed
TIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?( UTC|Z)")

#: the forms a typed date or time may take (the first is ``<input type="date">``'s, the second
#: ``datetime-local``'s)
_FORMS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class ReaderZone:
    """The zone a page is shown in, and where it comes from."""

    zone: ZoneInfo
    #: "chosen" on the account page, "browser" detected by the page's script (a cookie), or
    #: "unknown" (UTC until the script has run: the first page of a session, or no scripts)
    source: str

    @property
    def name(self) -> str:
        return self.zone.key


def reader_zone(chosen: str | None, browser: str | None, known: Container[str]) -> ReaderZone:
    """The zone to show a person's pages in: the one they chose, else their browser's (when it is a
    name the tz database knows: the cookie is the browser's to write), else UTC."""
    if chosen and chosen in known:
        return ReaderZone(ZoneInfo(chosen), "chosen")
    if browser and browser in known:
        return ReaderZone(ZoneInfo(browser), "browser")
    return ReaderZone(UTC, "unknown")


@dataclass(frozen=True)
class Shown:
    """One time as a page shows it."""

    local: str  # in the reader's zone, named: 2026-12-07 18:04:05 CET
    utc: str  # the same moment in UTC: 2026-12-07 17:04:05 UTC
    iso: str  # machine-readable, for <time datetime>: 2026-12-07T17:04:05Z


def zone_abbreviation(moment: dt.datetime) -> str:
    """The short name of an aware time's zone at that time (``CET``, ``CEST``, ``PST``); zones the
    tz database has no letters for (``-03``) are written as an offset from UTC (``UTC-03``)."""
    name = moment.tzname() or ""
    if not name or name[0] in "+-":
        offset = moment.utcoffset() or dt.timedelta(0)
        if not offset:
            return "UTC"
        sign = "-" if offset < dt.timedelta(0) else "+"
        minutes = abs(int(offset.total_seconds())) // 60
        hours, rest = divmod(minutes, 60)
        return f"UTC{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")
    return name


def _as_utc(value: dt.datetime | str) -> dt.datetime | None:
    """A stored time as an aware UTC datetime: naive ones are UTC (as the tables keep them); text is
    FPTR's form in event metas (``2026-12-07 17:04:05 UTC``) or ISO with its offset or a Z."""
    if isinstance(value, str):
        if value.endswith(" UTC"):
            value = value[:-4] + "Z"
        try:
            value = dt.datetime.fromisoformat(value)  # 3.11 reads a trailing Z
        except ValueError:
            return None
        if value.tzinfo is None:
            return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def shown(value: object, zone: ZoneInfo) -> Shown | None:
    """``value`` (a datetime, naive meaning UTC, or ISO text with an offset) as a page shows it in
    ``zone``; None when it is not a time."""
    if not isinstance(value, dt.datetime | str):  # a date has no time to convert
        return None
    moment = _as_utc(value)
    if moment is None:
        return None
    local = moment.astimezone(zone)
    return Shown(
        local=f"{local:%Y-%m-%d %H:%M:%S} {zone_abbreviation(local)}",
        utc=f"{moment:%Y-%m-%d %H:%M:%S} UTC",
        iso=moment.isoformat().replace("+00:00", "Z"),
    )


def to_utc(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A wall-clock time in ``zone`` (naive) as an aware UTC datetime: the one conversion of typed
    times. ``fold=0`` reads a skipped time with the offset before the change and a repeated one
    as its first occurrence."""
    return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where ``day`` begins and the next day begins in ``zone`` (23 or 25 hours
    apart on a daylight-saving change)."""
    start = dt.datetime.combine(day, dt.time())
    return to_utc(start, zone), to_utc(start + dt.timedelta(days=1), zone)


def parse_local(value: str, end: bool, zone: ZoneInfo) -> dt.datetime:
    """A typed ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS]`` in ``zone``, as aware UTC. A date alone
    is where that day begins, or with ``end``, where it ends (the next day's start), so a range's
    end date includes its whole day. ValueError when it is neither form."""
    for form in _FORMS:
        try:
            parsed = dt.datetime.strptime(value, form)
        except ValueError:
            continue
        try:
            if form == _FORMS[0]:
                first, after = day_bounds(parsed.date(), zone)
                return after if end else first
            return to_utc(parsed, zone)
        except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31's end: no such UTC time
            raise ValueError(value) from None
    raise ValueError(value)
