"""The web UI's webhook pages and global events: a hook made, disabled and deleted in the UI is logged
as the signed-in person, and a hook on a global type shotlog never writes is flagged on its page,
in the list and in the form."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import shotgun_api3
from webkit import ADMIN_LOGIN, Receiver, WebServer, csrf_of


@pytest.fixture
def admin(server: WebServer) -> Any:
    return server.signed_in()


def _new_event_hook(http: Any, receiver: Receiver, event_types: str) -> str:
    form = {
        "csrf": csrf_of(http.get("/webhooks/new").text),
        "name": f"g-{uuid.uuid4().hex[:6]}",
        "url": receiver.url,
        "kind": "event",
        "event_types": event_types,
        "validate_ssl_cert": "on",
        "timeout": "6",
        "max_concurrency": "10",
    }
    reply = http.post("/webhooks/new", data=form)
    assert reply.status_code == 303, reply.text
    return str(reply.headers["location"].rsplit("/", 1)[-1])


def test_a_hook_on_a_type_never_written_is_flagged(admin: Any, receiver: Receiver) -> None:
    hook_id = _new_event_hook(admin, receiver, "ClientUser_Login, Shotgun_User_Login")
    page = admin.get(f"/webhooks/{hook_id}").text
    warning = re.search(r'<div class="warning" role="alert" id="never-written">(.*?)</div>', page, re.S)
    assert warning is not None, page
    assert "<code>ClientUser_Login</code>" in warning.group(1)
    assert "Shotgun_User_Login" not in warning.group(1)
    assert page.count("never written</span>") == 1  # the badge, next to ClientUser_Login only
    assert 'class="badge badge-warn never-written"' in admin.get("/webhooks").text
    form = admin.get(f"/webhooks/{hook_id}/edit").text
    assert re.search(r'class="warning never-written".*?<code>ClientUser_Login</code>', form, re.S)
    # the form names the types shotlog writes, and marks the others in the suggestions
    assert re.search(r'id="written-types">.*?<code>Shotgun_User_Login</code>', form, re.S)
    assert '<option value="ClientUser_Login" label="ClientUser_Login (never written by shotlog)">' in form
    assert '<option value="Shotgun_User_Login">' in form


def test_a_hook_on_written_types_is_not_flagged(admin: Any, receiver: Receiver) -> None:
    hook_id = _new_event_hook(admin, receiver, "Shotgun_User_Login")
    page = admin.get(f"/webhooks/{hook_id}").text
    assert 'id="never-written"' not in page and "never written</span>" not in page


def test_ui_operations_are_logged_as_the_person(
    admin: Any, receiver: Receiver, sg: shotgun_api3.Shotgun
) -> None:
    head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    hook_id = _new_event_hook(admin, receiver, "Shotgun_User_Login")
    csrf = csrf_of(admin.get(f"/webhooks/{hook_id}").text)
    assert admin.post(f"/webhooks/{hook_id}/disable", data={"csrf": csrf}).status_code == 303
    assert admin.post(f"/webhooks/{hook_id}/enable", data={"csrf": csrf}).status_code == 303
    assert admin.post(f"/webhooks/{hook_id}/delete", data={"csrf": csrf}).status_code == 303
    person = sg.find_one("HumanUser", [["login", "is", ADMIN_LOGIN]], ["name"])
    events = sg.find(
        "EventLogEntry",
        [
            ["id", "greater_than", head["id"] if head else 0],
            ["event_type", "starts_with", "Shotgun_Webhook_"],
        ],
        ["event_type", "meta", "user"],
        order=[{"field_name": "id", "direction": "asc"}],
    )
    mine = [e for e in events if e["meta"]["webhook_id"] == hook_id]
    assert [(e["event_type"], e["meta"]["changes"].get("status")) for e in mine] == [
        ("Shotgun_Webhook_Created", {"old": None, "new": "active"}),
        ("Shotgun_Webhook_Updated", {"old": "active", "new": "disabled"}),
        ("Shotgun_Webhook_Updated", {"old": "disabled", "new": "active"}),
        ("Shotgun_Webhook_Deleted", {"old": "active", "new": None}),
    ]
    assert all(e["user"] == {"type": "HumanUser", "id": person["id"], "name": person["name"]} for e in mine)
