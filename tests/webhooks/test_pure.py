"""The pure parts, table-driven: retry schedule, status rules, payloads and signatures, matching,
hook validation and the address policy."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import random
from typing import Any

import pytest

from shotlog.errors import ValidationError
from shotlog.schema.defaults import default_entity_types, default_fields
from shotlog.schema.model import Schema
from shotlog.webhooks import payloads
from shotlog.webhooks.hooks import HookConfig, HookInvalid, parse_hook
from shotlog.webhooks.netguard import AddressPolicy, RefusedAddress, check_url
from shotlog.webhooks.schedule import (
    RETRY_DELAYS,
    is_success,
    parse_retry_after,
    retry_decision,
)
from shotlog.webhooks.status import (
    FAILURE_WINDOW,
    PROBE_LADDER,
    HookStatus,
    next_status,
    probe_delay,
    probe_interval,
    time_to_failed,
)
from shotlog.webhooks.subscriptions import HookSubscription, Subscriptions

NOW = dt.datetime(2026, 11, 27, 12, 0, 0)


@pytest.fixture(scope="module")
def schema() -> Any:
    return Schema(default_entity_types(), default_fields())


# -- schedule -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        (200, True),
        (204, True),
        (302, True),
        (399, True),
        (400, False),
        (500, False),
        (None, False),
        (0, False),
    ],
)
def test_success_is_below_400(code: int | None, ok: bool) -> None:
    assert is_success(code) is ok


def test_retry_delays_follow_the_schedule_within_jitter() -> None:
    rng = random.Random(7)
    for attempt, base in enumerate(RETRY_DELAYS, start=1):
        d = retry_decision(attempt, rng=rng)
        assert not d.give_up
        assert base * 0.8 <= d.delay <= base * 1.2
    assert retry_decision(len(RETRY_DELAYS) + 1).give_up


def test_first_retries_come_within_minutes_and_the_whole_schedule_spans_days() -> None:
    assert sum(RETRY_DELAYS[:4]) <= 10 * 60
    assert 2 * 86400 <= sum(RETRY_DELAYS) <= 4 * 86400


def test_retry_after_wins_when_longer_and_is_capped() -> None:
    rng = random.Random(1)
    assert retry_decision(1, 120.0, rng=rng).delay == 120.0
    assert retry_decision(1, 10 * 86400.0, rng=rng).delay == 86400.0
    assert retry_decision(5, 1.0, rng=rng).delay >= 300 * 0.8  # a shorter Retry-After does not hurry it


def test_scale_multiplies_delays() -> None:
    assert retry_decision(1, scale=0.001, rng=random.Random(3)).delay <= 5 * 1.2 * 0.001


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("30", 30.0), ("Fri, 27 Nov 2026 12:01:00 GMT", 60.0), ("soon", None), ("", None)],
)
def test_parse_retry_after(raw: str, seconds: float | None) -> None:
    assert parse_retry_after({"Retry-After": raw}, NOW) == seconds
    assert parse_retry_after({}, NOW) is None


@pytest.mark.parametrize(
    ("current", "failures", "expected"),
    [
        ("active", 0, "active"),
        ("active", 1, "unstable"),
        ("unstable", 99, "unstable"),
        ("unstable", 100, "failed"),
        ("active", 150, "failed"),
        ("unstable", 0, "active"),
        ("failed", 0, "failed"),
        ("disabled", 500, "disabled"),
    ],
)
def test_status_rules(current: str, failures: int, expected: str) -> None:
    assert next_status(HookStatus(current), failures) is HookStatus(expected)


def test_notify_emails_take_a_list_or_a_comma_separated_string(schema: Any) -> None:
    base = {"url": "http://x", "event_type": "Toolkit_X"}
    listed = parse_hook(
        {**base, "notify_emails": ["a@example.com", " b@studio.example ", "a@example.com"]}, schema
    )
    assert listed.notify_emails == ("a@example.com", "b@studio.example")
    typed = parse_hook({**base, "notify_emails": "a@example.com, b@studio.example,"}, schema)
    assert typed.notify_emails == listed.notify_emails
    assert parse_hook({"notify_emails": None}, schema, typed).notify_emails == ()


def test_status_is_one_enum_with_the_rest_values() -> None:
    assert [s.value for s in HookStatus] == ["active", "unstable", "failed", "disabled"]
    assert [s for s in HookStatus if s.holds] == [HookStatus.FAILED, HookStatus.DISABLED]
    assert [s for s in HookStatus if s.alarming] == [HookStatus.UNSTABLE, HookStatus.FAILED]


@pytest.mark.parametrize(
    ("threshold", "interval"),
    [(100, 576.0), (10, 600.0), (1000, 57.6), (1, 600.0)],
)
def test_probe_interval_spreads_the_threshold_over_the_window(threshold: int, interval: float) -> None:
    assert probe_interval(threshold) == pytest.approx(interval)


@pytest.mark.parametrize("threshold", [1, 2, 5, 10, 100, 250, 1000, 5000])
def test_a_receiver_that_stays_down_reaches_the_threshold_within_the_window(threshold: int) -> None:
    worst = time_to_failed(threshold, jitter=0.2)
    assert worst < FAILURE_WINDOW.total_seconds()
    # and not in a rush: a short outage is a few failures (the ladder), not the threshold
    if threshold >= 10:
        assert time_to_failed(threshold, jitter=-0.2) > 30 * 60


def test_the_documented_figures_for_fptr_threshold() -> None:
    assert time_to_failed(100) / 3600 == pytest.approx(15.33, abs=0.01)
    assert time_to_failed(100, jitter=0.2) / 3600 == pytest.approx(18.39, abs=0.01)


def test_probe_delay_climbs_the_ladder_then_holds_steady() -> None:
    rng = random.Random(5)
    for n, step in enumerate(PROBE_LADDER, start=1):
        assert step * 0.8 <= probe_delay(n, rng=rng) <= step * 1.2
    for n in (5, 50, 500):
        assert 576 * 0.8 <= probe_delay(n, rng=rng) <= 576 * 1.2
    assert probe_delay(50, retry_after=3600, rng=rng) == 3600  # a longer Retry-After wins
    assert probe_delay(50, retry_after=10 * 86400, rng=rng) == 86400  # up to a day
    assert probe_delay(1, scale=0.001, rng=rng) <= 5 * 1.2 * 0.001


# -- payloads -----------------------------------------------------------------------------------------

ROW = {
    "id": 731204,
    "event_type": "Shotgun_Task_Change",
    "entity_type": "Task",
    "entity_id": 9001,
    "project_id": 70,
    "user_type": "HumanUser",
    "user_id": 42,
    "attribute_name": "sg_status_list",
    "meta": {
        "type": "attribute_change",
        "attribute_name": "sg_status_list",
        "entity_type": "Task",
        "entity_id": 9001,
        "field_data_type": "status_list",
        "old_value": "ip",
        "new_value": "rev",
    },
    "session_uuid": None,
    "created_at": dt.datetime(2024, 5, 6, 10, 11, 12, 345678),
}


def test_event_data_has_every_fptr_key() -> None:
    data = payloads.event_data(ROW, "b3d2c1a0-1111-4222-8333-444455556666", "731204.0.0")
    assert set(data) == {
        "id",
        "event_log_entry_id",
        "event_type",
        "operation",
        "user",
        "entity",
        "project",
        "meta",
        "created_at",
        "attribute_name",
        "session_uuid",
        "delivery_id",
    }
    assert data["operation"] == "update"
    assert data["user"] == {"type": "HumanUser", "id": 42}
    assert data["project"] == {"type": "Project", "id": 70}
    assert data["created_at"] == "2024-05-06 10:11:12.345678"
    assert data["meta"] == ROW["meta"]


@pytest.mark.parametrize(
    ("event_type", "op"),
    [
        ("Shotgun_Shot_New", "create"),
        ("Shotgun_Shot_Change", "update"),
        ("Shotgun_Shot_Retirement", "delete"),
        ("Shotgun_Shot_Revival", "revive"),
        ("Toolkit_App_Startup", None),
    ],
)
def test_operation(event_type: str, op: str | None) -> None:
    assert payloads.operation(event_type) == op


def test_body_single_and_batched() -> None:
    item = payloads.event_data(ROW, "d1", "1.0.0")
    single = json.loads(payloads.body([item], batched=False, now=dt.datetime(2026, 1, 1, 0, 0, 0, 140000)))
    assert single == {"data": item, "timestamp": "2026-01-01T00:00:00Z"}
    batched = json.loads(
        payloads.body([item, item], batched=True, now=dt.datetime(2026, 1, 1, 0, 0, 0, 140000))
    )
    assert batched == {"data": {"deliveries": [item, item]}, "timestamp": "2026-01-01T00:00:00.140Z"}


def test_oversized_payload_loses_values_and_gains_the_warning() -> None:
    big = {**ROW, "meta": {**ROW["meta"], "new_value": "x" * 1_100_000}}
    raw = payloads.body([payloads.event_data(big, "d", "1.0.0")], batched=False, now=NOW)
    data = json.loads(raw)["data"]
    assert len(raw) < payloads.MAX_BODY
    assert "new_value" not in data["meta"] and "old_value" not in data["meta"]
    assert data["warning"] == payloads.OVERSIZE_WARNING
    small = json.loads(payloads.body([payloads.event_data(ROW, "d", "1.0.0")], batched=False, now=NOW))[
        "data"
    ]
    assert "warning" not in small and small["meta"]["new_value"] == "rev"


def test_sha1_signature_matches_an_independent_vector() -> None:
    # printf '<body>' | openssl dgst -sha1 -hmac s3cret
    raw = b'{"data": {"id": "1"}, "timestamp": "2026-01-01T00:00:00Z"}'
    assert payloads.sha1_signature("s3cret", raw) == "sha1=617b68cb34caa028d9cc106992e9a71d751318e9"


def test_standard_webhooks_signature_matches_the_spec_vector() -> None:
    sig = payloads.standard_signature(
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_headers_sign_only_with_a_token_and_add_standard_headers_on_request() -> None:
    message = payloads.Message(b"{}", ("d1", "d2"), "123")
    plain = payloads.headers(payloads.HookSigning("h", None, False, (), "http://x/"), message, NOW)
    assert "X-SG-SIGNATURE" not in plain and "webhook-signature" not in plain
    assert plain["X-SG-WEBHOOK-ID"] == "h" and plain["X-SG-DELIVERY-ID"] == "d1"
    assert plain["X-SG-EVENT-BATCH-SIZE"] == "2" and plain["X-SG-WEBHOOK-SITE-URL"] == "http://x/"
    secret = payloads.new_signing_secret()
    old = payloads.new_signing_secret()
    signed = payloads.headers(
        payloads.HookSigning("h", "tok", True, (secret, old), "http://x/"), message, NOW
    )
    assert signed["X-SG-SIGNATURE"].startswith("sha1=")
    assert signed["webhook-id"] == "d1"
    assert len(signed["webhook-signature"].split()) == 2  # both secrets sign during a rotation


# -- subscriptions ------------------------------------------------------------------------------------


def _event(event_type: str, event_id: int = 10, **kw: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "event_type": event_type,
        "project_id": kw.get("project_id", 1),
        "attribute_name": kw.get("attribute_name"),
        "meta": kw.get("meta", {}),
    }


SUBS = [
    HookSubscription("all_shot", {"Shot": {"create": [], "update": [], "delete": [], "revive": []}}, None),
    HookSubscription("status", {"Shot": {"update": ["sg_status_list"]}}, None),
    HookSubscription("in_create", {"Shot": {"update": []}}, None, include_in_create=True),
    HookSubscription("proj2", {"Shot": {"create": []}}, None, projects=[2]),
    HookSubscription("custom", None, ["Toolkit_*", "Shotgun_User_Login"]),
    HookSubscription("late", {"Shot": {"create": []}}, None, start_event_id=10),
]


@pytest.mark.parametrize(
    ("event", "hooks"),
    [
        (_event("Shotgun_Shot_New"), ["all_shot"]),
        (_event("Shotgun_Shot_New", 11), ["all_shot", "late"]),
        (_event("Shotgun_Shot_New", 11, project_id=2), ["all_shot", "proj2", "late"]),
        (_event("Shotgun_Shot_Change", attribute_name="sg_status_list"), ["all_shot", "status", "in_create"]),
        (_event("Shotgun_Shot_Change", attribute_name="code"), ["all_shot", "in_create"]),
        (
            _event("Shotgun_Shot_Change", attribute_name="sg_status_list", meta={"in_create": True}),
            ["in_create"],
        ),
        (_event("Shotgun_Shot_Retirement"), ["all_shot"]),
        (_event("Shotgun_Shot_Revival"), ["all_shot"]),
        (_event("Shotgun_Asset_New"), []),
        (_event("Toolkit_App_Startup"), ["custom"]),
        (_event("Shotgun_User_Login"), ["custom"]),
        (_event("Shotgun_User_Logout"), []),
    ],
)
def test_matching(event: dict[str, Any], hooks: list[str]) -> None:
    assert Subscriptions(SUBS).match(event) == hooks


# -- hook validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"entity_types": {"Shot": {"create": []}}}, "url", "url is missing"),
        ({"url": "http://x"}, "entity_types", "either entity types or event type is required"),
        (
            {"url": "http://x", "entity_types": {"Shot": {"create": []}}, "event_type": "Shotgun_User_Login"},
            "entity_types",
            "either entity types or event type is required",
        ),
        ({"url": "http://x", "entity_types": {"Shott": {"create": []}}}, "entity_types", "'Shott'"),
        ({"url": "http://x", "entity_types": {"ApiUser": {"create": []}}}, "entity_types", "ApiUser"),
        (
            {"url": "http://x", "entity_types": {"EventLogEntry": {"create": []}}},
            "entity_types",
            "EventLogEntry",
        ),
        ({"url": "http://x", "entity_types": {"Shot": {"explode": []}}}, "entity_types", "'explode'"),
        ({"url": "http://x", "entity_types": {"Shot": {"update": ["sg_nope"]}}}, "entity_types", "'sg_nope'"),
        ({"url": "http://x", "event_type": "Shotgun_User_Jump"}, "event_type", "'Shotgun_User_Jump'"),
        ({"url": "http://x", "event_type": 5}, "event_type", "event_type must be a string"),
        ({"url": "http://x", "event_type": ""}, "event_type", "event_type must be filled"),
        ({"url": "http://x", "event_type": "Toolkit_X", "projects": ["a"]}, "projects", "project ids"),
        (
            {"url": "http://x", "entity_types": {"HumanUser": {"create": []}}, "projects": [1]},
            "projects",
            "HumanUser",
        ),
        (
            {"url": "http://x", "event_type": "Toolkit_X", "status": "failed"},
            "status",
            "status must be one of: active, disabled",
        ),
        ({"url": "http://x", "event_type": "Toolkit_X", "max_concurrency": 0}, "max_concurrency", "0"),
        ({"url": "http://x", "event_type": "Toolkit_X", "wat": 1}, "wat", "not a webhook field"),
        (
            {"url": "http://x", "event_type": "Toolkit_X", "notify_emails": ["ops@example.com", "ops"]},
            "notify_emails",
            "notify_emails: 'ops' is not an email address",
        ),
        (
            {"url": "http://x", "event_type": "Toolkit_X", "notify_emails": 5},
            "notify_emails",
            "notify_emails must be a list of email addresses, got 5",
        ),
        (
            {"url": "http://x", "event_type": "Toolkit_X", "signing_secret": "nope"},
            "signing_secret",
            "whsec_",
        ),
    ],
)
def test_invalid_hooks_name_the_field(schema: Any, body: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(HookInvalid) as info:
        parse_hook(body, schema)
    assert info.value.field == field
    assert fragment in info.value.message


def test_valid_hooks_and_partial_updates(schema: Any) -> None:
    created = parse_hook(
        {
            "url": "http://x",
            "entity_types": {"Shot": {"update": ["code"], "create": None}},
            "projects": [3, 3],
        },
        schema,
    )
    assert created.entity_types == {"Shot": {"update": ["code"], "create": []}}
    assert created.projects == (3,)
    assert parse_hook({"url": "http://x", "event_type": "Shotgun_Shot_*"}, schema).event_types == (
        "Shotgun_Shot_*",
    )
    assert parse_hook({"url": "http://x", "event_types": ["My_Custom_Event"]}, schema).event_types == (
        "My_Custom_Event",
    )
    switched = parse_hook({"event_type": "Toolkit_App_Startup"}, schema, created)
    assert switched.entity_types is None and switched.url == "http://x"
    with pytest.raises(HookInvalid, match="ensure_field_present"):
        parse_hook({}, schema, created)
    rotated = parse_hook(
        {"signing_secret": payloads.new_signing_secret()},
        schema,
        HookConfig(url="http://x", signing_secrets=("whsec_" + "A" * 32,)),
    )
    assert len(rotated.signing_secrets) == 2


# -- address policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.1.1", True),
        ("172.16.0.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("fd00::1", True),
        ("::ffff:127.0.0.1", True),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_policy_refuses_internal_addresses(address: str, refused: bool) -> None:
    assert (AddressPolicy().refusal(ipaddress.ip_address(address)) is not None) is refused
    assert AddressPolicy(allow_private=True).refusal(ipaddress.ip_address(address)) is None


def test_allowed_networks_open_only_themselves() -> None:
    policy = AddressPolicy.parse(None, "127.0.0.0/8, 10.2.0.0/16")
    assert policy.refusal(ipaddress.ip_address("127.0.0.5")) is None
    assert policy.refusal(ipaddress.ip_address("10.2.9.9")) is None
    assert policy.refusal(ipaddress.ip_address("10.3.0.1")) is not None
    with pytest.raises(ValueError, match=r"'10\.2\.0\.0/99'"):
        AddressPolicy.parse(None, "10.2.0.0/99")


def test_registration_check_resolves_the_host() -> None:
    with pytest.raises(RefusedAddress, match="loopback"):
        check_url("http://127.0.0.1:9/x", AddressPolicy())
    with pytest.raises(RefusedAddress, match="loopback"):
        check_url("http://localhost:9/x", AddressPolicy())
    check_url("http://localhost:9/x", AddressPolicy(allow_private=True))
    with pytest.raises(ValidationError, match="http:// or https://"):
        check_url("ftp://example.com/x", AddressPolicy())
