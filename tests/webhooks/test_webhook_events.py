"""Webhook operations write FPTR's Shotgun_Webhook_* events, and a hook on a global type shotlog never
writes says so, both over FPTR's REST endpoints of a real ``shotlog serve``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from restserver import bearer_client, rest_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rest"))
from restkit import SCRIPT_NAME

W = "/api/v1/webhook"
URL = "http://127.0.0.1:9/global-events"


@pytest.fixture(scope="module")
def server(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with rest_server(template, tmp_path_factory.mktemp("webhook_events")) as url:
        yield url


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with bearer_client(server) as client:
        yield client


@pytest.fixture(scope="module")
def script(api: httpx.Client) -> dict[str, Any]:
    reply = api.get("/api/v1/entity/api_users", params={"filter[firstname]": SCRIPT_NAME})
    return {"type": "ApiUser", "id": reply.json()["data"][0]["id"], "name": SCRIPT_NAME}


def _hook_events(api: httpx.Client, hook_id: str) -> list[dict[str, Any]]:
    reply = api.post(
        "/api/v1/entity/event_log_entries/_search",
        json={
            "filters": [["event_type", "starts_with", "Shotgun_Webhook_"]],
            "fields": "event_type,attribute_name,meta,user,entity,project,description",
            "sort": "id",
            "page": {"size": 500},
        },
    )
    assert reply.status_code == 200, reply.text
    return [e for e in reply.json()["data"] if e["attributes"]["meta"]["webhook_id"] == hook_id]


def test_create_update_and_delete_are_logged(api: httpx.Client, script: dict[str, Any]) -> None:
    created = api.post(f"{W}/hooks", json={"url": URL, "name": "ge", "event_type": "Shotgun_User_Login"})
    assert created.status_code == 201, created.text
    hook_id = created.json()["data"]["id"]
    changed = api.put(f"{W}/hooks/{hook_id}", json={"status": "disabled", "token": "s3cret-value"})
    assert changed.status_code == 200, changed.text
    unchanged = api.put(f"{W}/hooks/{hook_id}", json={"name": "ge"})
    assert unchanged.status_code == 200, unchanged.text
    assert api.delete(f"{W}/hooks/{hook_id}").status_code == 204

    events = _hook_events(api, hook_id)
    assert [e["attributes"]["event_type"] for e in events] == [
        "Shotgun_Webhook_Created",
        "Shotgun_Webhook_Updated",  # the PUT that changed nothing writes nothing
        "Shotgun_Webhook_Deleted",
    ]
    for e in events:
        assert e["attributes"]["attribute_name"] is None
        assert e["relationships"]["user"]["data"] == script
        assert e["relationships"]["entity"]["data"] is None
        assert e["relationships"]["project"]["data"] is None
        assert "s3cret-value" not in str(e)  # a secret shows only as set or not
    config = {
        "url": URL,
        "name": "ge",
        "description": "",
        "token": False,
        "signing_secrets": False,
        "standard_webhooks": False,
        "event_types": ["Shotgun_User_Login"],
        "projects": [],
        "include_in_create": False,
        "validate_ssl_cert": True,
        "batch_deliveries": False,
        "ordered": False,
        "max_concurrency": 10,
        "timeout": 6.0,
        "status": "active",
        "notify_emails": [],
    }
    created_meta, updated_meta, deleted_meta = (e["attributes"]["meta"] for e in events)
    assert created_meta == {
        "type": "webhook_created",
        "webhook_id": hook_id,
        "changes": {k: {"old": None, "new": v} for k, v in config.items()},
    }
    assert updated_meta == {
        "type": "webhook_updated",
        "webhook_id": hook_id,
        "changes": {"token": {"old": False, "new": True}, "status": {"old": "active", "new": "disabled"}},
    }
    gone = {**config, "token": True, "status": "disabled"}
    assert deleted_meta == {
        "type": "webhook_deleted",
        "webhook_id": hook_id,
        "changes": {k: {"old": v, "new": None} for k, v in gone.items()},
    }
    assert [e["attributes"]["description"] for e in events] == [
        f"{SCRIPT_NAME} created webhook ge",
        f"{SCRIPT_NAME} updated webhook ge",
        f"{SCRIPT_NAME} deleted webhook ge",
    ]


@pytest.mark.parametrize(
    ("subscription", "flagged"),
    [
        ({"event_type": "ClientUser_Login"}, ["ClientUser_Login"]),
        ({"event_type": "Shotgun_User_Login"}, []),
        ({"event_type": "Shotgun_DisplayColumn_New"}, []),
        ({"event_types": ["CRS_*", "Shotgun_User_*", "Toolkit_*"]}, ["CRS_*"]),
        (
            # shotlog writes a person's token events (issue 15), not the import app's
            {"event_types": ["Shotgun_ImportApp_Start", "ShotGrid_PAT_Added"]},
            ["Shotgun_ImportApp_Start"],
        ),
    ],
)
def test_a_type_shotlog_never_writes_is_flagged(
    api: httpx.Client, subscription: dict[str, Any], flagged: list[str]
) -> None:
    created = api.post(f"{W}/hooks", json={"url": URL, **subscription})
    assert created.status_code == 201, created.text
    hook = created.json()["data"]
    assert hook["never_written"] == flagged
    assert api.get(f"{W}/hooks/{hook['id']}").json()["data"]["never_written"] == flagged
    listed = [h for h in api.get(f"{W}/hooks").json()["data"] if h["id"] == hook["id"]]
    assert listed[0]["never_written"] == flagged
    api.delete(f"{W}/hooks/{hook['id']}")


def test_an_entity_hook_has_no_flag(api: httpx.Client) -> None:
    created = api.post(f"{W}/hooks", json={"url": URL, "entity_types": {"Shot": {"create": []}}})
    assert created.status_code == 201, created.text
    assert "never_written" not in created.json()["data"]
    api.delete(f"{W}/hooks/{created.json()['data']['id']}")


@pytest.mark.parametrize("operation", ["create", "update", "delete"])
def test_a_hook_change_and_its_event_commit_together(db_url: str, operation: str) -> None:
    """The event is appended inside the hook change's transaction: when appending fails, the hook
    change is rolled back with it, so neither a change without its event nor the reverse exists."""
    import dataclasses

    import shotlog
    from shotlog import clock
    from shotlog.webhooks import repository
    from shotlog.webhooks.api import Webhooks
    from shotlog.webhooks.settings import WebhookSettings

    class AppendFailed(Exception):
        pass

    def failing(conn: Any, hook_id: str) -> None:
        raise AppendFailed(hook_id)

    with shotlog.connect(db_url) as sg:
        hooks = Webhooks(sg, WebhookSettings.from_env({"SHOTLOG_WEBHOOKS_ALLOW_PRIVATE": "1"}))
        hook = hooks.create_hook({"url": URL, "entity_types": {"Shot": {"create": []}}})
        stored = repository.get_hook(sg.db, hook["id"])
        assert stored is not None
        head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
        with pytest.raises(AppendFailed):
            if operation == "create":
                repository.insert_hook(sg.db, stored.config, clock.utcnow(), audit=failing)
            elif operation == "update":
                changed = dataclasses.replace(stored.config, name="renamed")
                repository.update_hook(sg.db, stored.id, changed, clock.utcnow(), audit=failing)
            else:
                repository.delete_hook(sg.db, stored.id, audit=failing)
        after = repository.get_hook(sg.db, hook["id"])
        assert after is not None and after.config == stored.config  # neither renamed nor deleted
        assert len(repository.list_hooks(sg.db)) == 1  # no second hook
        newest = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
        assert newest == head
