"""The webhook form ↔ the webhooks API's body, and the performance badges (pure, table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from shotlog.web.deliveries import parse_delivery_query, performance_badges
from shotlog.web.webhook_form import form_field, form_from_hook, form_from_query, parse_hook_form

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
    ("values", "field"),
    [
        ({"url": ""}, "url"),
        ({"entity_type": ""}, "entity_type"),
        ({"action_update": ""}, "entity_type"),
        ({"action_update": "", "action_create": "on", "update_fields": "code"}, "update_fields"),
        ({"kind": "event", "event_types": " "}, "event_types"),
        ({"timeout": "six"}, "timeout"),
        ({"max_concurrency": "2.5"}, "max_concurrency"),
    ],
)
def test_what_the_form_refuses_itself(values: dict[str, str], field: str) -> None:
    _, _, errors = parse_hook_form({**BASE, **values}, [])
    assert field in errors


def test_bad_project_ids_are_refused() -> None:
    _, _, errors = parse_hook_form(BASE, ["x"])
    assert "projects" in errors


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
        {"status": "held", "entity_id": "3", "since": "2026-11-01", "until": "2026-11-02"}
    )
    assert errors == {} and q.status == "held" and q.entity_id == 3
    assert q.until is not None and q.until.hour == 23  # the whole end day
    _, errors = parse_delivery_query({"status": "lost", "page": "0", "until": "tomorrow"})
    assert set(errors) == {"status", "page", "until"}
