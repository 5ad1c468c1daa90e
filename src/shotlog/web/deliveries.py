"""The webhook pages' pure parts: hook status and load badges, the delivery log's filters, and the
page model of the delivery log (one state per delivery; counts and table from one listing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from shotlog.web.filters import whole_number
from shotlog.web.timezones import UTC, parse_local
from shotlog.web.wording import counted
from shotlog.webhooks.states import AttemptOutcome, DeliveryState, outcome_of

__all__ = [
    "DELIVERY_PAGE",
    "DELIVERY_STATES",
    "STATE_CLASS",
    "STATUS_CLASS",
    "AttemptView",
    "DeliveryCounts",
    "DeliveryQuery",
    "DeliveryRow",
    "attempt_view",
    "delivery_row",
    "parse_delivery_query",
    "parse_when",
    "performance_badges",
    "status_badge",
]

DELIVERY_PAGE = 50
#: the delivery log's state filter, in the order a delivery goes through them
DELIVERY_STATES = tuple(DeliveryState)
#: one badge colour per delivery state
STATE_CLASS = {
    DeliveryState.PENDING: "info",
    DeliveryState.DELIVERED: "ok",
    DeliveryState.FAILED: "bad",
    DeliveryState.HELD: "warn",
    DeliveryState.DISCARDED: "muted",
}
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


def parse_when(value: str, end: bool, zone: ZoneInfo = UTC) -> dt.datetime:
    """A form date (``YYYY-MM-DD`` or with ``THH:MM``) typed in the reader's ``zone``, as naive UTC;
    an end date includes its whole day (the webhooks API's bounds are inclusive)."""
    moment = parse_local(value, end, zone)  # a bare end date: where the next day begins
    if end and ":" not in value:
        moment -= dt.timedelta(microseconds=1)
    return moment.replace(tzinfo=None)


@dataclass
class DeliveryQuery:
    state: DeliveryState | None = None
    entity_type: str | None = None
    entity_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    acknowledgement: str | None = None
    page: int = 1


def parse_delivery_query(
    params: dict[str, str], entity_types: set[str] | None = None, zone: ZoneInfo = UTC
) -> tuple[DeliveryQuery, dict[str, str]]:
    """The delivery filters of a hook's page, and a message per form field that is not acceptable.
    Dates are read in ``zone``, the reader's."""
    q, errors = DeliveryQuery(), {}
    state = params.get("state", "").strip()
    if state:
        if state in DELIVERY_STATES:
            q.state = DeliveryState(state)
        else:
            errors["state"] = f"State must be one of {', '.join(DELIVERY_STATES)}, got {state!r}."
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
                setattr(q, key, parse_when(value, end, zone))
            except ValueError:
                errors[key] = f"Dates look like 2026-11-27 or 2026-11-27T14:30 ({zone.key}), got {value!r}."
    q.acknowledgement = params.get("acknowledgement", "").strip() or None
    page = params.get("page", "1")
    number = whole_number(page)
    if number is not None and 1 <= number <= 10_000:
        q.page = number
    else:
        errors["page"] = f"There is no page {page!r}."
    return q, errors


# -- the delivery log's page model ---------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryCounts:
    """How many deliveries are in each state, under the page's filters other than the state: the
    counts the table is listed under, so the two cannot disagree."""

    by_state: dict[DeliveryState, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    def listed(self, state: DeliveryState | None) -> int:
        """How many rows the table has (over every page) when filtered by ``state``."""
        return self.total if state is None else self.by_state.get(state, 0)

    def summary(self) -> str:
        """``3 deliveries: 1 pending, 2 delivered`` (states with none left out), or ``no deliveries``."""
        if not self.total:
            return "no deliveries"
        parts = [f"{n:,} {state}" for state, n in self.by_state.items() if n]
        return f"{counted(self.total, 'delivery')}: {', '.join(parts)}"

    def range_shown(self, state: DeliveryState | None, page: int, page_size: int, rows: int) -> str:
        """``1-50 of 120`` (with an en dash) for the page of the table being shown (``rows`` on it)."""
        total = self.listed(state)
        if not rows:
            return f"none of {total:,}"
        first = (page - 1) * page_size + 1
        return f"{first:,}–{first + rows - 1:,} of {total:,}"


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery as the table shows it: its one state, when its last attempt was sent and, while
    pending, when the next one is due; the last attempt's answer."""

    id: str
    kind: str
    redelivery_of: str | None
    event_id: int | None
    entity: dict[str, Any] | None
    state: DeliveryState
    state_class: str
    attempts: int
    sent_at: str | None
    next_attempt_at: str | None
    answer: str
    time_ms: float | None
    error: str | None


def answer_text(outcome: AttemptOutcome | None, code: int | None) -> str:
    """What the last attempt got, in a word or a code: ``200``, ``500``, ``no answer``, ``—``."""
    if outcome is None:
        return "—"
    return "no answer" if outcome is AttemptOutcome.UNANSWERED else str(code)


def delivery_row(d: dict[str, Any]) -> DeliveryRow:
    """A delivery of the API's listing (``Webhooks.list_deliveries``) as a table row."""
    state = DeliveryState(d["state"])
    attempted = d["attempts"] > 0
    outcome = outcome_of(d["response_code"], d.get("error")) if attempted else None
    return DeliveryRow(
        id=d["id"],
        kind=d["kind"],
        redelivery_of=d.get("redelivery_of"),
        event_id=d.get("event_log_entry_id") or None,
        entity=d.get("entity"),
        state=state,
        state_class=STATE_CLASS[state],
        attempts=d["attempts"],
        sent_at=d.get("sent_at") if attempted else None,
        # only a pending delivery has a next attempt (a held one waits for an operator)
        next_attempt_at=d.get("next_attempt_at") if state is DeliveryState.PENDING else None,
        answer=answer_text(outcome, d["response_code"]),
        time_ms=None if d.get("process_time") is None else round(d["process_time"] * 1000, 1),
        error=d.get("error") if outcome is not AttemptOutcome.SUCCEEDED else None,
    )


@dataclass(frozen=True)
class AttemptView:
    """One HTTP attempt on a delivery's page: the request as sent and the receiver's answer."""

    number: int
    id: str
    sent_at: Any
    outcome: AttemptOutcome
    outcome_class: str
    answer: str
    duration_ms: float
    error: str | None
    request_headers: dict[str, str]
    request_body: str
    response_headers: dict[str, str]
    response_body: str


_OUTCOME_CLASS = {
    AttemptOutcome.SUCCEEDED: "ok",
    AttemptOutcome.REJECTED: "bad",
    AttemptOutcome.UNANSWERED: "bad",
}
#: characters of a body shown per attempt (the whole capture is in the API and the CLI)
BODY_EXCERPT = 2000


def excerpt(text: str | None, limit: int = BODY_EXCERPT) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more characters)"


def attempt_view(number: int, a: dict[str, Any]) -> AttemptView:
    """The ``number``-th attempt (1 = the first) of ``Webhooks.delivery_attempts``."""
    outcome = outcome_of(a["response_code"], a.get("error"))
    return AttemptView(
        number=number,
        id=a["id"],
        sent_at=a["started_at"],
        outcome=outcome,
        outcome_class=_OUTCOME_CLASS[outcome],
        answer=answer_text(outcome, a["response_code"]),
        duration_ms=round(float(a["process_time"]) * 1000, 1),
        error=a.get("error"),
        request_headers=dict(a.get("request_headers") or {}),
        request_body=excerpt(a.get("request_body")),
        response_headers=dict(a.get("response_headers") or {}),
        response_body=excerpt(a.get("response_body")),
    )
