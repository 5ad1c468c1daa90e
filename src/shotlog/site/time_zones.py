"""Each person's time zone, which the web UI shows times in and reads typed dates in.

A user who has not chosen one has none here: the web UI then uses their browser's zone. Names are
IANA time zone names (``Europe/Paris``) known to this machine's tz database (Debian's ``tzdata``),
checked before they are stored, so a stored name always opens with ``zoneinfo``.
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import TYPE_CHECKING, Any

from shotlog.clock import utcnow_seconds
from shotlog.errors import ValidationError
from shotlog.store import user_preferences

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = ["NAME", "check_zone", "choices", "known", "read", "write"]

#: the preference's name in ``user_preferences``
NAME = "time_zone"


@functools.cache
def known() -> frozenset[str]:
    """Every zone name of the tz database (read from disk once)."""
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def choices() -> tuple[str, ...]:
    """The names a person picks from: UTC and the Area/City names, without the legacy aliases
    (``US/Eastern``, ``EST5EDT``, ``Etc/GMT+5``), which are still accepted when a browser sends one."""
    legacy = ("Etc/", "US/", "SystemV/", "Canada/", "Brazil/", "Chile/", "Mexico/")
    cities = sorted(n for n in known() if "/" in n and not n.startswith(legacy))
    return ("UTC", *cities)


def check_zone(name: Any) -> str:
    """``name`` if it is a known zone name, else a ValidationError naming the field and the value."""
    if not isinstance(name, str) or name not in known():
        raise ValidationError(
            f"{name!r} is not a time zone name; use one like Europe/Paris, America/Los_Angeles or UTC.",
            field=NAME,
            value=name,
        )
    return name


def read(sg: Shotlog, user: tuple[str, int]) -> str | None:
    """The zone the user chose, or None (their browser's zone applies). A name the tz database no
    longer knows (an upgrade removed it) counts as none."""
    with sg.db.read() as conn:
        value = user_preferences.read(conn, user, NAME)
    return value if isinstance(value, str) and value in known() else None


def write(sg: Shotlog, user: tuple[str, int], name: str | None) -> None:
    """Choose the user's zone; None goes back to the browser's."""
    value = None if name is None else check_zone(name)
    with sg.db.write() as conn:
        user_preferences.write(conn, user, NAME, value, utcnow_seconds())
