"""The sign-in throttle and folded failed sign-ins, through every way in (issue 22 item 6, issue 15
item 3): the official shotgun_api3 client, the REST token endpoint and the web sign-in form of a
real ``shotlog serve``, whose throttle reads a clock the test moves (``SHOTLOG_TEST_CLOCK_FILE``).

Every request comes from 127.0.0.1, so each test starts by moving the clock past the window: the
windows earlier tests opened (per address too) have ended.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import shotgun_api3
from click.testing import CliRunner
from sgserver import Server, events_after, head_event_id

from shotlog.cli import main

LOGIN_LIMIT = 3
ADDRESS_LIMIT = 8
WINDOW = 600
TOKEN_PATH = "/api/v1/auth/access_token"
PASSWORD = "the right password"
#: distinct logins tried from one address
SPRAY = 100
#: attempts sent at once
CONCURRENCY = 8


class ServerClock:
    """The seconds the server's throttle clock is ahead of the real time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shift = 0.0
        self.advance(0)

    def advance(self, seconds: float) -> None:
        self.shift += seconds
        spare = self.path.with_suffix(".new")
        spare.write_text(repr(self.shift))
        os.replace(spare, self.path)  # the server never reads half a number


@pytest.fixture(scope="module")
def clocked(
    start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, ServerClock]]:
    clock = ServerClock(tmp_path_factory.mktemp("clock") / "shift")
    server = start_server(
        env={
            "SHOTLOG_TEST_CLOCK_FILE": str(clock.path),
            "SHOTLOG_SIGNIN_LOGIN_FAILURES": str(LOGIN_LIMIT),
            "SHOTLOG_SIGNIN_ADDRESS_FAILURES": str(ADDRESS_LIMIT),
            "SHOTLOG_SIGNIN_WINDOW_SECONDS": str(WINDOW),
        }
    )
    yield server, clock
    assert "Traceback" not in server.log(), server.log()[-5000:]


@pytest.fixture
def guarded(clocked: tuple[Server, ServerClock]) -> Server:
    """The server with a throttle (not the session's shared ``server``, which has none)."""
    return clocked[0]


@pytest.fixture
def clock(clocked: tuple[Server, ServerClock]) -> ServerClock:
    clocked[1].advance(WINDOW + 1)  # every window of earlier tests has ended
    return clocked[1]


@pytest.fixture
def sg(guarded: Server) -> Iterator[shotgun_api3.Shotgun]:
    yield guarded.client()
    guarded.close_clients()


@pytest.fixture
def person(sg: shotgun_api3.Shotgun) -> dict[str, Any]:
    login = f"thr-{uuid.uuid4().hex[:10]}"
    return sg.create("HumanUser", {"login": login, "name": login, "password_proxy": PASSWORD})


def _failed(sg: shotgun_api3.Shotgun, head: int, mine: Callable[[str | None], bool]) -> list[dict[str, Any]]:
    """This test's failed sign-ins (ending windows of earlier tests are summarised meanwhile)."""
    events = events_after(sg, head, event_type="Shotgun_User_FailedLogin")
    return [e for e in events if mine(e["meta"]["login"])]


def _api3(server: Server, login: str, password: str) -> str:
    """The outcome of one api3 call signed in with a password: ok, or the fault's message."""
    client = server.client(login=login, password=password, connect=False)
    try:
        client.find_one("Project", [])
    except shotgun_api3.AuthenticationFault as exc:
        return str(exc)
    finally:
        client.close()
    return "ok"


def _web_attempt(http: httpx.Client, login: str, password: str) -> httpx.Response:
    page = http.get("/login")
    found = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert found, "no CSRF field in the sign-in page"
    data = {"login": login, "password": password, "csrf": found.group(1), "next": "/events"}
    return http.post("/login", data=data)


def _unlock(server: Server, login: str) -> str:
    """``shotlog users unlock`` on the server's database (the command run in this process)."""
    done = CliRunner().invoke(main, ["users", "unlock", login, "--database", server.db_url])
    assert done.exit_code == 0, done.output
    return done.output


def test_api3_refuses_a_login_past_its_limit_until_the_window_passes(
    guarded: Server, clock: ServerClock, sg: shotgun_api3.Shotgun, person: dict[str, Any]
) -> None:
    head = head_event_id(sg)
    for _ in range(LOGIN_LIMIT):
        assert "wrong login or password" in _api3(guarded, person["login"], "not it")
    # the right password now: refused without being checked, and the fault says why
    refused = _api3(guarded, person["login"], PASSWORD)
    assert "Too many failed sign-ins" in refused and person["login"] in refused, refused
    clock.advance(WINDOW - 30)
    assert "Too many failed sign-ins" in _api3(guarded, person["login"], PASSWORD)
    clock.advance(31)
    assert _api3(guarded, person["login"], PASSWORD) == "ok"
    # one event for the first failure at once; the rest of the window is one summary, written
    # when the next failure finds the window over, before that failure's own event
    assert "wrong login or password" in _api3(guarded, person["login"], "not it")
    failed = _failed(sg, head, lambda login: login == person["login"])
    assert [e["meta"].get("count") for e in failed] == [None, LOGIN_LIMIT + 2, None], failed
    first, summary, again = failed
    assert first["meta"] == {
        "type": "failedlogin",
        "source": "api3",
        "login": person["login"],
        "auth": "password",
        "address": "127.0.0.1",
    }
    assert summary["meta"]["refused"] == 2 and summary["meta"]["folded"] is True
    assert summary["meta"]["login"] == person["login"] and summary["meta"]["address"] == "127.0.0.1"
    assert summary["meta"]["first_at"] < summary["meta"]["last_at"]
    assert summary["user"] == first["user"] and summary["entity"] is None
    assert again["meta"] == first["meta"]


