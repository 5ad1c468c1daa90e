"""POST /api/v1/auth/access_token (every grant type) and the Bearer token on every other route."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from restkit import ADMIN_LOGIN, ADMIN_PASSWORD, API, SCRIPT_KEY, SCRIPT_NAME, RestServer, errors_of

from shotlog.clock import utcnow_seconds
from shotlog.store.database import Database
from shotlog.store.tables import session_tokens

TOKEN = re.compile(r"[0-9a-f]{64}")


def _tokens(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert set(body) == {"token_type", "access_token", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert TOKEN.fullmatch(body["access_token"]) and TOKEN.fullmatch(body["refresh_token"])
    assert body["access_token"] != body["refresh_token"]
    return dict(body)


def _who(rest: RestServer, access_token: str, uniq: str) -> dict[str, Any]:
    """Create a Project with ``access_token`` and return its ``created_by`` link."""
    client = rest.client(access_token)
    reply = client.post(
        f"{API}/entity/projects", json={"name": uniq}, params={"options[fields]": "created_by"}
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json()["data"]["relationships"]["created_by"]["data"])


def test_client_credentials_form_encoded(rest: RestServer, ids: dict[str, int], uniq: str) -> None:
    tokens = _tokens(
        rest.grant(grant_type="client_credentials", client_id=SCRIPT_NAME, client_secret=SCRIPT_KEY)
    )
    assert _who(rest, tokens["access_token"], uniq) == {
        "type": "ApiUser",
        "id": ids["script"],
        "name": SCRIPT_NAME,
    }


def test_client_credentials_as_json_body(rest: RestServer) -> None:
    body = {"grant_type": "client_credentials", "client_id": SCRIPT_NAME, "client_secret": SCRIPT_KEY}
    _tokens(httpx.post(f"{rest.url}{API}/auth/access_token", json=body))


def test_client_credentials_multipart_form(rest: RestServer) -> None:
    files = {
        "grant_type": (None, "client_credentials"),
        "client_id": (None, SCRIPT_NAME),
        "client_secret": (None, SCRIPT_KEY),
    }
    _tokens(httpx.post(f"{rest.url}{API}/auth/access_token", files=files))


def test_password_grant_acts_as_the_human_user(rest: RestServer, ids: dict[str, int], uniq: str) -> None:
    tokens = _tokens(rest.grant(grant_type="password", username=ADMIN_LOGIN, password=ADMIN_PASSWORD))
    who = _who(rest, tokens["access_token"], uniq)
    assert who == {"type": "HumanUser", "id": ids["admin"], "name": f"Admin {ADMIN_LOGIN}"}


def test_refresh_token_grant(rest: RestServer, ids: dict[str, int], uniq: str) -> None:
    first = _tokens(
        rest.grant(grant_type="client_credentials", client_id=SCRIPT_NAME, client_secret=SCRIPT_KEY)
    )
    second = _tokens(rest.grant(grant_type="refresh_token", refresh_token=first["refresh_token"]))
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    # The new access token acts as the same script; so does the old one until it expires.
    assert _who(rest, second["access_token"], uniq)["id"] == ids["script"]
    assert rest.client(first["access_token"]).get(f"{API}/entity/projects").status_code == 200
    # The new refresh token refreshes too.
    _tokens(rest.grant(grant_type="refresh_token", refresh_token=second["refresh_token"]))


def test_session_token_grant(rest: RestServer, ids: dict[str, int], uniq: str) -> None:
    """A session token from api3's get_session_token buys an access token of the same user."""
    auth = {"user_login": ADMIN_LOGIN, "user_password": ADMIN_PASSWORD}
    reply = httpx.post(f"{rest.url}/api3/json", json={"method_name": "get_session_token", "params": [auth]})
    assert reply.status_code == 200, reply.text
    session = reply.json()["results"]["session_id"]
    tokens = _tokens(rest.grant(grant_type="session_token", session_token=session))
    assert _who(rest, tokens["access_token"], uniq) == {
        "type": "HumanUser",
        "id": ids["admin"],
        "name": f"Admin {ADMIN_LOGIN}",
    }


