"""Signing in and out in a real browser."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from webkit import ADMIN_LOGIN, sign_in


def test_pages_need_a_signed_in_user(page: Any) -> None:
    page.goto("/events?event_type=Shotgun_Shot_New")
    expect(page).to_have_url("/login?next=%2Fevents%3Fevent_type%3DShotgun_Shot_New")
    expect(page.get_by_role("heading", name="Sign in to shotlog")).to_be_visible()


def test_wrong_password_is_refused_next_to_the_field(page: Any) -> None:
    sign_in(page, password="not the password")
    expect(page.locator("#password-error")).to_have_text("Wrong login or password.")
    expect(page.get_by_label("Login")).to_have_value(ADMIN_LOGIN)  # kept, so only the password is retyped
    assert "/login" in page.url
    page.goto("/events")
    assert "/login" in page.url  # still not signed in


def test_sign_in_returns_to_the_page_asked_for_then_sign_out(page: Any) -> None:
    sign_in(page, start="/events?event_type=Shotgun_Project_New")
    expect(page.get_by_role("heading", name="Event log")).to_be_visible()
    assert page.url.endswith("/events?event_type=Shotgun_Project_New")
    expect(page.get_by_label("Event type")).to_have_value("Shotgun_Project_New")
    cookie = next(c for c in page.context.cookies() if c["name"] == "shotlog_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto("/events")
    assert "/login" in page.url
    # the old cookie no longer works, even if someone kept a copy
    page.context.add_cookies([{**cookie}])
    page.goto("/events")
    assert "/login" in page.url


def test_unknown_pages_are_a_friendly_404_and_the_keyboard_reaches_everything(signed_in: Any) -> None:
    page = signed_in
    reply = page.goto("/no/such/page")
    assert reply is not None and reply.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.get_by_role("link", name="Back to the event log").click()
    expect(page.get_by_role("heading", name="Event log")).to_be_visible()
    # the first Tab lands on the skip link, which moves focus past the navigation
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused
