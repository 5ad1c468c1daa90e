"""The webhook settings, read from the environment (documented in docs/configuration.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shotlog.webhooks.netguard import AddressPolicy
from shotlog.webhooks.schedule import FAILURE_THRESHOLD

__all__ = ["WebhookSettings"]


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{key} must be a number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{key} must not be negative, got {raw!r}")
    return value


@dataclass(frozen=True)
class WebhookSettings:
    #: run the delivery worker inside ``shotlog serve``
    enabled: bool = True
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    #: multiplies every retry delay (tests use 0.001 to run the schedule in milliseconds)
    retry_scale: float = 1.0
    retention_days: float = 30.0
    failure_threshold: int = FAILURE_THRESHOLD
    site_url: str = "http://127.0.0.1:8000/"
    #: seconds a claim outlives the request timeout before another worker may take the delivery over
    claim_margin: float = 10.0
    #: seconds between looks for due retries when nothing wakes the worker
    poll_interval: float = 0.25

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
        env = os.environ if env is None else env
        site = env.get("SHOTLOG_WEBHOOKS_SITE_URL") or "http://127.0.0.1:8000/"
        return cls(
            enabled=env.get("SHOTLOG_WEBHOOKS", "1").strip().lower() not in ("0", "false", "no", "off"),
            policy=AddressPolicy.parse(
                env.get("SHOTLOG_WEBHOOKS_ALLOW_PRIVATE"), env.get("SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS")
            ),
            retry_scale=_float(env, "SHOTLOG_WEBHOOKS_RETRY_SCALE", 1.0),
            retention_days=_float(env, "SHOTLOG_WEBHOOKS_RETENTION_DAYS", 30.0),
            failure_threshold=int(_float(env, "SHOTLOG_WEBHOOKS_FAILURE_THRESHOLD", FAILURE_THRESHOLD)),
            site_url=site if site.endswith("/") else site + "/",
            claim_margin=_float(env, "SHOTLOG_WEBHOOKS_CLAIM_MARGIN", 10.0),
            poll_interval=_float(env, "SHOTLOG_WEBHOOKS_POLL_INTERVAL", 0.25),
        )