@pytest.mark.parametrize(
    ("params", "grant"),
    [
        ({"client_id": SCRIPT_NAME, "client_secret": "wrong"}, "client_credentials"),
        ({"client_id": "no_such_script", "client_secret": SCRIPT_KEY}, "client_credentials"),
        ({"client_id": SCRIPT_NAME}, "client_credentials"),
        ({"client_secret": SCRIPT_KEY}, "client_credentials"),
        ({"username": ADMIN_LOGIN, "password": "wrong"}, "password"),
        ({"username": "nobody", "password": ADMIN_PASSWORD}, "password"),
        ({"username": "", "password": ""}, "password"),
        ({}, "password"),
        ({"refresh_token": "0" * 64}, "refresh_token"),
        ({}, "refresh_token"),
        ({"session_token": "not-a-token"}, "session_token"),
        ({}, "session_token"),
    ],
)
def test_bad_credentials_are_400_code_102(rest: RestServer, params: dict[str, str], grant: str) -> None:
    error = errors_of(rest.grant(grant_type=grant, **params), 400, 102)
    assert error["title"] == f"Invalid credentials for grant_type {grant}"
    assert error["source"] == {}


def test_an_access_token_is_no_refresh_token(rest: RestServer) -> None:
    tokens = _tokens(
        rest.grant(grant_type="client_credentials", client_id=SCRIPT_NAME, client_secret=SCRIPT_KEY)
    )
    errors_of(rest.grant(grant_type="refresh_token", refresh_token=tokens["access_token"]), 400, 102)
    # ... and a refresh token is no access token.
    reply = rest.client(tokens["refresh_token"]).get(f"{API}/entity/projects")
    assert errors_of(reply, 401, 102)["title"] == "The access token is invalid or has expired"


@pytest.mark.parametrize("grant", [None, "", "authorization_code", "CLIENT_CREDENTIALS"])
def test_unknown_grant_type(rest: RestServer, grant: str | None) -> None:
    params = {"client_id": SCRIPT_NAME, "client_secret": SCRIPT_KEY}
    if grant is not None:
        params["grant_type"] = grant
    error = errors_of(rest.grant(**params), 400)
    assert error["title"] == (
        f"grant_type must be client_credentials, password, refresh_token or session_token; got {grant!r}"
    )
    assert error["source"] == {"parameter": "grant_type"}


def test_malformed_token_requests(rest: RestServer) -> None:
    url = f"{rest.url}{API}/auth/access_token"
    garbage = httpx.post(
        url, content=b"garbage", headers={"content-type": "multipart/form-data; boundary=zz"}
    )
    assert errors_of(garbage, 400)["title"].startswith("The form body could not be parsed")
    bad_json = httpx.post(url, content=b"{nope", headers={"content-type": "application/json"})
    assert errors_of(bad_json, 400)["title"] == "The request body is not valid JSON"
    not_object = httpx.post(url, json=["grant_type"])
    assert errors_of(not_object, 400)["title"] == "A JSON token request must be an object of parameters"


def test_token_endpoint_takes_post_only(rest: RestServer) -> None:
    reply = httpx.get(f"{rest.url}{API}/auth/access_token")
    assert errors_of(reply, 405)["title"] == f"GET is not allowed on {API}/auth/access_token"
    assert reply.headers["allow"] == "POST"


# -- the bearer token -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Token abc"},
        {"Authorization": f"Basic {SCRIPT_KEY}"},
        {"Authorization": SCRIPT_KEY},
    ],
    ids=["none", "empty", "token", "basic", "no-scheme"],
)
def test_missing_bearer_is_401(rest: RestServer, headers: dict[str, str]) -> None:
    reply = httpx.get(f"{rest.url}{API}/entity/shots", headers=headers)
    error = errors_of(reply, 401, 102)
    assert error["title"] == "Authorization: Bearer <access token> is required"
    assert reply.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("token", ["0" * 64, "not-a-token", SCRIPT_KEY])
