"""Site preferences as FPTR's ``preferences_read`` answers them, and changing them.

``DEFAULTS`` are the preference names FPTR returns and the values of a new site. A site keeps only
the preferences changed from their defaults; each change writes FPTR's ``Shotgun_Preferences_Change``
event (meta ``pref``, ``old``, ``new``) in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from shotlog.errors import ValidationError
from shotlog.store import sitestate

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

__all__ = ["CHANGE_EVENT", "DEFAULTS", "check_value", "parse_text", "read", "select", "set_preference"]

CHANGE_EVENT = "Shotgun_Preferences_Change"

DEFAULTS: dict[str, Any] = {
    "date_component_order": "month_day",
    "duration_units": "days",
    "format_currency_fields_decimal_options": "$1,000.99",
    "format_currency_fields_display_dollar_sign": False,
    "format_currency_fields_negative_options": "- $1,000",
    "format_date_fields": "08/04/22 OR 04/08/22 (depending on the Month order preference)",
    "format_float_fields": "9,999.99",
    "format_float_fields_rounding": "9.999999",
    "format_footage_fields": "10-05",
    "format_number_fields": "1,000",
    "format_time_hour_fields": "12 hour",
    "hours_per_day": 8.0,
    "last_day_work_week": None,
    "support_local_storage": True,
    "view_master_settings": {},
}

#: preferences whose value is one of a few words
_CHOICES: dict[str, tuple[str, ...]] = {
    "date_component_order": ("month_day", "day_month"),
    "duration_units": ("days", "hours"),
    "format_time_hour_fields": ("12 hour", "24 hour"),
    "last_day_work_week": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def check_value(name: str, value: Any) -> Any:
    """``value`` as preference ``name`` keeps it, or a ValidationError naming both."""
    if name not in DEFAULTS:
        raise ValidationError(
            f"Unknown preference {name!r}; known preferences: {', '.join(sorted(DEFAULTS))}",
            field=name,
            value=value,
        )
    default = DEFAULTS[name]
    choices = _CHOICES.get(name)
    if choices is not None:
        if value in choices or (value is None and default is None):
            return value
        raise ValidationError(
            f"Preference {name} must be one of {', '.join(choices)}, got {value!r}", field=name, value=value
        )
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ValidationError(
            f"Preference {name} must be true or false, got {value!r}", field=name, value=value
        )
    if isinstance(default, float):
        if not isinstance(value, bool) and isinstance(value, int | float) and 0 < value <= 24:
            return float(value)
        raise ValidationError(
            f"Preference {name} must be a number of hours above 0 and at most 24, got {value!r}",
            field=name,
            value=value,
        )
    if isinstance(default, dict):
        if isinstance(value, dict):
            return value
        raise ValidationError(f"Preference {name} must be an object, got {value!r}", field=name, value=value)
    if isinstance(value, str) and value.strip():
        return value
    raise ValidationError(f"Preference {name} must be non-empty text, got {value!r}", field=name, value=value)


def parse_text(name: str, text: str) -> Any:
    """A value typed on the command line: JSON where it parses (true, 7.5, {...}), else the text."""
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if isinstance(value, int | float) and not isinstance(value, bool) and name in _CHOICES:
        value = text
    return check_value(name, value)


def select(current: Mapping[str, Any], names: Any) -> dict[str, Any]:
    """The answer of ``preferences_read(names)``: every preference, or those named (unknown names
    are left out, as FPTR does)."""
    if names is None or names == []:
        return dict(current)
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise ValidationError(
            f"preferences_read: prefs must be a list of preference names, got {names!r}",
            field="prefs",
            value=names,
        )
    return {n: current[n] for n in names if n in current}


def read(sg: Shotlog, names: Sequence[str] | None = None) -> dict[str, Any]:
    with sg.db.read() as conn:
        changed = sitestate.read_preferences(conn)
    current = {name: changed.get(name, default) for name, default in DEFAULTS.items()}
    return select(current, names)


def set_preference(sg: Shotlog, name: str, value: Any) -> dict[str, Any]:
    """Change one preference; writes ``Shotgun_Preferences_Change`` unless the value is the same.

    Returns ``{"pref", "old", "new", "event_id"}`` (``event_id`` None when nothing changed).
    """
    value = check_value(name, value)

    def work(tx: Any) -> dict[str, Any]:
        old = sitestate.read_preferences(tx.conn).get(name, DEFAULTS[name])
        if old == value:
            return {"pref": name, "old": old, "new": value, "event_id": None}
        sitestate.write_preference(tx.conn, name, value, tx.now)
        event = tx.create_event(
            {
                "event_type": CHANGE_EVENT,
                "description": f"Site preference {name} changed from {old!r} to {value!r}",
                "meta": {"pref": name, "old": old, "new": value},
            },
            builtin=True,
        )
        return {"pref": name, "old": old, "new": value, "event_id": event["id"]}

    # the preference and its event commit together, or neither does
    return sg._write(work)
