"""The webhook form: posted fields → the webhooks API's request body, and a hook → form values (pure).

The form offers every option of a hook (docs/webhooks.md). What the form itself can check (numbers,
lists of ids, one subscription kind) is checked here and reported per form field; everything else
is checked by ``Webhooks.create_hook`` / ``update_hook``, whose ``HookInvalid.field`` is mapped
back to the form field with ``form_field``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shotlog.web.filters import whole_number

__all__ = ["ACTIONS", "HookForm", "form_field", "form_from_hook", "form_from_query", "parse_hook_form"]

ACTIONS = ("create", "update", "delete", "revive")
_SPLIT = re.compile(r"[\s,]+")

#: the webhooks API's field names -> the form field the message is shown next to
_FIELDS = {
    "url": "url",
    "name": "name",
    "description": "description",
    "token": "token",
    "entity_types": "entity_type",
    "event_type": "event_types",
    "event_types": "event_types",
    "projects": "projects",
    "timeout": "timeout",
    "max_concurrency": "max_concurrency",
    "signing_secret": "signing_secret",
    "standard_webhooks": "signing_secret",
    "validate_ssl_cert": "validate_ssl_cert",
    "batch_deliveries": "batch_deliveries",
    "include_in_create": "include_in_create",
    "ordered": "ordered",
    "status": "form",
    "body": "form",
}


def form_field(api_field: object) -> str:
    return _FIELDS.get(str(api_field), "form")


@dataclass
class HookForm:
    """The values the form shows (strings and flags), as typed or as stored."""

    name: str = ""
    description: str = ""
    url: str = ""
    kind: str = "entity"  # entity | event
    entity_type: str = ""
    actions: list[str] = field(default_factory=lambda: ["create", "update", "delete", "revive"])
    update_fields: str = ""
    include_in_create: bool = False
    event_types: str = ""
    projects: list[str] = field(default_factory=list)
    token_set: bool = False
    remove_token: bool = False
    validate_ssl_cert: bool = True
    batch_deliveries: bool = False
    ordered: bool = False
    max_concurrency: str = "10"
    timeout: str = "6"
    standard_webhooks: bool = False
    signing_secret_set: bool = False
    other_entity_types: dict[str, Any] = field(default_factory=dict)  # kept as they are on save


def form_from_hook(hook: Mapping[str, Any]) -> HookForm:
    form = HookForm(
        name=hook.get("name") or "",
        description=hook.get("description") or "",
        url=hook.get("url") or "",
        projects=[str(p) for p in hook.get("projects") or []],
        token_set=bool(hook.get("is_token_set")),
        validate_ssl_cert=bool(hook.get("validate_ssl_cert", True)),
        batch_deliveries=bool(hook.get("batch_deliveries")),
        ordered=bool(hook.get("ordered")),
        include_in_create=bool(hook.get("include_in_create")),
        max_concurrency=str(hook.get("max_concurrency", 10)),
        timeout=_number_text(hook.get("timeout", 6)),
        standard_webhooks=bool(hook.get("standard_webhooks")),
        signing_secret_set=bool(hook.get("is_signing_secret_set")),
    )
    entity_types = hook.get("entity_types")
    if entity_types:
        form.kind = "entity"
        first, *rest = sorted(entity_types)
        form.entity_type = first
        form.actions = [a for a in ACTIONS if a in entity_types[first]]
        form.update_fields = ", ".join(entity_types[first].get("update") or [])
        form.other_entity_types = {name: entity_types[name] for name in rest}
    else:
        form.kind = "event"
        form.event_types = ", ".join(hook.get("event_types") or [])
    return form


def form_from_query(params: Mapping[str, str]) -> HookForm:
    """A new hook's form, filled from a link ("create webhook from this event")."""
    form = HookForm()
    if params.get("event_type"):
        form.kind = "event"
        form.event_types = params["event_type"]
    if params.get("entity_type"):
        form.kind = "entity"
        form.entity_type = params["entity_type"]
    action = params.get("action")
    if action in ACTIONS:
        form.actions = [action]
    if params.get("fields"):
        form.update_fields = params["fields"]
    if params.get("projects"):
        form.projects = [p for p in _SPLIT.split(params["projects"]) if p]
    if params.get("from_event"):
        form.name = f"From event {params['from_event']}"[:100]
    return form


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flag(values: Mapping[str, Any], key: str) -> bool:
    return values.get(key) in ("on", "1", "true")


