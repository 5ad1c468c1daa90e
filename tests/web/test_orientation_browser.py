"""Orientation in the event log in a real browser: while live, the total and the range follow the
rows that arrive, at 1280 and 390 px, and the page never scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import shotgun_api3
from playwright.sync_api import expect
from webkit import WebServer, navigate, sign_in

_WIDTHS = """() => ({page: document.documentElement.scrollWidth, window: window.innerWidth})"""


@pytest.fixture(params=[1280, 390], ids=["laptop", "phone"])
def sized(request: pytest.FixtureRequest, browser: Any, server: WebServer) -> Iterator[Any]:
    context = browser.new_context(base_url=server.url, viewport={"width": request.param, "height": 800})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    sign_in(tab)
    yield tab
    context.close()


def test_live_rows_update_the_total_and_the_range(
    sized: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    page = sized
    shot = sg.create("Shot", {"code": "orient010", "project": project})
    before = len(sg.find("EventLogEntry", [["project", "is", project]], ["id"]))
    page.goto(f"/events?project={project['id']}&size=25")
    navigate(page, page.get_by_role("link", name="○ Live").click)
    count = page.locator("#event-count")
    expect(count).to_contain_text(f"Events 1–{before} of {before}")
    expect(page.locator("#page-no")).to_have_text("Page 1 of 1")
    expect(page.locator("#live-status")).to_contain_text("Live")

    sg.update("Shot", shot["id"], {"description": "orientation, live"})
    expect(count).to_contain_text(f"Events 1–{before + 1} of {before + 1}")
    # enough to pass a page: the range stops at the page size, the total and the pages go on
    for i in range(25 - before):
        sg.update("Shot", shot["id"], {"description": f"orientation {i}"})
    expect(count).to_contain_text("Events 1–25 of 26")
    expect(page.locator("#page-no")).to_have_text("Page 1 of 2")
    assert page.locator("#event-rows tr").count() == 25
    text = count.inner_text()
    assert "about" not in text and re.search(r"Events 1–25 of 26", text)
    widths = page.evaluate(_WIDTHS)
    assert widths["page"] <= widths["window"], widths

    # the jump form is there at every width, and a wrong id is answered beside it
    page.get_by_label("or event id").fill("999999999")
    navigate(page, page.get_by_role("button", name="Go").click)
    expect(page.locator("#e-goto")).to_contain_text("There is no event 999,999,999")
    widths = page.evaluate(_WIDTHS)
    assert widths["page"] <= widths["window"], widths
