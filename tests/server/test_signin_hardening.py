"""Sign-in hardening against a real ``shotlog serve``: a flood of wrong passwords, login timing,
oversized sign-in bodies, and follow links with a bool id (shotlog issue 22, items 5, 10, 16).

The flood and the timing use every way a password comes in: the web form, api3 user/password
(the official client, as a user runs it) and the REST password grant.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psutil
import pytest
import shotgun_api3
from sgserver import Server

from shotlog.access.passwords import SLOTS

FLOOD = 80
#: what one Argon2 check holds while it runs (argon2-cffi's default memory cost)
ARGON2_BYTES = 64 * 1024 * 1024
#: request buffers, thread stacks, sockets, the failed-login events being written, and the
#: allocator's slack; a tenth of what the flood took before the bound (3 GB over 114 MB)
HEADROOM = 96 * 1024 * 1024
TOKEN_PATH = "/api/v1/auth/access_token"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "no CSRF field in the sign-in page"
    return found.group(1)


class _Attempt:
    """One sign-in with a wrong password by one way in, prepared before the flood starts."""

    def __init__(self, server: Server, way: str, login: str) -> None:
        self.server, self.way, self.login = server, way, login
        self.password = f"wrong-{uuid.uuid4().hex}"  # never the same twice: nothing can be remembered
        self.http = httpx.Client(base_url=server.url, timeout=120)
        self.token = _csrf(self.http.get("/login").text) if way == "web" else ""
        self.client: shotgun_api3.Shotgun | None = None
        if way == "api3":
            self.client = server.client(login=login, password=self.password)

    def run(self) -> str:
        """``wrong`` (refused as a wrong password) or ``busy`` (asked to try again)."""
        if self.way == "web":
            data = {"login": self.login, "password": self.password, "csrf": self.token, "next": "/events"}
            reply = self.http.post("/login", data=data)
            return {401: "wrong", 503: "busy"}.get(reply.status_code, f"web {reply.status_code}")
        if self.way == "rest":
            data = {"grant_type": "password", "username": self.login, "password": self.password}
            reply = self.http.post(TOKEN_PATH, data=data)
            return {400: "wrong", 503: "busy"}.get(reply.status_code, f"rest {reply.status_code}")
        assert self.client is not None
        try:
            self.client.find_one("Project", [])
        except shotgun_api3.AuthenticationFault:
            return "wrong"
        except shotgun_api3.Fault as exc:
            return "busy" if "busy" in str(exc) else f"api3 {exc}"
        return "api3 signed in"

    def close(self) -> None:
        self.http.close()


class _RssSampler(threading.Thread):
    """The largest resident set size of a process while it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self.done.wait(0.01)


def test_a_flood_of_wrong_passwords_keeps_memory_flat(start_server: Callable[..., Server]) -> None:
    server = start_server()
    sg = server.client()
    ways = ["web", "api3", "rest"]
    # warm up every way in (the dummy hash of unknown logins is made on first use)
    for way in ways:
        for login in (server.login, "nobody-" + uuid.uuid4().hex[:8]):
            attempt = _Attempt(server, way, login)
            assert attempt.run() == "wrong"
            attempt.close()
    attempts = [
        _Attempt(server, ways[i % 3], server.login if i % 2 else f"nobody-{i}-{uuid.uuid4().hex[:6]}")
        for i in range(FLOOD)
    ]
    baseline = psutil.Process(server.process.pid).memory_info().rss
    sampler = _RssSampler(server.process.pid)
    sampler.start()
    start = threading.Barrier(FLOOD + 1)
    answered: list[float] = []

    def attack(attempt: _Attempt) -> str:
        start.wait()
        outcome = attempt.run()
        answered.append(time.monotonic())
        return outcome

    with ThreadPoolExecutor(FLOOD) as pool:
        futures = [pool.submit(attack, a) for a in attempts]
        start.wait()
        while not answered:  # the flood has reached the server: its first answer is out
            time.sleep(0.005)
        # a well-formed call by a script answers while the flood is being checked
        asked = time.monotonic()
        user = sg.find_one("HumanUser", [["login", "is", server.login]], ["login"])
        good_answered = time.monotonic()
        outcomes = [f.result() for f in futures]
    sampler.done.set()
    sampler.join()
    for attempt in attempts:
        attempt.close()

    assert user is not None and user["login"] == server.login
    unexpected = [o for o in outcomes if o not in ("wrong", "busy")]
    assert not unexpected, unexpected
    assert outcomes.count("wrong") >= SLOTS, outcomes
    # the script's call was not queued behind the flood's password checks
    assert good_answered < max(answered), (good_answered - asked, max(answered) - asked)
    bound = baseline + SLOTS * ARGON2_BYTES + HEADROOM
    mib = 1024 * 1024
    assert sampler.peak <= bound, (
        f"RSS peaked at {sampler.peak / mib:.0f} MiB over a baseline of {baseline / mib:.0f} MiB "
        f"(bound {bound / mib:.0f} MiB with {SLOTS} password checks at once)"
    )
    assert server.alive()
    assert "Traceback" not in server.log(), server.log()[-5000:]


