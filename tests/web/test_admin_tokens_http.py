"""Admin > Personal access tokens: user administrators see everyone's tokens and revoke them.

Form posts through signed-in sessions against a real ``shotlog serve``: the page lists each token's
name, owner, times and last use and never a secret; revoking one refuses it in the official client
at once and writes ShotGrid_PAT_Removed naming the admin; a person whose rule set may not administer
users gets a 403 for the page and the revoke, and the token keeps working.
"""

from __future__ import annotations

import re

import shotgun_api3
from test_credentials_pages import _shown, _works
from test_passwords import person
from webkit import ADMIN_LOGIN, ADMIN_PASSWORD, WebServer, csrf_of


def _token_of(server: WebServer, login: str, password: str, name: str) -> tuple[int, str]:
    """A token ``login`` makes on their account page: its id and secret."""
    http = server.signed_in(login, password)
    made = http.post("/account/tokens", data={"csrf": csrf_of(http.get("/account").text), "name": name})
    assert made.status_code == 201, made.text
    found = re.search(r'id="token-(\d+)"', made.text)
    assert found
    return int(found.group(1)), _shown(made.text, "token-secret")


def _row(html: str, token_id: int) -> str:
    found = re.search(rf'<tr id="token-{token_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row of token {token_id}"
    return found.group(1)


def test_an_admin_sees_and_revokes_someone_elses_token(server: WebServer, sg: shotgun_api3.Shotgun) -> None:
    login = person(sg, "pat token owner")
    token_id, secret = _token_of(server, login, "pat token owner", "render farm")
    unused_id, _ = _token_of(server, login, "pat token owner", "spare")
    assert _works(server, login=login, password=secret)  # its last use is recorded

    admin = server.signed_in(ADMIN_LOGIN, ADMIN_PASSWORD)
    assert 'href="/admin/tokens"' in admin.get("/admin").text
    page = admin.get("/admin/tokens")
    assert page.status_code == 200
    row = _row(page.text, token_id)
    assert "render farm" in row and login in row and "never" not in row
    assert "never" in _row(page.text, unused_id)
    assert secret not in page.text

    assert admin.post(f"/admin/tokens/{token_id}/revoke", data={}).status_code == 403  # no CSRF
    assert _works(server, login=login, password=secret)
    done = admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303 and done.headers["location"] == "/admin/tokens"
    assert not _works(server, login=login, password=secret)
    after = admin.get("/admin/tokens").text
    assert f'id="token-{token_id}"' not in after and f'id="token-{unused_id}"' in after
    missing = admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf": csrf_of(after)})
    assert missing.status_code == 404

    owner = sg.find_one("HumanUser", [["login", "is", login]], ["id"])
    admin_user = sg.find_one("HumanUser", [["login", "is", ADMIN_LOGIN]], ["id"])
    events = sg.find(
        "EventLogEntry",
        [["event_type", "is", "ShotGrid_PAT_Removed"], ["entity", "is", owner]],
        ["user", "meta"],
    )
    assert [(e["user"]["id"], e["meta"]["token_id"]) for e in events] == [(admin_user["id"], token_id)]
    assert secret not in str(events)


def test_an_artist_may_neither_see_nor_revoke_others_tokens(
    server: WebServer, sg: shotgun_api3.Shotgun
) -> None:
    login = person(sg, "pat token keeper")
    token_id, secret = _token_of(server, login, "pat token keeper", "nightly")
    artist = server.signed_in(person(sg, "artist looking"), "artist looking")
    assert 'href="/admin/tokens"' not in artist.get("/admin").text
    assert artist.get("/admin/tokens").status_code == 403
    refused = artist.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf": csrf_of(artist.get("/account").text)}
    )
    assert refused.status_code == 403
    assert _works(server, login=login, password=secret)
