"""Scripts and personal access tokens in the web UI: form posts through a signed-in session, and the
account page's tokens in the browser. Keys and tokens are shown once and work in the official client."""

from __future__ import annotations

import re
import uuid
from typing import Any

import shotgun_api3
from test_passwords import person
from webkit import ADMIN_LOGIN, ADMIN_PASSWORD, WebServer, csrf_of, navigate


def _works(server: WebServer, **credentials: str) -> bool:
    client = shotgun_api3.Shotgun(server.url, **credentials)
    try:
        client.find("Project", [["id", "is", 0]])
    except shotgun_api3.AuthenticationFault:
        return False
    finally:
        client.close()
    return True


def _shown(html: str, element: str) -> str:
    found = re.search(rf'<code id="{element}">([^<]+)</code>', html)
    assert found, f"no {element} on the page"
    return found.group(1)


def test_an_admin_creates_rekeys_and_revokes_a_script(server: WebServer, sg: shotgun_api3.Shotgun) -> None:
    admin = server.signed_in(ADMIN_LOGIN, ADMIN_PASSWORD)
    page = admin.get("/admin/scripts")
    assert page.status_code == 200
    token = csrf_of(page.text)
    name = f"web-script-{uuid.uuid4().hex[:6]}"
    bad = admin.post("/admin/scripts", data={"csrf": token, "firstname": "  "})
    assert bad.status_code == 400 and 'id="e-firstname"' in bad.text
    made = admin.post("/admin/scripts", data={"csrf": token, "firstname": name, "description": "farm"})
    assert made.status_code == 201
    key = _shown(made.text, "script-key")
    assert _works(server, script_name=name, api_key=key)
    assert key not in admin.get("/admin/scripts").text  # shown once
    script = sg.find_one("ApiUser", [["firstname", "is", name]], ["id"])

    rotated = admin.post(f"/admin/scripts/{script['id']}/rotate", data={"csrf": token})
    new_key = _shown(rotated.text, "script-key")
    assert not _works(server, script_name=name, api_key=key)
    assert _works(server, script_name=name, api_key=new_key)
    revoked = admin.post(f"/admin/scripts/{script['id']}/revoke", data={"csrf": token})
    assert revoked.status_code == 303
    assert not _works(server, script_name=name, api_key=new_key)
    assert admin.post(f"/admin/scripts/{script['id']}/rotate", data={}).status_code == 403  # no CSRF


def test_an_artist_gets_no_scripts_page(server: WebServer, sg: shotgun_api3.Shotgun) -> None:
    login = person(sg, "artist password")
    artist = server.signed_in(login, "artist password")
    assert artist.get("/admin/scripts").status_code == 403
    token = csrf_of(artist.get("/account").text)
    refused = artist.post("/admin/scripts", data={"csrf": token, "firstname": f"x-{login}"})
    assert refused.status_code == 403
    assert sg.find("ApiUser", [["firstname", "is", f"x-{login}"]]) == []


def test_a_person_makes_uses_and_revokes_a_token(server: WebServer, sg: shotgun_api3.Shotgun) -> None:
    login = person(sg, "token person 1")
    http = server.signed_in(login, "token person 1")
    token = csrf_of(http.get("/account").text)
    bad = http.post("/account/tokens", data={"csrf": token, "name": "x", "days": "400"})
    assert bad.status_code == 400 and "expires_in_days" in bad.text
    made = http.post("/account/tokens", data={"csrf": token, "name": "render farm", "days": "5"})
    assert made.status_code == 201
    secret = _shown(made.text, "token-secret")
    assert _works(server, login=login, password=secret)
    listing = http.get("/account").text
    assert "render farm" in listing and secret not in listing and "never" not in listing  # used just now
    # a token is not a password for the web UI
    form = server.http()
    refused = form.post(
        "/login", data={"login": login, "password": secret, "csrf": csrf_of(form.get("/login").text)}
    )
    assert refused.status_code == 401
    # nobody else revokes it through their own page
    other = server.signed_in(person(sg, "other person 1"), "other person 1")
    token_id = re.search(r'id="token-(\d+)"', listing)
    assert token_id
    other_csrf = csrf_of(other.get("/account").text)
    assert (
        other.post(f"/account/tokens/{token_id.group(1)}/revoke", data={"csrf": other_csrf}).status_code
        == 404
    )
    assert _works(server, login=login, password=secret)
    done = http.post(f"/account/tokens/{token_id.group(1)}/revoke", data={"csrf": token})
    assert done.status_code == 303
    assert not _works(server, login=login, password=secret)


def test_tokens_on_the_account_page_in_the_browser(
    page: Any, server: WebServer, sg: shotgun_api3.Shotgun
) -> None:
    from playwright.sync_api import expect
    from webkit import sign_in

    login = person(sg, "browser person 1")
    sign_in(page, login, "browser person 1", start="/account")
    page.get_by_label("Token name (what uses it)").fill("laptop")
    navigate(page, page.get_by_role("button", name="Make a token").click)
    secret = page.locator("#token-secret").inner_text()
    assert secret.startswith("slpat_")
    expect(page.locator("#tokens tbody tr")).to_have_count(1)
    assert _works(server, login=login, password=secret)
    page.once("dialog", lambda dialog: dialog.accept())
    navigate(page, page.get_by_role("button", name="Revoke").click)
    expect(page.get_by_text("You have no tokens.")).to_be_visible()
    assert not _works(server, login=login, password=secret)
