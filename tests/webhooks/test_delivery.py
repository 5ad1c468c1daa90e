"""End to end in one process: the store writes, a real worker delivers to real receivers on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from receivers import Receiver, verify_standard
from webhookkit import WorkerThread, fast_settings, wait_until

import shotlog
from shotlog import clock
from shotlog.store.tables import webhook_attempts, webhook_deliveries, webhook_hooks
from shotlog.webhooks import repository
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.netguard import AddressPolicy
from testdbs import Databases, free_port

Run = Callable[..., WorkerThread]


@pytest.fixture(scope="module")
def db_url(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database for this module's tests: a PostgreSQL copy costs about a second, and every test
    here isolates itself (its own hooks, receivers and event types; cleaned up below)."""
    dbs = Databases(template, tmp_path_factory.mktemp("webhook_delivery"))
    yield dbs.new()
    dbs.drop_all()


@pytest.fixture(autouse=True)
def _no_hooks_left(db_url: str) -> Iterator[None]:
    """After each test (its workers stopped first): no hook, delivery or attempt of it remains."""
    yield
    with shotlog.connect(db_url, migrate=False) as store, store.db.write() as conn:
        for table in (webhook_attempts, webhook_deliveries, webhook_hooks):
            conn.execute(sa.delete(table))


def shot_hook(hooks: Webhooks, receiver: Receiver, **extra: Any) -> dict[str, Any]:
    body = {
        "url": receiver.url,
        "token": "s3cret",
        "entity_types": {"Shot": {"create": [], "update": [], "delete": [], "revive": []}},
        **extra,
    }
    return hooks.create_hook(body)


