"""Credentials managed while shotlog runs, through the official client on two servers of one database.

A script made through api3's ``create("ApiUser")`` gets its key in the answer, once; a new key
(REST, since FPTR's api3 has no call for it) or a revoked one refuses the old key on the very next
call in both server processes, with no wait. People's personal access tokens stand in for their
password in the client and stop at once when revoked. Every change is its FPTR event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
import shotgun_api3
from sgserver import Server, events_after, head_event_id

PASSWORD = "person-pass-0001"


def _works(server: Server, **credentials: str) -> bool:
    client = shotgun_api3.Shotgun(server.url, **credentials)  # a new client: nothing kept between calls
    try:
        client.find("Project", [["id", "is", 0]])
    except shotgun_api3.AuthenticationFault:
        return False
    finally:
        client.close()
    return True


def _rest_token(server: Server, **params: str) -> str:
    reply = httpx.post(f"{server.url}/api/v1/auth/access_token", data=params)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def _admin_rest(server: Server) -> httpx.Client:
    token = _rest_token(server, grant_type="password", username=server.login, password=server.password)
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture(scope="module")
def pair(server: Server, start_server: Callable[..., Server]) -> tuple[Server, Server]:
    """The shared server and a second process on its database."""
    return server, start_server(db_url=server.db_url)


def test_a_script_made_through_api3_is_rekeyed_and_revoked_at_once_on_both_servers(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    sg = first.client()
    before = head_event_id(sg)
    name = f"made-{uuid.uuid4().hex[:8]}"
    made = sg.create("ApiUser", {"firstname": name, "description": "render farm"})
    key = made["salted_password"]
    assert isinstance(key, str) and len(key) >= 40
    assert (
        sg.find_one("ApiUser", [["id", "is", made["id"]]], ["salted_password"]).get("salted_password") is None
    )
    for server in pair:
        assert _works(server, script_name=name, api_key=key)  # now remembered by both

    with _admin_rest(first) as admin:
        rotated = admin.post(f"/api/v1/scripts/{made['id']}/key")
        assert rotated.status_code == 200, rotated.text
        new_key = rotated.json()["data"]["script_key"]
        # the very next call on either server: no wait for a cache to expire
        for server in pair:
            assert not _works(server, script_name=name, api_key=key)
            assert _works(server, script_name=name, api_key=new_key)
        assert admin.delete(f"/api/v1/scripts/{name}/key").status_code == 200
        for server in (second, first):
            assert not _works(server, script_name=name, api_key=new_key)
        again = admin.delete(f"/api/v1/scripts/{name}/key")
        assert again.status_code == 400 and "has no key" in again.text

    events = events_after(sg, before)
    mine = [
        e
        for e in events
        if e["entity"] and (e["entity"]["type"], e["entity"]["id"]) == ("ApiUser", made["id"])
    ]
    kinds = [(e["event_type"], e["attribute_name"]) for e in mine]
    assert ("Shotgun_ApiUser_New", None) in kinds
    assert kinds.count(("Shotgun_ApiUser_Change", "salted_password")) == 3  # made, rotated, revoked
    changes = [e for e in events if e["attribute_name"] == "salted_password"]
    assert all(e["meta"]["new_value"] is None and e["meta"]["old_value"] is None for e in changes)
    assert "revoked" in changes[-1]["description"]


def test_only_user_administrators_make_scripts(server: Server, sg: shotgun_api3.Shotgun, uniq: str) -> None:
    login = f"artist-{uniq}"
    sg.create(
        "HumanUser",
        {
            "login": login,
            "firstname": "Art",
            "lastname": uniq,
            "password_proxy": PASSWORD,
            "permission_rule_set": "Artist",
        },
    )
    artist = server.client(login=login, password=PASSWORD)
    before = head_event_id(sg)
    with pytest.raises(shotgun_api3.Fault, match="administer users"):
        artist.create("ApiUser", {"firstname": f"sneaky-{uniq}"})
    assert sg.find("ApiUser", [["firstname", "is", f"sneaky-{uniq}"]]) == []
    assert events_after(sg, before) == []
    with pytest.raises(shotgun_api3.Fault, match="firstname"):
        sg.create("ApiUser", {"firstname": server.script_name})  # names are unique, as on FPTR


def test_personal_access_tokens_stand_in_for_the_password(pair: tuple[Server, Server], uniq: str) -> None:
    first, second = pair
    sg = first.client()
    login = f"pat-{uniq}"
    person = sg.create(
        "HumanUser",
        {
            "login": login,
            "firstname": "Pat",
            "lastname": uniq,
            "password_proxy": PASSWORD,
            "permission_rule_set": "Artist",
        },
    )
    own = _rest_token(first, grant_type="password", username=login, password=PASSWORD)
    with httpx.Client(base_url=first.url, headers={"Authorization": f"Bearer {own}"}) as http:
        made = http.post("/api/v1/access_tokens", json={"name": "farm submitter", "expires_in_days": 7})
        assert made.status_code == 201, made.text
        secret, token_id = made.json()["data"]["token"], made.json()["data"]["id"]
        for server in pair:
            client = server.client(login=login, password=secret)
            me = client.find_one("HumanUser", [["login", "is", login]], ["id"])
            assert me == {"type": "HumanUser", "id": person["id"]}
        listed = http.get("/api/v1/access_tokens").json()["data"]
        assert [(t["name"], t["last_used_at"] is not None) for t in listed] == [("farm submitter", True)]
        assert "token" not in listed[0] and secret not in http.get("/api/v1/access_tokens").text
        # someone else's login with this token: refused
        assert not _works(first, login=first.login, password=secret)
        assert http.delete(f"/api/v1/access_tokens/{token_id}").status_code == 204
    for server in (second, first):
        assert not _works(server, login=login, password=secret)
    assert _works(first, login=login, password=PASSWORD)  # the password itself is untouched
    types = [e["event_type"] for e in events_after(sg, 0, entity={"type": "HumanUser", "id": person["id"]})]
    assert "ShotGrid_PAT_Added" in types and "ShotGrid_PAT_Removed" in types


def test_an_owner_changes_their_password_through_api3(
    server: Server, sg: shotgun_api3.Shotgun, uniq: str
) -> None:
    login = f"owner-{uniq}"
    me = sg.create(
        "HumanUser",
        {
            "login": login,
            "firstname": "Own",
            "lastname": uniq,
            "password_proxy": PASSWORD,
            "permission_rule_set": "Artist",
        },
    )
    before = head_event_id(sg)
    client = server.client(login=login, password=PASSWORD)
    client.update("HumanUser", me["id"], {"password_proxy": "changed-by-owner-1"})
    assert _works(server, login=login, password="changed-by-owner-1")
    assert not _works(server, login=login, password=PASSWORD)
    events = events_after(sg, before)
    change = [e for e in events if e["event_type"] == "Shotgun_User_PasswordChange"]
    assert len(change) == 1 and change[0]["entity"]["id"] == me["id"]
    assert change[0]["user"]["id"] == me["id"] and "changed-by-owner" not in str(events)
