"""FPTR's webhook REST endpoints on a real ``shotlog serve`` (its built-in worker delivering)."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from receivers import Receiver
from restserver import bearer_client, rest_server
from webhookkit import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rest"))
from restkit import errors_of

W = "/api/v1/webhook"


@pytest.fixture(scope="module")
def server(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with rest_server(
        template,
        tmp_path_factory.mktemp("webhook_rest"),
        {"SHOTLOG_WEBHOOKS_RETRY_SCALE": "0.0005", "SHOTLOG_WEBHOOKS_POLL_INTERVAL": "0.02"},
    ) as url:
        yield url


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with bearer_client(server) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(token="s3cret").start()
    yield r
    r.stop()


def fptr_error(reply: httpx.Response, field: str) -> str:
    assert reply.status_code == 400, reply.text
    (error,) = reply.json()["errors"]
    assert error["code"] == 103 and error["title"] == "Request Parameters invalid."
    assert list(error["source"]) == [field]
    (message,) = error["source"][field]
    return str(message)


def test_hook_lifecycle_shapes(api: httpx.Client, receiver: Receiver) -> None:
    reply = api.post(
        f"{W}/hooks",
        json={
            "url": receiver.url,
            "name": "Shot status",
            "token": "s3cret",
            "entity_types": {"Shot": {"update": ["sg_status_list"]}},
        },
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    hook = body["data"]
    assert body["links"] == {"self": f"{W}/hooks/{hook['id']}"}
    uuid.UUID(hook["id"])
    for key, value in {
        "url": receiver.url,
        "name": "Shot status",
        "description": "",
        "projects": [],
        "status": "active",
        "num_deliveries": 0,
        "validate_ssl_cert": True,
        "batch_deliveries": False,
        "is_token_set": True,
    }.items():
        assert hook[key] == value, key
    assert hook["entity_types"] == {"Shot": {"update": ["sg_status_list"]}}
    assert "token" not in hook
    assert api.get(f"{W}/hooks/{hook['id']}").json()["data"] == {
        **hook,
        "pending_deliveries": 0,
        "held_deliveries": 0,
    } | {k: v for k, v in api.get(f"{W}/hooks/{hook['id']}").json()["data"].items() if k.endswith("_at")}
    listed = api.get(f"{W}/hooks", params={"status": "active"}).json()
    assert hook["id"] in [h["id"] for h in listed["data"]] and "self" in listed["links"]
    assert api.get(f"{W}/hooks", params={"status": "bogus"}).json()["data"] == []
    updated = api.put(f"{W}/hooks/{hook['id']}", json={"status": "disabled", "description": "d"})
    assert updated.status_code == 200 and updated.json()["data"]["status"] == "disabled"
    assert updated.json()["data"]["description"] == "d"
    assert fptr_error(api.put(f"{W}/hooks/{hook['id']}", json={}), "body").startswith("ensure_field_present")
    assert fptr_error(api.put(f"{W}/hooks/{hook['id']}", json={"status": "failed"}), "status") == (
        "status must be one of: active, disabled"
    )
    assert api.delete(f"{W}/hooks/{hook['id']}").status_code == 204
    gone = api.get(f"{W}/hooks/{hook['id']}")
    assert errors_of(gone, 404, 104)["title"] == f"hook: {hook['id']} not found"
    errors_of(api.get(f"{W}/hooks/not-a-uuid"), 404, 103)


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"entity_types": {"Shot": {"create": []}}}, "url", "url is missing"),
        ({"url": "http://127.0.0.1:9/"}, "entity_types", "either entity types or event type is required"),
        (
            {"url": "http://127.0.0.1:9/", "entity_types": {"Shoot": {"create": []}}},
            "entity_types",
            "'Shoot'",
        ),
        (
            {"url": "http://127.0.0.1:9/", "entity_types": {"Shot": {"update": ["nope"]}}},
            "entity_types",
            "'nope'",
        ),
        (
            {"url": "http://127.0.0.1:9/", "entity_types": {"ApiUser": {"create": []}}},
            "entity_types",
            "ApiUser",
        ),
        ({"url": "http://127.0.0.1:9/", "event_type": "Shotgun_Nope_Thing"}, "event_type", "not one of"),
        ({"url": "http://169.254.169.254/", "event_type": "Toolkit_X"}, "url", "reserved/internal"),
        (
            {"url": "http://127.0.0.1:9/", "event_type": "Toolkit_X", "projects": [987654]},
            "projects",
            "987654",
        ),
        (
            {"url": "http://127.0.0.1:9/", "event_type": "Toolkit_X", "notify_emails": ["ops at studio"]},
            "notify_emails",
            "'ops at studio' is not an email address",
        ),
    ],
)
def test_create_errors_say_which(api: httpx.Client, body: dict[str, Any], field: str, fragment: str) -> None:
    before = len(api.get(f"{W}/hooks").json()["data"])
    assert fragment in fptr_error(api.post(f"{W}/hooks", json=body), field)
    assert len(api.get(f"{W}/hooks").json()["data"]) == before


def test_wrong_content_type_and_no_token(api: httpx.Client, server: str) -> None:
    reply = api.post(
        f"{W}/hooks",
        content=b'{"url": "http://127.0.0.1:9/"}',
        headers={"Content-Type": "application/vnd+shotgun.api3_array+json"},
    )
    assert reply.status_code == 415
    assert httpx.get(f"{server}{W}/hooks").status_code == 401


def test_deliveries_acknowledgement_redeliver_and_test_connection(
    api: httpx.Client, receiver: Receiver
) -> None:
    hook = api.post(
        f"{W}/hooks", json={"url": receiver.url, "token": "s3cret", "entity_types": {"Shot": {"create": []}}}
    ).json()["data"]
    shot = api.post("/api/v1/entity/shots", json={"code": "rest_hook"}).json()["data"]
    (r,) = receiver.wait_for(1)
    assert r.signature_ok and r.body["data"]["entity"] == {"type": "Shot", "id": shot["id"]}
    delivery_id = r.header("X-SG-DELIVERY-ID")

    def listed() -> Any:
        page = api.get(f"{W}/hooks/{hook['id']}/deliveries", params={"status": "delivered"}).json()
        return page if page["data"] else None

    page = wait_until(listed, what="a delivered delivery")
    assert set(page) == {"data", "included", "performance_metrics", "links"}
    assert set(page["performance_metrics"]) == {
        "event_count",
        "event_time_span",
        "process_time_sum",
        "mean_process_time",
        "max_process_time",
        "min_process_time",
        "start_event_time",
        "end_event_time",
        "process_time_ratio",
    }
    (d,) = page["data"]
    assert {
        "id",
        "event_time",
        "status",
        "process_time",
        "response_code",
        "body",
        "acknowledgement",
        "request_headers",
        "response_headers",
        "request_body",
    } <= set(d)
    assert d["id"] == delivery_id and d["status"] == "delivered" and d["response_code"] == 200
    assert d["request_headers"]["X-SG-WEBHOOK-ID"] == hook["id"]

    ack = api.put(f"{W}/deliveries/{delivery_id}", json={"acknowledgement": "processed by pipeline"})
    assert ack.status_code == 200 and ack.json()["data"]["acknowledgement"] == "processed by pipeline"
    too_long = api.put(f"{W}/deliveries/{delivery_id}", json={"acknowledgement": "x" * 4097})
    assert fptr_error(too_long, "acknowledgement") == "acknowledgement must be 4096 bytes long or less"
    assert api.put(f"{W}/deliveries/{delivery_id}", json={}).status_code == 200
    found = api.get(f"{W}/hooks/{hook['id']}/deliveries", params={"acknowledgement": "pipeline"}).json()
    assert [x["id"] for x in found["data"]] == [delivery_id]
    assert (
        api.get(f"{W}/hooks/{hook['id']}/deliveries", params={"acknowledgement": "nope"}).json()["data"] == []
    )
    assert (
        api.get(f"{W}/deliveries/{delivery_id}").json()["data"]["acknowledgement"] == "processed by pipeline"
    )

    again = api.post(f"{W}/deliveries/{delivery_id}/redeliver")
    assert again.status_code == 204 and again.headers["location"].startswith(f"{W}/deliveries/")
    receiver.wait_for(2)
    assert receiver.requests[1].body["data"]["event_log_entry_id"] == r.body["data"]["event_log_entry_id"]

    tested = api.post(f"{W}/hooks/{hook['id']}/test_connection")
    assert tested.status_code == 204 and tested.content == b""
    assert tested.headers["x-shotlog-test-response-code"] == "200"
    assert receiver.wait_for(3)[2].body["data"]["event_type"] == "Test_Connection"
    missing = api.post(f"{W}/hooks/{uuid.uuid4()}/test_connection")
    errors_of(missing, 404, 104)
    errors_of(api.get(f"{W}/deliveries/{uuid.uuid4()}"), 404, 104)
    time.sleep(0.1)


def test_notify_emails_are_a_shotlog_field_of_the_hook(api: httpx.Client) -> None:
    body = {"url": "http://127.0.0.1:9/", "event_type": "Toolkit_X", "notify_emails": ["ops@studio.example"]}
    hook = api.post(f"{W}/hooks", json=body).json()["data"]
    assert hook["notify_emails"] == ["ops@studio.example"]
    assert hook["status"] == "active" and hook["status_since"] and hook["failures_in_window"] == 0
    assert hook["failure_threshold"] == 100
    changed = api.put(f"{W}/hooks/{hook['id']}", json={"notify_emails": "a@studio.example, b@studio.example"})
    assert changed.json()["data"]["notify_emails"] == ["a@studio.example", "b@studio.example"]
    # the status keys of a read, sent back, are ignored (read-only)
    read_only = {
        k: changed.json()["data"][k] for k in ("status_since", "failures_in_window", "failure_threshold")
    }
    again = api.put(f"{W}/hooks/{hook['id']}", json={**read_only, "notify_emails": []})
    assert again.status_code == 200 and again.json()["data"]["notify_emails"] == []
    assert api.delete(f"{W}/hooks/{hook['id']}").status_code == 204
