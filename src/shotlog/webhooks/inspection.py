"""What ``shotlog webhooks listen`` makes of one request: its signature verdicts and a summary. Pure.

The checks recompute exactly what ``shotlog.webhooks.payloads`` signs (the same functions), so a
request shotlog sent with the listener's secrets always verifies, and anything else says why not:

- FPTR's ``X-SG-SIGNATURE``: ``sha1=`` + hex HMAC-SHA1 of the raw body with the hook's token;
- Standard Webhooks' ``webhook-signature``: ``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}``
  under a ``whsec_`` secret, one or more space-separated (a rotation signs with two), with the
  timestamp within five minutes of now (the reference libraries' tolerance).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shotlog.webhooks.payloads import sha1_signature, standard_signature, valid_signing_secret

__all__ = [
    "TOLERANCE",
    "Inspection",
    "Verdict",
    "check_sha1",
    "check_standard",
    "compact",
    "inspect_request",
]

#: seconds a Standard Webhooks timestamp may be away from now (too old or too new)
TOLERANCE = 300

VERIFIED, FAILED, UNCHECKED = "verified", "FAILED", "unchecked"


@dataclass(frozen=True)
class Verdict:
    """One signature scheme's verdict: ``verified``, ``FAILED`` or ``unchecked`` (no secret to check
    with), and why, in words."""

    scheme: str
    outcome: str
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome == FAILED


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def check_sha1(tokens: Sequence[str], raw: bytes, headers: Mapping[str, str]) -> Verdict | None:
    """``X-SG-SIGNATURE`` against each token; None when the request carries none."""
    header = _lower(headers).get("x-sg-signature")
    if header is None:
        return None
    if not tokens:
        return Verdict("sha1", UNCHECKED, "no --secret to check it with")
    if not header.startswith("sha1="):
        return Verdict("sha1", FAILED, f"expected sha1=<hex>, got {header[:20]!r}")
    if any(hmac.compare_digest(sha1_signature(t, raw), header) for t in tokens):
        return Verdict("sha1", VERIFIED)
    return Verdict("sha1", FAILED, "does not match the body under any --secret")


def check_standard(
    secrets: Sequence[str], raw: bytes, headers: Mapping[str, str], now: dt.datetime
) -> Verdict | None:
    """``webhook-signature`` against each ``whsec_`` secret; None when the request carries none."""
    h = _lower(headers)
    header = h.get("webhook-signature")
    if header is None:
        return None
    keys = [s for s in secrets if valid_signing_secret(s)]
    if not keys:
        return Verdict("standard", UNCHECKED, "no whsec_ --secret to check it with")
    msg_id, stamp_text = h.get("webhook-id"), h.get("webhook-timestamp", "")
    if not msg_id:
        return Verdict("standard", FAILED, "webhook-id is missing")
    try:
        stamp = int(stamp_text)
    except ValueError:
        return Verdict("standard", FAILED, f"webhook-timestamp is not Unix seconds: {stamp_text!r}")
    skew = now.timestamp() - stamp
    if abs(skew) > TOLERANCE:
        when = "old" if skew > 0 else "in the future"
        return Verdict("standard", FAILED, f"timestamp {abs(skew):.0f} s {when} (tolerance {TOLERANCE} s)")
    given = {sig for version, _, sig in (p.partition(",") for p in header.split()) if version == "v1"}
    for key in keys:
        expected = standard_signature([key], msg_id, stamp, raw).partition(",")[2]
        if any(hmac.compare_digest(expected, sig) for sig in given):
            return Verdict("standard", VERIFIED)
    return Verdict("standard", FAILED, "no v1 signature matches under any whsec_ --secret")


@dataclass(frozen=True)
class Inspection:
    """A request as the listener prints it."""

    title: str  #: the event type, or "batch of N", or what the body is when it is not a delivery
    subject: str  #: the entity (``Shot 12``), a status change, or ""
    delivery_id: str
    hook_id: str
    verdicts: tuple[Verdict, ...]
    body: str  #: compact JSON of what the title and subject do not already say
    lines: tuple[str, ...] = ()  #: one per item of a batch

    @property
    def failed(self) -> bool:
        return any(v.failed for v in self.verdicts)


def _link(value: Any) -> str:
    if isinstance(value, dict) and "type" in value:
        return f"{value['type']} {value.get('id', '?')}"
    return ""


def _subject(item: Mapping[str, Any]) -> str:
    if item.get("event_type") == "Webhook_Status_Change":
        return f"{item.get('previous_webhook_status')} → {item.get('webhook_status')}"
    subject = _link(item.get("entity"))
    if item.get("attribute_name"):
        subject += f" · {item['attribute_name']}"
    return subject.strip()


#: keys of an event the title and subject already show
_SHOWN = {"id", "event_type", "entity", "attribute_name", "delivery_id", "webhook_status"}


def compact(value: Any, limit: int = 400) -> str:
    """One-line JSON, cut at ``limit`` characters with an ellipsis."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def inspect_request(
    raw: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: dt.datetime, limit: int = 400
) -> Inspection:
    """Verdicts and summary of one request; never raises, whatever the body."""
    h = _lower(headers)
    verdicts = tuple(
        v
        for v in (check_sha1(secrets, raw, headers), check_standard(secrets, raw, headers, now))
        if v is not None
    )
    ids = h.get("x-sg-delivery-id") or h.get("webhook-id") or ""
    hook_id = h.get("x-sg-webhook-id", "")
    try:
        body = json.loads(raw)
    except ValueError:
        text = raw[:80].decode("utf-8", "replace")
        return Inspection("not JSON", f"{len(raw)} bytes", ids, hook_id, verdicts, compact(text, limit))
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return Inspection("not a delivery", "", ids, hook_id, verdicts, compact(body, limit))
    items = data.get("deliveries")
    if isinstance(items, list):
        lines = tuple(
            f"{i.get('event_type', '?')} {_subject(i)} (event {i.get('event_log_entry_id', '?')})"
            for i in items
            if isinstance(i, dict)
        )
        return Inspection(f"batch of {len(items)}", "", ids, hook_id, verdicts, "", lines)
    rest = {k: v for k, v in data.items() if k not in _SHOWN and v is not None}
    title = str(data.get("event_type", "no event_type"))
    return Inspection(title, _subject(data), ids, hook_id, verdicts, compact(rest, limit))
