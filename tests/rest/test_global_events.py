"""Sign-in events of the REST token endpoint, read back over REST: a password grant starts a session,
refresh and session-token grants continue one, a wrong password is a failed sign-in."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from restkit import API, SCRIPT_KEY, SCRIPT_NAME, RestServer

PASSWORD = "a long enough password"
FIELDS = "event_type,attribute_name,meta,user,entity,project,description"


def _person(api: httpx.Client) -> dict[str, Any]:
    login = f"gr{uuid.uuid4().hex[:10]}"
    reply = api.post(
        f"{API}/entity/human_users",
        json={"login": login, "firstname": "Re", "lastname": login, "password_proxy": PASSWORD},
    )
    assert reply.status_code == 201, reply.text
    data = reply.json()["data"]
    return {"id": data["id"], "login": login, "name": data["attributes"]["name"]}


def _sign_ins(api: httpx.Client, login: str) -> list[dict[str, Any]]:
    """Every sign-in event about ``login``, oldest first (meta is not filterable: read it here)."""
    reply = api.post(
        f"{API}/entity/event_log_entries/_search",
        json={
            "filters": [["event_type", "starts_with", "Shotgun_User_"]],
            "fields": FIELDS,
            "sort": "id",
            "page": {"size": 500},
        },
    )
    assert reply.status_code == 200, reply.text
    return [e for e in reply.json()["data"] if (e["attributes"]["meta"] or {}).get("login") == login]


def _marker(api: httpx.Client) -> int:
    """A positive signal: an event written after the calls under test, so the log read is current."""
    reply = api.post(f"{API}/entity/event_log_entries", json={"event_type": "GlobalEvents_Marker"})
    assert reply.status_code == 201, reply.text
    return int(reply.json()["data"]["id"])


def test_password_grant_logs_in_and_refresh_continues(rest: RestServer, api: httpx.Client) -> None:
    person = _person(api)
    granted = rest.grant(grant_type="password", username=person["login"], password=PASSWORD)
    assert granted.status_code == 200, granted.text
    refreshed = rest.grant(grant_type="refresh_token", refresh_token=granted.json()["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    marker = _marker(api)
    events = _sign_ins(api, person["login"])
    assert [int(e["id"]) < marker for e in events] == [True]
    (login,) = events
    link = {"type": "HumanUser", "id": person["id"], "name": person["name"]}
    assert login["attributes"] == {
        "event_type": "Shotgun_User_Login",
        "attribute_name": None,
        "meta": {"type": "login", "source": "rest", "login": person["login"], "auth": "password"},
        "description": f"{person['name']} logged in (rest)",
    }
    assert login["relationships"]["user"]["data"] == link
    assert login["relationships"]["entity"]["data"] == link
    assert login["relationships"]["project"]["data"] is None


def test_wrong_password_grant_is_a_failed_login(rest: RestServer, api: httpx.Client) -> None:
    person = _person(api)
    refused = rest.grant(grant_type="password", username=person["login"], password="nope, not this")
    assert refused.status_code == 400
    _marker(api)
    (failed,) = _sign_ins(api, person["login"])
    assert failed["attributes"] == {
        "event_type": "Shotgun_User_FailedLogin",
        "attribute_name": None,
        "meta": {
            "type": "failedlogin",
            "source": "rest",
            "login": person["login"],
            "auth": "password",
            "address": "127.0.0.1",
        },
        "description": f"Failed rest login for {person['login']!r}",
    }
    assert failed["relationships"]["entity"]["data"] is None
    assert failed["relationships"]["user"]["data"]["type"] == "ApiUser"


def test_script_grants_write_no_sign_in(rest: RestServer, api: httpx.Client) -> None:
    before = _marker(api)
    for secret, status in (("wrong secret", 400), (SCRIPT_KEY, 200)):
        reply = rest.grant(grant_type="client_credentials", client_id=SCRIPT_NAME, client_secret=secret)
        assert reply.status_code == status, reply.text
    after = _marker(api)
    reply = api.post(
        f"{API}/entity/event_log_entries/_search",
        json={"filters": [["id", "between", [before + 1, after - 1]]], "fields": "event_type"},
    )
    assert reply.status_code == 200 and reply.json()["data"] == []
