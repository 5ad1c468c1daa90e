"""Scripts' keys and people's personal access tokens over REST: who may, what is shown once, errors.

Through HTTP against a real ``shotlog serve``: the script (an API Admin) and the admin manage
scripts; an Artist is refused with a 403 naming the permission, and bad input answers a 4xx that
names the field, with nothing changed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from restkit import ADMIN_LOGIN, ADMIN_PASSWORD, API, SCRIPT_KEY, SCRIPT_NAME, RestServer, errors_of

PASSWORD = "artist-pass-0001"


def _person(api: httpx.Client, login: str, rules: str = "Artist") -> dict[str, Any]:
    reply = api.post(
        f"{API}/entity/human_users",
        json={
            "login": login,
            "firstname": "Pat",
            "lastname": login,
            "password_proxy": PASSWORD,
            "permission_rule_set": rules,
        },
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json()["data"])


def _as(rest: RestServer, login: str, password: str = PASSWORD) -> httpx.Client:
    reply = rest.grant(grant_type="password", username=login, password=password)
    assert reply.status_code == 200, reply.text
    return rest.client(reply.json()["access_token"])


def _events(api: httpx.Client, event_type: str, **filters: Any) -> list[dict[str, Any]]:
    params = {"filter[event_type]": event_type, **{f"filter[{k}]": v for k, v in filters.items()}}
    reply = api.get(f"{API}/entity/event_log_entries", params={**params, "fields": "*"})
    assert reply.status_code == 200, reply.text
    # JSON:API records: the fields in attributes, the links in relationships
    return [
        {**e["attributes"], **{k: v.get("data") for k, v in e.get("relationships", {}).items()}}
        for e in reply.json()["data"]
    ]


def test_scripts_made_rekeyed_and_revoked_over_rest(rest: RestServer, api: httpx.Client, uniq: str) -> None:
    made = api.post(f"{API}/scripts", json={"firstname": f"s-{uniq}", "permission_rule_set": "API User"})
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    key, script_id = data["script_key"], data["id"]
    assert data["has_key"] and data["permission_rule_set"] == "API User"
    assert (
        rest.grant(grant_type="client_credentials", client_id=f"s-{uniq}", client_secret=key).status_code
        == 200
    )
    listed = api.get(f"{API}/scripts").json()["data"]
    assert any(s["id"] == script_id and "script_key" not in s for s in listed)
    assert key not in api.get(f"{API}/scripts").text

    rotated = api.post(f"{API}/scripts/{script_id}/key").json()["data"]["script_key"]
    assert (
        rest.grant(grant_type="client_credentials", client_id=f"s-{uniq}", client_secret=key).status_code
        == 400
    )
    assert (
        rest.grant(grant_type="client_credentials", client_id=f"s-{uniq}", client_secret=rotated).status_code
        == 200
    )
    revoked = api.delete(f"{API}/scripts/{script_id}/key")
    assert revoked.status_code == 200 and revoked.json()["data"]["has_key"] is False
    assert (
        rest.grant(grant_type="client_credentials", client_id=f"s-{uniq}", client_secret=rotated).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/scripts", None),
        ("POST", "/scripts", {"firstname": "artist-made"}),
        ("POST", "/scripts/rest_tests/key", None),
        ("DELETE", "/scripts/rest_tests/key", None),
    ],
)
def test_an_artist_may_not_manage_scripts(
    rest: RestServer, api: httpx.Client, uniq: str, method: str, path: str, body: Any
) -> None:
    _person(api, f"a-{uniq}")
    artist = _as(rest, f"a-{uniq}")
    reply = artist.request(method, f"{API}{path}", json=body)
    errors = errors_of(reply, 403, 104)
    assert "administer users" in errors["title"]
    # the shared script still signs in with its key
    assert (
        rest.grant(
            grant_type="client_credentials", client_id=SCRIPT_NAME, client_secret=SCRIPT_KEY
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "firstname"), ({"firstname": ""}, "firstname"), ({"firstname": "x" * 300}, "firstname")],
)
def test_bad_scripts_are_refused_naming_the_field(
    api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    reply = api.post(f"{API}/scripts", json=body)
    assert reply.status_code == 400, reply.text
    assert field in reply.text


def test_a_duplicate_name_and_an_unknown_script(api: httpx.Client) -> None:
    assert api.post(f"{API}/scripts", json={"firstname": "rest_tests"}).status_code == 409
    assert api.post(f"{API}/scripts/no-such-script/key").status_code == 404


def test_personal_access_tokens_over_rest(rest: RestServer, api: httpx.Client, uniq: str) -> None:
    person = _person(api, f"p-{uniq}")
    me = _as(rest, f"p-{uniq}")
    made = me.post(f"{API}/access_tokens", json={"name": "nightly", "expires_in_days": "3"})
    assert made.status_code == 201, made.text
    secret, token_id = made.json()["data"]["token"], made.json()["data"]["id"]
    assert secret.startswith("slpat_")

    # the token in place of the password: a grant, and ShotGrid_PAT_Exchanged
    via_token = rest.grant(grant_type="password", username=f"p-{uniq}", password=secret)
    assert via_token.status_code == 200, via_token.text
    listed = me.get(f"{API}/access_tokens").json()["data"]
    assert [(t["id"], t["name"], t["expired"]) for t in listed] == [(token_id, "nightly", False)]
    assert listed[0]["last_used_at"] is not None and listed[0]["last_used_address"] == "127.0.0.1"

    # the admin reads and revokes anyone's; another person may do neither
    admin = _as(rest, ADMIN_LOGIN, ADMIN_PASSWORD)
    assert len(admin.get(f"{API}/access_tokens", params={"user_id": person["id"]}).json()["data"]) == 1
    _person(api, f"o-{uniq}")
    other = _as(rest, f"o-{uniq}")
    errors_of(other.get(f"{API}/access_tokens", params={"user_id": person["id"]}), 403, 104)
    errors_of(other.delete(f"{API}/access_tokens/{token_id}"), 403, 104)
    errors_of(api.post(f"{API}/access_tokens", json={"name": "a script's"}), 403, 104)  # people only
    assert admin.delete(f"{API}/access_tokens/{token_id}").status_code == 204
    assert rest.grant(grant_type="password", username=f"p-{uniq}", password=secret).status_code == 400
    errors_of(admin.delete(f"{API}/access_tokens/{token_id}"), 404, 104)

    kinds = {e["event_type"] for e in _events(api, "ShotGrid_PAT_Added")}
    assert kinds == {"ShotGrid_PAT_Added"}
    exchanged = _events(api, "ShotGrid_PAT_Exchanged")
    removed = _events(api, "ShotGrid_PAT_Removed")
    assert any(e["meta"]["token_id"] == token_id for e in exchanged)
    assert any(e["meta"]["token_id"] == token_id and e["user"]["id"] != person["id"] for e in removed)
    assert secret not in str(exchanged) + str(removed)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expires_in_days": 3}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "n", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "n", "expires_in_days": 367}, "expires_in_days"),
        ({"name": "n", "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "n", "expires_in_days": True}, "expires_in_days"),
    ],
)
def test_bad_tokens_are_refused_naming_the_field(
    rest: RestServer, api: httpx.Client, uniq: str, body: dict[str, Any], field: str
) -> None:
    _person(api, f"b-{uniq}")
    me = _as(rest, f"b-{uniq}")
    reply = me.post(f"{API}/access_tokens", json=body)
    assert reply.status_code == 400 and field in reply.text, reply.text
    assert me.get(f"{API}/access_tokens").json()["data"] == []