# -- timing ---------------------------------------------------------------------------------------


def _timed(fn: Callable[[], Any]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def _api3_wrong(server: Server, http: httpx.Client, login: str) -> Callable[[], None]:
    def attempt() -> None:
        body = server.call("find_one", ["Project", []], {"user_login": login, "user_password": "not-it"})
        assert body.get("exception") and body["error_code"] == 102, body

    return attempt


def _rest_wrong(server: Server, http: httpx.Client, login: str) -> Callable[[], None]:
    def attempt() -> None:
        data = {"grant_type": "password", "username": login, "password": "not-it"}
        assert http.post(TOKEN_PATH, data=data).status_code == 400

    return attempt


def _web_wrong(server: Server, http: httpx.Client, login: str) -> Callable[[], None]:
    token = _csrf(http.get("/login").text)

    def attempt() -> None:
        data = {"login": login, "password": "not-it", "csrf": token, "next": "/events"}
        assert http.post("/login", data=data).status_code == 401

    return attempt


@pytest.mark.parametrize("way", [_api3_wrong, _rest_wrong, _web_wrong], ids=["api3", "rest", "web"])
def test_a_wrong_password_takes_as_long_for_unknown_and_disabled_logins(
    server: Server, sg: shotgun_api3.Shotgun, way: Callable[[Server, httpx.Client, str], Callable[[], None]]
) -> None:
    disabled = f"gone-{uuid.uuid4().hex[:8]}"
    sg.create(
        "HumanUser",
        {"login": disabled, "name": disabled, "password_proxy": "a real password", "sg_status_list": "dis"},
    )
    logins = {"known": server.login, "unknown": f"nobody-{uuid.uuid4().hex[:8]}", "disabled": disabled}
    times: dict[str, list[float]] = {name: [] for name in logins}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        attempts = {name: way(server, http, login) for name, login in logins.items()}
        for attempt in attempts.values():
            attempt()  # warm-up: connections, the dummy hash
        for _ in range(7):  # interleaved, so that a busy moment of the machine hits every kind alike
            for name, attempt in attempts.items():
                times[name].append(_timed(attempt))
    medians = {name: statistics.median(values) for name, values in times.items()}
    # Before the fix an unknown login answered 6.6 times faster than a known one (23 vs 152 ms).
    assert max(medians.values()) < 2 * min(medians.values()), medians


# -- cheap refusals -------------------------------------------------------------------------------


def test_an_oversized_sign_in_form_is_refused_before_parsing(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        token = _csrf(http.get("/login").text)
        data = {"login": server.login, "password": server.password, "csrf": token, "padding": "x" * 100_000}
        reply = http.post("/login", data=data)
        assert reply.status_code == 413
        assert "larger than" in reply.text
        assert "shotlog_session" not in reply.cookies


def test_empty_and_overlong_credentials_are_wrong(server: Server) -> None:
    # refused by shotlog.access.passwords.plausible before any lookup or hashing
    long_login = server.login + "x" * 300  # a real login's prefix: truncating it would be wrong
    for login, password in ((server.login, ""), (long_login, server.password)):
        body = server.call("find_one", ["Project", []], {"user_login": login, "user_password": password})
        assert body["error_code"] == 102, body
        assert len(body["message"]) < 400  # an overlong login is not echoed whole
    data = {"grant_type": "password", "username": long_login, "password": server.password}
    assert server.http.post(TOKEN_PATH, data=data).status_code == 400
    with httpx.Client(base_url=server.url, timeout=30) as http:
        token = _csrf(http.get("/login").text)
        form = {"login": long_login, "password": server.password, "csrf": token, "next": "/events"}
        reply = http.post("/login", data=form)
        assert reply.status_code == 401
        assert "Wrong login or password." in reply.text


# -- follow links ---------------------------------------------------------------------------------


def test_follow_refuses_a_bool_id(server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    shot = sg.create("Shot", {"code": "followed", "project": project})
    me = sg.find_one("HumanUser", [["login", "is", server.login]], ["id"])
    assert me is not None
    bad_user = {"type": "HumanUser", "id": True}
    bad_shot = {"type": "Shot", "id": True}
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("user", lambda: sg.follow(bad_user, shot)),
        ("entity", lambda: sg.follow({"type": "HumanUser", "id": me["id"]}, bad_shot)),
        ("user", lambda: sg.unfollow(bad_user, shot)),
        ("entity", lambda: sg.followers(bad_shot)),
        ("user", lambda: sg.following(bad_user)),
        ("project", lambda: sg.following({"type": "HumanUser", "id": me["id"]}, project={"id": False})),
    ]
    for name, call in calls:
        with pytest.raises(shotgun_api3.Fault) as caught:
            call()
        message = str(caught.value)
        assert name in message and ("True" in message or "False" in message), message
        assert "internal error" not in message
    assert sg.followers(shot) == []
    assert sg.following({"type": "HumanUser", "id": me["id"]}) == []
