"""What the webhooks API returns for deliveries: a delivery in FPTR's REST shape (and shotlog's
additions), FPTR's performance metrics of a listed page, and the page itself. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shotlog.webhooks.states import DeliveryState, fptr_status

__all__ = ["BODY_PREVIEW", "DeliveryPage", "delivery_dict", "iso_time", "performance_metrics", "unix_time"]

#: characters of the response body in a delivery's ``body`` (FPTR's listing)
BODY_PREVIEW = 100


def unix_time(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.replace(tzinfo=dt.UTC).timestamp())


def iso_time(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: list[dict[str, Any]]
    performance_metrics: dict[str, Any]
    has_next: bool
    #: deliveries per state under the listing's conditions but its state (``delivery_log`` only)
    counts: dict[DeliveryState, int] | None = None
    #: deliveries per state in the hook's whole log, read with the page (``delivery_log`` only)
    log_counts: dict[DeliveryState, int] | None = None


def delivery_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery in FPTR's shape (10 keys) plus shotlog's state, attempts and links."""
    state = DeliveryState(row["state"])
    status = fptr_status(state, row["attempts"])
    body = row.get("response_body")
    return {
        "id": row["id"],
        "event_time": unix_time(row["event_time"]),
        "status": status,
        "process_time": row["process_time"],
        "response_code": row["response_code"],
        "body": body[:BODY_PREVIEW] if isinstance(body, str) else None,
        "acknowledgement": row["acknowledgement"],
        "request_headers": row.get("request_headers"),
        "response_headers": row.get("response_headers"),
        "request_body": row.get("request_body"),
        # shotlog's additions
        "hook_id": row["hook_id"],
        "event_log_entry_id": row["event_id"],
        "kind": row["kind"],
        "state": state,
        "attempts": row["attempts"],
        "next_attempt_at": iso_time(row["next_attempt_at"]) if state == DeliveryState.PENDING else None,
        "sent_at": iso_time(row.get("sent_at")),
        "error": row.get("error"),
        "response_body": body,
        "entity": {"type": row["entity_type"], "id": row["entity_id"]} if row["entity_type"] else None,
        "redelivery_of": row["redelivery_of"],
    }


def performance_metrics(deliveries: list[dict[str, Any]]) -> dict[str, Any]:
    """FPTR's ``performance_metrics`` over the listed deliveries that were attempted."""
    times = [d["process_time"] for d in deliveries if d["process_time"] is not None]
    events: list[int] = [d["event_time"] for d in deliveries if d["event_time"] is not None]
    start = min(events) if events else None
    end = max(events) if events else None
    span = max(events) - min(events) if events else 0
    total = sum(times)
    return {
        "event_count": len(deliveries),
        "event_time_span": span,
        "process_time_sum": round(total, 6),
        "mean_process_time": round(total / len(times), 6) if times else None,
        "max_process_time": max(times) if times else None,
        "min_process_time": min(times) if times else None,
        "start_event_time": start,
        "end_event_time": end,
        "process_time_ratio": round(total / span, 6) if span else None,
    }
