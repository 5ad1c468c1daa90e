"""Sending, as three named steps shared by the worker and "Test connection":

1. ``prepare``: a hook's claimed deliveries become requests (bodies built, batched by 50 when the
   hook batches); deliveries whose event left the log come back apart, to be recorded as such;
2. ``send``: one request is signed at the moment it leaves and POSTed with its timeout;
3. ``outcome``: what came back becomes the ``AttemptResult`` to record: the attempt's outcome
   (``states.AttemptOutcome``), each delivery's retry delay (or none: give up) and the hook's pause.

The steps do no database work: the worker records in its exchange transaction, the test in one of
its own. Pure but for ``send``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shotlog.clock import Clock, utcnow
from shotlog.webhooks import payloads
from shotlog.webhooks.claims import AttemptResult, ClaimedDelivery
from shotlog.webhooks.records import Hook
from shotlog.webhooks.schedule import parse_retry_after, retry_decision
from shotlog.webhooks.sender import Response, Sender
from shotlog.webhooks.states import AttemptOutcome, outcome_of
from shotlog.webhooks.status import FAILURE_THRESHOLD, probe_delay

__all__ = [
    "BATCH_SIZE",
    "REQUEST_CAPTURE",
    "Request",
    "Sent",
    "event_gone",
    "outcome",
    "prepare",
    "send",
    "time_on",
]

#: items in one batched request (FPTR's limit)
BATCH_SIZE = 50
#: bytes of a request body kept in the delivery log
REQUEST_CAPTURE = 64 * 1024
#: the kinds that describe a moment (a status change, a test): not retried when they fail
ONE_SHOT_KINDS = ("status", "test")


class Request:
    """One HTTP request being prepared or in flight, with the deliveries it carries."""

    __slots__ = ("body", "deliveries", "hook", "timeout")

    def __init__(self, hook: Hook, deliveries: list[ClaimedDelivery], body: bytes, timeout: float) -> None:
        self.hook = hook
        self.deliveries = deliveries
        self.body = body
        self.timeout = timeout


@dataclass(frozen=True)
class Sent:
    """A request as it went out (its signed headers) and what came back."""

    headers: dict[str, str]
    response: Response


def _item(d: ClaimedDelivery, index: int) -> dict[str, Any] | None:
    if d.kind in ("event", "replay"):
        if d.event is None:
            return None
        return payloads.event_data(d.event, d.id, f"{d.event_id}.{d.attempts}.{index}")
    data = dict(d.service_data or {})
    data["delivery_id"] = d.id
    return data


def prepare(
    hook: Hook, deliveries: Sequence[ClaimedDelivery], now: dt.datetime
) -> tuple[list[Request], list[ClaimedDelivery]]:
    """The requests for a hook's claimed deliveries, and the deliveries whose event is gone."""
    gone: list[ClaimedDelivery] = []
    requests: list[Request] = []
    size = BATCH_SIZE if hook.config.batch_deliveries else 1
    ready: list[tuple[ClaimedDelivery, dict[str, Any]]] = []
    for d in deliveries:
        item = _item(d, len(ready) % size)
        if item is None:
            gone.append(d)
        else:
            ready.append((d, item))
    for i in range(0, len(ready), size):
        chunk = ready[i : i + size]
        body = payloads.body([c[1] for c in chunk], batched=hook.config.batch_deliveries, now=now)
        timeout = hook.config.timeout
        if hook.config.batch_deliveries:
            timeout = max(timeout, float(len(chunk)))  # one second per event, at least the timeout
        requests.append(Request(hook, [c[0] for c in chunk], body, timeout))
    return requests, gone


async def send(sender: Sender, req: Request, site_url: str) -> Sent:
    """Sign ``req`` now (Standard Webhooks' timestamp is the sending time) and POST it."""
    hook = req.hook
    message = payloads.Message(req.body, tuple(d.id for d in req.deliveries), str(payloads.batch_number()))
    headers = payloads.headers(hook.signing(site_url), message, dt.datetime.now(dt.UTC))
    resp = await sender.post(
        hook.config.url,
        req.body,
        headers,
        timeout=req.timeout,
        verify_tls=hook.config.validate_ssl_cert,
    )
    return Sent(headers, resp)


def outcome(
    req: Request, sent: Sent, *, retry_scale: float = 1.0, failure_threshold: int = FAILURE_THRESHOLD
) -> AttemptResult:
    """The attempt to record: its outcome, when each delivery is tried again (None: give up) and
    how long the hook pauses (``status.probe_delay``)."""
    resp = sent.response
    result = outcome_of(resp.status, resp.error)
    delays: list[float | None] = []
    pause = 0.0
    if result is not AttemptOutcome.SUCCEEDED:
        retry_after = None
        if resp.status in (429, 503) and resp.headers is not None:
            retry_after = parse_retry_after(resp.headers, resp.started_at)
        pause = probe_delay(
            req.hook.consecutive_failures + 1,
            threshold=failure_threshold,
            retry_after=retry_after,
            scale=retry_scale,
        )
        # A probe (the hook's requests were failing already) tests the receiver, not the delivery:
        # its failure moves the delivery to the next probe instead of spending its retries, so a
        # receiver that is down never makes an event given up; its hook turns Failed and holds it.
        probing = req.hook.consecutive_failures > 0
        for d in req.deliveries:
            if d.kind in ONE_SHOT_KINDS:
                delays.append(None)
            elif probing:
                delays.append(pause)
            else:
                decision = retry_decision(d.attempts + 1, retry_after, scale=retry_scale)
                delays.append(None if decision.give_up else decision.delay)
    return AttemptResult(
        hook_id=req.hook.id,
        delivery_ids=[d.id for d in req.deliveries],
        attempts_before=[d.attempts for d in req.deliveries],
        started_at=resp.started_at,
        outcome=result,
        response_code=resp.status,
        process_time=round(resp.elapsed, 6),
        error=resp.error or (f"HTTP {resp.status}" if result is AttemptOutcome.REJECTED else None),
        request_headers=sent.headers,
        request_body=req.body[:REQUEST_CAPTURE].decode("utf-8", "replace"),
        response_headers=resp.headers,
        response_body=resp.body,
        retry_delays=delays,
        hook_pause=pause,
    )


def event_gone(hook_id: str, deliveries: Sequence[ClaimedDelivery], now: dt.datetime) -> AttemptResult:
    """The record for deliveries whose event left the log before they were sent: given up, no request."""
    return AttemptResult(
        hook_id=hook_id,
        delivery_ids=[d.id for d in deliveries],
        attempts_before=[d.attempts for d in deliveries],
        started_at=now,
        outcome=AttemptOutcome.UNANSWERED,
        response_code=None,
        process_time=0.0,
        error="the event is no longer in the event log",
        request_headers={},
        request_body="",
        response_headers=None,
        response_body=None,
        retry_delays=[None] * len(deliveries),
    )


def time_on(result: AttemptResult, clock: Clock) -> None:
    """Date the attempt on ``clock``, the one its deliveries and the hook's status are dated by: the
    sender reads the wall clock, which a test's shifted clock (``SHOTLOG_TEST_CLOCK_FILE``) is not."""
    if type(clock) is not Clock:
        result.started_at += clock.now() - utcnow()