def test_signed_fptr_payloads_for_every_operation(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    hook = shot_hook(hooks, receiver)
    run_worker()
    project = sg.create("Project", {"name": "P"})
    shot = sg.create("Shot", {"code": "sh010", "project": project})
    sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    sg.delete("Shot", shot["id"])
    sg.revive("Shot", shot["id"])
    # New; Change(status); Change(retirement_date) + Retirement; Change(retirement_date) + Revival.
    # The in_create Changes of the create do not fire the update subscription.
    received = receiver.wait_for(6)
    time.sleep(0.2)
    assert len(receiver.requests) == 6
    assert all(r.signature_ok for r in received)
    items = sorted(receiver.items(), key=lambda d: d["event_log_entry_id"])
    assert [(i["event_type"], i["operation"]) for i in items] == [
        ("Shotgun_Shot_New", "create"),
        ("Shotgun_Shot_Change", "update"),
        ("Shotgun_Shot_Change", "update"),
        ("Shotgun_Shot_Retirement", "delete"),
        ("Shotgun_Shot_Change", "update"),
        ("Shotgun_Shot_Revival", "revive"),
    ]
    status = items[1]
    events = {e["id"]: e for e in sg.iter_events(0)}
    assert status["meta"] == events[status["event_log_entry_id"]]["meta"]
    assert status["meta"]["new_value"] == "ip" and status["attribute_name"] == "sg_status_list"
    assert status["entity"] == {"type": "Shot", "id": shot["id"]}
    assert status["project"] == {"type": "Project", "id": project["id"]}
    assert status["user"]["type"] == "ApiUser"
    for r in received:
        assert r.header("X-SG-WEBHOOK-ID") == hook["id"]
        assert r.header("X-SG-DELIVERY-ID") == r.body["data"]["delivery_id"]
        assert r.header("Content-Type") == "application/json; charset=utf-8"
        assert r.body["timestamp"].endswith("Z")
    page = hooks.list_deliveries(hook["id"], status="delivered")
    assert len(page.deliveries) == 6
    assert page.performance_metrics["event_count"] == 6
    one = hooks.get_delivery(received[0].header("X-SG-DELIVERY-ID") or "")
    assert one["status"] == "delivered" and one["response_code"] == 200 and one["body"] == "ok"
    assert json.loads(one["request_body"]) == received[0].body
    assert wait_until(lambda: hooks.get_hook(hook["id"])["num_deliveries"] == 6)


def test_without_hooks_the_worker_writes_nothing_and_a_new_hook_gets_later_events(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    """With no hook the dispatch cursor rests (no write transaction, no fsync, per commit of the
    log); a hook created later gets the events after its creation and none before."""
    run_worker()
    time.sleep(0.3)  # the worker's first look
    before = repository.cursor_position(sg.db)
    for i in range(5):
        sg.create("Shot", {"code": f"unheard{i}"})
    time.sleep(1.5)  # longer than the worker's look for a first hook (worker.HOOKLESS_RECHECK)
    assert repository.cursor_position(sg.db) == before
    shot_hook(hooks, receiver)
    shot = sg.create("Shot", {"code": "heard"})
    receiver.wait_for(1)
    time.sleep(0.3)
    assert [(i["entity"]["id"], i["event_type"]) for i in receiver.items()] == [
        (shot["id"], "Shotgun_Shot_New")
    ]
    assert wait_until(lambda: repository.cursor_position(sg.db) >= before + 5)


def test_in_create_changes_fire_only_when_asked(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    hooks.create_hook({"url": receiver.url, "entity_types": {"Shot": {"update": ["code"]}}})
    hooks.create_hook(
        {
            "url": receiver.url + "?all",
            "entity_types": {"Shot": {"update": ["code"]}},
            "include_in_create": True,
        }
    )
    run_worker()
    shot = sg.create("Shot", {"code": "a"})
    sg.update("Shot", shot["id"], {"code": "b"})
    receiver.wait_for(3)
    time.sleep(0.2)
    got = sorted(
        (r.body["data"]["meta"].get("in_create", False), r.body["data"]["meta"]["new_value"])
        for r in receiver.requests
    )
    assert got == [(False, "b"), (False, "b"), (True, "a")]


def test_project_filter_and_custom_event_patterns(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    p1 = sg.create("Project", {"name": "One"})
    p2 = sg.create("Project", {"name": "Two"})
    hooks.create_hook({"url": receiver.url, "entity_types": {"Shot": {"create": []}}, "projects": [p2["id"]]})
    hooks.create_hook({"url": receiver.url, "event_types": ["Toolkit_*"]})
    run_worker()
    sg.create("Shot", {"code": "x", "project": p1})
    sg.create("Shot", {"code": "y", "project": p2})
    sg.create_event("Toolkit_App_Startup", description="started")
    sg.create_event("Other_Thing_Done")
    receiver.wait_for(2)
    time.sleep(0.2)
    types = sorted(i["event_type"] for i in receiver.items())
    assert types == ["Shotgun_Shot_New", "Toolkit_App_Startup"]
    assert [i["project"] for i in receiver.items() if i["event_type"] == "Shotgun_Shot_New"] == [
        {"type": "Project", "id": p2["id"]}
    ]


def test_batched_hook_sends_up_to_50_per_request_in_event_order(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    hook = hooks.create_hook(
        {"url": receiver.url, "token": "s3cret", "event_type": "Toolkit_Batch_Test", "batch_deliveries": True}
    )
    sg.batch(
        [
            {
                "request_type": "create",
                "entity_type": "EventLogEntry",
                "data": {"event_type": "Toolkit_Batch_Test", "description": str(i)},
            }
            for i in range(120)
        ]
    )
    run_worker()
    wait_until(lambda: len(receiver.items()) >= 120, what="120 batched items")
    assert all(r.signature_ok for r in receiver.requests)
    assert all(
        "deliveries" in r.body["data"] and 1 <= len(r.body["data"]["deliveries"]) <= 50
        for r in receiver.requests
    )
    assert max(len(r.body["data"]["deliveries"]) for r in receiver.requests) == 50
    for r in receiver.requests:
        ids = [d["event_log_entry_id"] for d in r.body["data"]["deliveries"]]
        assert ids == sorted(ids)
        assert r.header("X-SG-EVENT-BATCH-SIZE") == str(len(ids))
        assert r.body["timestamp"].count(".") == 1  # milliseconds in the batched format
    assert len({i["delivery_id"] for i in receiver.items()}) == 120
    wait_until(
        lambda: len(hooks.list_deliveries(hook["id"], status="delivered").deliveries) == 120, what="log"
    )


def test_standard_webhooks_headers_verify_with_the_generated_secret(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    hook = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Std", "standard_webhooks": True})
    secret = hook["signing_secret"]
    assert "signing_secret" not in hooks.get_hook(hook["id"])  # shown once
    run_worker()
    sg.create_event("Toolkit_Std")
    (r,) = receiver.wait_for(1)
    assert verify_standard(
        secret,
        r.header("webhook-id") or "",
        r.header("webhook-timestamp") or "",
        r.raw,
        r.header("webhook-signature") or "",
    )
    assert r.header("webhook-id") == r.header("X-SG-DELIVERY-ID")
    assert abs(int(r.header("webhook-timestamp") or 0) - time.time()) < 300


def test_failing_receiver_is_retried_with_backoff_until_it_recovers(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    answers = iter([500, 502, 503])

    def respond(r: Any) -> int:
        # Webhook_Status_Change notifications (active → unstable) go to the same URL: answer them
        return next(answers, 200) if r.body["data"]["event_type"] == "Toolkit_Retry" else 200

    receiver.respond = respond
    hook = hooks.create_hook({"url": receiver.url, "token": "s3cret", "event_type": "Toolkit_Retry"})
    run_worker()
    sg.create_event("Toolkit_Retry")
    wait_until(lambda: sum(i["event_type"] == "Toolkit_Retry" for i in receiver.items()) >= 4, what="4 tries")
    got = [r for r in receiver.requests if r.body["data"]["event_type"] == "Toolkit_Retry"]
    assert len({r.header("X-SG-DELIVERY-ID") for r in got}) == 1  # one delivery, retried
    d = wait_until(
        lambda: [
            x
            for x in hooks.list_deliveries(hook["id"], status="delivered").deliveries
            if x["kind"] == "event"
        ],
        what="delivered",
    )
    assert d[0]["attempts"] == 4
    h = hooks.get_hook(hook["id"])
    assert h["status"] == "unstable" and "HTTP 503" in (h["last_error"] or "")


def test_receiver_that_disappears_and_comes_back_gets_everything_once(
    sg: shotlog.Shotlog, hooks: Webhooks, run_worker: Run
) -> None:
    receiver = Receiver(token="s3cret").start()
    port_url = receiver.url
    receiver.stop()
    hook = hooks.create_hook({"url": port_url, "token": "s3cret", "event_type": "Toolkit_Outage"})
    run_worker()
    for i in range(20):
        sg.create_event("Toolkit_Outage", description=str(i))
    wait_until(lambda: hooks.get_hook(hook["id"])["last_error"], what="a failed attempt")
    back = Receiver(token="s3cret", port=int(port_url.split(":")[2].split("/")[0])).start()
    try:
        wait_until(lambda: len(back.items()) >= 20, timeout=20, what="the backlog")
        time.sleep(0.3)
        ids = [i["event_log_entry_id"] for i in back.items()]
        assert len(ids) == 20 and len(set(ids)) == 20
        assert all(r.signature_ok for r in back.requests)
    finally:
        back.stop()


def test_receiver_hanging_past_the_timeout_fails_the_attempt(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    receiver.gate = threading.Event()  # the receiver answers nothing until the test is over
    try:
        hook = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Slow", "timeout": 1})
        run_worker()
        sg.create_event("Toolkit_Slow")
        failed = wait_until(
            lambda: hooks.list_deliveries(hook["id"], status="failed").deliveries, what="a failure"
        )
        assert "timed out after 1 s" in failed[0]["error"]
        assert failed[0]["response_code"] is None
    finally:
        receiver.gate.set()


def test_slow_receiver_does_not_delay_another_hook(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    slow = Receiver().start()
    slow.gate = threading.Event()  # holds every request until released: slower than anything
    try:
        hooks.create_hook(
            {"url": slow.url, "event_type": "Toolkit_Both", "max_concurrency": 2, "timeout": 30}
        )
        hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Both"})
        run_worker()
        for _ in range(10):
            sg.create_event("Toolkit_Both")
        receiver.wait_for(10)  # all ten arrive while the slow hook's first requests are still held
        assert slow.requests == []
    finally:
        slow.stop()


def test_ordered_hook_delivers_in_event_order_through_failures(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    seen: list[int] = []

    def respond(r: Any) -> int:
        event_id = r.body["data"]["event_log_entry_id"]
        if len(seen) < 3 and event_id == 3 + sg_first[0]:
            seen.append(event_id)
            return 500
        return 200

    sg_first = [sg.head_event_id()]
    receiver.respond = respond
    hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Ordered", "ordered": True})
    run_worker()
    for i in range(8):
        sg.create_event("Toolkit_Ordered", description=str(i))
    wait_until(lambda: len({i["event_log_entry_id"] for i in receiver.items()}) == 8, what="8 events")
    order = [i["event_log_entry_id"] for i in receiver.items()]
    first_success = []
    for e in order:
        if e not in first_success:
            first_success.append(e)
    assert first_success == sorted(first_success)
    assert order.count(3 + sg_first[0]) == 4  # three failures, then success, before anything later


def test_disabled_hook_holds_then_discard(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    hook = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Hold"})
    hooks.disable_hook(hook["id"])
    run_worker()
    sg.create_event("Toolkit_Hold")
    wait_until(lambda: hooks.get_hook(hook["id"])["held_deliveries"] == 1, what="held")
    status = receiver.wait_for(1)[0].body["data"]  # the Webhook_Status_Change of the user's disable
    assert status["event_type"] == "Webhook_Status_Change"
    assert status["meta"] == {
        "type": "webhook_status_change",
        "source": "client",
        "old_value": "active",
        "new_value": "disabled",
    }
    assert hooks.discard_held(hook["id"]) == 1
    assert hooks.list_deliveries(hook["id"], status="discarded").deliveries


def test_replay_and_redeliver(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    first = sg.head_event_id()
    for i in range(5):
        sg.create_event("Toolkit_Replay", description=str(i))
    hook = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Replay"})  # created after them
    run_worker()
    assert hooks.replay(hook["id"], after_id=first + 1, to_id=first + 4) == 3
    receiver.wait_for(3)
    assert sorted(i["event_log_entry_id"] for i in receiver.items()) == [first + 2, first + 3, first + 4]
    original = receiver.requests[0].header("X-SG-DELIVERY-ID") or ""
    new = hooks.redeliver(original)
    receiver.wait_for(4)
    assert (
        receiver.requests[3].body["data"]["event_log_entry_id"]
        == receiver.requests[0].body["data"]["event_log_entry_id"]
    )
    assert wait_until(lambda: hooks.get_delivery(new)["status"] == "delivered")
    assert hooks.get_delivery(new)["redelivery_of"] == original


def test_test_connection_reports_the_answer(hooks: Webhooks, receiver: Receiver) -> None:
    hook = hooks.create_hook({"url": receiver.url, "token": "s3cret", "event_type": "Toolkit_X"})
    result = hooks.test_hook(hook["id"])
    assert result.ok and result.response_code == 200
    (r,) = receiver.requests
    assert r.body["data"]["event_type"] == "Test_Connection" and r.signature_ok
    receiver.respond = lambda r: 418
    result = hooks.test_hook(hook["id"])
    assert not result.ok and result.response_code == 418
    assert hooks.get_hook(hook["id"])["status"] == "active"  # a manual test does not count


def test_an_unreachable_receiver_is_named_in_plain_words(hooks: Webhooks) -> None:
    port = free_port()  # bound and closed again: nothing listens there
    hook = hooks.create_hook({"url": f"http://127.0.0.1:{port}/hook", "event_type": "Toolkit_Gone"})
    result = hooks.test_hook(hook["id"])
    assert not result.ok and result.response_code is None
    # the address and the system's reason, not aiohttp's "ssl:default" for a plain http:// URL
    assert result.error == f"connection failed: 127.0.0.1:{port}: Connection refused"


def test_test_connection_works_where_an_event_loop_is_running(hooks: Webhooks, receiver: Receiver) -> None:
    """An application (or harness) that runs an event loop on this thread can still call it."""
    import asyncio

    hook = hooks.create_hook({"url": receiver.url, "token": "s3cret", "event_type": "Toolkit_Y"})

    async def inside() -> Any:
        return hooks.test_hook(hook["id"])

    result = asyncio.run(inside())
    assert result.ok and result.response_code == 200
    assert [r.body["data"]["event_type"] for r in receiver.requests] == ["Test_Connection"]


def test_connect_time_guard_refuses_what_registration_allowed(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    hook = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Ssrf"})
    run_worker(fast_settings(policy=AddressPolicy()))  # this worker allows no internal address
    sg.create_event("Toolkit_Ssrf")
    failed = wait_until(lambda: hooks.list_deliveries(hook["id"], status="failed").deliveries, what="refusal")
    assert "refused" in failed[0]["error"] and "loopback" in failed[0]["error"]
    assert receiver.requests == []


def test_ssrf_refused_at_registration(sg: shotlog.Shotlog) -> None:
    strict = Webhooks(sg, fast_settings(policy=AddressPolicy()))
    for url in (
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://169.254.169.254/latest",
        "http://10.0.0.1/",
    ):
        with pytest.raises(shotlog.ShotlogError, match="reserved/internal") as info:
            strict.create_hook({"url": url, "event_type": "Toolkit_X"})
        assert info.value.details["field"] == "url"
    assert strict.list_hooks()[0] == []


def test_tokens_are_write_only(hooks: Webhooks, receiver: Receiver) -> None:
    hook = hooks.create_hook({"url": receiver.url, "token": "s3cret", "event_type": "Toolkit_X"})
    assert hook["is_token_set"] is True
    assert "s3cret" not in json.dumps(hook) and "s3cret" not in json.dumps(hooks.list_hooks()[0])
    assert hooks.update_hook(hook["id"], {"token": None})["is_token_set"] is False


def _self_signed(directory: Path) -> ssl.SSLContext:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_validate_ssl_cert_is_honoured(
    sg: shotlog.Shotlog, hooks: Webhooks, run_worker: Run, tmp_path: Path
) -> None:
    receiver = Receiver(tls=_self_signed(tmp_path)).start()
    try:
        strict = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Tls"})
        lax = hooks.create_hook(
            {"url": receiver.url + "?lax", "event_type": "Toolkit_Tls", "validate_ssl_cert": False}
        )
        run_worker()
        sg.create_event("Toolkit_Tls")
        failed = wait_until(
            lambda: hooks.list_deliveries(strict["id"], status="failed").deliveries,
            what="a certificate failure",
        )
        assert "certificate" in failed[0]["error"].lower()
        wait_until(
            lambda: hooks.list_deliveries(lax["id"], status="delivered").deliveries, what="lax delivery"
        )
        assert [i["event_type"] for i in receiver.items()] == ["Toolkit_Tls"]
    finally:
        receiver.stop()


def test_unstable_hook_returns_to_active_when_its_window_is_clean(
    sg: shotlog.Shotlog, db_url: str, receiver: Receiver, run_worker: Run
) -> None:
    settings = fast_settings(retry_scale=0.00002)  # the 24 h window becomes 1.7 s
    hooks = Webhooks(sg, settings)
    answers = iter([500, 500])

    def respond(r: Any) -> int:
        return next(answers, 200) if r.body["data"]["event_type"] == "Toolkit_Window" else 200

    receiver.respond = respond
    hook = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Window"})
    run_worker(settings)
    sg.create_event("Toolkit_Window")
    wait_until(lambda: hooks.get_hook(hook["id"])["status"] == "unstable", what="unstable")
    wait_until(lambda: hooks.get_hook(hook["id"])["status"] == "active", what="active again")
    wait_until(
        lambda: (
            len([d for d in receiver.items(service=True) if d["event_type"] == "Webhook_Status_Change"]) == 2
        ),
        what="two status notifications",
    )
    changes = [
        (d["previous_webhook_status"], d["webhook_status"], d["meta"]["source"])
        for d in receiver.items(service=True)
        if d["event_type"] == "Webhook_Status_Change"
    ]
    assert changes == [("active", "unstable", "system"), ("unstable", "active", "system")]


def test_retention_purges_finished_deliveries_and_keeps_held_ones(
    sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver, run_worker: Run
) -> None:
    from shotlog.webhooks import repository

    hook = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Old"})
    run_worker()
    sg.create_event("Toolkit_Old")
    wait_until(lambda: hooks.list_deliveries(hook["id"], status="delivered").deliveries, what="delivered")
    hooks.disable_hook(hook["id"])
    sg.create_event("Toolkit_Old")
    wait_until(lambda: hooks.get_hook(hook["id"])["held_deliveries"] == 1, what="held")
    # disabling queued a Webhook_Status_Change (sent even to a disabled hook): recorded before the
    # purge, or it could turn up delivered after it
    wait_until(
        lambda: len(hooks.list_deliveries(hook["id"], status="delivered").deliveries) == 2,
        what="the status change delivered",
    )
    later = clock.utcnow() + dt.timedelta(days=1)
    repository.purge(sg.db, later)
    kinds = sorted(d["state"] for d in hooks.list_deliveries(hook["id"]).deliveries)
    assert "delivered" not in kinds and kinds.count("held") == 1


def test_serve_service_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, sg: shotlog.Shotlog) -> None:
    from shotlog.webhooks.worker import webhook_service

    monkeypatch.setenv("SHOTLOG_WEBHOOKS", "0")
    assert webhook_service(sg) == []
    monkeypatch.setenv("SHOTLOG_WEBHOOKS", "1")
    assert [s.name for s in webhook_service(sg)] == ["webhooks"]
    monkeypatch.setenv("SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS", "10.0.0.0/99")
    with pytest.raises(SystemExit, match="SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS"):
        webhook_service(sg)


def test_connect_time_guard_vets_resolved_names(
    sg: shotlog.Shotlog, receiver: Receiver, run_worker: Run
) -> None:
    both = AddressPolicy.parse(None, "127.0.0.0/8,::1/128")
    hooks = Webhooks(sg, fast_settings(policy=both))
    hook = hooks.create_hook(
        {"url": receiver.url.replace("127.0.0.1", "localhost"), "event_type": "Toolkit_Dns"}
    )
    run_worker(fast_settings(policy=AddressPolicy()))  # the name now resolves to refused addresses only
    sg.create_event("Toolkit_Dns")
    failed = wait_until(lambda: hooks.list_deliveries(hook["id"], status="failed").deliveries, what="refusal")
    assert failed[0]["error"].startswith("refused:") and "localhost" in failed[0]["error"]
    assert receiver.requests == []