def test_rest_answers_429_with_retry_after_and_an_admin_unlock_lifts_it(
    guarded: Server, clock: ServerClock, sg: shotgun_api3.Shotgun, person: dict[str, Any]
) -> None:
    head = head_event_id(sg)
    grant = {"grant_type": "password", "username": person["login"]}
    with httpx.Client(base_url=guarded.url, timeout=30) as http:
        for _ in range(LOGIN_LIMIT):
            assert http.post(TOKEN_PATH, data={**grant, "password": "not it"}).status_code == 400
        clock.advance(100)
        refused = http.post(TOKEN_PATH, data={**grant, "password": PASSWORD})
        assert refused.status_code == 429, refused.text
        # the window opened with the first failure, 100 s (and the real seconds since) ago
        assert WINDOW - 130 <= int(refused.headers["retry-after"]) <= WINDOW - 100
        assert "Too many failed sign-ins" in refused.json()["errors"][0]["title"]
        assert "unlocked (1 window(s)" in _unlock(guarded, person["login"])
        assert http.post(TOKEN_PATH, data={**grant, "password": PASSWORD}).status_code == 200
    failed = _failed(sg, head, lambda login: login == person["login"])
    assert [(e["meta"].get("count"), e["meta"].get("refused")) for e in failed] == [
        (None, None),
        (LOGIN_LIMIT + 1, 1),
    ]
    assert failed[1]["meta"]["source"] == "rest"
    assert "failed rest sign-ins" in failed[1]["description"]
    assert "nothing to unlock" in _unlock(guarded, person["login"])


def test_the_web_form_says_why_it_refuses(
    guarded: Server, clock: ServerClock, person: dict[str, Any]
) -> None:
    with httpx.Client(base_url=guarded.url, timeout=30) as http:
        for _ in range(LOGIN_LIMIT):
            assert _web_attempt(http, person["login"], "not it").status_code == 401
        refused = _web_attempt(http, person["login"], PASSWORD)
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= WINDOW
        assert "Too many failed sign-ins" in refused.text
        assert "shotlog_session" not in refused.headers.get("set-cookie", "")
        clock.advance(WINDOW)
        assert _web_attempt(http, person["login"], PASSWORD).status_code == 303


def test_failures_count_per_login_across_ways_in(
    guarded: Server, clock: ServerClock, person: dict[str, Any]
) -> None:
    with httpx.Client(base_url=guarded.url, timeout=30) as http:
        assert _web_attempt(http, person["login"], "not it").status_code == 401
        grant = {"grant_type": "password", "username": person["login"], "password": "not it"}
        assert http.post(TOKEN_PATH, data=grant).status_code == 400
    assert "wrong login or password" in _api3(guarded, person["login"], "not it")
    assert "Too many failed sign-ins" in _api3(guarded, person["login"], PASSWORD)


def _anonymous(http: httpx.Client, login: str) -> str:
    """One api3 call with a wrong password; the fault's message."""
    auth = {"user_login": login, "user_password": "guess"}
    reply = http.post("/api3/json", json={"method_name": "find_one", "params": [auth, ["Project", []]]})
    body = reply.json()
    assert body.get("exception") and body["error_code"] == 102, body
    return str(body["message"])


def test_300_anonymous_attempts_write_a_bounded_number_of_events(
    guarded: Server, clock: ServerClock, sg: shotgun_api3.Shotgun
) -> None:
    head = head_event_id(sg)
    tag = uuid.uuid4().hex[:8]
    one = f"nobody-{tag}"
    http = httpx.Client(base_url=guarded.url, timeout=30)
    with http, ThreadPoolExecutor(CONCURRENCY) as pool:
        messages = list(pool.map(lambda _: _anonymous(http, one), range(300)))
    # attempts checked at the same moment all pass the throttle: up to CONCURRENCY - 1 more
    checked = sum("wrong login or password" in m for m in messages)
    assert LOGIN_LIMIT <= checked < LOGIN_LIMIT + CONCURRENCY, messages
    assert sum("Too many failed sign-ins" in m for m in messages) == 300 - checked
    clock.advance(WINDOW + 1)
    # attempts of as many logins: the address's limit, then one fold for the logins refused
    http = httpx.Client(base_url=guarded.url, timeout=30)
    with http, ThreadPoolExecutor(CONCURRENCY) as pool:
        many = list(pool.map(lambda i: _anonymous(http, f"spray-{tag}-{i}"), range(SPRAY)))
    sprayed = sum("wrong login or password" in m for m in many)
    assert ADDRESS_LIMIT <= sprayed < ADDRESS_LIMIT + CONCURRENCY, many
    assert sum("this address" in m for m in many) == SPRAY - sprayed
    clock.advance(WINDOW + 1)
    with httpx.Client(base_url=guarded.url, timeout=30) as http:
        _anonymous(http, f"late-{tag}")  # its transaction sweeps the ended windows
    failed = _failed(sg, head, lambda login: login is None or tag in login)
    # one login: its first failure and a summary; the spray: each login checked, then one summary
    # for those refused; the late attempt's own
    assert len(failed) == 1 + 1 + sprayed + 1 + 1, [e["description"] for e in failed]
    folded = {
        (e["meta"]["login"], e["meta"]["count"], e["meta"]["refused"])
        for e in failed
        if e["meta"].get("folded")
    }
    assert folded == {(one, 300, 300 - checked), (None, SPRAY - sprayed, SPRAY - sprayed)}
