"""The delivery log's page model (pure): one state per delivery, times where they apply, counts that
are the table's, and each attempt with its request and answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shotlog.web.deliveries import DeliveryCounts, attempt_view, delivery_row, excerpt
from shotlog.webhooks.states import AttemptOutcome, DeliveryState, fptr_status, outcome_of

SENT = "2026-12-07T10:00:00Z"
NEXT = "2026-12-07T10:00:05Z"


def listed(state: str, attempts: int, code: int | None, error: str | None = None) -> dict[str, Any]:
    """A delivery as ``Webhooks.delivery_log`` lists it (the keys the row reads)."""
    return {
        "id": "b3d2c1a0-1111-4222-8333-444455556666",
        "kind": "event",
        "redelivery_of": None,
        "event_log_entry_id": 731,
        "entity": {"type": "Shot", "id": 9},
        "state": state,
        "attempts": attempts,
        "sent_at": SENT if attempts else None,
        "next_attempt_at": NEXT if state == "pending" else None,
        "response_code": code,
        "process_time": 0.0042 if attempts else None,
        "error": error,
        "status": fptr_status(state, attempts),
    }


@pytest.mark.parametrize(
    ("d", "state", "sent", "next_at", "answer", "error"),
    [
        # queued, never tried: no time sent, its first attempt due
        (listed("pending", 0, None), "pending", None, NEXT, "—", None),
        # retrying after a 500: pending (FPTR's status says failed; the page shows the state only)
        (listed("pending", 2, 500, "HTTP 500"), "pending", SENT, NEXT, "500", "HTTP 500"),
        (
            listed("pending", 1, None, "timed out after 6 s"),
            "pending",
            SENT,
            NEXT,
            "no answer",
            "timed out after 6 s",
        ),
        (listed("delivered", 1, 204), "delivered", SENT, None, "204", None),
        # given up: final, no next attempt
        (listed("failed", 14, 503, "HTTP 503"), "failed", SENT, None, "503", "HTTP 503"),
        # held after a failure: waits for an operator, not for a time
        (listed("held", 1, 500, "HTTP 500"), "held", SENT, None, "500", "HTTP 500"),
        (listed("discarded", 0, None), "discarded", None, None, "—", None),
    ],
)
def test_a_row_has_one_state_and_the_times_that_apply(
    d: dict[str, Any], state: str, sent: str | None, next_at: str | None, answer: str, error: str | None
) -> None:
    row = delivery_row(d)
    assert row.state == state and isinstance(row.state, DeliveryState)
    assert (row.sent_at, row.next_attempt_at, row.answer, row.error) == (sent, next_at, answer, error)
    # nothing on the row names another state than its own
    assert row.state_class == {"pending": "info", "delivered": "ok", "failed": "bad", "held": "warn"}.get(
        state, "muted"
    )


def test_fptr_status_is_the_last_attempt_and_never_shown_as_a_state() -> None:
    retrying = listed("pending", 2, 500, "HTTP 500")
    assert retrying["status"] == "failed"  # FPTR's REST listing
    assert delivery_row(retrying).state == "pending"


COUNTS = DeliveryCounts(
    {
        DeliveryState.PENDING: 1,
        DeliveryState.DELIVERED: 2,
        DeliveryState.FAILED: 0,
        DeliveryState.HELD: 0,
        DeliveryState.DISCARDED: 0,
    }
)
NONE = DeliveryCounts(dict.fromkeys(DeliveryState, 0))


@pytest.mark.parametrize(
    ("counts", "state", "page", "rows", "total", "summary", "shown"),
    [
        (COUNTS, None, 1, 3, 3, "3 deliveries: 1 pending, 2 delivered", "1–3 of 3"),
        (COUNTS, DeliveryState.DELIVERED, 1, 2, 2, "3 deliveries: 1 pending, 2 delivered", "1–2 of 2"),
        (COUNTS, DeliveryState.FAILED, 1, 0, 0, "3 deliveries: 1 pending, 2 delivered", "none of 0"),
        (NONE, None, 1, 0, 0, "no deliveries", "none of 0"),
        (
            DeliveryCounts({**NONE.by_state, DeliveryState.DELIVERED: 1234}),
            None,
            2,
            50,
            1234,
            "1,234 deliveries: 1,234 delivered",
            "51–100 of 1,234",
        ),
        (
            DeliveryCounts({**NONE.by_state, DeliveryState.HELD: 1}),
            None,
            1,
            1,
            1,
            "1 delivery: 1 held",
            "1–1 of 1",
        ),
    ],
)
def test_counts_are_the_tables(
    counts: DeliveryCounts,
    state: DeliveryState | None,
    page: int,
    rows: int,
    total: int,
    summary: str,
    shown: str,
) -> None:
    assert counts.listed(state) == total
    assert counts.summary() == summary
    assert counts.range_shown(state, page, 50, rows) == shown


@pytest.mark.parametrize(
    ("code", "error", "outcome"),
    [
        (200, None, AttemptOutcome.SUCCEEDED),
        (302, None, AttemptOutcome.SUCCEEDED),  # FPTR: below 400 is received
        (399, None, AttemptOutcome.SUCCEEDED),
        (400, None, AttemptOutcome.REJECTED),
        (503, None, AttemptOutcome.REJECTED),
        (None, "timed out after 6 s", AttemptOutcome.UNANSWERED),
        (None, "refused: 10.0.0.1 is a private address", AttemptOutcome.UNANSWERED),
        (0, None, AttemptOutcome.UNANSWERED),  # FPTR logged code 0 as delivered; shotlog does not
    ],
)
def test_an_attempts_outcome(code: int | None, error: str | None, outcome: AttemptOutcome) -> None:
    assert outcome_of(code, error) is outcome


@pytest.mark.parametrize(
    ("state", "attempts", "status"),
    [
        ("delivered", 1, "delivered"),
        ("pending", 0, "pending"),
        ("pending", 3, "failed"),
        ("failed", 14, "failed"),
        ("held", 0, "held"),
        ("discarded", 2, "failed"),
    ],
)
def test_fptr_status(state: str, attempts: int, status: str) -> None:
    assert fptr_status(state, attempts) == status


def attempt(code: int | None, error: str | None, body: str = "ok") -> dict[str, Any]:
    return {
        "id": "a1",
        "started_at": dt.datetime(2026, 12, 7, 10, 0, 0),
        "response_code": code,
        "process_time": 0.25,
        "error": error,
        "request_headers": {"X-SG-WEBHOOK-ID": "h1", "Content-Type": "application/json"},
        "request_body": '{"data": {"event_log_entry_id": 731}}',
        "response_headers": {"Content-Type": "text/plain"} if code is not None else None,
        "response_body": body if code is not None else None,
    }


@pytest.mark.parametrize(
    ("a", "outcome", "css", "answer"),
    [
        (attempt(200, None), "succeeded", "ok", "200"),
        (attempt(500, "HTTP 500"), "rejected", "bad", "500"),
        (attempt(None, "timed out after 6 s"), "unanswered", "bad", "no answer"),
    ],
)
def test_an_attempt_shows_its_request_and_answer(
    a: dict[str, Any], outcome: str, css: str, answer: str
) -> None:
    v = attempt_view(2, a)
    assert (v.number, v.outcome, v.outcome_class, v.answer, v.duration_ms) == (2, outcome, css, answer, 250.0)
    assert v.request_headers["X-SG-WEBHOOK-ID"] == "h1"
    assert "event_log_entry_id" in v.request_body
    assert v.response_headers == (a["response_headers"] or {})
    assert v.error == a["error"]


def test_long_bodies_are_cut_with_what_is_left_said() -> None:
    assert excerpt("x" * 10, 10) == "x" * 10
    assert excerpt("x" * 2500, 2000) == "x" * 2000 + "… (500 more characters)"
    assert excerpt(None) == ""
