"""Every ``SHOTLOG_*`` setting: declared once here, read here, documented from here.

Each ``Setting`` names its variable, its type (through its parser), its default, what it means and
the section of docs/configuration.md it is listed in. The tables there are generated from these
declarations by ``update_markdown``: tests/test_docs.py fails when they drift, and
``SHOTLOG_UPDATE_DOCS=1 pytest tests/test_docs.py`` rewrites them. Other modules ask a setting for
its typed value (``WEBHOOKS_RETRY_SCALE.read()``), never the environment: the reading, the "blank
means unset" rule and the error for a value that does not parse are the same for every variable.
Command-line options of the same meaning take the variable's name from here
(``envvar=HOST.name``) and win over it.

``read`` looks at the environment each time it is called, so a test that sets a variable with
``monkeypatch.setenv`` sees it; the few values read once per process say so where they are read
(``shotlog.values.LIMITS``).

This module sits at the bottom of the layers: it imports nothing of shotlog but ``errors``, so
every layer may read its settings from it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from shotlog.errors import ValidationError

__all__ = [
    "ALL",
    "FAMILIES",
    "SECTIONS",
    "Setting",
    "SettingError",
    "SettingFamily",
    "render_markdown",
    "update_markdown",
]

T = TypeVar("T")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingError(ValidationError, ValueError):
    """A variable's value does not parse; the message names the variable.

    A ``ValidationError`` (commands print it as one line) and a ``ValueError`` (what a bad value
    is, for callers that only know the standard library)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message, field=name)


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable: its name, parser, default and documentation."""

    name: str
    #: the value when the variable is unset or blank
    default: T
    #: turns the variable's text into the value; raises ``SettingError``
    parse: Callable[[str, str], T]
    description: str
    #: the docs/configuration.md table it is listed in (a key of ``SECTIONS``)
    section: str = "general"
    #: how the docs show the default, when ``default`` itself would mislead ("cpu count")
    shown: str | None = None

    def read(self, env: Mapping[str, str] | None = None) -> T:
        """The value in ``env`` (the process environment by default), else the default."""
        raw = (os.environ if env is None else env).get(self.name)
        if raw is None or not raw.strip():
            return self.default
        return self.parse(self.name, raw)

    @property
    def shown_default(self) -> str:
        if self.shown is not None:
            return self.shown
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return "1" if self.default else "0"
        return str(self.default)


@dataclass(frozen=True)
class SettingFamily:
    """Variables named by a pattern rather than one by one (``SHOTLOG_DAEMON_<SECTION>_<KEY>``)."""

    pattern: str
    prefix: str
    description: str
    section: str = "general"
    #: declared settings whose names share the prefix and are not members
    excluded: tuple[str, ...] = ()

    def items(self, env: Mapping[str, str] | None = None) -> Iterator[tuple[str, str]]:
        """Each member set in ``env``: its full name and value."""
        for name, value in (os.environ if env is None else env).items():
            if name.startswith(self.prefix) and name not in self.excluded:
                yield name, value


# -- parsers: (name, text) -> value; each names the variable when the text does not parse


def _text(name: str, raw: str) -> str:
    return raw


def _optional_text(name: str, raw: str) -> str | None:
    """The text, where the word ``none`` (what the docs show as the default) means unset."""
    return None if raw == "none" else raw


def _path(name: str, raw: str) -> Path | None:
    return None if raw == "none" else Path(raw)


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingError(name, f"{name} must be a number, got {raw!r}") from None


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingError(name, f"{name} must be a number, got {raw!r}") from None


def _optional_int(name: str, raw: str) -> int | None:
    return _int(name, raw)


def _not_negative(name: str, raw: str) -> float:
    value = _float(name, raw)
    if value < 0:
        raise SettingError(name, f"{name} must not be negative, got {raw!r}")
    return value


def _positive(name: str, raw: str) -> float:
    value = _float(name, raw)
    if not value > 0:
        raise SettingError(name, f"{name} must be a positive number, got {raw!r}")
    return value


def _bytes(name: str, raw: str) -> int:
    """A positive number of bytes written as any number (``1048576``, ``1e6``)."""
    return int(_positive(name, raw))


def _count(name: str, raw: str) -> int:
    """A whole number of at least 0 written as any number (``100``, ``1e2``)."""
    return int(_not_negative(name, raw))


def _at_least_one(name: str, raw: str) -> int:
    """A whole number of at least 1 written as any number (``2``, ``2e0``)."""
    value = int(_float(name, raw))
    if value < 1:
        raise SettingError(name, f"{name} must be at least 1, got {raw!r}")
    return value


def _characters(name: str, raw: str) -> int:
    raw = raw.strip()
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        raise SettingError(name, f"{name} must be a positive number of characters, got {raw!r}")
    return number


def _on_unless_off(name: str, raw: str) -> bool:
    return raw.strip().lower() not in ("0", "false", "no", "off")


def _off_unless_on(name: str, raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _auto_flag(name: str, raw: str) -> bool | None:
    """True, False, or None for ``auto`` (and anything else: the default decides per request)."""
    setting = raw.lower()
    if setting in ("1", "true", "yes"):
        return True
    if setting in ("0", "false", "no"):
        return False
    return None


def _networks(name: str, raw: str) -> tuple[Network, ...]:
    nets: list[Network] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingError(name, f"{name}: {part!r} is not a network") from None
    return tuple(nets)


def _smtp_security(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("none", "starttls", "ssl"):
        raise SettingError(name, f"{name} must be starttls, ssl or none, got {raw!r}")
    return value


def _site_url(name: str, raw: str) -> str:
    return raw if raw.endswith("/") else raw + "/"


def _log_format(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("text", "json"):
        raise SettingError(name, f"{name} must be text or json, got {raw!r}")
    return value


def _address(name: str, raw: str) -> tuple[str, int] | None:
    """``host:port`` (``[::1]:9464`` for IPv6); ``none`` means unset."""
    raw = raw.strip()
    if raw == "none":
        return None
    host, colon, port = raw.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingError(name, f"{name} must be host:port, such as 127.0.0.1:9464, got {raw!r}")
    return host, int(port)


# -- the declarations, in the order the docs list them

#: the docs/configuration.md sections with a generated table, by key
SECTIONS = {
    "general": "Settings",
    "webhooks": "Webhooks",
    "web": "Web UI",
    "daemon": "Event daemon",
    "mirror": "Mirror of an FPTR site",
}

DATABASE_URL = Setting(
    "SHOTLOG_DATABASE_URL",
    "sqlite:///./shotlog.db",
    _text,
    "Database URL: sqlite:///path.db or postgresql://user@host/db",
)
SQLITE_SYNCHRONOUS = Setting(
    "SHOTLOG_SQLITE_SYNCHRONOUS",
    "FULL",
    _text,
    "SQLite synchronous setting: FULL (durable commits) or NORMAL",
)
HOST = Setting("SHOTLOG_HOST", "127.0.0.1", _text, "Address `shotlog serve` listens on (`--host`)")
PORT = Setting("SHOTLOG_PORT", 8000, _int, "Port `shotlog serve` listens on (`--port`)")
KEEPALIVE_SECONDS: Setting[float] = Setting(
    "SHOTLOG_KEEPALIVE_SECONDS",
    86_400,  # a day: longer than any gap between two calls of a pipeline tool that is in use
    _float,
    "Seconds `shotlog serve` keeps an idle client connection (`--keepalive`)",
)
MAX_IDLE_CONNECTIONS = Setting(
    "SHOTLOG_MAX_IDLE_CONNECTIONS",
    2_000,  # well below the process's file limit, which the listener raises to its hard limit
    _int,
    "Idle connections kept at most; past it the longest idle is closed (`--max-idle-connections`)",
)
HEADER_TIMEOUT: Setting[float] = Setting(
    "SHOTLOG_HEADER_TIMEOUT",
    30,
    _positive,
    "Seconds a client has to send a request's headers, from its connection or the request's first "
    "byte; a slower one's connection is closed (idle keep-alive between requests is not limited by it)",
)
BODY_TIMEOUT: Setting[float] = Setting(
    "SHOTLOG_BODY_TIMEOUT",
    60,
    _positive,
    "Seconds a request's body may take to arrive (the server's own waits not counted); a slower one "
    "is answered 408 and its connection closed. For uploads: seconds without any of the body arriving",
)
SHUTDOWN_DRAIN_SECONDS: Setting[float] = Setting(
    "SHOTLOG_SHUTDOWN_DRAIN_SECONDS",
    2,
    _float,
    "Seconds a stopping `shotlog serve` keeps its idle keep-alive connections open, answering a "
    "request on one with `Connection: close`, before it closes them (a proxy sending on one gets an "
    "answer, not a reset); 0 closes them at once",
)
API3_MAX_BODY = Setting(
    "SHOTLOG_API3_MAX_BODY",
    64 * 1024 * 1024,
    _bytes,
    "Largest api3 request body, in bytes; a larger one is answered with a fault naming the limit",
)
API3_UNAUTHENTICATED_BODY = Setting(
    "SHOTLOG_API3_UNAUTHENTICATED_BODY",
    256 * 1024,
    _bytes,
    "Largest api3 request body parsed before its caller is known, in bytes; the rest of a larger "
    "one is read and parsed only once the credentials within its first this many bytes (`params[0]`, "
    "where shotgun_api3 puts them) are accepted, else it is answered with a fault naming the limit",
)
API3_LARGE_PARSES = Setting(
    "SHOTLOG_API3_LARGE_PARSES",
    1,
    _at_least_one,
    "api3 request bodies over 256 KiB one server process parses at a time; more wait their turn",
)
REST_MAX_BODY = Setting(
    "SHOTLOG_REST_MAX_BODY",
    8 * 1024 * 1024,
    _bytes,
    "Largest body of a REST API, export or daemon request, in bytes (uploads have "
    "`SHOTLOG_FILES_MAX_BYTES`); a larger one is answered 413 before it is read",
)
FORM_MAX_BODY = Setting(
    "SHOTLOG_FORM_MAX_BODY",
    1024 * 1024,
    _bytes,
    "Largest body of a web UI form post, in bytes; a larger one is answered 413 before it is read",
)
TLS_CERT = Setting(
    "SHOTLOG_TLS_CERT", None, _path, "PEM certificate chain: `shotlog serve` speaks HTTPS (`--tls-cert`)"
)
TLS_KEY = Setting("SHOTLOG_TLS_KEY", None, _path, "PEM private key of the certificate (`--tls-key`)")
LOG_FORMAT = Setting(
    "SHOTLOG_LOG_FORMAT",
    "text",
    _log_format,
    "`shotlog serve`'s log lines: `text`, or `json` for one JSON object a line; either way one line "
    "per request with its request id ([operations.md](operations.md#logs))",
)
METRICS_TOKEN: Setting[str | None] = Setting(
    "SHOTLOG_METRICS_TOKEN",
    None,
    _optional_text,
    "Bearer token a Prometheus scrape of `/metrics` must send (`Authorization: Bearer ...`); "
    "without it or `SHOTLOG_METRICS_ADDRESS`, `/metrics` is off ([operations.md](operations.md#metrics))",
)
METRICS_ADDRESS: Setting[tuple[str, int] | None] = Setting(
    "SHOTLOG_METRICS_ADDRESS",
    None,
    _address,
    "`host:port` of a listener of its own that serves `/metrics` (and `/readyz`) to the network "
    "that may reach it, e.g. `127.0.0.1:9464`; one per `shotlog serve` process",
)
SCRIPT_NAME: Setting[str | None] = Setting(
    "SHOTLOG_SCRIPT_NAME",
    None,
    _text,
    "With `SHOTLOG_SCRIPT_KEY`: the ApiUser `shotlog serve` creates or updates at start",
)
SCRIPT_KEY: Setting[str | None] = Setting("SHOTLOG_SCRIPT_KEY", None, _text, "That ApiUser's script key")
ADMIN_LOGIN: Setting[str | None] = Setting(
    "SHOTLOG_ADMIN_LOGIN",
    None,
    _text,
    "With `SHOTLOG_ADMIN_PASSWORD`: the admin HumanUser `shotlog serve` creates or updates at start; "
    "with none of these four on a fresh database, an admin and a script are made and their secrets "
    "printed once on a terminal (never into a log: elsewhere only their names are)",
)
ADMIN_PASSWORD: Setting[str | None] = Setting("SHOTLOG_ADMIN_PASSWORD", None, _text, "That admin's password")
MAX_TEXT_LENGTH = Setting(
    "SHOTLOG_MAX_TEXT_LENGTH",
    65_536,
    _characters,
    "Longest value of a text field, in characters; longer ones are refused with a fault naming the "
    "field ([python-api.md](python-api.md#value-limits)). Read by every process that writes "
    "(`serve`, the Python API, the CLI)",
)
MAX_JSON_LENGTH = Setting(
    "SHOTLOG_MAX_JSON_LENGTH",
    1_048_576,
    _characters,
    "Longest serializable value (an event's `meta`), in characters of its compact JSON text",
)
ARCHIVE_URL = Setting(
    "SHOTLOG_ARCHIVE_URL",
    None,
    _optional_text,
    "Archive destination: a directory, file:///path or s3://bucket/prefix; none disables the archive "
    "([export.md](export.md))",
)
ARCHIVE_LIVE_DAYS = Setting(
    "SHOTLOG_ARCHIVE_LIVE_DAYS",
    183,
    _int,
    "Live window: events older than this many days move to the archive",
)
ARCHIVE_KEEP_DAYS = Setting(
    "SHOTLOG_ARCHIVE_KEEP_DAYS",
    1826,  # five years
    _int,
    "Archive window: segments older than this many days are purged",
)
ARCHIVE_INTERVAL: Setting[float] = Setting(
    "SHOTLOG_ARCHIVE_INTERVAL",
    86_400,
    _float,
    "Seconds between archive runs inside `shotlog serve`; 0 turns the schedule off",
)
ARCHIVE_SEGMENT_EVENTS = Setting(
    "SHOTLOG_ARCHIVE_SEGMENT_EVENTS",
    500_000,
    _int,
    "Most events in one archive segment (and one delete transaction)",
)
ARCHIVE_S3_ENDPOINT = Setting(
    "SHOTLOG_ARCHIVE_S3_ENDPOINT",
    None,
    _optional_text,
    "Endpoint URL of an S3-compatible service (MinIO, Ceph...); none: AWS",
)
ARCHIVE_S3_REGION: Setting[str | None] = Setting(
    "SHOTLOG_ARCHIVE_S3_REGION",
    None,  # unset: AWS_DEFAULT_REGION, else us-east-1 (archive/storage.py)
    _text,
    "Region of the archive bucket (else `AWS_DEFAULT_REGION`); credentials come from boto3's chain "
    "(`AWS_ACCESS_KEY_ID`...)",
    shown="us-east-1",
)
FILES_URL = Setting(
    "SHOTLOG_FILES_URL",
    None,  # unset: a directory named after the SQLite file (<name>.files), else ./shotlog-files
    _optional_text,
    "Where uploaded files and thumbnails are kept: a directory, file:///path or s3://bucket/prefix "
    "([files.md](files.md))",
    shown="<database>.files",
)
FILES_S3_ENDPOINT = Setting(
    "SHOTLOG_FILES_S3_ENDPOINT",
    None,
    _optional_text,
    "Endpoint URL of the files bucket's S3-compatible service; none: AWS",
)
FILES_S3_REGION: Setting[str | None] = Setting(
    "SHOTLOG_FILES_S3_REGION",
    None,  # unset: AWS_DEFAULT_REGION, else us-east-1
    _text,
    "Region of the files bucket (else `AWS_DEFAULT_REGION`)",
    shown="us-east-1",
)
FILES_MAX_BYTES = Setting(
    "SHOTLOG_FILES_MAX_BYTES",
    10 * 1024**3,
    _count,
    "Largest file an upload may store, in bytes; a larger one is refused before it is stored",
)
FILES_DIRECT_UPLOADS = Setting(
    "SHOTLOG_FILES_DIRECT_UPLOADS",
    True,
    _on_unless_off,
    "Clients upload with PUTs to an upload URL (a presigned one on S3), in parts above 20 MB; "
    "off: they post forms to /upload/*",
)
FILES_URL_SECONDS = Setting(
    "SHOTLOG_FILES_URL_SECONDS",
    3600,
    _count,
    "How long a thumbnail, download or upload URL stays valid, in seconds",
)
PUBLIC_URL: Setting[str | None] = Setting(
    "SHOTLOG_PUBLIC_URL",
    None,
    _optional_text,
    "The site's address as clients reach it, for the file and thumbnail URLs reads return; "
    "none: the address each request was made to",
)
SERVER_SCRIPT_NAME = Setting(
    "SHOTLOG_SERVER_SCRIPT_NAME", None, _optional_text, "Script name for `shotlog events export --server`"
)
SERVER_API_KEY = Setting(
    "SHOTLOG_SERVER_API_KEY", None, _optional_text, "Script key for `shotlog events export --server`"
)
SERVER_LOGIN = Setting(
    "SHOTLOG_SERVER_LOGIN", None, _optional_text, "User login for `shotlog events export --server`"
)
SERVER_PASSWORD = Setting(
    "SHOTLOG_SERVER_PASSWORD", None, _optional_text, "User password for `shotlog events export --server`"
)
EXPORT_JOBS = Setting(
    "SHOTLOG_EXPORT_JOBS",
    None,
    _optional_int,
    "Processes of `shotlog events export -o FILE`, this one and its workers (`--jobs`); 1 exports in "
    "a single process ([export.md](export.md))",
    shown="cpu count",
)
TEST_DATABASE_URL = Setting(
    "SHOTLOG_TEST_DATABASE_URL",
    None,
    _optional_text,
    "Test suite only: a PostgreSQL server to run the tests against",
    shown="unset (SQLite)",
)
TEST_CLOCK_FILE = Setting(
    "SHOTLOG_TEST_CLOCK_FILE",
    None,
    _path,
    "Test suite only: a file holding seconds added to the time the sign-in throttle reads "
    "(`shotlog.clock`), so tests move its windows on without sleeping",
)
SIGNIN_WINDOW_SECONDS: Setting[float] = Setting(
    "SHOTLOG_SIGNIN_WINDOW_SECONDS",
    900,
    _not_negative,
    "Failed sign-ins are counted, and repeats folded into one event, over windows of this many "
    "seconds; a throttled login or address is refused until its failures fall out of the window "
    "([operations.md](operations.md#sign-in-throttling))",
)
SIGNIN_LOGIN_FAILURES = Setting(
    "SHOTLOG_SIGNIN_LOGIN_FAILURES",
    10,
    _count,
    "Failed sign-ins of one login (from any address) in a window after which its sign-ins are "
    "refused without a password check (web 429, REST 429 with `Retry-After`, api3 fault); 0: no limit",
)
SIGNIN_ADDRESS_FAILURES = Setting(
    "SHOTLOG_SIGNIN_ADDRESS_FAILURES",
    30,
    _count,
    "Failed sign-ins from one client address (any login) in a window after which its sign-ins "
    "are refused the same way; 0: no limit",
)

WEBHOOKS = Setting(
    "SHOTLOG_WEBHOOKS",
    True,
    _on_unless_off,
    "Run the webhook delivery worker inside `shotlog serve` (0 turns it off; `shotlog worker` "
    "processes deliver instead)",
    "webhooks",
)
WEBHOOKS_ALLOW_PRIVATE = Setting(
    "SHOTLOG_WEBHOOKS_ALLOW_PRIVATE",
    False,
    _off_unless_on,
    "`1` lets hooks and server-delivered Action Menu Items reach loopback, private, link-local and "
    "other internal addresses",
    "webhooks",
)
WEBHOOKS_ALLOWED_NETWORKS: Setting[tuple[Network, ...]] = Setting(
    "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS",
    (),
    _networks,
    "Comma-separated networks hooks and server-delivered Action Menu Items may reach although "
    "internal, e.g. `127.0.0.0/8,10.2.0.0/16`",
    "webhooks",
    shown="none",
)
WEBHOOKS_RETRY_SCALE = Setting(
    "SHOTLOG_WEBHOOKS_RETRY_SCALE",
    1.0,
    _not_negative,
    "Multiplies every retry delay and the 24-hour failure window (tests use `0.001`)",
    "webhooks",
)
WEBHOOKS_RETENTION_DAYS: Setting[float] = Setting(
    "SHOTLOG_WEBHOOKS_RETENTION_DAYS",
    30,
    _not_negative,
    "Days the delivery log keeps finished (delivered, failed, discarded) deliveries and attempts",
    "webhooks",
)
WEBHOOKS_FAILURE_THRESHOLD = Setting(
    "SHOTLOG_WEBHOOKS_FAILURE_THRESHOLD",
    100,
    _count,
    "Failed requests within the window that make a hook Failed (FPTR's rule)",
    "webhooks",
)
WEBHOOKS_SITE_URL = Setting(
    "SHOTLOG_WEBHOOKS_SITE_URL",
    "http://127.0.0.1:8000/",
    _site_url,
    "Sent as `X-SG-WEBHOOK-SITE-URL`: the URL receivers call back",
    "webhooks",
)
WEBHOOKS_CLAIM_MARGIN: Setting[float] = Setting(
    "SHOTLOG_WEBHOOKS_CLAIM_MARGIN",
    10,
    _not_negative,
    "Seconds a claimed delivery's lease outlives four times its request timeout; a dead worker's "
    "deliveries are taken over when their leases expire",
    "webhooks",
)
WEBHOOKS_POLL_INTERVAL = Setting(
    "SHOTLOG_WEBHOOKS_POLL_INTERVAL",
    0.25,
    _not_negative,
    "Seconds between looks for due retries when nothing wakes the worker",
    "webhooks",
)
WEBHOOKS_SMTP_SERVER: Setting[str | None] = Setting(
    "SHOTLOG_WEBHOOKS_SMTP_SERVER",
    None,
    _optional_text,
    "SMTP server for a hook's status emails (its `notify_emails`); none: the `[emails]` section of "
    "the daemon's file named by `SHOTLOG_DAEMON_CONFIG`, if it has one enabled, else no email",
    "webhooks",
)
WEBHOOKS_SMTP_PORT = Setting(
    "SHOTLOG_WEBHOOKS_SMTP_PORT", 0, _int, "Its port; 0: 465 with `ssl`, else 25", "webhooks"
)
WEBHOOKS_SMTP_SECURITY = Setting(
    "SHOTLOG_WEBHOOKS_SMTP_SECURITY",
    "none",
    _smtp_security,
    "`starttls` (the daemon's `useTLS`), `ssl` (implicit TLS, `useSSL`) or `none`",
    "webhooks",
)
WEBHOOKS_SMTP_USERNAME: Setting[str | None] = Setting(
    "SHOTLOG_WEBHOOKS_SMTP_USERNAME", None, _optional_text, "SMTP AUTH user (none: no AUTH)", "webhooks"
)
WEBHOOKS_SMTP_PASSWORD: Setting[str | None] = Setting(
    "SHOTLOG_WEBHOOKS_SMTP_PASSWORD", None, _optional_text, "SMTP AUTH password", "webhooks"
)
WEBHOOKS_SMTP_FROM = Setting(
    "SHOTLOG_WEBHOOKS_SMTP_FROM",
    "shotlog@localhost",
    _text,
    "Sender address of the status emails",
    "webhooks",
)

WEB_SECURE_COOKIES: Setting[bool | None] = Setting(
    "SHOTLOG_WEB_SECURE_COOKIES",
    None,
    _auto_flag,
    "Web UI cookies marked Secure: `auto` marks them when the request came over HTTPS; `1` always "
    "(set it behind a TLS-terminating proxy, where shotlog sees plain HTTP); `0` never",
    "web",
    shown="auto",
)

DAEMON_CONFIG = Setting(
    "SHOTLOG_DAEMON_CONFIG",
    None,
    _optional_text,
    "The `shotgunEventDaemon.conf` to read (`--config` wins); else `./shotgunEventDaemon.conf`, then "
    "`/etc/shotgunEventDaemon.conf`",
    "daemon",
)
DAEMON_OVERRIDES = SettingFamily(
    "SHOTLOG_DAEMON_<SECTION>_<KEY>",
    "SHOTLOG_DAEMON_",
    "Overrides one key of the file, e.g. `SHOTLOG_DAEMON_SHOTGUN_KEY` (`[shotgun] key`), "
    "`SHOTLOG_DAEMON_SHOTLOG_SOURCE`; an unknown key is an error",
    "daemon",
    excluded=(DAEMON_CONFIG.name,),
)
MIRROR_CONFIG = Setting(
    "SHOTLOG_MIRROR_CONFIG",
    None,
    _optional_text,
    "A file in the daemon's format whose `[mirror]` section gives the options below by key "
    "(`site`, `script_name`, `api_key`, ...; `--config` wins)",
    "mirror",
)
MIRROR_SITE = Setting(
    "SHOTLOG_MIRROR_SITE",
    None,
    _optional_text,
    "URL of the FPTR site `shotlog mirror run` follows (`--site`)",
    "mirror",
)
MIRROR_SCRIPT_NAME = Setting(
    "SHOTLOG_MIRROR_SCRIPT_NAME",
    None,
    _optional_text,
    "The site's script (ApiUser) to read as (`--script-name`)",
    "mirror",
)
MIRROR_API_KEY = Setting(
    "SHOTLOG_MIRROR_API_KEY", None, _optional_text, "That script's key (`--api-key`)", "mirror"
)
MIRROR_LOGIN = Setting(
    "SHOTLOG_MIRROR_LOGIN", None, _optional_text, "Or a person's login on the site (`--login`)", "mirror"
)
MIRROR_PASSWORD = Setting("SHOTLOG_MIRROR_PASSWORD", None, _optional_text, "That person's password", "mirror")
MIRROR_POLL_INTERVAL: Setting[float] = Setting(
    "SHOTLOG_MIRROR_POLL_INTERVAL",
    1.0,
    _positive,
    "Seconds between two reads of the site's event log once the mirror has caught up",
    "mirror",
)
MIRROR_BATCH = Setting(
    "SHOTLOG_MIRROR_BATCH",
    500,
    _count,
    "Events read from the site per request (FPTR pages hold 500)",
    "mirror",
)
MIRROR_GAP_TIMEOUT: Setting[float] = Setting(
    "SHOTLOG_MIRROR_GAP_TIMEOUT",
    120.0,
    _positive,
    "Seconds, on the site's clock, an event id missing below later ones may still commit; the "
    "events after it wait for it that long at most",
    "mirror",
)
MIRROR_RATE_LIMIT: Setting[float] = Setting(
    "SHOTLOG_MIRROR_RATE_LIMIT",
    10.0,
    _not_negative,
    "Requests per second the mirror sends the site at most (0: no limit)",
    "mirror",
)
MIRROR_NAME_FETCH_RATE: Setting[float] = Setting(
    "SHOTLOG_MIRROR_NAME_FETCH_RATE",
    1.0,
    _not_negative,
    "Requests per second, at most, asking the site for the names of linked entities its events did "
    "not name or renamed (one `find` per entity type per request; 0: names only as events give them)",
    "mirror",
)
MIRROR_RETRY_MAX: Setting[float] = Setting(
    "SHOTLOG_MIRROR_RETRY_MAX",
    300.0,
    _positive,
    "Longest wait, in seconds, between two tries while the site is unreachable or answers 429/5xx",
    "mirror",
)

#: every declared setting, in the order of the docs
ALL: tuple[Setting[object], ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, Setting)
)
FAMILIES: tuple[SettingFamily, ...] = (DAEMON_OVERRIDES,)


# -- docs/configuration.md


def _row(name: str, shown: str, description: str) -> str:
    return f"| `{name}` | `{shown}` | {description} |"


def render_markdown(section: str) -> str:
    """The table of one section, as docs/configuration.md holds it between its markers."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    rows += [_row(s.name, s.shown_default, s.description) for s in ALL if s.section == section]
    rows += [_row(f.pattern, "none", f.description) for f in FAMILIES if f.section == section]
    return "\n".join(rows)


def _markers(section: str) -> tuple[str, str]:
    return (
        f"<!-- settings:{section} (generated from src/shotlog/settings.py; do not edit) -->",
        f"<!-- /settings:{section} -->",
    )


def update_markdown(text: str) -> str:
    """``text`` (docs/configuration.md) with each marked table regenerated from the declarations."""
    for section in SECTIONS:
        begin, end = _markers(section)
        head, found, rest = text.partition(begin)
        if not found:
            raise ValueError(f"no {begin} marker")
        _old, found, tail = rest.partition(end)
        if not found:
            raise ValueError(f"no {end} marker")
        text = f"{head}{begin}\n{render_markdown(section)}\n{end}{tail}"
    return text
