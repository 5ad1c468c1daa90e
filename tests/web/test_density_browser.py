"""Every main page fits a 1280 px laptop and a 390 px phone: nothing scrolls sideways.

The width is measured in the real browser (``scrollWidth`` of the document, and of the event tables'
wrappers, which would otherwise hide a sideways scroll inside the page). The data is chosen to be
wide: long names, a long description change, a long event type and a daemon error.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shotgun_api3
from playwright.sync_api import expect
from webkit import WebServer, navigate, sign_in

import shotlog
from shotlog.daemon.cursors import CursorStore

LONG = "Lighthouse beam pass with the rain layer, " * 8


@pytest.fixture(scope="module")
def wide(server: WebServer, sg: shotgun_api3.Shotgun) -> Iterator[dict[str, Any]]:
    """A project whose names and values are as long as a real show's get, and a daemon with an error."""
    project = sg.create(
        "Project", {"name": f"density-{uuid.uuid4().hex[:8]} The Lighthouse Keeper's Daughter"}
    )
    shot = sg.create("Shot", {"code": "SEQ042_0310_lighthouse_exterior_night_rain_v2", "project": project})
    sg.update("Shot", shot["id"], {"description": LONG, "sg_status_list": "ip"})
    sg.create(
        "PipelineConfiguration", {"code": "a_pipeline_configuration_with_a_long_name", "project": project}
    )
    event = sg.find_one(
        "EventLogEntry", [["entity", "is", shot]], ["id"], order=[{"field_name": "id", "direction": "desc"}]
    )
    store = shotlog.connect(server.db_url, migrate=False)
    cursors = CursorStore(store.db, f"density-{uuid.uuid4().hex[:6]}")
    cursors.claim("direct")
    cursors.heartbeat(event["id"], event["id"])
    cursors.create(
        "/opt/studio/plugins", "publish_to_the_review_board", position=1, last_event_id=1, path=None
    )
    cursors.note_error(
        "/opt/studio/plugins", "publish_to_the_review_board", error="Error: " + LONG, event_id=1
    )
    yield {"project": project, "shot": shot, "event": event}
    cursors.release()
    store.close()


def pages(wide: dict[str, Any]) -> list[str]:
    project_id, shot_id = wide["project"]["id"], wide["shot"]["id"]
    return [
        "/events",
        f"/events?project={project_id}",
        f"/events/{wide['event']['id']}",
        "/entities",
        "/entities/Shot",
        f"/entities/Shot/{shot_id}",
        f"/entities/Project/{project_id}",
        "/webhooks",
        "/daemon",
        "/admin",
        "/admin/users",
    ]


@pytest.fixture(params=[1280, 390], ids=["laptop", "phone"])
def sized(request: pytest.FixtureRequest, browser: Any, server: WebServer) -> Iterator[Any]:
    context = browser.new_context(base_url=server.url, viewport={"width": request.param, "height": 800})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    sign_in(tab)
    yield tab
    context.close()


# the document, and any event table's wrapper (a table may scroll inside its card instead)
_OVERFLOW = """() => {
  const doc = document.documentElement;
  const wraps = [...document.querySelectorAll('.event-wrap')].filter(w => w.scrollWidth > w.clientWidth);
  // the outermost elements reaching past the window's right edge, to say what is too wide
  const over = e => e.getBoundingClientRect().right > window.innerWidth + 1;
  const past = [...document.body.querySelectorAll('*')]
    .filter(e => over(e) && !over(e.parentElement))
    .slice(0, 3).map(e => `${e.tagName}.${e.className}: ${e.textContent.trim().slice(0, 40)}`);
  return {page: doc.scrollWidth, window: window.innerWidth, tables: wraps.length, past};
}"""


def test_main_pages_fit_without_scrolling_sideways(
    sized: Any, wide: dict[str, Any], server: WebServer
) -> None:
    page = sized
    page.goto(f"/webhooks/new?entity_type=Shot&action=update&projects={wide['project']['id']}")
    page.get_by_label("Name").fill("Shot status to the review board of " + wide["project"]["name"])
    page.get_by_label("URL").fill("http://127.0.0.1:9/" + "deliveries/" * 12)
    navigate(page, page.get_by_role("button", name="Create webhook").click)
    too_wide = {}
    for path in [*pages(wide), page.url.removeprefix(server.url)]:
        assert page.goto(path).status == 200, path
        measured = page.evaluate(_OVERFLOW)
        if measured["page"] > measured["window"] or measured["tables"]:
            too_wide[path] = measured
    assert not too_wide, json.dumps(too_wide, indent=1)


def test_the_entity_history_shows_every_event_in_its_card(sized: Any, wide: dict[str, Any]) -> None:
    page = sized
    page.goto(f"/entities/Shot/{wide['shot']['id']}")
    card = page.locator("section.history").bounding_box()
    rows = page.locator("section.history #event-rows tr")
    assert rows.count() >= 3
    for i in range(rows.count()):
        box = rows.nth(i).bounding_box()
        assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"], (i, box, card)


def test_a_phone_folds_the_menu_behind_a_button(browser: Any, server: WebServer) -> None:
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in(page)
    bar = page.locator("header.topbar")
    assert bar.bounding_box()["height"] <= 60
    webhooks = page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks")
    expect(webhooks).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    navigate(page, webhooks.click)
    assert page.url.endswith("/webhooks")
    context.close()


def test_a_laptop_shows_the_menu_without_a_button(signed_in: Any) -> None:
    expect(
        signed_in.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks")
    ).to_be_visible()
    expect(signed_in.get_by_role("button", name="Menu")).to_be_hidden()


def test_date_fields_are_drawn_like_the_text_fields_beside_them(signed_in: Any) -> None:
    # a date input left to the browser's own style is a short, borderless box in a row of fields
    page = signed_in
    for path, date_id, text_id in [
        ("/events?from=2026-11-02", "#f-from", "#f-id_from"),
        ("/events?from=2026-11-02T14:30", "#f-from", "#f-id_from"),
    ]:
        page.goto(path)
        date, text = page.locator(date_id), page.locator(text_id)
        assert date.get_attribute("type") in ("date", "datetime-local"), path
        style = "el => [getComputedStyle(el).borderTopWidth, getComputedStyle(el).borderRadius]"
        assert date.evaluate(style) == text.evaluate(style), path
        assert abs(date.bounding_box()["height"] - text.bounding_box()["height"]) <= 2, path


def test_filter_fields_in_a_row_line_up_when_a_label_wraps(browser: Any, server: WebServer) -> None:
    # a zone with a long name makes "From (America/Los_Angeles)" two lines at 1280 px
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 800}, timezone_id="America/Los_Angeles"
    )
    page = context.new_page()
    sign_in(page)
    page.goto("/events?from=2026-11-02")
    expect(page.get_by_label("From (America/Los_Angeles)")).to_be_visible()
    tops = {
        field_id: page.locator(field_id).bounding_box()["y"]
        for field_id in ("#f-attribute", "#f-old_value", "#f-new_value", "#f-from", "#f-to", "#f-id_from")
    }
    label = page.locator("label[for=f-from]").bounding_box()
    context.close()
    assert label["height"] > 25, label  # the label did wrap, or this proves nothing
    assert max(tops.values()) - min(tops.values()) <= 2, tops
