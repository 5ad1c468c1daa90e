"""Webhook pages over plain HTTP: who may use them, CSRF, server-side validation, 404s, replay."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import shotgun_api3
from webkit import Receiver, WebServer, csrf_of, new_hook


@pytest.fixture
def admin(server: WebServer) -> Any:
    return server.signed_in()


def test_only_admins_and_managers_manage_webhooks(server: WebServer, sg: shotgun_api3.Shotgun) -> None:
    login = f"artist{uuid.uuid4().hex[:6]}"
    sg.create(
        "HumanUser",
        {
            "login": login,
            "firstname": "Art",
            "lastname": "Ist",
            "password_proxy": "paint it black",
            "permission_rule_set": "Artist",
        },
    )
    http = server.signed_in(login, "paint it black")
    assert http.get("/events").status_code == 200
    for path in ("/webhooks", "/webhooks/new"):
        reply = http.get(path)
        assert reply.status_code == 403 and "Admin or Manager permission set" in reply.text
    # the daemon's controls ask manage_daemon (Admin's, and the API sets')
    reply = http.get("/daemon")
    assert reply.status_code == 403 and "needs a permission set with manage daemon" in reply.text
    assert http.post("/webhooks/new", data={"csrf": csrf_of(http.get("/events").text)}).status_code == 403


def test_webhook_posts_need_the_csrf_token(admin: Any, receiver: Receiver, project: dict[str, Any]) -> None:
    hook_id = new_hook(admin, receiver, project)
    for action in ("disable", "delete", "test", "release", "discard", "replay"):
        reply = admin.post(f"/webhooks/{hook_id}/{action}", data={"csrf": "forged"})
        assert reply.status_code == 403, action
    refused = admin.post(
        "/webhooks/new", data={"url": receiver.url, "entity_type": "Shot", "action_create": "on"}
    )
    assert refused.status_code == 403
    assert "active" in admin.get(f"/webhooks/{hook_id}").text  # nothing was disabled or deleted


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"url": ""}, "url", "Enter the address deliveries are sent to"),
        ({"url": "ftp://example.com/x"}, "url", "must start with https:// or http://"),
        ({"url": "http://192.168.1.10/x"}, "url", "private or internal addresses (192.168.1.10 is a private"),
        ({"entity_type": "Spaceship"}, "entity_type", "There is no entity type Spaceship."),
        ({"entity_type": "EventLogEntry"}, "entity_type", "Webhooks cannot follow EventLogEntry."),
        ({"action_create": ""}, "actions", "Tick at least one change to send"),
        (
            {"kind": "event", "entity_type": "", "event_types": ""},
            "event_types",
            "Enter at least one event type",
        ),
        (
            {"kind": "event", "entity_type": "", "event_types": "Shotgun_Bogus_Thing"},
            "event_types",
            "Shotgun_Bogus_Thing is not an event type webhooks can follow",
        ),
        ({"kind": "entity", "event_types": "Toolkit_*"}, "kind", "Both kinds are filled in"),
        ({"projects": "0"}, "projects", "Choose projects from the list"),
        ({"projects": "987654"}, "projects", "There is no project with id 987654."),
        ({"timeout": "soon"}, "timeout", "seconds from 1 to 120"),
        (
            {"max_concurrency": "1000"},
            "max_concurrency",
            "Concurrent requests must be a whole number from 1 to 100",
        ),
        ({"signing_secret": "nope"}, "signing_secret", "A signing secret is whsec_"),
    ],
)
def test_bad_webhooks_are_refused_next_to_the_field(
    admin: Any, receiver: Receiver, project: dict[str, Any], extra: dict[str, str], field: str, message: str
) -> None:
    before = admin.get("/webhooks").text.count('href="/webhooks/')
    token = csrf_of(admin.get("/webhooks/new").text)
    form = {
        "csrf": token,
        "name": "bad",
        "url": receiver.url,
        "kind": "entity",
        "entity_type": "Shot",
        "action_create": "on",
        "timeout": "6",
        "max_concurrency": "10",
        **extra,
    }
    reply = admin.post("/webhooks/new", data=form)
    assert reply.status_code == 400
    assert f'id="e-{field}"' in reply.text
    assert message in re.search(rf'id="e-{field}">([^<]*)<', reply.text).group(1)  # type: ignore[union-attr]
    assert admin.get("/webhooks").text.count('href="/webhooks/') == before  # nothing saved


def test_every_problem_is_reported_at_once_in_plain_words(
    admin: Any, receiver: Receiver, project: dict[str, Any]
) -> None:
    form = {
        "csrf": csrf_of(admin.get("/webhooks/new").text),
        "url": "hooks.example.com/x",
        "kind": "entity",
        "entity_type": "Shot",
        "action_update": "on",
        "update_fields": "sg_nope",
        "timeout": "0",
        "max_concurrency": "10",
        "signing_secret": "nope",
    }
    reply = admin.post("/webhooks/new", data=form)
    assert reply.status_code == 400
    shown = dict(re.findall(r'id="e-(\w+)">([^<]*)<', reply.text))
    assert set(shown) == {"url", "update_fields", "timeout", "signing_secret"}, shown
    assert shown["update_fields"].startswith("Shot has no field sg_nope.")
    assert "4 fields need your attention" in reply.text
    for jargon in ("entity_types", "max_concurrency", "event_type", "signing_secret must"):
        assert jargon not in " ".join(shown.values())
    assert 'value="sg_nope"' in reply.text  # what was typed comes back


def test_edit_keeps_the_token_unless_changed(admin: Any, receiver: Receiver, project: dict[str, Any]) -> None:
    hook_id = new_hook(admin, receiver, project, token="s3cret")
    page = admin.get(f"/webhooks/{hook_id}/edit").text
    assert "set — leave empty to keep it" in page
    form = {
        "csrf": csrf_of(page),
        "name": "renamed",
        "url": receiver.url,
        "kind": "event",
        "event_types": "Shotgun_User_Login",
        "timeout": "10",
        "max_concurrency": "2",
        "ordered": "on",
    }
    assert admin.post(f"/webhooks/{hook_id}/edit", data=form).status_code == 303
    shown = admin.get(f"/webhooks/{hook_id}").text
    assert "renamed" in shown and "Shotgun_User_Login" in shown and "ordered" in shown
    assert re.search(r"Secret token</dt><dd>set", shown)


def test_unknown_hooks_and_deliveries_are_404(admin: Any) -> None:
    missing = str(uuid.uuid4())
    for path in (
        f"/webhooks/{missing}",
        "/webhooks/not-a-uuid",
        f"/webhooks/{missing}/edit",
        f"/webhooks/deliveries/{missing}",
    ):
        reply = admin.get(path)
        assert reply.status_code == 404 and "There is no" in reply.text, path
    token = csrf_of(admin.get("/webhooks").text)
    assert admin.post(f"/webhooks/{missing}/delete", data={"csrf": token}).status_code == 404
    assert admin.post(f"/webhooks/deliveries/{missing}/redeliver", data={"csrf": token}).status_code == 404


def test_replay_validates_its_range_and_queues_matching_events(
    admin: Any, sg: shotgun_api3.Shotgun, receiver: Receiver, project: dict[str, Any]
) -> None:
    before = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])["id"]
    sg.create("Shot", {"code": "replay010", "project": project})
    sg.create("Shot", {"code": "replay020", "project": project})
    hook_id = new_hook(admin, receiver, project)  # created after the shots: only a replay sends them
    token = csrf_of(admin.get(f"/webhooks/{hook_id}").text)
    bad = admin.post(f"/webhooks/{hook_id}/replay", data={"csrf": token, "after_id": "ten"})
    assert bad.status_code == 400 and "Event ids are whole numbers, got &#39;ten&#39;." in bad.text
    empty = admin.post(f"/webhooks/{hook_id}/replay", data={"csrf": token})
    assert empty.status_code == 400 and "Give a range" in empty.text
    backwards = admin.post(
        f"/webhooks/{hook_id}/replay", data={"csrf": token, "after_id": "50", "to_id": "10"}
    )
    assert backwards.status_code == 400 and "replay range is empty" in backwards.text
    done = admin.post(f"/webhooks/{hook_id}/replay", data={"csrf": token, "after_id": str(before)})
    assert done.status_code == 303
    assert "Replay queued 2 deliveries." in admin.get(done.headers["location"]).text


def test_bad_delivery_filters_are_shown_next_to_the_field(
    admin: Any, receiver: Receiver, project: dict[str, Any]
) -> None:
    hook_id = new_hook(admin, receiver, project)
    reply = admin.get(f"/webhooks/{hook_id}?state=lost&entity_type=Spaceship&entity_id=x&since=monday")
    assert reply.status_code == 400
    assert "Unknown entity type &#39;Spaceship&#39;." in reply.text
    for field in ("state", "entity_type", "entity_id", "since"):
        assert f'id="e-{field}"' in reply.text
    assert admin.get("/webhooks?status=broken").status_code == 400


def _until(done: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll ``done()`` until it is truthy (the worker delivers in the background); returns it."""
    deadline = time.monotonic() + timeout
    while not (got := done()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen")
        time.sleep(0.1)
    return got


def _carried(request: dict[str, Any]) -> list[str]:
    """The delivery ids one request the receiver got carried (batched or one)."""
    data = request["json"]["data"]
    return [item["delivery_id"] for item in data.get("deliveries", [data])]


def test_a_batched_deliverys_page_lists_every_request_that_carried_it(
    admin: Any, receiver: Receiver, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    """Three shots in one transaction go in one batched request: refused, then sent again. Each
    delivery's page lists exactly the requests that carried it, refused first, the success last."""
    suffix = f"/batched-{uuid.uuid4().hex[:6]}"
    path = urlsplit(receiver.url).path + suffix
    mine = lambda: [r for r in receiver.requests if r["path"] == path]  # noqa: E731
    receiver.status = 500
    try:
        hook_id = new_hook(admin, receiver, project, url=receiver.url + suffix, batch_deliveries="on")
        shot = {"entity_type": "Shot", "data": {"code": "batched", "project": project}}
        sg.batch([{"request_type": "create", **shot} for _ in range(3)])
        _until(lambda: any(len(_carried(r)) == 3 for r in mine()), "a refused request of three")
    finally:
        receiver.status = 200
    delivered = re.compile(r'data-id="([^"]+)" data-state="delivered" data-kind="event"')
    ids = _until(
        lambda: len(found := delivered.findall(admin.get(f"/webhooks/{hook_id}").text)) == 3 and found,
        "three deliveries delivered",
    )
    batch_ids = re.compile(r"<code>X-SG-EVENT-BATCH-ID</code></th><td><code>([^<]+)</code>")
    for delivery_id in ids:
        page = admin.get(f"/webhooks/deliveries/{delivery_id}").text
        listed = page.split('<li class="card attempt"')[1:]  # newest first
        sent = [r["headers"]["X-SG-EVENT-BATCH-ID"] for r in mine() if delivery_id in _carried(r)]
        assert [batch_ids.findall(a)[0] for a in reversed(listed)] == sent
        assert len(sent) >= 2
        assert 'data-outcome="succeeded"' in listed[0] and 'data-outcome="rejected"' in listed[-1]
