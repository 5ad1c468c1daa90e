"""Sessions end when the credentials behind them change (issue 22, item 8).

Each test signs a person in every way there is, against a real ``shotlog serve``: an api3 session
token used by the official client, a REST access token (httpx), and a web session cookie from the
sign-in form. Then an admin or the person changes the password, or the person is disabled or
retired, and every one of those must be refused on its next use, with the protocol's own answer:
``AuthenticationFault``, 401, a redirect to the sign-in page. A bystander's sessions must live on,
so the tests prove the change ended exactly the right sessions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import shotgun_api3
from sgserver import ADMIN_LOGIN, ADMIN_PASSWORD, Server

import shotlog
from shotlog.accounts.credentials import Credentials

API = "/api/v1"
#: the HTTP clients a test opened, closed after it whatever its outcome
_OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_http_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


@dataclass
class Holdings:
    """Everything a signed-in person holds: api3, REST and web credentials."""

    user_id: int
    login: str
    by_token: shotgun_api3.Shotgun  # api3 client with a session token only
    rest: httpx.Client  # Bearer access token
    web: httpx.Client  # the session cookie


def _person(sg: shotgun_api3.Shotgun, uniq: str, password: str) -> tuple[int, str]:
    login = f"s-{uniq}"
    user = sg.create(
        "HumanUser",
        {
            "login": login,
            "firstname": "Sam",
            "lastname": uniq,
            "password_proxy": password,
            "permission_rule_set": "Artist",
            "sg_status_list": "act",
        },
    )
    return user["id"], login


def _web_sign_in(server: Server, login: str, password: str) -> httpx.Client:
    web = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
    _OPEN.append(web)
    token = _csrf(web.get("/login").text)
    reply = web.post("/login", data={"login": login, "password": password, "csrf": token, "next": "/events"})
    assert reply.status_code == 303, reply.text
    return web


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def _sign_in_everywhere(server: Server, user_id: int, login: str, password: str) -> Holdings:
    token = server.client(login=login, password=password).get_session_token()
    granted = httpx.post(
        f"{server.url}{API}/auth/access_token",
        data={"grant_type": "password", "username": login, "password": password},
        timeout=30,
    )
    assert granted.status_code == 200, granted.text
    rest = httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {granted.json()['access_token']}"}
    )
    _OPEN.append(rest)
    held = Holdings(
        user_id, login, server.client(session_token=token), rest, _web_sign_in(server, login, password)
    )
    _assert_alive(held)
    return held


def _assert_alive(held: Holdings) -> None:
    assert held.by_token.find_one("HumanUser", [["id", "is", held.user_id]], ["login"])["login"] == held.login
    assert held.rest.get(f"{API}/entity/human_users/{held.user_id}").status_code == 200
    assert held.web.get("/events").status_code == 200


def _assert_ended(held: Holdings) -> None:
    with pytest.raises(shotgun_api3.AuthenticationFault):
        held.by_token.find_one("HumanUser", [["id", "is", held.user_id]], ["login"])
    reply = held.rest.get(f"{API}/entity/human_users/{held.user_id}")
    assert reply.status_code == 401, reply.text
    page = held.web.get("/events")
    assert page.status_code in (302, 303, 307) and page.headers["location"].startswith("/login"), page.text


@pytest.fixture
def admin(server: Server) -> shotgun_api3.Shotgun:
    """The site's Admin, signed in with its password."""
    return server.client(login=ADMIN_LOGIN, password=ADMIN_PASSWORD)


def test_an_admin_setting_a_password_ends_every_session(
    server: Server, sg: shotgun_api3.Shotgun, admin: shotgun_api3.Shotgun, uniq: str
) -> None:
    user_id, login = _person(sg, uniq, "first password")
    bystander_id, other = _person(sg, uniq + "-b", "bystander pass")
    held = _sign_in_everywhere(server, user_id, login, "first password")
    bystander = _sign_in_everywhere(server, bystander_id, other, "bystander pass")

    admin.update("HumanUser", user_id, {"password_proxy": "set by the admin"})

    _assert_ended(held)
    _assert_alive(bystander)  # only that person's sessions end
    # the new password signs in everywhere at once
    _sign_in_everywhere(server, user_id, login, "set by the admin")


def test_the_owner_changing_their_password_ends_every_session(
    server: Server, sg: shotgun_api3.Shotgun, uniq: str
) -> None:
    user_id, login = _person(sg, uniq, "first password")
    held = _sign_in_everywhere(server, user_id, login, "first password")

    # through its own session token: the change ends that very token too
    held.by_token.update("HumanUser", user_id, {"password_proxy": "second password"})

    _assert_ended(held)
    _sign_in_everywhere(server, user_id, login, "second password")


def test_a_password_changed_in_the_web_ui_ends_the_other_sessions(
    server: Server, sg: shotgun_api3.Shotgun, uniq: str
) -> None:
    user_id, login = _person(sg, uniq, "first password")
    held = _sign_in_everywhere(server, user_id, login, "first password")
    browser = _web_sign_in(server, login, "first password")

    done = browser.post(
        "/account/password",
        data={
            "csrf": _csrf(browser.get("/account/password").text),
            "current": "first password",
            "new": "changed on the web",
            "confirm": "changed on the web",
        },
    )
    assert done.status_code == 303, done.text

    _assert_ended(held)
    # the browser that made the change has a new session and stays in
    assert browser.get("/events").status_code == 200


