"""User administrators review and revoke everyone's personal access tokens over REST.

``GET /api/v1/access_tokens?all=true`` lists every person's tokens with their owners' names and
never a secret; anyone whose rule set may not administer users gets a 403, and revoking someone
else's token writes the ShotGrid_PAT_Removed event naming the admin.
"""

from __future__ import annotations

import httpx
import pytest
from restkit import ADMIN_LOGIN, ADMIN_PASSWORD, API, RestServer, errors_of
from test_credentials import _as, _events, _person


def _token(client: httpx.Client, name: str) -> tuple[int, str]:
    made = client.post(f"{API}/access_tokens", json={"name": name, "expires_in_days": 2})
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"], made.json()["data"]["token"]


def test_an_admin_lists_and_revokes_everyones_tokens(rest: RestServer, api: httpx.Client, uniq: str) -> None:
    first, second = _person(api, f"a-{uniq}"), _person(api, f"b-{uniq}")
    first_id, first_secret = _token(_as(rest, f"a-{uniq}"), "farm")
    second_id, second_secret = _token(_as(rest, f"b-{uniq}"), "laptop")
    admin = _as(rest, ADMIN_LOGIN, ADMIN_PASSWORD)

    listed = admin.get(f"{API}/access_tokens", params={"all": "true"})
    assert listed.status_code == 200, listed.text
    rows = {t["id"]: t for t in listed.json()["data"]}
    assert rows[first_id]["name"] == "farm" and rows[second_id]["name"] == "laptop"
    assert rows[first_id]["user"] == {"type": "HumanUser", "id": first["id"], "name": f"Pat a-{uniq}"}
    assert rows[second_id]["user"]["id"] == second["id"]
    assert {"created_at", "expires_at", "last_used_at"} <= set(rows[first_id])
    assert first_secret not in listed.text and second_secret not in listed.text
    ids = [t["id"] for t in listed.json()["data"]]
    assert ids.index(second_id) < ids.index(first_id)  # newest first

    assert admin.delete(f"{API}/access_tokens/{second_id}").status_code == 204
    assert rest.grant(grant_type="password", username=f"b-{uniq}", password=second_secret).status_code == 400
    assert rest.grant(grant_type="password", username=f"a-{uniq}", password=first_secret).status_code == 200
    after = {t["id"] for t in admin.get(f"{API}/access_tokens", params={"all": "true"}).json()["data"]}
    assert first_id in after and second_id not in after
    removed = [e for e in _events(api, "ShotGrid_PAT_Removed") if e["meta"]["token_id"] == second_id]
    assert len(removed) == 1
    assert removed[0]["user"]["type"] == "HumanUser" and removed[0]["user"]["id"] != second["id"]
    assert removed[0]["entity"]["id"] == second["id"] and removed[0]["meta"]["user_id"] == second["id"]


def test_a_person_without_user_administration_gets_403(
    rest: RestServer, api: httpx.Client, uniq: str
) -> None:
    _person(api, f"o-{uniq}")
    owner = _as(rest, f"o-{uniq}")
    token_id, secret = _token(owner, "mine")
    for rules in ("Artist", "Manager"):
        _person(api, f"{rules}-{uniq}", rules)
        other = _as(rest, f"{rules}-{uniq}")
        refused = errors_of(other.get(f"{API}/access_tokens", params={"all": "true"}), 403, 104)
        assert "administer users" in refused["title"]
        errors_of(other.delete(f"{API}/access_tokens/{token_id}"), 403, 104)
    assert rest.grant(grant_type="password", username=f"o-{uniq}", password=secret).status_code == 200
    # the owner still sees their own
    assert [t["id"] for t in owner.get(f"{API}/access_tokens").json()["data"]] == [token_id]


def test_bad_listing_parameters_name_the_parameter(rest: RestServer, api: httpx.Client) -> None:
    admin = _as(rest, ADMIN_LOGIN, ADMIN_PASSWORD)
    both = errors_of(admin.get(f"{API}/access_tokens", params={"all": "true", "user_id": "3"}), 400, 104)
    assert both["source"] == {"parameter": "user_id"}
    for params, name in (
        ({"all": "yes please"}, "all"),
        ({"user_id": "0"}, "user_id"),
        ({"user_id": "-4"}, "user_id"),
        ({"user_id": "9" * 5000}, "user_id"),
        ({"user_id": "\u0663"}, "user_id"),  # an Arabic-Indic 3: a digit to str.isdigit, not an id
    ):
        error = errors_of(admin.get(f"{API}/access_tokens", params=params), 400, 104)
        assert error["source"] == {"parameter": name}, (params, error)


def test_the_answers_are_the_documents(rest: RestServer, api: httpx.Client, uniq: str) -> None:
    """Answers the fuzzer, signed in as a script, cannot get (a person's new token, an admin's
    listing with owners' names) match the OpenAPI document, as schemathesis checks them."""
    schemathesis = pytest.importorskip("schemathesis")
    document = schemathesis.openapi.from_dict(rest.client().get(f"{API}/spec.json").json())

    def conforms(operation_id: str, reply: httpx.Response) -> None:
        document.find_operation_by_id(operation_id).validate_response(reply)

    _person(api, f"d-{uniq}")
    me = _as(rest, f"d-{uniq}")
    made = me.post(f"{API}/access_tokens", json={"name": "documented", "expires_in_days": "4"})
    assert made.status_code == 201
    conforms("createAccessToken", made)
    conforms("listAccessTokens", me.get(f"{API}/access_tokens"))
    conforms("listAccessTokens", me.get(f"{API}/access_tokens", params={"all": "true"}))  # a 403
    admin = _as(rest, ADMIN_LOGIN, ADMIN_PASSWORD)
    listed = admin.get(f"{API}/access_tokens", params={"all": "true"})
    assert listed.status_code == 200
    conforms("listAccessTokens", listed)
    revoked = admin.delete(f"{API}/access_tokens/{made.json()['data']['id']}")
    assert revoked.status_code == 204
    conforms("revokeAccessToken", revoked)
    script = api.post(f"{API}/scripts", json={"firstname": f"s-{uniq}", "description": None})
    assert script.status_code == 201
    conforms("createScript", script)
    conforms("listScripts", api.get(f"{API}/scripts"))
    conforms("rotateScriptKey", api.post(f"{API}/scripts/s-{uniq}/key"))
    conforms("revokeScriptKey", api.delete(f"{API}/scripts/s-{uniq}/key"))
    conforms("revokeScriptKey", api.delete(f"{API}/scripts/s-{uniq}/key"))  # a 400: no key left
