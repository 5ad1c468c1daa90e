"""The webhook form: posted fields → the webhooks API's request body, and a hook → form values (pure).

The form offers every option of a hook (docs/webhooks.md) and one subscription kind at a time:
changes to entities, or events of a type. What the form itself can check (the URL's shape, numbers
and their ranges, the chosen kind filled in and the other left empty) is checked here, every field
at once; ``hook_errors`` then runs the webhooks API's own validation over what is left, field after
field, so one submit reports every problem. Messages are in a coordinator's words: ``in_words``
rewrites the API's (which name its JSON fields) and places each beside its form field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from shotlog.errors import ShotlogError
from shotlog.web.filters import whole_number

__all__ = [
    "ACTIONS",
    "FIELD_LABELS",
    "HookForm",
    "form_field",
    "form_from_hook",
    "form_from_query",
    "hook_errors",
    "in_words",
    "parse_hook_form",
]

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
    "notify_emails": "notify_emails",
    "status": "form",
    "body": "form",
}


#: each form field's label, for the list of problems above the form (in the page's order)
FIELD_LABELS = {
    "name": "Name",
    "url": "URL",
    "description": "Description",
    "kind": "What the hook follows",
    "entity_type": "Entity type",
    "actions": "Changes to send",
    "update_fields": "Only updates of these fields",
    "event_types": "Event types",
    "projects": "Projects",
    "token": "Secret token",
    "signing_secret": "Standard Webhooks signing secret",
    "timeout": "Timeout",
    "max_concurrency": "Concurrent requests",
    "notify_emails": "Notify when unstable",
}

#: the hook's subscription fields in the API; their errors go beside the chosen kind's field
_SUBSCRIPTION = ("entity_types", "event_type", "event_types")


def form_field(api_field: object) -> str:
    return _FIELDS.get(str(api_field), "form")


#: the API's messages (which name its JSON fields) → (form field or None to keep form_field's, words)
_REWORDS: list[tuple[re.Pattern[str], str | None, str]] = [
    (re.compile(r"url is missing"), None, "Enter the address deliveries are sent to."),
    (
        re.compile(r"url should be a valid url, not a reserved/internal ip address: (\S+) \((.+?)\)"),
        None,
        "The server does not send webhooks to private or internal addresses ({1}). "
        "An administrator can allow that network with SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS.",
    ),
    (
        re.compile(r"url should be a valid url, not a reserved/internal ip address: (\S+) resolves to (\S+)"),
        None,
        "{0} leads to {1}, a private or internal address the server does not send webhooks to. "
        "An administrator can allow that network with SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS.",
    ),
    (re.compile(r"unknown entity type '(.+?)'"), "entity_type", "There is no entity type {0}."),
    (re.compile(r"(\w+) cannot be subscribed to"), "entity_type", "Webhooks cannot follow {0}."),
    (
        re.compile(r"(\w+) has no field '(.+?)'"),
        "update_fields",
        "{0} has no field {1}. Use field codes, such as sg_status_list or description.",
    ),
    (
        re.compile(r"either entity types or event type is required"),
        None,
        "Choose an entity type, or choose “Other events” and enter an event type.",
    ),
    (
        re.compile(r"'(.+?)' is not one of FPTR's subscribable event types"),
        "event_types",
        "{0} is not an event type webhooks can follow: FPTR's own types must be ones it offers "
        "(suggested as you type). For changes to entities, choose “Changes to entities”.",
    ),
    (
        re.compile(r"event_type is not valid: '(.+?)'"),
        "event_types",
        "{0} is not an event type name: use letters, digits and _, with * and ? as wildcards.",
    ),
    (
        re.compile(r"projects cannot filter (\w+)"),
        "projects",
        "{0} does not belong to a project, so projects cannot narrow this hook: select none.",
    ),
    (re.compile(r"no Project with id (\d+)"), "projects", "There is no project with id {0}."),
    (
        re.compile(r"signing_secret must be whsec_"),
        "signing_secret",
        "A signing secret is whsec_ followed by 24 to 64 bytes in base64. "
        "Leave it empty to have one made for you.",
    ),
    (re.compile(r"standard_webhooks needs a signing_secret"), "signing_secret", "Enter a signing secret."),
    (
        re.compile(r"max_concurrency must be"),
        "max_concurrency",
        "Concurrent requests must be a whole number from 1 to 100.",
    ),
    (re.compile(r"timeout must be"), "timeout", "The timeout must be from 1 to 120 seconds."),
    (
        re.compile(r"notify_emails: '(.+?)' is not an email address"),
        "notify_emails",
        "{0} is not an email address. Separate addresses with commas.",
    ),
    (re.compile(r"notify_emails takes at most (\d+)"), "notify_emails", "At most {0} addresses."),
    (re.compile(r"token must be"), "token", "The secret token must be at most 1,024 characters."),
    (re.compile(r"url must be at most"), "url", "The address is too long: at most 2,048 characters."),
]


def in_words(api_field: object, message: str, kind: str = "entity") -> tuple[str, str]:
    """The form field an API error belongs beside, and the error in a coordinator's words. A
    subscription error goes beside the chosen kind's field; a message with no rewording keeps its
    text with the API's field name replaced by the form's label."""
    where = form_field(api_field)
    if str(api_field) in _SUBSCRIPTION:
        where = "event_types" if kind == "event" else "entity_type"
    for pattern, place, words in _REWORDS:
        found = pattern.search(message)
        if found is not None:
            return (place or where), words.format(*found.groups())
    text = re.sub(r"^\w+ is not valid: ", "", message)
    label = FIELD_LABELS.get(where)
    if label and text.startswith(str(api_field)):
        text = label + text[len(str(api_field)) :]
    return where, text[:1].upper() + text[1:]


#: what stands in for a refused field so the checks after it still run (a create needs a URL and
#: a subscription): a public address never resolved here, and a custom event type
_STAND_INS: dict[str, dict[str, Any]] = {
    "url": {"url": "https://hooks.example.com/form-check"},
    "entity_types": {"event_types": ["Form_Check"]},
    "event_type": {"event_types": ["Form_Check"]},
    "event_types": {"event_types": ["Form_Check"]},
    "signing_secret": {"signing_secret": "whsec_" + "A" * 32},
}


def hook_errors(
    body: Mapping[str, Any], check: Callable[[Mapping[str, Any]], object], kind: str = "entity"
) -> dict[str, str]:
    """Every error ``check`` (the API's validation, which stops at the first) finds in ``body``:
    each refused field is set aside (or replaced by a stand-in) and the rest checked again."""
    errors: dict[str, str] = {}
    current = dict(body)
    if current.get("standard_webhooks") and not current.get("signing_secret"):
        # the API makes one when none is given: nothing to report
        current.update(_STAND_INS["signing_secret"])
    if not any(key in current for key in _SUBSCRIPTION):
        # the form left the subscription out because it reported why itself
        current.update(_STAND_INS["event_types"])
    for _ in range(len(current) + 2):
        try:
            check(current)
        except ShotlogError as exc:
            api_field = getattr(exc, "field", None) or exc.details.get("field")
            where, words = in_words(api_field, exc.message, kind)
            errors.setdefault(where, words)
            name = str(api_field)
            if name not in current and name not in _STAND_INS:
                break
            for key in _SUBSCRIPTION if name in _SUBSCRIPTION else (name,):
                current.pop(key, None)
            current.update(_STAND_INS.get(name, {}))
        else:
            break
    return errors


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
    #: "Notify when unstable": addresses, separated by commas
    notify_emails: str = ""
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
        notify_emails=", ".join(hook.get("notify_emails") or []),
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
        notify_emails=text("notify_emails"),
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
    if "notify_emails" in values:
        # the API splits the addresses at commas and says which one is not an address; an empty
        # field clears them
        body["notify_emails"] = form.notify_emails
    errors.update(_url_errors(form.url))

    token = values.get("token", "")
    if isinstance(token, str) and token:
        body["token"] = token
    elif form.remove_token:
        body["token"] = None
    secret = text("signing_secret")
    if secret:
        body["signing_secret"] = secret

    fields = [f for f in _SPLIT.split(form.update_fields) if f]
    names = [n for n in _SPLIT.split(form.event_types) if n]
    # Without scripts both kinds' fields show and are posted: a form that fills in the kind not
    # chosen is refused rather than silently cut down to the chosen one.
    entity_filled, event_filled = bool(form.entity_type or fields), bool(names)
    if form.kind == "entity" and event_filled:
        errors["kind"] = (
            "You entered event types but chose “Changes to entities”. Choose “Other events” to follow "
            "those event types, or clear them."
            if not entity_filled
            else "Both kinds are filled in: a hook follows changes to entities or other events, not "
            "both. Clear the event types, or the entity type and fields."
        )
    elif form.kind == "event" and entity_filled:
        errors["kind"] = (
            "You chose an entity type but “Other events”. Choose “Changes to entities” to follow it, "
            "or clear it."
            if not event_filled
            else "Both kinds are filled in: a hook follows changes to entities or other events, not "
            "both. Clear the entity type and fields, or the event types."
        )
    elif form.kind == "entity":
        if not form.entity_type:
            errors["entity_type"] = "Choose an entity type, or choose “Other events” and enter an event type."
        if not form.actions:
            errors["actions"] = "Tick at least one change to send: created, updated, deleted or revived."
        if fields and "update" not in form.actions:
            errors["update_fields"] = "Field names apply to updates only: tick “Updated”, or clear them."
        if form.entity_type and form.actions:
            actions = {a: (fields if a == "update" else []) for a in form.actions}
            body["entity_types"] = {form.entity_type: actions}
            for name, spec in _other_entity_types(values).items():
                body["entity_types"].setdefault(name, spec)
    elif not names:
        errors["event_types"] = "Enter at least one event type, for example Shotgun_User_Login or Toolkit_*."
    else:
        body["event_types"] = names

    projects: list[int] = []
    for p in form.projects:
        number = whole_number(p)
        if number is None or number <= 0:
            errors["projects"] = f"Choose projects from the list ({p!r} is not a project)."
            break
        projects.append(number)
    body["projects"] = projects

    concurrency = whole_number(form.max_concurrency)
    if concurrency is None or not 1 <= concurrency <= 100:
        errors["max_concurrency"] = (
            f"Concurrent requests must be a whole number from 1 to 100, not {form.max_concurrency!r}."
        )
    else:
        body["max_concurrency"] = concurrency
    try:
        timeout = float(form.timeout)
    except ValueError:
        timeout = float("nan")
    if not 1 <= timeout <= 120:  # NaN fails too
        errors["timeout"] = f"The timeout must be a number of seconds from 1 to 120, not {form.timeout!r}."
    else:
        body["timeout"] = int(timeout) if timeout.is_integer() else timeout
    return form, body, errors


def _url_errors(url: str) -> dict[str, str]:
    if not url:
        return {"url": "Enter the address deliveries are sent to, starting with https:// or http://."}
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
        return {
            "url": "The address must start with https:// or http:// and name a server, "
            "for example https://hooks.example.com/shotlog."
        }
    if len(url) > 2048:
        return {"url": "The address is too long: at most 2,048 characters."}
    return {}


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
