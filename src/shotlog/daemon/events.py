"""Event dicts as shotgun_api3 hands them to callbacks, whatever source they came from.

shotgunEvents asks for nine fields and the client adds ``type``; every datetime the client reads
(``created_at``, and any ``YYYY-MM-DDTHH:MM:SSZ`` string anywhere in the reply, ``meta`` included)
becomes an aware datetime in the host's local zone, using the client's own tzinfo class. The direct
and stream sources produce the same shape, so a plugin cannot tell the sources apart.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from shotgun_api3.lib.sgtimezone import SgTimezone

from shotlog.eventlog import SHOTGUNEVENTS_FIELDS

__all__ = [
    "Event",
    "client_shape",
    "fresh_copy",
    "from_wire",
    "local_time",
    "shape_parsed",
    "to_wire",
]

_TZ = SgTimezone()  # type: ignore[no-untyped-call]
_WIRE_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class Event(NamedTuple):
    """One event of a source: its position in that source (a cursor value) and the callback dict.

    Immutable, and a tuple rather than a frozen dataclass: sources make one per event read."""

    position: int
    id: int
    data: dict[str, Any]


def _local(utc: dt.datetime) -> dt.datetime:
    """``utc.astimezone(LocalTimezone())`` without its cost: that tzinfo calls ``time.mktime`` on
    every offset lookup. ``time.localtime`` gives the same wall time; the tzinfo is the client's."""
    wall = time.localtime(utc.timestamp())
    return dt.datetime(*wall[:6], tzinfo=_TZ.local)


_EPOCH = dt.datetime(1970, 1, 1)
_SECOND = dt.timedelta(seconds=1)


def local_time(naive_utc: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) timestamp as the client returns it: seconds, aware, local zone.

    The wall time is ``time.localtime``'s (``fromtimestamp`` calls it, in C: this runs for every
    event the daemon reads); ``fold`` stays 0 as in the client's own datetimes."""
    seconds = (naive_utc - _EPOCH) // _SECOND
    return dt.datetime.fromtimestamp(seconds).replace(tzinfo=_TZ.local, fold=0)


def client_shape(value: Any) -> Any:
    """``value`` with datetimes as shotgun_api3 returns them: aware, in its local zone."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return _local(aware.replace(microsecond=0))
    if isinstance(value, str):
        if len(value) == 20 and _WIRE_DATETIME.match(value):
            try:
                parsed = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                return value
            return _local(parsed.replace(tzinfo=dt.UTC))
        return value
    if isinstance(value, Mapping):
        return {k: client_shape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [client_shape(v) for v in value]
    return value


def shape_parsed(value: Any) -> Any:
    """``client_shape`` for a value just parsed from JSON (ours alone: changed in place).

    Only strings can hold datetimes in JSON, so only they and the containers are looked at; this
    runs on the ``meta`` of every event the direct source reads."""
    kind = type(value)
    if kind is dict:
        for k, v in value.items():
            kv = type(v)
            if kv is str:
                if len(v) == 20 and _WIRE_DATETIME.match(v):
                    value[k] = client_shape(v)
            elif kv is dict or kv is list:
                shape_parsed(v)
        return value
    if kind is list:
        for i, v in enumerate(value):
            kv = type(v)
            if kv is str:
                if len(v) == 20 and _WIRE_DATETIME.match(v):
                    value[i] = client_shape(v)
            elif kv is dict or kv is list:
                shape_parsed(v)
        return value
    return client_shape(value)


def fresh_copy(value: Any) -> Any:
    """A copy a plugin may mutate: event dicts hold only dicts, lists and immutable scalars, so
    this is ``copy.deepcopy`` at a fraction of its cost (it runs once per event per plugin): each
    container is copied in C and only its values that are containers themselves are visited."""
    kind = type(value)
    if kind is dict:
        out = value.copy()
        for k, v in out.items():
            if type(v) in _CONTAINERS:
                out[k] = fresh_copy(v)  # replacing a value while iterating is safe (same keys)
        return out
    if kind is list:
        return [fresh_copy(v) if type(v) in _CONTAINERS else v for v in value]
    if isinstance(value, dict):
        return {k: fresh_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fresh_copy(v) for v in value]
    return value


_CONTAINERS = frozenset((dict, list))


def to_wire(value: Any) -> Any:
    """JSON-safe form (datetimes as UTC ``...Z`` strings), for the journal and the stream endpoint."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    return value


def from_wire(record: Mapping[str, Any]) -> dict[str, Any]:
    """An event read from JSON (api3 reply, stream, journal) in the callback shape."""
    data = {"type": "EventLogEntry", **{k: record.get(k) for k in SHOTGUNEVENTS_FIELDS}}
    shaped: dict[str, Any] = client_shape(data)
    return shaped
