"""``shotlog webhooks`` and ``shotlog worker`` as a user runs them."""

from __future__ import annotations

import json
import uuid

from click.testing import CliRunner, Result
from receivers import Receiver

import shotlog
from shotlog.cli import main

ENV = {"SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8"}


def run(db_url: str, *args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(main, ["webhooks", args[0], "--database", db_url, *args[1:]], env=ENV)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_create_show_update_list_delete(db_url: str, receiver: Receiver) -> None:
    made = run(
        db_url,
        "create",
        "--url",
        receiver.url,
        "--name",
        "cli",
        "--token",
        "s3cret",
        "--entity",
        "Shot=create,update",
        "--fields",
        "Shot=sg_status_list,code",
    )
    hook = json.loads(made.output)
    assert hook["entity_types"] == {"Shot": {"create": [], "update": ["sg_status_list", "code"]}}
    assert hook["is_token_set"] is True and "s3cret" not in made.output
    assert json.loads(run(db_url, "show", hook["id"]).output)["name"] == "cli"
    updated = json.loads(run(db_url, "update", hook["id"], "--status", "disabled", "--ordered").output)
    assert updated["status"] == "disabled" and updated["ordered"] is True
    listed = json.loads(run(db_url, "list", "--json").output)
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "cli" in run(db_url, "list").output
    assert json.loads(run(db_url, "deliveries", hook["id"], "--json").output)["data"][0]["kind"] == "status"
    run(db_url, "delete", hook["id"], "--yes")
    assert json.loads(run(db_url, "list", "--json").output) == []


def test_bad_input_names_the_field_and_changes_nothing(db_url: str, receiver: Receiver) -> None:
    result = run(
        db_url, "create", "--url", receiver.url, "--entity", "Shot=create", "--fields", "Shot=x", ok=False
    )
    assert result.exit_code != 0 and "--entity Shot=update first" in result.output
    result = run(
        db_url,
        "create",
        "--url",
        receiver.url,
        "--entity",
        "Shot=update",
        "--fields",
        "Shot=sg_nope",
        ok=False,
    )
    assert result.exit_code == 1 and "entity_types" in result.output and "'sg_nope'" in result.output
    result = run(db_url, "create", "--url", "http://10.9.9.9/", "--event-type", "Toolkit_X", ok=False)
    assert result.exit_code == 1 and "url" in result.output and "private" in result.output
    assert "Traceback" not in result.output
    missing = str(uuid.uuid4())
    result = run(db_url, "show", missing, ok=False)
    assert result.exit_code == 1 and f"hook: {missing} not found" in result.output
    assert json.loads(run(db_url, "list", "--json").output) == []


def test_test_replay_release_discard(sg: shotlog.Shotlog, db_url: str, receiver: Receiver) -> None:
    first = sg.head_event_id()
    sg.create_event("Toolkit_Cli")
    sg.create_event("Toolkit_Cli")
    hook = json.loads(run(db_url, "create", "--url", receiver.url, "--event-type", "Toolkit_Cli").output)
    assert "ok: HTTP 200" in run(db_url, "test", hook["id"]).output
    receiver.respond = lambda r: 500
    failed = run(db_url, "test", hook["id"], ok=False)
    assert failed.exit_code == 1 and "FAILED: HTTP 500" in failed.output
    CliRunner().invoke(main, ["webhooks", "disable", "--database", db_url, hook["id"]], env=ENV)
    assert "queued 2 deliveries" in run(db_url, "replay", hook["id"], "--after", str(first)).output
    assert "released 2" in run(db_url, "release", hook["id"]).output
    run(db_url, "disable", hook["id"])
    assert (
        "queued 1 deliveries"
        in run(db_url, "replay", hook["id"], "--after", str(first), "--to", str(first + 1)).output
    )
    assert "discarded 1" in run(db_url, "discard", hook["id"], "--yes").output
    assert run(db_url, "replay", hook["id"], "--since", "yesterday", ok=False).exit_code != 0


def test_worker_help() -> None:
    result = CliRunner().invoke(main, ["worker", "--help"])
    assert result.exit_code == 0 and "Deliver webhooks" in result.output
