"""What goes on the wire: FPTR's JSON payload, its headers and signatures. Pure.

A delivery's body is ``{"data": {...one event...}, "timestamp": "...Z"}``, or with batched
delivery ``{"data": {"deliveries": [...]}, "timestamp": ...}``. ``X-SG-SIGNATURE`` is
``sha1=`` + the HMAC-SHA1 of the exact body bytes with the hook's token. Hooks that opt in also get
the Standard Webhooks headers: ``webhook-id`` (stable across retries), ``webhook-timestamp`` (this
attempt) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` per active secret, space-separated,
so a rotated secret and its successor both verify).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "MAX_BODY",
    "OVERSIZE_WARNING",
    "HookSigning",
    "Message",
    "batch_number",
    "body",
    "event_data",
    "headers",
    "new_signing_secret",
    "operation",
    "sha1_signature",
    "standard_signature",
    "status_change_data",
    "test_connection_data",
    "valid_signing_secret",
]

#: FPTR's size cap: a bigger payload loses meta.old_value/new_value and gains ``warning``
MAX_BODY = 1_000_000
OVERSIZE_WARNING = (
    "The payload exceeded 1 MB, so meta.old_value and meta.new_value were removed; "
    "read the EventLogEntry with id event_log_entry_id for the full values."
)
USER_AGENT = "SG event-pipeline (shotlog)"

_OPERATIONS = {"New": "create", "Change": "update", "Retirement": "delete", "Revival": "revive"}


def operation(event_type: str) -> str | None:
    """``Shotgun_Shot_Change`` → ``update``; None for non-entity event types."""
    if event_type.startswith("Shotgun_"):
        return _OPERATIONS.get(event_type.rsplit("_", 1)[-1])
    return None


def _link(kind: str | None, ident: int | None) -> dict[str, Any] | None:
    return {"type": kind, "id": ident} if kind and ident is not None else None


def _created_at(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return str(value.strftime("%Y-%m-%d %H:%M:%S.%f"))
    return None if value is None else str(value)


def event_data(row: Mapping[str, Any], delivery_id: str, data_id: str) -> dict[str, Any]:
    """The ``data`` of one event-log row (a raw ``event_log_entries`` row as a mapping)."""
    event_type = row["event_type"]
    return {
        "id": data_id,
        "event_log_entry_id": row["id"],
        "event_type": event_type,
        "operation": operation(event_type),
        "user": _link(row.get("user_type"), row.get("user_id")),
        "entity": _link(row.get("entity_type"), row.get("entity_id")),
        "project": _link("Project" if row.get("project_id") is not None else None, row.get("project_id")),
        "meta": row.get("meta"),
        "created_at": _created_at(row.get("created_at")),
        "attribute_name": row.get("attribute_name"),
        "session_uuid": row.get("session_uuid"),
        "delivery_id": delivery_id,
    }


def test_connection_data(hook_id: str) -> dict[str, Any]:
    return {
        "id": "0",
        "event_log_entry_id": 0,
        "event_type": "Test_Connection",
        "operation": None,
        "user": None,
        "entity": None,
        "project": None,
        "meta": {"type": "test_connection", "webhook_id": hook_id},
        "created_at": None,
        "attribute_name": None,
        "session_uuid": None,
    }


def status_change_data(old: str, new: str, source: str) -> dict[str, Any]:
    """FPTR's ``Webhook_Status_Change`` data; ``source`` is ``client`` (a user) or ``system``."""
    return {
        "id": "0",
        "event_type": "Webhook_Status_Change",
        "event_log_entry_id": 0,
        "webhook_status": new,
        "previous_webhook_status": old,
        "meta": {"type": "webhook_status_change", "source": source, "old_value": old, "new_value": new},
    }