def parse_hook_form(
    values: Mapping[str, Any], project_ids: list[str]
) -> tuple[HookForm, dict[str, Any], dict[str, str]]:
    """The form as typed, the API body it asks for, and the form's own errors per field.

    ``values`` are the posted fields; ``project_ids`` the values of the multi-select. An empty
    token or signing secret means "keep the stored one" (none on a new hook).
    """
    errors: dict[str, str] = {}

    def text(key: str) -> str:
        value = values.get(key, "")
        return value.strip() if isinstance(value, str) else ""

    form = HookForm(
        name=text("name"),
        description=text("description"),
        url=text("url"),
        kind="event" if text("kind") == "event" else "entity",
        entity_type=text("entity_type"),
        actions=[a for a in ACTIONS if _flag(values, f"action_{a}")],
        update_fields=text("update_fields"),
        include_in_create=_flag(values, "include_in_create"),
        event_types=text("event_types"),
        projects=[p.strip() for p in project_ids if p.strip()],
        remove_token=_flag(values, "remove_token"),
        validate_ssl_cert=_flag(values, "validate_ssl_cert"),
        batch_deliveries=_flag(values, "batch_deliveries"),
        ordered=_flag(values, "ordered"),
        max_concurrency=text("max_concurrency") or "10",
        timeout=text("timeout") or "6",
        standard_webhooks=_flag(values, "standard_webhooks"),
    )
    body: dict[str, Any] = {
        "name": form.name,
        "description": form.description,
        "url": form.url,
        "validate_ssl_cert": form.validate_ssl_cert,
        "batch_deliveries": form.batch_deliveries,
        "ordered": form.ordered,
        "include_in_create": form.include_in_create,
        "standard_webhooks": form.standard_webhooks,
    }
    if not form.url:
        errors["url"] = "Enter the URL deliveries are sent to."

    token = values.get("token", "")
    if isinstance(token, str) and token:
        body["token"] = token
    elif form.remove_token:
        body["token"] = None
    secret = text("signing_secret")
    if secret:
        body["signing_secret"] = secret

    if form.kind == "entity":
        if not form.entity_type:
            errors["entity_type"] = "Choose the entity type this hook follows."
        elif not form.actions:
            errors["entity_type"] = "Choose at least one action: created, updated, deleted or revived."
        else:
            fields = [f for f in _SPLIT.split(form.update_fields) if f]
            if fields and "update" not in form.actions:
                errors["update_fields"] = "Fields apply to updates: tick “Updated” or clear the fields."
            actions = {a: (fields if a == "update" else []) for a in form.actions}
            body["entity_types"] = {form.entity_type: actions}
            for name, spec in _other_entity_types(values).items():
                body["entity_types"].setdefault(name, spec)
    else:
        names = [n for n in _SPLIT.split(form.event_types) if n]
        if not names:
            errors["event_types"] = "Enter at least one event type, for example Shotgun_User_Login."
        else:
            body["event_types"] = names

    projects: list[int] = []
    for p in form.projects:
        number = whole_number(p)
        if number is None or number <= 0:
            errors["projects"] = f"Projects must be project ids, got {p!r}."
            break
        projects.append(number)
    body["projects"] = projects

    try:
        concurrency = int(form.max_concurrency)
    except ValueError:
        errors["max_concurrency"] = f"Concurrency must be a whole number, got {form.max_concurrency!r}."
    else:
        body["max_concurrency"] = concurrency
    try:
        timeout = float(form.timeout)
    except ValueError:
        errors["timeout"] = f"Timeout must be a number of seconds, got {form.timeout!r}."
    else:
        body["timeout"] = int(timeout) if timeout.is_integer() else timeout
    return form, body, errors


def _other_entity_types(values: Mapping[str, Any]) -> dict[str, Any]:
    """Entity types beyond the first, carried through an edit unchanged (the form edits one)."""
    import json

    raw = values.get("other_entity_types")
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