@pytest.mark.parametrize(
    "revoke",
    [
        pytest.param(lambda sg, i: sg.update("HumanUser", i, {"sg_status_list": "dis"}), id="disabled"),
        pytest.param(lambda sg, i: sg.delete("HumanUser", i), id="retired"),
    ],
)
def test_a_revoked_user_stays_signed_out_when_restored(
    server: Server,
    sg: shotgun_api3.Shotgun,
    admin: shotgun_api3.Shotgun,
    uniq: str,
    revoke: Callable[[shotgun_api3.Shotgun, int], Any],
) -> None:
    user_id, login = _person(sg, uniq, "first password")
    held = _sign_in_everywhere(server, user_id, login, "first password")

    revoke(admin, user_id)
    with pytest.raises(shotgun_api3.AuthenticationFault):
        held.by_token.find_one("HumanUser", [["id", "is", user_id]], ["login"])
    assert held.rest.get(f"{API}/entity/human_users/{user_id}").status_code == 401

    # Restoring the account does not bring back the sessions it held before.
    admin.revive("HumanUser", user_id)
    admin.update("HumanUser", user_id, {"sg_status_list": "act"})
    _assert_ended(held)
    _sign_in_everywhere(server, user_id, login, "first password")


def test_a_change_through_one_server_ends_sessions_held_on_another(
    server: Server, sg: shotgun_api3.Shotgun, start_server: Callable[..., Server], uniq: str
) -> None:
    """Several processes may share a database: none of them may keep a session alive from memory."""
    admin_token = server.client(login=ADMIN_LOGIN, password=ADMIN_PASSWORD).get_session_token()
    other = start_server(db_url=server.db_url)
    # starting a server with the admin's configured password does not end the admin's sessions
    assert server.client(session_token=admin_token).find_one("HumanUser", [["login", "is", ADMIN_LOGIN]])
    user_id, login = _person(sg, uniq, "first password")
    held = _sign_in_everywhere(other, user_id, login, "first password")

    server.client(login=ADMIN_LOGIN, password=ADMIN_PASSWORD).update(
        "HumanUser", user_id, {"password_proxy": "changed elsewhere"}
    )

    _assert_ended(held)
    assert other.alive()


def test_a_new_script_key_ends_the_scripts_tokens(server: Server, uniq: str) -> None:
    """A script's key is its password: a new one (``shotlog``'s own command, from another process)
    ends the api3 session tokens and REST tokens minted with the old one."""
    admin = shotlog.connect(server.db_url, migrate=False)
    try:
        name = f"script-{uniq}"[:60]
        script = admin.create("ApiUser", {"firstname": name})
        Credentials(admin).set_script_key(script["id"], "old-key-0001")
        token = server.client(script_name=name, api_key="old-key-0001").get_session_token()
        by_token = server.client(session_token=token)
        granted = httpx.post(
            f"{server.url}{API}/auth/access_token",
            data={"grant_type": "client_credentials", "client_id": name, "client_secret": "old-key-0001"},
            timeout=30,
        )
        assert granted.status_code == 200, granted.text
        rest = httpx.Client(
            base_url=server.url,
            timeout=30,
            headers={"Authorization": f"Bearer {granted.json()['access_token']}"},
        )
        _OPEN.append(rest)
        assert by_token.find_one("ApiUser", [["id", "is", script["id"]]])
        assert rest.get(f"{API}/entity/projects").status_code == 200

        Credentials(admin).set_script_key(script["id"], "new-key-0002")

        with pytest.raises(shotgun_api3.AuthenticationFault):
            by_token.find_one("ApiUser", [["id", "is", script["id"]]])
        assert rest.get(f"{API}/entity/projects").status_code == 401
        refresh = httpx.post(
            f"{server.url}{API}/auth/access_token",
            data={"grant_type": "refresh_token", "refresh_token": granted.json()["refresh_token"]},
            timeout=30,
        )
        assert refresh.status_code == 400, refresh.text
        # the new key signs in at once
        assert server.client(script_name=name, api_key="new-key-0002").get_session_token()
    finally:
        admin.close()


def test_an_admin_setting_their_own_password_on_the_admin_page_stays_in(
    server: Server, sg: shotgun_api3.Shotgun, uniq: str
) -> None:
    user_id, login = _person(sg, uniq, "first password")
    sg.update("HumanUser", user_id, {"permission_rule_set": "Admin"})
    held = _sign_in_everywhere(server, user_id, login, "first password")
    browser = _web_sign_in(server, login, "first password")

    page = browser.get(f"/admin/users/{user_id}/password")
    assert page.status_code == 200, page.text
    done = browser.post(
        f"/admin/users/{user_id}/password",
        data={"csrf": _csrf(page.text), "new": "my own new one", "confirm": "my own new one"},
    )
    assert done.status_code == 303, done.text

    _assert_ended(held)  # the admin's other sessions end...
    assert browser.get("/events").status_code == 200  # ...but not the one that made the change