def _timestamp(now: dt.datetime, *, millis: bool) -> str:
    now = now.astimezone(dt.UTC) if now.tzinfo else now
    if millis:
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def _strip_values(item: dict[str, Any]) -> dict[str, Any]:
    meta = item.get("meta")
    if not isinstance(meta, dict) or not ({"old_value", "new_value"} & meta.keys()):
        return item
    meta = {k: v for k, v in meta.items() if k not in ("old_value", "new_value")}
    return {**item, "meta": meta, "warning": OVERSIZE_WARNING}


def body(items: Sequence[dict[str, Any]], *, batched: bool, now: dt.datetime, limit: int = MAX_BODY) -> bytes:
    """The request body for ``items`` (one unless ``batched``), applying the 1 MB rule."""

    def encode(data_items: Sequence[dict[str, Any]]) -> bytes:
        data: Any = {"deliveries": list(data_items)} if batched else data_items[0]
        return orjson.dumps({"data": data, "timestamp": _timestamp(now, millis=batched)})

    raw = encode(items)
    if len(raw) > limit:
        raw = encode([_strip_values(i) for i in items])
    return raw


def sha1_signature(token: str, raw: bytes) -> str:
    """``X-SG-SIGNATURE``: ``sha1=`` and the lowercase hex HMAC-SHA1 of the raw body."""
    return "sha1=" + hmac.new(token.encode(), raw, hashlib.sha1).hexdigest()


def _secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def standard_signature(secrets_: Sequence[str], msg_id: str, timestamp: int, raw: bytes) -> str:
    """``webhook-signature``: ``v1,<base64>`` per secret over ``{id}.{timestamp}.{body}``."""
    signed = f"{msg_id}.{timestamp}.".encode() + raw
    parts = []
    for secret in secrets_:
        digest = hmac.new(_secret_bytes(secret), signed, hashlib.sha256).digest()
        parts.append("v1," + base64.b64encode(digest).decode())
    return " ".join(parts)


_batch_ids = random.Random(secrets.randbits(128))


def batch_number() -> int:
    """An ``X-SG-EVENT-BATCH-ID``: a large random decimal, like FPTR's 56-digit ones (an id, not
    a secret: a seeded PRNG is enough and much cheaper than the OS's random source)."""
    return _batch_ids.getrandbits(160)


def new_signing_secret() -> str:
    """A Standard Webhooks secret: 32 random bytes, base64, prefixed ``whsec_``."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def valid_signing_secret(secret: str) -> bool:
    try:
        return secret.startswith("whsec_") and 24 <= len(_secret_bytes(secret)) <= 64
    except (binascii.Error, ValueError):
        return False


@dataclass(frozen=True)
class HookSigning:
    """What of a hook shapes its requests' headers."""

    hook_id: str
    token: str | None
    standard_webhooks: bool
    signing_secrets: tuple[str, ...]
    site_url: str


@dataclass(frozen=True)
class Message:
    """One HTTP request: its body, its delivery ids, and the id of its batch."""

    raw: bytes
    delivery_ids: tuple[str, ...]
    batch_id: str


def headers(hook: HookSigning, message: Message, now: dt.datetime) -> dict[str, str]:
    out = {
        "Content-Type": "application/json; charset=utf-8",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        "X-SG-WEBHOOK-ID": hook.hook_id,
        # Batched requests carry several deliveries; the first one's id is the request's.
        "X-SG-DELIVERY-ID": message.delivery_ids[0],
        "X-SG-EVENT-BATCH-ID": message.batch_id,
        "X-SG-EVENT-BATCH-SIZE": str(len(message.delivery_ids)),
        "X-SG-EVENT-BATCH-INDEX": "0",
        "X-SG-WEBHOOK-SITE-URL": hook.site_url,
    }
    if hook.token:
        out["X-SG-SIGNATURE"] = sha1_signature(hook.token, message.raw)
    if hook.standard_webhooks and hook.signing_secrets:
        stamp = int(now.timestamp())
        out["webhook-id"] = message.delivery_ids[0]
        out["webhook-timestamp"] = str(stamp)
        out["webhook-signature"] = standard_signature(
            hook.signing_secrets, message.delivery_ids[0], stamp, message.raw
        )
    return out
