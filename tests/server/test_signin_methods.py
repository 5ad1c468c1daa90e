"""Every way in names how its sign-in was made (shotlog issue 15, items 2 and 3): the web form, api3
by login and password, api3's ``get_session_token``, the REST token endpoint, each with a password
and, where one is taken, a personal access token in its place, which the event names by id and
name, never by its secret. One fresh person per row, through a real ``shotlog serve``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import shotgun_api3
from sgserver import Server, events_after, head_event_id

PASSWORD = "a long enough password"
TOKEN_NAME = "render farm"


class Person:
    """A HumanUser of the row, with a password and a personal access token."""

    #: the newest event before the row's sign-in
    head = 0

    def __init__(self, server: Server, sg: shotgun_api3.Shotgun) -> None:
        self.server = server
        self.login = f"sm{uuid.uuid4().hex[:10]}"
        made = sg.create(
            "HumanUser",
            {
                "login": self.login,
                "firstname": "Sign",
                "lastname": self.login,
                "password_proxy": PASSWORD,
                "sg_status_list": "act",
            },
            ["name"],
        )
        self.id, self.name = made["id"], made["name"]
        grant = self.grant(PASSWORD)
        assert grant.status_code == 200, grant.text
        bearer = {"Authorization": f"Bearer {grant.json()['access_token']}"}
        reply = server.http.post("/api/v1/access_tokens", json={"name": TOKEN_NAME}, headers=bearer)
        assert reply.status_code == 201, reply.text
        self.token_id: int = reply.json()["data"]["id"]
        self.token: str = reply.json()["data"]["token"]

    def grant(self, password: str) -> httpx.Response:
        data = {"grant_type": "password", "username": self.login, "password": password}
        return self.server.http.post("/api/v1/auth/access_token", data=data)

    def api3(self, password: str) -> shotgun_api3.Shotgun:
        return self.server.client(login=self.login, password=password, connect=False)


def _web(person: Person, password: str) -> None:
    with httpx.Client(base_url=person.server.url, timeout=30) as http:
        page = http.get("/login").text
        found = re.search(r'name="csrf" value="([^"]*)"', page)
        assert found, "no CSRF field on the sign-in page"
        http.post("/login", data={"login": person.login, "password": password, "csrf": found.group(1)})


def _api3_call(person: Person, password: str) -> None:
    person.api3(password).find_one("HumanUser", [["id", "is", person.id]], ["login"])


def _session(person: Person, password: str) -> None:
    person.api3(password).get_session_token()


def _session_by_session(person: Person, password: str) -> None:
    token = person.api3(password).get_session_token()
    # only the token minted with the session token: the first is the password's own row
    person.head = head_event_id(person.server.client())
    # raw: a shotgun_api3 client that has a session token answers get_session_token with it
    reply = person.server.call("get_session_token", auth={"session_token": token})
    assert isinstance(reply["results"]["session_id"], str), reply


def _rest(person: Person, password: str) -> None:
    person.grant(password)


def _failing(way: Callable[[Person, str], None]) -> Callable[[Person, str], None]:
    def attempt(person: Person, password: str) -> None:
        with pytest.raises(shotgun_api3.AuthenticationFault, match="wrong login or password"):
            way(person, password)

    return attempt


PERSONAL = "personal_access_token"
ISSUED = {"issued": "session_token"}

# (way in, source, credential given, expected meta beyond type/source/login; None: a failure's)
ROWS: list[tuple[str, Callable[[Person, str], None], str, str, dict[str, Any]]] = [
    ("web, password", _web, "web", "password", {"auth": "password"}),
    ("api3 call, password", _api3_call, "api3", "password", {"auth": "password"}),
    ("api3 call, personal access token", _api3_call, "api3", "token", {"auth": PERSONAL}),
    ("api3 get_session_token, password", _session, "api3", "password", {"auth": "password", **ISSUED}),
    ("api3 get_session_token, token", _session, "api3", "token", {"auth": PERSONAL, **ISSUED}),
    (
        "api3 get_session_token, session token",
        _session_by_session,
        "api3",
        "password",
        {"auth": "session_token", **ISSUED},
    ),
    ("REST password grant, password", _rest, "rest", "password", {"auth": "password"}),
    ("REST password grant, token", _rest, "rest", "token", {"auth": PERSONAL}),
]

FAILURES: list[tuple[str, Callable[[Person, str], None], str, str, str]] = [
    ("web, wrong password", _web, "web", "wrong password", "password"),
    ("web, a token (the web form takes none)", _web, "web", "token", "password"),
    ("api3 call, wrong password", _failing(_api3_call), "api3", "wrong password", "password"),
    ("api3 call, unknown token", _failing(_api3_call), "api3", "unknown token", PERSONAL),
    ("REST password grant, wrong password", _rest, "rest", "wrong password", "password"),
    ("REST password grant, unknown token", _rest, "rest", "unknown token", PERSONAL),
]


def _given(person: Person, credential: str) -> str:
    return {
        "password": PASSWORD,
        "token": person.token,
        "wrong password": "not the password at all",
        "unknown token": "slpat_" + "0" * 43,
    }[credential]


@pytest.mark.parametrize(
    ("way", "source", "credential", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_each_sign_in_names_its_method(
    server: Server,
    sg: shotgun_api3.Shotgun,
    way: Callable[[Person, str], None],
    source: str,
    credential: str,
    expected: dict[str, Any],
) -> None:
    person = Person(server, sg)
    person.head = head_event_id(sg)
    way(person, _given(person, credential))
    logins = [
        e
        for e in events_after(sg, person.head, event_type="Shotgun_User_Login")
        if e["entity"] and e["entity"]["id"] == person.id
    ]
    meta = {"type": "login", "source": source, "login": person.login, **expected}
    description = f"{person.name} logged in ({source})"
    if expected["auth"] == PERSONAL:
        meta["access_token"] = {"id": person.token_id, "name": TOKEN_NAME}
        description = f"{person.name} logged in ({source}, personal access token {TOKEN_NAME!r})"
    assert [(e["meta"], e["description"]) for e in logins] == [(meta, description)]
    assert person.token not in str(logins)


@pytest.mark.parametrize(
    ("way", "source", "credential", "auth"),
    [pytest.param(*row[1:], id=row[0]) for row in FAILURES],
)
def test_each_failed_sign_in_names_the_credential_tried(
    server: Server,
    sg: shotgun_api3.Shotgun,
    way: Callable[[Person, str], None],
    source: str,
    credential: str,
    auth: str,
) -> None:
    person = Person(server, sg)
    person.head = head_event_id(sg)
    given = _given(person, credential)
    way(person, given)
    failed = [
        e["meta"]
        for e in events_after(sg, person.head, event_type="Shotgun_User_FailedLogin")
        if (e["meta"] or {}).get("login") == person.login
    ]
    assert [(m["source"], m["auth"]) for m in failed] == [(source, auth)]
    assert given not in str(failed)
