"""The webhook form ↔ the webhooks API's body, and the performance badges (pure, table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from shotlog.schema.defaults import default_entity_types, default_fields
from shotlog.schema.model import Schema
from shotlog.web.deliveries import parse_delivery_query, performance_badges
from shotlog.web.webhook_form import (
    FIELD_LABELS,
    form_field,
    form_from_hook,
    form_from_query,
    hook_errors,
    in_words,
    parse_hook_form,
)
from shotlog.webhooks.hooks import parse_hook

BASE = {"url": "https://hooks.example.com/x", "kind": "entity", "entity_type": "Shot", "action_update": "on"}


def test_an_entity_hook_form_becomes_the_api_body() -> None:
    form, body, errors = parse_hook_form(
        {
            **BASE,
            "name": " Status ",
            "update_fields": "sg_status_list, description",
            "token": "s3cret",
            "validate_ssl_cert": "on",
            "timeout": "7.5",
            "max_concurrency": "3",
            "ordered": "on",
        },
        ["4", "9"],
    )
    assert errors == {}
    assert body == {
        "name": "Status",
        "description": "",
        "url": "https://hooks.example.com/x",
        "validate_ssl_cert": True,
        "batch_deliveries": False,
        "ordered": True,
        "include_in_create": False,
        "standard_webhooks": False,
        "token": "s3cret",
        "entity_types": {"Shot": {"update": ["sg_status_list", "description"]}},
        "projects": [4, 9],
        "max_concurrency": 3,
        "timeout": 7.5,
    }
    assert form.actions == ["update"]


def test_an_event_type_hook_and_token_removal() -> None:
    _, body, errors = parse_hook_form(
        {
            "url": "https://x.example/",
            "kind": "event",
            "event_types": "Shotgun_User_Login Toolkit_*",
            "remove_token": "on",
            "timeout": "6",
            "max_concurrency": "10",
        },
        [],
    )
    assert errors == {}
    assert body["event_types"] == ["Shotgun_User_Login", "Toolkit_*"] and "entity_types" not in body
    assert body["token"] is None and body["timeout"] == 6


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"url": ""}, "url", "Enter the address deliveries are sent to"),
        ({"url": "hooks.example.com/x"}, "url", "must start with https:// or http://"),
        ({"url": "ftp://example.com/x"}, "url", "must start with https:// or http://"),
        ({"entity_type": ""}, "entity_type", "Choose an entity type, or choose “Other events”"),
        ({"action_update": ""}, "actions", "Tick at least one change to send"),
        ({"action_update": "", "action_create": "on", "update_fields": "code"}, "update_fields", "Updated"),
        ({"kind": "event", "entity_type": "", "event_types": " "}, "event_types", "at least one event type"),
        ({"timeout": "six"}, "timeout", "from 1 to 120, not 'six'"),
        ({"timeout": "0.5"}, "timeout", "from 1 to 120, not '0.5'"),
        ({"max_concurrency": "2.5"}, "max_concurrency", "whole number from 1 to 100, not '2.5'"),
        ({"max_concurrency": "1000"}, "max_concurrency", "whole number from 1 to 100"),
    ],
)
def test_what_the_form_refuses_itself(values: dict[str, str], field: str, words: str) -> None:
    _, _, errors = parse_hook_form({**BASE, **values}, [])
    assert words in errors[field]
    assert not any(api in errors[field] for api in ("entity_types", "max_concurrency", "event_types"))


def test_every_problem_of_the_form_is_reported_at_once() -> None:
    values = {**BASE, "url": "", "action_update": "", "timeout": "0", "max_concurrency": "x"}
    _, _, errors = parse_hook_form(values, ["nope"])
    assert set(errors) == {"url", "actions", "timeout", "max_concurrency", "projects"}
    assert set(errors) <= set(FIELD_LABELS)  # each is listed above the form, by its label


@pytest.mark.parametrize(
    ("kind", "entity_type", "fields", "event_types", "words"),
    [
        ("entity", "", "", "Toolkit_*", "You entered event types but chose “Changes to entities”"),
        ("entity", "Shot", "", "Toolkit_*", "Both kinds are filled in"),
        ("event", "Shot", "", "", "You chose an entity type but “Other events”"),
        ("event", "", "code", "Toolkit_*", "Both kinds are filled in"),
    ],
)
def test_a_form_filling_in_the_kind_not_chosen_is_sent_back_not_cut_down(
    kind: str, entity_type: str, fields: str, event_types: str, words: str
) -> None:
    values = {**BASE, "kind": kind, "entity_type": entity_type, "update_fields": fields}
    form, body, errors = parse_hook_form({**values, "event_types": event_types}, [])
    assert words in errors["kind"]
    assert "entity_types" not in body and "event_types" not in body
    assert (form.entity_type, form.event_types) == (entity_type, event_types)  # shown back as typed


def test_the_chosen_kind_alone_makes_the_subscription() -> None:
    _, body, errors = parse_hook_form({**BASE, "kind": "event", "entity_type": "", "event_types": "A_b"}, [])
    assert errors == {} and body["event_types"] == ["A_b"] and "entity_types" not in body


@pytest.fixture(scope="module")
def check() -> Any:
    schema = Schema(default_entity_types(), default_fields())
    return lambda body: parse_hook(body, schema)


def test_the_apis_checks_all_run_and_speak_the_forms_words(check: Any) -> None:
    body = {
        "url": "https://hooks.example.com/x",
        "entity_types": {"Shot": {"update": ["sg_nope"]}},
        "signing_secret": "nope",
        "projects": [1],
    }
    errors = hook_errors(body, check)
    assert set(errors) == {"update_fields", "signing_secret"}
    assert errors["update_fields"].startswith("Shot has no field sg_nope.")
    assert errors["signing_secret"].startswith("A signing secret is whsec_")
    events = hook_errors({"url": "https://x.example/", "event_types": ["Shotgun_Bogus"]}, check, "event")
    assert (
        list(events) == ["event_types"] and "not an event type webhooks can follow" in events["event_types"]
    )
    assert hook_errors({"url": "https://x.example/", "event_types": ["ok"]}, check) == {}
    # a subscription the form left out (and said why) is not reported again in other words
    assert hook_errors({"url": "https://x.example/", "projects": [1]}, check) == {}
    # a generated secret is the API's business: ticking Standard Webhooks alone is no error
    assert (
        hook_errors({"url": "https://x.example/", "event_types": ["ok"], "standard_webhooks": True}, check)
        == {}
    )


@pytest.mark.parametrize(
    ("api_field", "message", "kind", "where", "words"),
    [
        (
            "entity_types",
            "entity_types is not valid: unknown entity type 'Spaceship'",
            "entity",
            "entity_type",
            "There is no entity type Spaceship.",
        ),
        (
            "entity_types",
            "entity_types is not valid: EventLogEntry cannot be subscribed to",
            "entity",
            "entity_type",
            "Webhooks cannot follow EventLogEntry.",
        ),
        (
            "entity_types",
            "entity_types either entity types or event type is required",
            "event",
            "event_types",
            "Choose an entity type, or choose “Other events” and enter an event type.",
        ),
        (
            "projects",
            "projects: no Project with id 98",
            "entity",
            "projects",
            "There is no project with id 98.",
        ),
        (
            "url",
            "url should be a valid url, not a reserved/internal ip address: 10.1.2.3 (10.1.2.3 is a "
            "private address); allow it with SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS",
            "entity",
            "url",
            "The server does not send webhooks to private or internal addresses (10.1.2.3 is a private",
        ),
        (
            "timeout",
            "timeout must be a number of seconds from 1 to 120, got 0",
            "entity",
            "timeout",
            "The timeout must be from 1 to 120 seconds.",
        ),
        ("description", "description is too long", "entity", "description", "Description is too long"),
        (None, "something odd", "entity", "form", "Something odd"),
    ],
)
def test_api_messages_in_words(api_field: Any, message: str, kind: str, where: str, words: str) -> None:
    place, text = in_words(api_field, message, kind)
    assert place == where and text.startswith(words), text


@pytest.mark.parametrize(
    ("api_field", "form"),
    [
        ("url", "url"),
        ("entity_types", "entity_type"),
        ("event_type", "event_types"),
        ("body", "form"),
        ("standard_webhooks", "signing_secret"),
        ("nonsense", "form"),
        (None, "form"),
    ],
)
def test_api_fields_map_to_form_fields(api_field: Any, form: str) -> None:
    assert form_field(api_field) == form


def test_an_existing_hook_fills_the_form_and_keeps_other_entity_types() -> None:
    hook = {
        "url": "https://x.example/",
        "entity_types": {"Task": {"create": []}, "Shot": {"update": ["code"]}},
        "projects": [3],
        "is_token_set": True,
        "timeout": 6.0,
        "max_concurrency": 10,
    }
    form = form_from_hook(hook)
    assert (form.entity_type, form.actions, form.update_fields) == ("Shot", ["update"], "code")
    assert form.other_entity_types == {"Task": {"create": []}} and form.token_set and form.timeout == "6"
    import json

    _, body, _ = parse_hook_form(
        {
            "url": hook["url"],
            "kind": "entity",
            "entity_type": "Shot",
            "action_update": "on",
            "update_fields": "code",
            "other_entity_types": json.dumps(form.other_entity_types),
        },
        [],
    )
    assert body["entity_types"] == {"Shot": {"update": ["code"]}, "Task": {"create": []}}
    assert "token" not in body  # empty on edit: keep the stored one


@pytest.mark.parametrize(
    ("query", "kind", "entity_type", "actions", "fields"),
    [
        (
            {"entity_type": "Shot", "action": "update", "fields": "sg_status_list"},
            "entity",
            "Shot",
            ["update"],
            "sg_status_list",
        ),
        ({"entity_type": "Task", "action": "create"}, "entity", "Task", ["create"], ""),
        ({"event_type": "Shotgun_User_Login"}, "event", "", ["create", "update", "delete", "revive"], ""),
    ],
)
def test_create_from_an_event_prefills(
    query: dict[str, str], kind: str, entity_type: str, actions: list[str], fields: str
) -> None:
    form = form_from_query({**query, "from_event": "42", "projects": "7"})
    assert (form.kind, form.entity_type, form.actions, form.update_fields) == (
        kind,
        entity_type,
        actions,
        fields,
    )
    assert form.projects == ["7"] and form.name == "From event 42"


@pytest.mark.parametrize(
    ("metrics", "labels"),
    [
        ({"mean_process_time": 0.1, "process_time_sum": 1.0, "event_time_span": 3600}, []),
        ({"mean_process_time": 0.9, "process_time_sum": 1.8, "event_time_span": 3600}, ["Slow response"]),
        ({"mean_process_time": 0.2, "process_time_sum": 20.0, "event_time_span": 100}, ["Heavy load"]),
        ({"mean_process_time": 0.2, "process_time_sum": 80.0, "event_time_span": 100}, ["Very heavy load"]),
        # a burst within one second is measured against a minute, not a second
        ({"mean_process_time": 0.03, "process_time_sum": 0.12, "event_time_span": 1}, []),
        ({"mean_process_time": None, "process_time_sum": 0, "event_time_span": 0}, []),
    ],
)
def test_performance_badges(metrics: dict[str, Any], labels: list[str]) -> None:
    assert [b[0] for b in performance_badges(metrics)] == labels


def test_delivery_filters() -> None:
    q, errors = parse_delivery_query(
        {"state": "held", "entity_id": "3", "since": "2026-11-01", "until": "2026-11-02"}
    )
    assert errors == {} and q.state == "held" and q.entity_id == 3
    assert q.until is not None and q.until.hour == 23  # the whole end day
    _, errors = parse_delivery_query({"state": "lost", "page": "0", "until": "tomorrow"})
    assert set(errors) == {"state", "page", "until"}
