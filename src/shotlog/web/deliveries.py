"""The webhook pages' pure parts: hook status and load badges, the delivery log's filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shotlog.web.filters import whole_number

__all__ = [
    "DELIVERY_PAGE",
    "DELIVERY_STATUSES",
    "STATUS_CLASS",
    "DeliveryQuery",
    "parse_delivery_query",
    "parse_when",
    "performance_badges",
    "status_badge",
]

DELIVERY_PAGE = 50
DELIVERY_STATUSES = ("delivered", "failed", "pending", "held", "discarded")
#: FPTR's thresholds (webhooks reference §7.4): mean response above 0.5 s is slow; processing time
#: over the events' time span above 10 % of the budget is heavy load, above 50 % very heavy
SLOW_MEAN_SECONDS = 0.5
HEAVY_RATIO, VERY_HEAVY_RATIO = 0.10, 0.50
LOAD_MIN_SPAN = 60.0
STATUS_CLASS = {"active": "ok", "unstable": "warn", "failed": "bad", "disabled": "muted"}


def status_badge(status: str) -> tuple[str, str]:
    """(label, css modifier) of a hook status."""
    return status, STATUS_CLASS.get(status, "muted")


def performance_badges(metrics: dict[str, Any]) -> list[tuple[str, str, str]]:
    """FPTR's load badges from ``performance_metrics``: (label, css modifier, explanation).

    Load is response time over the time the events spanned; a burst inside one minute is measured
    against a whole minute (the unit of FPTR's budget), so four quick deliveries in the same
    second are not "heavy load".
    """
    out: list[tuple[str, str, str]] = []
    mean = metrics.get("mean_process_time")
    if isinstance(mean, int | float) and mean > SLOW_MEAN_SECONDS:
        out.append(("Slow response", "warn", f"mean response time {mean * 1000:.0f} ms (over 500 ms)"))
    total, span = metrics.get("process_time_sum"), metrics.get("event_time_span")
    if isinstance(total, int | float) and isinstance(span, int | float):
        ratio = total / max(float(span), LOAD_MIN_SPAN)
        if ratio > VERY_HEAVY_RATIO:
            out.append(("Very heavy load", "bad", f"receiver busy {ratio:.0%} of the time (over 50 %)"))
        elif ratio > HEAVY_RATIO:
            out.append(("Heavy load", "warn", f"receiver busy {ratio:.0%} of the time (over 10 %)"))
    return out


def parse_when(value: str, end: bool) -> dt.datetime:
    """A form date (``YYYY-MM-DD`` or with ``THH:MM``) as naive UTC; an end date includes its day."""
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d" and end:
            parsed += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
        return parsed
    raise ValueError(value)


@dataclass
class DeliveryQuery:
    status: str | None = None
    entity_type: str | None = None
    entity_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    acknowledgement: str | None = None
    page: int = 1


def parse_delivery_query(
    params: dict[str, str], entity_types: set[str] | None = None
) -> tuple[DeliveryQuery, dict[str, str]]:
    """The delivery filters of a hook's page, and a message per form field that is not acceptable."""
    q, errors = DeliveryQuery(), {}
    status = params.get("status", "").strip()
    if status:
        if status in DELIVERY_STATUSES:
            q.status = status
        else:
            errors["status"] = f"Status must be one of {', '.join(DELIVERY_STATUSES)}, got {status!r}."
    q.entity_type = params.get("entity_type", "").strip() or None
    if q.entity_type and entity_types is not None and q.entity_type not in entity_types:
        errors["entity_type"] = f"Unknown entity type {q.entity_type!r}."
    entity_id = params.get("entity_id", "").strip()
    if entity_id:
        number = whole_number(entity_id)
        if number is not None and number > 0:
            q.entity_id = number
        else:
            errors["entity_id"] = f"Entity id must be a positive whole number, got {entity_id!r}."
    for key, end in (("since", False), ("until", True)):
        value = params.get(key, "").strip()
        if value:
            try:
                setattr(q, key, parse_when(value, end))
            except ValueError:
                errors[key] = f"Dates look like 2026-11-27 or 2026-11-27T14:30, got {value!r}."
    q.acknowledgement = params.get("acknowledgement", "").strip() or None
    page = params.get("page", "1")
    number = whole_number(page)
    if number is not None and 1 <= number <= 10_000:
        q.page = number
    else:
        errors["page"] = f"There is no page {page!r}."
    return q, errors
