"""The REST token endpoint keeps secrets out of logs (shotlog issue 22, item 7).

Credentials may come in the query string, as FPTR takes them, and uvicorn's access log, which
writes each request line after its response, never shows them.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from restkit import ADMIN_LOGIN, ADMIN_PASSWORD, API, SCRIPT_KEY, SCRIPT_NAME, RestServer

TOKEN_URL = f"{API}/auth/access_token"


def _wait_for_log(rest: RestServer, mark: int, needle: str, timeout: float = 15.0) -> str:
    """The log written since ``mark`` once it contains ``needle`` (the request's access line)."""
    deadline = time.monotonic() + timeout
    while True:
        text = rest.log_since(mark)
        if needle in text:
            return text
        assert time.monotonic() < deadline, f"{needle!r} never reached the log:\n{text[-3000:]}"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("secret_name", "secret", "body", "status"),
    [
        ("client_secret", SCRIPT_KEY, {"grant_type": "client_credentials", "client_id": SCRIPT_NAME}, 200),
        ("password", ADMIN_PASSWORD, {"grant_type": "password", "username": ADMIN_LOGIN}, 200),
        ("refresh_token", "s3cret-refresh", {"grant_type": "refresh_token"}, 400),
        ("session_token", "s3cret-session", {"grant_type": "session_token"}, 400),
    ],
)
def test_a_secret_in_the_query_string_works_as_on_fptr_and_is_not_logged(
    rest: RestServer, secret_name: str, secret: str, body: dict[str, str], status: int
) -> None:
    secret = secret if status == 200 else f"{secret}-{uuid.uuid4().hex}"
    mark = rest.log_mark()
    reply = httpx.post(f"{rest.url}{TOKEN_URL}", params={secret_name: secret}, data=body, timeout=30)
    assert reply.status_code == status, reply.text
    if status == 200:
        assert reply.json()["token_type"] == "Bearer"
    log = _wait_for_log(rest, mark, f'"POST {TOKEN_URL}?[redacted] HTTP/1.1" {status}')
    assert secret not in log


def test_the_same_secret_in_the_body_still_works(rest: RestServer) -> None:
    reply = rest.grant(grant_type="client_credentials", client_id=SCRIPT_NAME, client_secret=SCRIPT_KEY)
    assert reply.status_code == 200, reply.text
    assert reply.json()["token_type"] == "Bearer"


def test_a_secret_in_any_other_query_string_is_not_logged(rest: RestServer) -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    mark = rest.log_mark()
    # a GET of the token path (405) and a secret-named parameter on another path
    assert httpx.get(f"{rest.url}{TOKEN_URL}", params={"password": secret}, timeout=30).status_code == 405
    reply = httpx.get(
        f"{rest.url}{API}/entity/projects", params={"access_token": secret, "x": "1"}, timeout=30
    )
    assert reply.status_code == 401
    log = _wait_for_log(rest, mark, f"{API}/entity/projects?access_token=[redacted]&x=1")
    assert f'"GET {TOKEN_URL}?[redacted] HTTP/1.1" 405' in log
    assert secret not in log


def test_an_oversized_token_request_is_refused_unread(rest: RestServer) -> None:
    data = {"grant_type": "client_credentials", "client_id": SCRIPT_NAME, "client_secret": SCRIPT_KEY}
    reply = httpx.post(f"{rest.url}{TOKEN_URL}", data={**data, "padding": "x" * 100_000}, timeout=30)
    assert reply.status_code == 413, reply.text
    assert "at most" in reply.json()["errors"][0]["title"]
