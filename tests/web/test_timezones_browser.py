"""Time zone switching in Chromium, at a laptop's 1280 px and a phone's 390 px.

The browser runs in Europe/Paris (Playwright's time zone emulation), so its pages start in that
zone without anyone choosing it; the person then picks Asia/Tokyo on the account page, filters the
event log by a Tokyo date, and goes back to the browser's zone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import shotgun_api3
from webkit import WebServer, navigate, sign_in

PASSWORD = "time zones 2"
WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture(params=[1280, 390], ids=["laptop", "phone"])
def paris_page(request: pytest.FixtureRequest, browser: Any, server: WebServer) -> Iterator[Any]:
    width = request.param
    context = browser.new_context(
        base_url=server.url, viewport={"width": width, "height": 900}, timezone_id="Europe/Paris"
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def local(moment: dt.datetime, zone: str) -> str:
    there = moment.astimezone(ZoneInfo(zone))
    return f"{there:%Y-%m-%d %H:%M:%S} {there.tzname()}"


def fits(page: Any) -> None:
    document, window = page.evaluate(WIDTH)
    assert document <= window, f"{page.url} scrolls sideways at {window} px: {document} px wide"


def test_switching_time_zones(paris_page: Any, server: WebServer, sg: shotgun_api3.Shotgun) -> None:
    from playwright.sync_api import expect

    page = paris_page
    login = f"tzb{uuid.uuid4().hex[:8]}"
    sg.create(
        "HumanUser", {"login": login, "firstname": "Tom", "lastname": "Zone", "password_proxy": PASSWORD}
    )
    project = sg.create("Project", {"name": f"web-tz-{uuid.uuid4().hex[:8]}"})
    shot = sg.create("Shot", {"code": "tz020", "project": project})
    event = sg.find_one(
        "EventLogEntry", [["entity", "is", shot], ["event_type", "is", "Shotgun_Shot_New"]], ["created_at"]
    )
    when = event["created_at"].astimezone(dt.UTC)
    shown = page.locator("dl time").first

    # the sign-in page told the server the browser's zone: the first pages are in it already
    sign_in(page, login, PASSWORD)
    expect(page.locator("body")).to_have_attribute("data-zone", "Europe/Paris")
    page.goto(f"/events/{event['id']}")
    expect(shown).to_have_text(local(when, "Europe/Paris"))
    expect(shown).to_have_attribute("title", f"{when:%Y-%m-%d %H:%M:%S} UTC")

    # a cookie from elsewhere (a laptop that travelled): the page loads once more in the browser's zone
    page.context.add_cookies([{"name": "shotlog_tz", "value": "America/New_York", "url": server.url}])
    page.goto(f"/events/{event['id']}")
    expect(shown).to_have_text(local(when, "Europe/Paris"))

    page.goto("/account")
    expect(page.locator("#tz-now")).to_contain_text("Europe/Paris: your browser's time zone")
    fits(page)
    page.get_by_label("Show times in").select_option("Asia/Tokyo")
    navigate(page, page.get_by_role("button", name="Save time zone").click)
    expect(page.locator(".flash")).to_have_text("Times are now shown in Asia/Tokyo.")
    expect(page.locator("#tz-now")).to_contain_text("Asia/Tokyo: you chose it")

    # the event log: dates picked in Tokyo's calendar, times shown in Tokyo's
    tokyo_day = str(when.astimezone(ZoneInfo("Asia/Tokyo")).date())
    page.goto(f"/events?project={project['id']}")
    page.get_by_label("From (Asia/Tokyo)").fill(tokyo_day)
    page.get_by_label("To (Asia/Tokyo)").fill(tokyo_day)
    navigate(page, page.get_by_role("button", name="Apply filters").click)
    row = page.locator(f'tr[data-id="{event["id"]}"]')
    expect(row.locator("time")).to_have_text(local(when, "Asia/Tokyo"))
    expect(page.get_by_label("From (Asia/Tokyo)")).to_have_value(tokyo_day)
    fits(page)

    page.goto("/account")
    page.get_by_label("Show times in").select_option("")
    navigate(page, page.get_by_role("button", name="Save time zone").click)
    expect(page.locator(".flash")).to_have_text("Times are now shown in your browser's time zone.")
    page.goto(f"/events/{event['id']}")
    expect(shown).to_have_text(local(when, "Europe/Paris"))
