"""Webhook administration in a real browser: create, see deliveries, redeliver, disable and hold."""

from __future__ import annotations

import uuid
from typing import Any

import shotgun_api3
from playwright.sync_api import expect
from webkit import Receiver, navigate, reload_until


def create_hook(page: Any, name: str, url: str, project: dict[str, Any], **choices: str) -> None:
    page.goto("/webhooks/new?entity_type=Shot&action=update&fields=sg_status_list")
    page.get_by_label("Name").fill(name)
    page.get_by_label("URL").fill(url)
    page.get_by_label("Projects").select_option(label=project["name"])
    for label, value in choices.items():
        page.get_by_label(label).fill(value)
    navigate(page, page.get_by_role("button", name="Create webhook").click)


def test_create_a_webhook_see_its_deliveries_and_redeliver(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any], receiver: Receiver
) -> None:
    page = signed_in
    name = f"status-{uuid.uuid4().hex[:6]}"
    create_hook(page, name, receiver.url, project)
    expect(page.get_by_role("status")).to_have_text("Webhook created.")
    expect(page.locator("#hook-status")).to_have_text("active")
    hook_url = page.url

    shot = sg.create("Shot", {"code": "wh010", "project": project})
    sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    event = sg.find_one(
        "EventLogEntry",
        [
            ["entity", "is", shot],
            ["event_type", "is", "Shotgun_Shot_Change"],
            ["attribute_name", "is", "sg_status_list"],
        ],
        ["id"],
        order=[{"field_name": "id", "direction": "desc"}],
    )
    reload_until(page, "#delivery-rows tr", "delivered")
    row = page.locator("#delivery-rows tr").filter(has_text=f"#{event['id']}")
    expect(row).to_contain_text("delivered")
    expect(row).to_contain_text("200")

    # the full request and response of that delivery
    row.get_by_role("link").first.click()
    expect(page.locator("#delivery-status")).to_have_text("delivered")
    attempt = page.locator("#attempt-1")
    expect(attempt.locator(".request-body")).to_contain_text(f'"event_log_entry_id": {event["id"]}')
    expect(attempt.locator(".response-body")).to_have_text("received by the tests")
    expect(attempt.locator(".answer")).to_have_text("200")
    sent = [r for r in receiver.requests if r["json"]["data"].get("event_log_entry_id") == event["id"]]
    assert len(sent) == 1

    page.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_role("status")).to_have_text("Redelivery queued.")
    # the new delivery's summary (an attempt of it, if the worker was already there, has fields too)
    expect(page.get_by_role("region", name="Summary").locator("dl.fields")).to_contain_text("Redelivery of")
    reload_until(page, "#delivery-status", "delivered")
    sent = [r for r in receiver.requests if r["json"]["data"].get("event_log_entry_id") == event["id"]]
    assert len(sent) == 2

    page.goto(hook_url + "?state=delivered")
    expect(page.locator("#delivery-rows tr").filter(has_text="redelivery")).to_have_count(1)


def test_test_connection_disable_hold_and_enable(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any], receiver: Receiver
) -> None:
    page = signed_in
    create_hook(page, f"held-{uuid.uuid4().hex[:6]}", receiver.url, project)
    page.get_by_role("button", name="Test connection").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("succeeded")
    expect(result).to_contain_text("200")

    page.get_by_role("button", name="Disable").click()
    expect(page.locator("#hook-status")).to_have_text("disabled")
    shot = sg.create("Shot", {"code": "held010", "project": project})
    sg.update("Shot", shot["id"], {"sg_status_list": "fin"})
    reload_until(page, ".held", "1 delivery held")
    banner = page.locator(".status-banner")
    expect(banner).to_contain_text("This webhook is Disabled (since")
    expect(banner).to_contain_text("1 event held")
    page.get_by_role("button", name="Enable and send the 1 held event").click()
    expect(page.locator("#hook-status")).to_have_text("active")
    expect(page.locator(".status-banner")).to_have_count(0)
    expect(page.locator(".held")).to_have_count(0)  # enabling sent what was held
    reload_until(page, "#delivery-rows tr", "delivered")
