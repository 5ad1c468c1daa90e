"""Passwords from the web UI: changing your own, and an admin setting someone's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import shotgun_api3
from webkit import ADMIN_LOGIN, ADMIN_PASSWORD, WebServer, csrf_of

from shotlog.web.account_pages import check_new_password


@pytest.mark.parametrize(
    ("new", "confirm", "field"),
    [("short", "short", "new"), ("x" * 1025, "x" * 1025, "new"), ("long enough", "long enougH", "confirm")],
)
def test_new_password_rules(new: str, confirm: str, field: str) -> None:
    assert field in check_new_password(new, confirm)
    assert check_new_password("long enough", "long enough") == {}


def person(sg: shotgun_api3.Shotgun, password: str, rules: str = "Artist") -> str:
    login = f"p{uuid.uuid4().hex[:8]}"
    sg.create(
        "HumanUser",
        {
            "login": login,
            "firstname": "Pat",
            "lastname": "Doe",
            "password_proxy": password,
            "permission_rule_set": rules,
        },
    )
    return login


def test_change_your_own_password(server: WebServer, sg: shotgun_api3.Shotgun) -> None:
    login = person(sg, "first password")
    http = server.signed_in(login, "first password")
    token = csrf_of(http.get("/account/password").text)
    wrong = http.post(
        "/account/password",
        data={"csrf": token, "current": "nope", "new": "second pass", "confirm": "second pass"},
    )
    assert wrong.status_code == 400 and "This is not your current password." in wrong.text
    short = http.post(
        "/account/password",
        data={"csrf": token, "current": "first password", "new": "2short", "confirm": "2short"},
    )
    assert short.status_code == 400 and 'id="e-new"' in short.text
    done = http.post(
        "/account/password",
        data={"csrf": token, "current": "first password", "new": "second pass", "confirm": "second pass"},
    )
    assert done.status_code == 303
    server.signed_in(login, "second pass")  # the new one works
    with pytest.raises(AssertionError):
        server.signed_in(login, "first password")  # the old one does not
    events = sg.find("EventLogEntry", [["event_type", "is", "Shotgun_User_PasswordChange"]], ["user"])
    assert events and events[-1]["user"]["name"] == "Pat Doe"


def test_admins_set_passwords_and_others_may_not(server: WebServer, sg: shotgun_api3.Shotgun) -> None:
    login = person(sg, "artist password")
    target = sg.find_one("HumanUser", [["login", "is", login]], ["id"])
    artist = server.signed_in(login, "artist password")
    assert artist.get("/admin/users").status_code == 403
    token = csrf_of(artist.get("/events").text)
    refused = artist.post(
        f"/admin/users/{target['id']}/password", data={"csrf": token, "new": "x" * 10, "confirm": "x" * 10}
    )
    assert refused.status_code == 403

    admin = server.signed_in(ADMIN_LOGIN, ADMIN_PASSWORD)
    listing = admin.get("/admin/users").text
    assert login in listing
    token = csrf_of(listing)
    mismatch = admin.post(
        f"/admin/users/{target['id']}/password",
        data={"csrf": token, "new": "new password 1", "confirm": "new password 2"},
    )
    assert mismatch.status_code == 400 and "The two passwords differ." in mismatch.text
    assert (
        admin.post(
            f"/admin/users/{target['id']}/password", data={"new": "a" * 10, "confirm": "a" * 10}
        ).status_code
        == 403
    )
    done = admin.post(
        f"/admin/users/{target['id']}/password",
        data={"csrf": token, "new": "set by admin", "confirm": "set by admin"},
    )
    assert done.status_code == 303
    server.signed_in(login, "set by admin")
    assert admin.get("/admin/users/987654/password").status_code == 404


def test_the_password_page_in_the_browser(signed_in: Any) -> None:
    from playwright.sync_api import expect

    page = signed_in
    page.locator(".who-name").click()  # the account page, which links the password's
    page.get_by_role("link", name="Change your password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.get_by_label("Current password").fill("wrong")
    page.get_by_label("New password (at least 8 characters)").fill("abcdefghij")
    page.get_by_label("New password again").fill("abcdefghij")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#e-current")).to_have_text("This is not your current password.")
