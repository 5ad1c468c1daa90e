"""A hook's configuration and its validation against the schema. Pure.

``parse_hook`` turns a create or update request (FPTR's REST body; the CLI and Python API build the
same mapping) into a ``HookConfig``, or raises ``HookInvalid`` naming the field and the value, with
FPTR's messages where FPTR has one. Unlike FPTR it refuses what would make a hook that never fires:
unknown entity types or fields, excluded types, unknown built-in event types, projects filters on
non-project types.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from shotlog.errors import ValidationError, shown
from shotlog.schema.global_events import FPTR_GLOBAL_EVENT_TYPES, SCHEMA_EVENT_TYPES
from shotlog.schema.model import Schema
from shotlog.webhooks.payloads import valid_signing_secret
from shotlog.webhooks.status import HookStatus

__all__ = [
    "ACTIONS",
    "DEFAULT_TIMEOUT",
    "GLOBAL_EVENT_TYPES",
    "HookConfig",
    "HookInvalid",
    "excluded_type",
    "parse_hook",
]

ACTIONS = ("create", "update", "delete", "revive")
DEFAULT_TIMEOUT = 6.0
MAX_CONCURRENCY = 100
MAX_TEXT = 10_000
#: addresses one hook may notify
MAX_NOTIFY = 20
#: an address as SMTP takes it: something@domain, no spaces, commas or angle brackets
_EMAIL = re.compile(r"[^@\s,<>\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")

#: The non-entity event types FPTR hooks can subscribe to (one list, in shotlog.schema.global_events)
GLOBAL_EVENT_TYPES: tuple[str, ...] = FPTR_GLOBAL_EVENT_TYPES
#: Event types under these prefixes are FPTR's own: only the listed ones are subscribable.
_RESERVED_PREFIXES = ("Shotgun_", "ShotGrid_", "SG_", "CRS_", "ClientUser_")
_EVENT_NAME = re.compile(r"[A-Za-z0-9_*?\[\]!.-]{1,255}")
#: Keys a client may send back from a read; they are ignored, not refused.
_READ_ONLY = {
    "id",
    "num_deliveries",
    "is_token_set",
    "is_signing_secret_set",
    "created_at",
    "updated_at",
    "last_success_at",
    "last_error_at",
    "last_error",
    "pending_deliveries",
    "held_deliveries",
    "failures_in_window",
    "failure_threshold",
    "status_since",
    "links",
    "type",
}
_WRITABLE = {
    "url",
    "name",
    "description",
    "token",
    "validate_ssl_cert",
    "batch_deliveries",
    "projects",
    "entity_types",
    "event_type",
    "event_types",
    "status",
    "include_in_create",
    "ordered",
    "max_concurrency",
    "timeout",
    "standard_webhooks",
    "signing_secret",
    "notify_emails",
}


class HookInvalid(ValidationError):
    """A hook request is invalid; ``field`` names the offending key (FPTR's ``source``)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, field=field_name)
        self.field = field_name


@dataclass(frozen=True)
class HookConfig:
    """Everything a user configures on a hook."""

    url: str
    name: str = ""
    description: str = ""
    token: str | None = None
    #: Standard Webhooks secrets, newest first (two during a rotation)
    signing_secrets: tuple[str, ...] = ()
    standard_webhooks: bool = False
    entity_types: dict[str, dict[str, list[str]]] | None = None
    event_types: tuple[str, ...] | None = None
    projects: tuple[int, ...] = ()
    include_in_create: bool = False
    validate_ssl_cert: bool = True
    batch_deliveries: bool = False
    ordered: bool = False
    max_concurrency: int = 10
    timeout: float = DEFAULT_TIMEOUT
    status: HookStatus = HookStatus.ACTIVE
    #: shotlog's "Notify when unstable": mailed when the hook turns Unstable or Failed
    notify_emails: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


def excluded_type(name: str) -> bool:
    """Entity types no lifecycle hook may target (FPTR's guide): ApiUser, EventLogEntry, connections."""
    return name in ("ApiUser", "EventLogEntry") or "Connection" in name


def _bool(body: Mapping[str, Any], key: str) -> bool:
    value = body[key]
    if not isinstance(value, bool):
        raise HookInvalid(key, f"{key} must be true or false, got {value!r}")
    return value


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body[key]
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise HookInvalid(
            key, f"{key} must be a string of at most {MAX_TEXT} characters, got {shown(value, 120)}"
        )
    return value


def _entity_types(raw: Any, schema: Schema) -> dict[str, dict[str, list[str]]]:
    if not isinstance(raw, Mapping) or not raw:
        raise HookInvalid(
            "entity_types",
            f"entity_types is not valid: expected an object of entity types, got {shown(raw, 120)}",
        )
    out: dict[str, dict[str, list[str]]] = {}
    for etype, actions in raw.items():
        if not schema.has_entity(etype):
            raise HookInvalid("entity_types", f"entity_types is not valid: unknown entity type {etype!r}")
        if excluded_type(etype):
            raise HookInvalid("entity_types", f"entity_types is not valid: {etype} cannot be subscribed to")
        if not isinstance(actions, Mapping) or not actions:
            raise HookInvalid(
                "entity_types",
                f"entity_types is not valid: {etype} needs an object of actions "
                f"({', '.join(ACTIONS)}), got {shown(actions, 120)}",
            )
        clean: dict[str, list[str]] = {}
        for action, fields in actions.items():
            if action not in ACTIONS:
                raise HookInvalid(
                    "entity_types",
                    f"entity_types is not valid: unknown action {action!r} for {etype}; "
                    f"use {', '.join(ACTIONS)}",
                )
            if fields is None:
                fields = []
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise HookInvalid(
                    "entity_types",
                    f"entity_types is not valid: {etype}.{action} must be a list of field names",
                )
            if fields and action != "update":
                raise HookInvalid(
                    "entity_types",
                    f"entity_types is not valid: only update takes a field list ({etype}.{action})",
                )
            for f in fields:
                if not schema.has_field(etype, f):
                    raise HookInvalid(
                        "entity_types", f"entity_types is not valid: {etype} has no field {f!r}"
                    )
            clean[action] = list(dict.fromkeys(fields))
        out[etype] = clean
    return out


def _event_types(raw: Any, key: str, schema: Schema) -> tuple[str, ...]:
    names = [raw] if key == "event_type" else raw
    if key == "event_type":
        if not isinstance(raw, str):
            raise HookInvalid(key, "event_type must be a string")
        if not raw.strip():
            raise HookInvalid(key, "event_type must be filled")
    elif not isinstance(raw, list) or not raw or not all(isinstance(n, str) and n for n in raw):
        raise HookInvalid(
            key, f"event_types must be a non-empty list of event type names, got {shown(raw, 120)}"
        )
    for name in names:
        if not _EVENT_NAME.fullmatch(name):
            raise HookInvalid(key, f"event_type is not valid: {name!r}")
        if name.startswith(_RESERVED_PREFIXES) and not _known_event_type(name, schema):
            raise HookInvalid(
                key,
                f"event_type is not valid: {name!r} is not one of FPTR's subscribable event types "
                "(docs/webhooks.md lists them); use entity_types for entity lifecycle events",
            )
    return tuple(dict.fromkeys(names))


def _known_event_type(pattern: str, schema: Schema) -> bool:
    if any(fnmatchcase(name, pattern) for name in (*GLOBAL_EVENT_TYPES, *SCHEMA_EVENT_TYPES)):
        return True
    # Shotgun_<Type>_<New|Change|Retirement|Revival> of a known type, as a name or a pattern
    for etype in schema.types:
        if excluded_type(etype):
            continue
        for suffix in ("New", "Change", "Retirement", "Revival"):
            if fnmatchcase(f"Shotgun_{etype}_{suffix}", pattern):
                return True
    return False


def _projects(raw: Any) -> tuple[int, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) and p > 0 for p in raw
    ):
        raise HookInvalid("projects", f"projects must be a list of project ids, got {shown(raw, 120)}")
    return tuple(dict.fromkeys(raw))


