"""A hook's status in the web UI: "Notify when unstable" in the form, and the banner on the list and
the hook's page saying since when, how many failed requests, how many events are held, and how to
enable it (which sends them)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shotgun_api3
from webkit import Receiver, WebServer, csrf_of

import shotlog
from shotlog.clock import utcnow
from shotlog.webhooks import repository
from shotlog.webhooks.api import Webhooks
from waiting import wait_for


@pytest.fixture
def admin(server: WebServer) -> Any:
    return server.signed_in()


@pytest.fixture
def store(server: WebServer) -> Iterator[shotlog.Shotlog]:
    conn = shotlog.connect(server.db_url, migrate=False)
    yield conn
    conn.close()


def _form(http: Any, receiver: Receiver, project: dict[str, Any], notify: str) -> dict[str, str]:
    return {
        "csrf": csrf_of(http.get("/webhooks/new").text),
        "name": f"status-{uuid.uuid4().hex[:6]}",
        "url": receiver.url,
        "kind": "entity",
        "entity_type": "Shot",
        "action_create": "on",
        "projects": str(project["id"]),
        "validate_ssl_cert": "on",
        "timeout": "6",
        "max_concurrency": "10",
        "notify_emails": notify,
    }


def _banner(html: str, hook_id: str) -> str:
    found = re.search(rf'<div class="[^"]*status-banner" id="status-{hook_id}".*?</div>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))) if found else ""


def test_notify_field_and_status_banners(
    admin: Any,
    server: WebServer,
    sg: shotgun_api3.Shotgun,
    receiver: Receiver,
    project: dict[str, Any],
    store: shotlog.Shotlog,
) -> None:
    refused = admin.post("/webhooks/new", data=_form(admin, receiver, project, "ops@example.com, ops"))
    assert refused.status_code == 400
    assert re.search(r'id="e-notify_emails">ops is not an email address', refused.text)

    created = admin.post("/webhooks/new", data=_form(admin, receiver, project, "ops@example.com"))
    assert created.status_code == 303, created.text
    hook_id = created.headers["location"].rsplit("/", 1)[-1]
    assert 'value="ops@example.com"' in admin.get(f"/webhooks/{hook_id}/edit").text
    hooks = Webhooks(store)
    assert hooks.get_hook(hook_id)["notify_emails"] == ["ops@example.com"]
    assert _banner(admin.get("/webhooks").text, hook_id) == ""  # active: no banner

    receiver.status = 500
    try:
        sg.create("Shot", {"code": "down-1", "project": project})
        wait_for(lambda: hooks.get_hook(hook_id)["status"] == "unstable", "unstable")
        unstable = _banner(admin.get("/webhooks").text, hook_id)
        assert "is Unstable (since" in unstable and "failed request" in unstable
        assert "at 100 it turns Failed" in unstable and "Notified by email: ops@example.com" in unstable

        # the worker's transition at the threshold, made here directly (100 failures take minutes)
        assert repository.set_status(store.db, hook_id, "unstable", "failed", "system", utcnow())
        sg.create("Shot", {"code": "down-2", "project": project})
        wait_for(lambda: hooks.get_hook(hook_id)["held_deliveries"] == 2, "two held")
    finally:
        receiver.status = 200
    page = admin.get(f"/webhooks/{hook_id}").text
    failed = _banner(page, hook_id)
    assert "This webhook is Failed (since" in failed and "2 events held" in failed
    assert "reached the threshold of 100" in failed and "Enable and send the 2 held events" in failed
    assert "is Failed (since" in _banner(admin.get("/webhooks").text, hook_id)

    before = len(receiver.requests)
    enabled = admin.post(f"/webhooks/{hook_id}/enable", data={"csrf": csrf_of(page)})
    assert enabled.status_code == 303
    assert _banner(admin.get(f"/webhooks/{hook_id}").text, hook_id) == ""
    shots = {"down-1", "down-2"}

    def delivered() -> bool:
        codes = set()
        for r in receiver.requests[before:]:  # sent after enabling, with 200
            data = r["json"].get("data", {}) if isinstance(r["json"], dict) else {}
            meta = data.get("meta") or {}
            if data.get("entity", {}) and meta.get("type") == "new_entity":
                codes.add(data["entity"]["id"])
        return len(codes & ids) == 2

    ids = {s["id"] for s in sg.find("Shot", [["code", "in", list(shots)], ["project", "is", project]])}
    wait_for(delivered, "the held events sent after enabling")
    assert hooks.get_hook(hook_id)["held_deliveries"] == 0