def test_invalid_bearer_is_401(rest: RestServer, token: str) -> None:
    reply = rest.client(token).get(f"{API}/entity/shots")
    assert errors_of(reply, 401, 102)["title"] == "The access token is invalid or has expired"
    assert reply.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/entity/shots"),
        ("POST", "/entity/shots"),
        ("POST", "/entity/shots/_search"),
        ("GET", "/entity/shots/1"),
        ("PUT", "/entity/shots/1"),
        ("DELETE", "/entity/shots/1"),
        ("POST", "/entity/shots/1?revive=true"),
        ("GET", "/schema/shots"),
        ("GET", "/schema/shots/fields"),
        ("GET", "/schema/shots/fields/code"),
    ],
)
def test_every_route_needs_the_bearer(anon: httpx.Client, method: str, path: str) -> None:
    """Authentication comes first: even a route's bad input answers 401 without a token."""
    errors_of(anon.request(method, f"{API}{path}", json={"code": "x"}), 401, 102)


def test_expired_access_token_is_401(rest: RestServer) -> None:
    tokens = _tokens(
        rest.grant(grant_type="client_credentials", client_id=SCRIPT_NAME, client_secret=SCRIPT_KEY)
    )
    client = rest.client(tokens["access_token"])
    assert client.get(f"{API}/entity/projects").status_code == 200
    db = Database(rest.db_url)
    try:
        with db.write() as conn:
            digest = hashlib.sha256(tokens["access_token"].encode()).hexdigest()
            done = conn.execute(
                sa.update(session_tokens)
                .where(session_tokens.c.token_sha256 == digest)
                .values(expires_at=utcnow_seconds() - dt.timedelta(seconds=1))
            )
            assert done.rowcount == 1
    finally:
        db.dispose()
    reply = client.get(f"{API}/entity/projects")
    assert errors_of(reply, 401, 102)["title"] == "The access token is invalid or has expired"
    # The refresh token of the same grant still buys a fresh access token.
    fresh = _tokens(rest.grant(grant_type="refresh_token", refresh_token=tokens["refresh_token"]))
    assert rest.client(fresh["access_token"]).get(f"{API}/entity/projects").status_code == 200


# -- disabled users -------------------------------------------------------------------------------


def _human(api: httpx.Client, uniq: str) -> tuple[int, str]:
    login, password = f"u-{uniq}", f"pw-{uniq}"
    reply = api.post(
        f"{API}/entity/human_users",
        json={
            "login": login,
            "password_proxy": password,
            "firstname": "U",
            "lastname": uniq,
            "sg_status_list": "act",
        },
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["data"]["id"], password


def test_a_disabled_user_cannot_log_in(rest: RestServer, api: httpx.Client, uniq: str) -> None:
    user_id, password = _human(api, uniq)
    _tokens(rest.grant(grant_type="password", username=f"u-{uniq}", password=password))
    assert api.put(f"{API}/entity/human_users/{user_id}", json={"sg_status_list": "dis"}).status_code == 200
    errors_of(rest.grant(grant_type="password", username=f"u-{uniq}", password=password), 400, 102)


def test_a_disabled_users_tokens_stop_working(rest: RestServer, api: httpx.Client, uniq: str) -> None:
    """Disabling a user (sg_status_list 'dis') ends the access and refresh tokens it holds."""
    user_id, password = _human(api, uniq)
    tokens = _tokens(rest.grant(grant_type="password", username=f"u-{uniq}", password=password))
    client = rest.client(tokens["access_token"])
    assert client.get(f"{API}/entity/projects").status_code == 200
    assert api.put(f"{API}/entity/human_users/{user_id}", json={"sg_status_list": "dis"}).status_code == 200
    errors_of(client.get(f"{API}/entity/projects"), 401, 102)
    errors_of(rest.grant(grant_type="refresh_token", refresh_token=tokens["refresh_token"]), 400, 102)