def _emails(raw: Any) -> tuple[str, ...]:
    """``notify_emails``: a list of addresses (or one string of them, separated by commas)."""
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not all(isinstance(a, str) for a in items):
        raise HookInvalid(
            "notify_emails", f"notify_emails must be a list of email addresses, got {shown(raw, 120)}"
        )
    out = tuple(dict.fromkeys(a.strip() for a in items if a.strip()))
    for address in out:
        if not _EMAIL.fullmatch(address):
            raise HookInvalid(
                "notify_emails", f"notify_emails: {shown(address, 120)} is not an email address"
            )
    if len(out) > MAX_NOTIFY:
        raise HookInvalid(
            "notify_emails", f"notify_emails takes at most {MAX_NOTIFY} addresses, got {len(out)}"
        )
    return out


def parse_hook(body: Any, schema: Schema, existing: HookConfig | None = None) -> HookConfig:
    """A create request (``existing`` None) or a partial update of ``existing``, validated."""
    if not isinstance(body, Mapping):
        raise HookInvalid("body", f"The request body must be a JSON object, got {shown(body, 120)}")
    creating = existing is None
    if not creating and not body:
        raise HookInvalid("body", "ensure_field_present: the request body has no field to update")
    unknown = sorted(set(body) - _WRITABLE - _READ_ONLY)
    if unknown:
        raise HookInvalid(unknown[0], f"{unknown[0]} is not a webhook field")
    changes: dict[str, Any] = {}
    if creating and body.get("url") in (None, ""):
        raise HookInvalid("url", "url is missing")
    if "url" in body:
        url = body["url"]
        if not isinstance(url, str) or not url.strip():
            raise HookInvalid(
                "url",
                "url is missing" if url in (None, "") else f"url must be a string, got {shown(url, 120)}",
            )
        if len(url) > 2048:
            raise HookInvalid("url", "url must be at most 2048 characters")
        changes["url"] = url.strip()
    for key in ("name", "description"):
        if key in body:
            changes[key] = _text(body, key)
    for key in ("validate_ssl_cert", "batch_deliveries", "include_in_create", "ordered", "standard_webhooks"):
        if key in body:
            changes[key] = _bool(body, key)
    if "token" in body:
        token = body["token"]
        if token is not None and (not isinstance(token, str) or len(token) > 1024):
            raise HookInvalid(
                "token", "token must be a string of at most 1024 characters, or null to remove it"
            )
        changes["token"] = token or None
    if "signing_secret" in body:
        secret = body["signing_secret"]
        if secret is None:
            changes["signing_secrets"] = ()
        elif not isinstance(secret, str) or not valid_signing_secret(secret):
            raise HookInvalid(
                "signing_secret",
                "signing_secret must be whsec_ followed by 24 to 64 bytes in base64, or null",
            )
        else:
            # a new secret is a rotation: the previous one keeps signing next to it until replaced
            old = existing.signing_secrets[:1] if existing else ()
            changes["signing_secrets"] = (secret, *[s for s in old if s != secret])
    if "max_concurrency" in body:
        value = body["max_concurrency"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
            raise HookInvalid(
                "max_concurrency",
                f"max_concurrency must be an integer from 1 to {MAX_CONCURRENCY}, got {shown(value, 120)}",
            )
        changes["max_concurrency"] = value
    if "timeout" in body:
        value = body["timeout"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 120:
            raise HookInvalid(
                "timeout", f"timeout must be a number of seconds from 1 to 120, got {shown(value, 120)}"
            )
        changes["timeout"] = float(value)
    if "projects" in body:
        changes["projects"] = _projects(body["projects"])
    if "status" in body:
        status = body["status"]
        if status not in (HookStatus.ACTIVE, HookStatus.DISABLED):
            raise HookInvalid("status", "status must be one of: active, disabled")
        changes["status"] = HookStatus(status)
    if "notify_emails" in body:
        changes["notify_emails"] = _emails(body["notify_emails"])
    has_entities = body.get("entity_types") not in (None, {})
    has_events = any(body.get(k) is not None for k in ("event_type", "event_types"))
    if (has_entities and has_events) or (creating and not has_entities and not has_events):
        raise HookInvalid("entity_types", "entity_types either entity types or event type is required")
    if "event_type" in body and "event_types" in body:
        raise HookInvalid("event_type", "give event_type or event_types, not both")
    if has_entities:
        changes["entity_types"] = _entity_types(body["entity_types"], schema)
        changes["event_types"] = None
    elif has_events:
        key = "event_type" if "event_type" in body else "event_types"
        changes["event_types"] = _event_types(body[key], key, schema)
        changes["entity_types"] = None
    elif "entity_types" in body or "event_type" in body or "event_types" in body:
        raise HookInvalid("entity_types", "entity_types either entity types or event type is required")
    config = dataclasses.replace(existing, **changes) if existing else HookConfig(**changes)
    if config.standard_webhooks and not config.signing_secrets:
        raise HookInvalid(
            "signing_secret", "standard_webhooks needs a signing_secret (shotlog can generate one)"
        )
    if config.projects and config.entity_types:
        for etype in config.entity_types:
            if not schema.types[etype].project_scoped:
                raise HookInvalid(
                    "projects",
                    f"projects cannot filter {etype}: it does not belong to a project; leave projects empty",
                )
    return config
