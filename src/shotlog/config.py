"""Settings read from the environment; command-line options override them.

Every setting is documented in docs/configuration.md (a test checks that the two agree).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from shotlog.store.database import DEFAULT_URL

__all__ = ["SETTINGS_DOC", "Settings"]

#: name -> (default, description); the single list docs/configuration.md is checked against
SETTINGS_DOC: dict[str, tuple[str, str]] = {
    "SHOTLOG_DATABASE_URL": (DEFAULT_URL, "Database URL: sqlite:///path.db or postgresql://user@host/db"),
    "SHOTLOG_SQLITE_SYNCHRONOUS": ("FULL", "SQLite synchronous setting: FULL (durable commits) or NORMAL"),
    "SHOTLOG_HOST": ("127.0.0.1", "Address `shotlog serve` listens on (`--host`)"),
    "SHOTLOG_PORT": ("8000", "Port `shotlog serve` listens on (`--port`)"),
    "SHOTLOG_KEEPALIVE_SECONDS": (
        "86400",
        "Seconds `shotlog serve` keeps an idle client connection (`--keepalive`)",
    ),
    "SHOTLOG_MAX_IDLE_CONNECTIONS": (
        "2000",
        "Idle connections kept at most; past it the longest idle is closed (`--max-idle-connections`)",
    ),
    "SHOTLOG_TLS_CERT": ("none", "PEM certificate chain: `shotlog serve` speaks HTTPS (`--tls-cert`)"),
    "SHOTLOG_TLS_KEY": ("none", "PEM private key of the certificate (`--tls-key`)"),
    # -- values (docs/python-api.md, "Value limits")
    "SHOTLOG_MAX_TEXT_LENGTH": ("65536", "Longest value of a text field, in characters"),
    "SHOTLOG_MAX_JSON_LENGTH": (
        "1048576",
        "Longest serializable value (an event's meta), in characters of its JSON text",
    ),
    # -- export and archive (docs/export.md)
    "SHOTLOG_ARCHIVE_URL": ("none", "Archive destination: a directory, file:///path or s3://bucket/prefix"),
    "SHOTLOG_ARCHIVE_LIVE_DAYS": ("183", "Live window: events older than this many days move to the archive"),
    "SHOTLOG_ARCHIVE_KEEP_DAYS": ("1826", "Archive window: segments older than this many days are purged"),
    "SHOTLOG_ARCHIVE_INTERVAL": ("86400", "Seconds between archive runs in `shotlog serve`; 0 turns it off"),
    "SHOTLOG_ARCHIVE_SEGMENT_EVENTS": ("500000", "Most events in one archive segment and delete transaction"),
    "SHOTLOG_ARCHIVE_S3_ENDPOINT": ("none", "Endpoint URL of an S3-compatible service (MinIO, Ceph...)"),
    "SHOTLOG_ARCHIVE_S3_REGION": ("us-east-1", "Region of the archive bucket (else AWS_DEFAULT_REGION)"),
    "SHOTLOG_SERVER_SCRIPT_NAME": ("none", "Script name for `shotlog events export --server`"),
    "SHOTLOG_SERVER_API_KEY": ("none", "Script key for `shotlog events export --server`"),
    "SHOTLOG_SERVER_LOGIN": ("none", "User login for `shotlog events export --server`"),
    "SHOTLOG_SERVER_PASSWORD": ("none", "User password for `shotlog events export --server`"),
    "SHOTLOG_EXPORT_JOBS": (
        "cpu count",
        "Processes of `shotlog events export -o FILE`, this one and its workers (`--jobs`)",
    ),
    # -- webhooks (docs/webhooks.md)
    "SHOTLOG_WEBHOOKS": ("1", "Run the webhook delivery worker inside `shotlog serve` (0 turns it off)"),
    "SHOTLOG_WEBHOOKS_ALLOW_PRIVATE": ("0", "1 lets hooks reach loopback, private, link-local addresses"),
    "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": ("none", "Comma-separated networks hooks may reach (10.2.0.0/16)"),
    "SHOTLOG_WEBHOOKS_RETRY_SCALE": ("1.0", "Multiplies every retry delay and the 24 h failure window"),
    "SHOTLOG_WEBHOOKS_RETENTION_DAYS": ("30", "Days the delivery log keeps finished deliveries"),
    "SHOTLOG_WEBHOOKS_FAILURE_THRESHOLD": ("100", "Failures within the window that make a hook Failed"),
    "SHOTLOG_WEBHOOKS_SITE_URL": ("http://127.0.0.1:8000/", "Site URL sent as X-SG-WEBHOOK-SITE-URL"),
    "SHOTLOG_WEBHOOKS_CLAIM_MARGIN": ("10", "Seconds a claim's lease outlives 4x the request timeout"),
    "SHOTLOG_WEBHOOKS_POLL_INTERVAL": ("0.25", "Seconds between looks for due retries when idle"),
    # -- web UI
    "SHOTLOG_WEB_SECURE_COOKIES": ("auto", "Web UI cookies Secure: auto (over HTTPS), 1 always, 0 never"),
    # -- event daemon (docs/daemon.md)
    "SHOTLOG_DAEMON_CONFIG": (
        "none",
        "`shotlog daemon`: the shotgunEventDaemon.conf to read (`--config`); else ./ then /etc/",
    ),
    "SHOTLOG_DAEMON_<SECTION>_<KEY>": (
        "none",
        "`shotlog daemon`: overrides one key of its configuration file, e.g. SHOTLOG_DAEMON_SHOTGUN_KEY",
    ),
}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    sqlite_synchronous: str = "FULL"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("SHOTLOG_DATABASE_URL", DEFAULT_URL),
            sqlite_synchronous=env.get("SHOTLOG_SQLITE_SYNCHRONOUS", "FULL"),
        )
