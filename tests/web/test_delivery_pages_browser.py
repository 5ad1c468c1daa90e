"""The delivery pages agree with the data, in a real browser: one state per delivery, the counts of
the table above it, sent-at and next-attempt times, and each attempt's request and answer. Both
pages fit a laptop and a phone without scrolling sideways."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import shotgun_api3
from playwright.sync_api import expect
from webkit import Receiver, WebServer, navigate, sign_in

ROWS = "#delivery-rows tr"


def wait_for(page: Any, done: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Reload until ``done()`` holds on the page (the worker delivers in the background)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen on {page.url}")
        time.sleep(0.2)
        page.reload()


def counts_match_the_table(page: Any) -> int:
    """Every count above the table is the number of its rows in that state, and the range shown is
    the table's length (one page here); returns that length."""
    rows = page.locator(ROWS)
    n = rows.count()
    assert page.locator("#delivery-shown").inner_text() == f"1–{n} of {n}"
    summary = page.locator("#log-counts").inner_text()
    assert summary.startswith(f"{n} deliver"), summary
    badges = page.locator("#delivery-counts a.badge")
    per_state = {}
    for i in range(badges.count()):
        badge = badges.nth(i)
        number, _, state = (badge.text_content() or "").partition(" ")
        per_state[state] = int(number)
        assert badge.get_attribute("data-state") == state
        assert f"{number} {state}" in summary
    assert per_state == {state: page.locator(f'{ROWS}[data-state="{state}"]').count() for state in per_state}
    assert sum(per_state.values()) == n
    return n


def fits(page: Any) -> tuple[int, int]:
    """The document's width and the window's: equal when nothing scrolls sideways."""
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    return width, page.evaluate("() => window.innerWidth")


def test_deliveries_show_one_state_counts_that_match_and_every_attempt(
    signed_in: Any,
    browser: Any,
    server: WebServer,
    sg: shotgun_api3.Shotgun,
    project: dict[str, Any],
    receiver: Receiver,
) -> None:
    page = signed_in
    receiver.status = 500  # every request refused until the receiver is back
    page.goto("/webhooks/new?entity_type=Shot&action=update&fields=sg_status_list")
    page.get_by_label("Name").fill(f"log-{uuid.uuid4().hex[:6]}")
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Projects").select_option(label=project["name"])
    navigate(page, page.get_by_role("button", name="Create webhook").click)
    hook_url = page.url
    expect(page.locator("#log-counts")).to_have_text("no deliveries")
    expect(page.locator("#delivery-shown")).to_have_text("none of 0")

    shot = sg.create("Shot", {"code": f"log{uuid.uuid4().hex[:4]}", "project": project})
    for status in ("ip", "hld", "fin"):
        sg.update("Shot", shot["id"], {"sg_status_list": status})

    # each of the three refused at least once: pending, retrying, with the time of the next attempt
    # (the hook turning Unstable adds its Webhook_Status_Change delivery: a row of its own)
    events = f'{ROWS}[data-kind="event"]'
    retrying = page.locator(f'{events}[data-state="pending"]').filter(has_text="500")
    wait_for(page, lambda: retrying.count() == 3, "three deliveries refused once")
    counts_match_the_table(page)
    rows = page.locator(events)
    expect(rows).to_have_count(3)
    for i in range(3):
        row = rows.nth(i)
        # one state: no other state's word anywhere on the row
        expect(row.locator(".badge")).to_have_text(["pending"])
        assert "failed" not in row.inner_text()
        expect(row.locator('td[data-label="Sent at"] time')).to_have_count(1)
        expect(row.locator('td[data-label="Next attempt"] time')).to_have_count(1)

    receiver.status = 200
    delivered = page.locator(f'{events}[data-state="delivered"]')
    wait_for(page, lambda: delivered.count() == 3, "three deliveries delivered")
    counts_match_the_table(page)
    expect(delivered.locator('td[data-label="Next attempt"]')).to_have_text(["—", "—", "—"])
    # the state filter lists exactly what its count says
    page.goto(hook_url + "?state=delivered")
    n = page.locator(ROWS).count()
    assert n >= 3 and page.locator("#delivery-shown").inner_text() == f"1–{n} of {n}"
    page.goto(hook_url + "?state=held")
    expect(page.locator(ROWS)).to_have_count(0)
    expect(page.locator("#delivery-shown")).to_have_text("none of 0")

    page.goto(hook_url)
    navigate(page, page.locator(events).first.get_by_role("link").first.click)
    delivery_url = page.url
    expect(page.locator("#delivery-status")).to_have_text("delivered")
    attempts = page.locator("#attempts > li")
    n = attempts.count()
    assert n >= 2, n
    # newest first: the success, then the refusals it followed
    newest, first = attempts.first, attempts.last
    expect(newest).to_have_attribute("data-outcome", "succeeded")
    expect(newest.locator(".answer")).to_have_text("200")
    expect(first).to_have_attribute("id", "attempt-1")
    expect(first).to_have_attribute("data-outcome", "rejected")
    expect(first.locator(".answer")).to_have_text("500")
    expect(first.locator(".error")).to_have_text("HTTP 500")
    expect(first.locator(".request-body")).to_contain_text('"event_log_entry_id"')
    expect(first.locator("table.kv").first).to_contain_text("X-SG-WEBHOOK-ID")
    expect(first.locator(".response-body")).to_have_text("received by the tests")
    expect(first.locator("dl.fields")).to_contain_text(" ms")

    for width in (1280, 390):
        context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 800})
        context.set_default_timeout(15_000)
        tab = context.new_page()
        try:
            sign_in(tab, start=hook_url)
            for url in (hook_url, delivery_url):
                tab.goto(url)
                expect(tab.locator("h1")).to_be_visible()
                width_seen, window = fits(tab)
                assert width_seen <= window, (width, url, width_seen)
        finally:
            context.close()
