"""The webhook settings, read through ``shotlog.settings`` (documented in docs/configuration.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shotlog.settings import (
    WEBHOOKS,
    WEBHOOKS_CLAIM_MARGIN,
    WEBHOOKS_FAILURE_THRESHOLD,
    WEBHOOKS_POLL_INTERVAL,
    WEBHOOKS_RETENTION_DAYS,
    WEBHOOKS_RETRY_SCALE,
    WEBHOOKS_SITE_URL,
)
from shotlog.webhooks.netguard import AddressPolicy

__all__ = ["WebhookSettings"]


@dataclass(frozen=True)
class WebhookSettings:
    #: run the delivery worker inside ``shotlog serve``
    enabled: bool = WEBHOOKS.default
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    #: multiplies every retry delay (tests use 0.001 to run the schedule in milliseconds)
    retry_scale: float = WEBHOOKS_RETRY_SCALE.default
    retention_days: float = WEBHOOKS_RETENTION_DAYS.default
    failure_threshold: int = WEBHOOKS_FAILURE_THRESHOLD.default
    site_url: str = WEBHOOKS_SITE_URL.default
    #: seconds a claim outlives the request timeout before another worker may take the delivery over
    claim_margin: float = WEBHOOKS_CLAIM_MARGIN.default
    #: seconds between looks for due retries when nothing wakes the worker
    poll_interval: float = WEBHOOKS_POLL_INTERVAL.default

    @classmethod
    def for_server(cls) -> WebhookSettings:
        """``from_env`` for ``shotlog serve`` and ``shotlog worker``: a bad setting stops the program
        with a one-line message instead of a traceback."""
        try:
            return cls.from_env()
        except ValueError as exc:
            raise SystemExit(f"Error: {exc}") from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        return cls(
            enabled=WEBHOOKS.read(env),
            policy=AddressPolicy.from_env(env),
            retry_scale=WEBHOOKS_RETRY_SCALE.read(env),
            retention_days=WEBHOOKS_RETENTION_DAYS.read(env),
            failure_threshold=WEBHOOKS_FAILURE_THRESHOLD.read(env),
            site_url=WEBHOOKS_SITE_URL.read(env),
            claim_margin=WEBHOOKS_CLAIM_MARGIN.read(env),
            poll_interval=WEBHOOKS_POLL_INTERVAL.read(env),
        )
