"""The rows of the webhook tables as Python values: ids, ``Hook`` and the delivery row every way of
queueing a delivery writes (its states are ``shotlog.webhooks.states``). Shared by ``repository``
(hooks), ``dispatching``, ``claims`` and ``deliverylog``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from shotlog.webhooks.hooks import HookConfig
from shotlog.webhooks.payloads import HookSigning
from shotlog.webhooks.states import DeliveryState
from shotlog.webhooks.status import HookStatus
from shotlog.webhooks.subscriptions import HookSubscription

__all__ = [
    "DELIVERED",
    "DISCARDED",
    "HELD",
    "PENDING",
    "ROUNDS_AHEAD",
    "Hook",
    "config_values",
    "delivery_row",
    "hook_from_row",
    "new_id",
]

# the states the SQL of this package names most (``DeliveryState`` has them all, ``failed`` included)
PENDING, DELIVERED, HELD, DISCARDED = (
    DeliveryState.PENDING,
    DeliveryState.DELIVERED,
    DeliveryState.HELD,
    DeliveryState.DISCARDED,
)
#: rounds of requests a worker claims beyond the ones in flight (see ``worker.DeliveryWorker._capacity``)
ROUNDS_AHEAD = 3


_ids = random.Random(int.from_bytes(os.urandom(16), "big"))
_ids_lock = threading.Lock()


def new_id() -> str:
    """A random (version 4) UUID. Ids name rows, they are not secrets, so they come from a PRNG
    seeded from the OS: ``uuid4()`` reads ``os.urandom`` each time, which cost more than a
    delivery's HMAC in the worker's profile."""
    with _ids_lock:
        bits = _ids.getrandbits(128)
    return str(uuid.UUID(int=bits, version=4))


@dataclass(frozen=True)
class Hook:
    """A hook row: its configuration and its delivery state."""

    id: str
    config: HookConfig
    start_event_id: int
    consecutive_failures: int
    paused_until: dt.datetime | None
    num_deliveries: int
    last_success_at: dt.datetime | None
    last_error_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    #: when the status last changed (None: before shotlog recorded it)
    status_since: dt.datetime | None = None
    #: failed requests before this (a user enabling the hook) do not count towards its status
    enabled_at: dt.datetime | None = None

    @property
    def status(self) -> HookStatus:
        return self.config.status

    def subscription(self) -> HookSubscription:
        c = self.config
        return HookSubscription(
            self.id, c.entity_types, c.event_types, c.projects, c.include_in_create, self.start_event_id
        )

    def signing(self, site_url: str) -> HookSigning:
        """What of this hook shapes its requests' headers."""
        c = self.config
        return HookSigning(self.id, c.token, c.standard_webhooks, c.signing_secrets, site_url)


def hook_from_row(row: Any) -> Hook:
    m = row._mapping
    config = HookConfig(
        url=m["url"],
        name=m["name"],
        description=m["description"],
        token=m["token"],
        signing_secrets=tuple(m["signing_secrets"] or ()),
        standard_webhooks=m["standard_webhooks"],
        entity_types=m["entity_types"],
        event_types=tuple(m["event_types"]) if m["event_types"] is not None else None,
        projects=tuple(m["projects"] or ()),
        include_in_create=m["include_in_create"],
        validate_ssl_cert=m["validate_ssl_cert"],
        batch_deliveries=m["batch_deliveries"],
        ordered=m["ordered"],
        max_concurrency=m["max_concurrency"],
        timeout=m["timeout"],
        status=HookStatus(m["status"]),
        notify_emails=tuple(m["notify_emails"] or ()),
    )
    return Hook(
        id=m["id"],
        config=config,
        start_event_id=m["start_event_id"],
        consecutive_failures=m["consecutive_failures"],
        paused_until=m["paused_until"],
        num_deliveries=m["num_deliveries"],
        last_success_at=m["last_success_at"],
        last_error_at=m["last_error_at"],
        last_error=m["last_error"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        status_since=m["status_since"],
        enabled_at=m["enabled_at"],
    )


def config_values(c: HookConfig) -> dict[str, Any]:
    return {
        "url": c.url,
        "name": c.name,
        "description": c.description,
        "token": c.token,
        "signing_secrets": list(c.signing_secrets),
        "standard_webhooks": c.standard_webhooks,
        "entity_types": c.entity_types,
        "event_types": list(c.event_types) if c.event_types is not None else None,
        "projects": list(c.projects),
        "include_in_create": c.include_in_create,
        "validate_ssl_cert": c.validate_ssl_cert,
        "batch_deliveries": c.batch_deliveries,
        "ordered": c.ordered,
        "max_concurrency": c.max_concurrency,
        "timeout": c.timeout,
        "status": c.status,
        "notify_emails": list(c.notify_emails),
    }


def delivery_row(
    hook_id: str,
    event_id: int,
    kind: str,
    now: dt.datetime,
    *,
    state: str = PENDING,
    event_time: dt.datetime | None = None,
    entity: tuple[str | None, int | None] = (None, None),
    service_data: Any = None,
    redelivery_of: str | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "hook_id": hook_id,
        "event_id": event_id,
        "kind": kind,
        "service_data": service_data,
        "state": state,
        "event_time": event_time or now,
        "entity_type": entity[0],
        "entity_id": entity[1],
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_until": None,
        "last_attempt_id": None,
        "response_code": None,
        "process_time": None,
        "acknowledgement": None,
        "redelivery_of": redelivery_of,
        "created_at": now,
        "finished_at": None,
    }
