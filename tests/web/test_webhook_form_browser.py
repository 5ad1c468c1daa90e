"""The webhook form in a real browser, on a laptop and a phone: one subscription kind at a time,
every problem at once beside its field, and without scripts a form filling in both kinds is sent
back instead of cut down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from webkit import Receiver, WebServer, navigate, sign_in

#: how far the page reaches past the window (0: nothing scrolls sideways)
_SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


def _tab(browser: Any, server: WebServer, width: int, scripts: bool = True) -> Any:
    context = browser.new_context(
        base_url=server.url, viewport={"width": width, "height": 900}, java_script_enabled=scripts
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    sign_in(tab)
    return tab


@pytest.fixture(params=[1280, 390], ids=["laptop", "phone"])
def sized(request: pytest.FixtureRequest, browser: Any, server: WebServer) -> Iterator[Any]:
    tab = _tab(browser, server, request.param)
    yield tab
    tab.context.close()


def test_one_kind_at_a_time_and_only_it_is_saved(
    sized: Any, receiver: Receiver, project: dict[str, Any]
) -> None:
    page = sized
    page.goto("/webhooks/new")
    entity_type, event_types = page.get_by_label("Entity type"), page.get_by_label("Event types")
    expect(page.get_by_label("Changes to entities")).to_be_checked()
    expect(entity_type).to_be_visible()
    expect(event_types).to_be_hidden()
    expect(page.get_by_text("Fill in only the part for your choice")).to_be_hidden()
    assert page.evaluate(_SIDEWAYS) == 0

    entity_type.select_option("Shot")  # then changed their mind: the hidden choice is not sent
    page.get_by_label("Other events").check()
    expect(entity_type).to_be_hidden()
    expect(event_types).to_be_visible()
    assert page.evaluate(_SIDEWAYS) == 0
    name = f"kinds-{uuid.uuid4().hex[:6]}"
    page.get_by_label("Name").fill(name)
    page.get_by_label("URL").fill(receiver.url)
    event_types.fill("Toolkit_Form_Test")
    navigate(page, page.get_by_role("button", name="Create webhook").click)
    expect(page.get_by_role("status")).to_have_text("Webhook created.")
    expect(page.locator("main")).to_contain_text("Toolkit_Form_Test")
    expect(page.get_by_role("link", name="Shot", exact=True)).to_have_count(0)

    navigate(page, page.get_by_role("link", name="Edit").first.click)
    expect(page.get_by_label("Other events")).to_be_checked()
    expect(page.get_by_label("Entity type")).to_be_hidden()
    expect(page.get_by_label("Event types")).to_have_value("Toolkit_Form_Test")


def test_every_problem_at_once_beside_its_field_in_plain_words(sized: Any) -> None:
    page = sized
    page.goto("/webhooks/new?entity_type=Shot&action=update")
    page.get_by_label("URL").fill("hooks.example.com/x")
    page.get_by_label("Only updates of these fields").fill("sg_no_such_field")
    page.get_by_label("Timeout (seconds)").fill("0.5")
    page.get_by_label("Concurrent requests").fill("1000")
    navigate(page, page.get_by_role("button", name="Create webhook").click)

    expect(page.locator(".field-error")).to_have_count(4)
    expect(page.locator("#e-url")).to_contain_text("must start with https:// or http://")
    expect(page.locator("#e-update_fields")).to_contain_text("Shot has no field sg_no_such_field.")
    expect(page.locator("#e-timeout")).to_contain_text("from 1 to 120")
    expect(page.locator("#e-max_concurrency")).to_contain_text("from 1 to 100")
    for field in ("URL", "Only updates of these fields", "Timeout (seconds)", "Concurrent requests"):
        expect(page.get_by_label(field)).to_have_attribute("aria-invalid", "true")
    problems = page.locator("#form-problems")
    expect(problems).to_contain_text("4 fields need your attention")
    expect(problems.get_by_role("link")).to_have_count(4)
    text = page.locator("main").inner_text()
    assert not any(jargon in text for jargon in ("entity_types", "max_concurrency", "is not valid"))
    # the entity part stays the one shown, with what was typed
    expect(page.get_by_label("Only updates of these fields")).to_have_value("sg_no_such_field")
    expect(page.get_by_label("Event types")).to_be_hidden()
    assert page.evaluate(_SIDEWAYS) == 0


def test_without_scripts_both_kinds_show_and_filling_both_is_sent_back(
    browser: Any, server: WebServer, receiver: Receiver
) -> None:
    page = _tab(browser, server, 390, scripts=False)
    try:
        page.goto("/webhooks/new")
        expect(page.get_by_label("Entity type")).to_be_visible()
        expect(page.get_by_label("Event types")).to_be_visible()
        expect(page.get_by_text("Fill in only the part for your choice")).to_be_visible()
        name = f"both-{uuid.uuid4().hex[:6]}"
        page.get_by_label("Name").fill(name)
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Entity type").select_option("Shot")
        page.get_by_label("Event types").fill("Toolkit_Both")
        navigate(page, page.get_by_role("button", name="Create webhook").click)
        expect(page.locator("#e-kind")).to_contain_text("Both kinds are filled in")
        expect(page.get_by_label("Event types")).to_have_value("Toolkit_Both")
        assert page.evaluate(_SIDEWAYS) == 0
        page.goto("/webhooks")
        expect(page.get_by_text(name)).to_have_count(0)
    finally:
        page.context.close()
