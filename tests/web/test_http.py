"""The web UI over plain HTTP: sessions, CSRF, server-side validation, 404s, the live endpoint."""

from __future__ import annotations

from typing import Any

import pytest
import shotgun_api3
from webkit import ADMIN_LOGIN, ADMIN_PASSWORD, WebServer, csrf_of


def test_sign_in_sets_a_secure_session_cookie(server: WebServer) -> None:
    http = server.http()
    form = http.get("/login")
    assert "httponly" in form.headers["set-cookie"].lower()
    reply = http.post(
        "/login",
        data={
            "login": ADMIN_LOGIN,
            "password": ADMIN_PASSWORD,
            "csrf": csrf_of(form.text),
            "next": "/projects",
        },
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/projects"
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("shotlog_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    page = http.get("/projects")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("login", "password", "status", "message"),
    [
        ("", "x", 400, "Enter your login."),
        (ADMIN_LOGIN, "", 400, "Enter your password."),
        (ADMIN_LOGIN, "wrong", 401, "Wrong login or password."),
        ("nobody", ADMIN_PASSWORD, 401, "Wrong login or password."),
    ],
)
def test_bad_sign_in_is_refused_with_a_message(
    server: WebServer, login: str, password: str, status: int, message: str
) -> None:
    http = server.http()
    token = csrf_of(http.get("/login").text)
    reply = http.post("/login", data={"login": login, "password": password, "csrf": token})
    assert reply.status_code == status
    assert message in reply.text
    assert "shotlog_session=" not in reply.headers.get("set-cookie", "")


def test_failed_and_good_logins_are_in_the_event_log(server: WebServer, sg: shotgun_api3.Shotgun) -> None:
    head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])["id"]
    http = server.http()
    token = csrf_of(http.get("/login").text)
    http.post("/login", data={"login": "mallory", "password": "guess", "csrf": token})
    server.signed_in()
    events = sg.find("EventLogEntry", [["id", "greater_than", head]], ["event_type", "meta", "user"])
    kinds = [(e["event_type"], e["meta"]["login"]) for e in events]
    assert ("Shotgun_User_FailedLogin", "mallory") in kinds
    assert ("Shotgun_User_Login", ADMIN_LOGIN) in kinds


def test_forms_without_the_csrf_token_are_refused(server: WebServer) -> None:
    http = server.signed_in()
    # sign-in form posted from elsewhere: no double-submit cookie
    other = server.http()
    refused = other.post("/login", data={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD, "csrf": "x"})
    assert refused.status_code == 403 and "shotlog_session=" not in refused.headers.get("set-cookie", "")
    # sign-out without or with a wrong token leaves the session alone
    for data in ({}, {"csrf": "0" * 64}, {"csrf": "é" * 64}):
        reply = http.post("/logout", data=data)
        assert reply.status_code == 403
        assert "CSRF check failed" in reply.text
    assert http.get("/events").status_code == 200
    token = csrf_of(http.get("/events").text)
    assert http.post("/logout", data={"csrf": token}).status_code == 303
    assert http.get("/events").status_code == 303


def test_open_redirects_are_not_followed(server: WebServer) -> None:
    for target in ("//evil.example/", "https://evil.example/", "\\\\evil"):
        http = server.http()
        token = csrf_of(http.get("/login").text)
        reply = http.post(
            "/login", data={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD, "csrf": token, "next": target}
        )
        assert reply.headers["location"] == "/events"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("entity_type=Spaceship", "entity_type", "Unknown entity type &#39;Spaceship&#39;."),
        ("entity_id=12", "entity_id", "Choose the entity type of this id."),
        ("entity_type=Shot&entity_id=-3", "entity_id", "Entity id must be a positive whole number"),
        ("event_type=Shotgun_Shot_%3Bdrop", "event_type", "is not an event type pattern"),
        ("user=bob", "user", "User must look like HumanUser:12"),
        ("project=abc", "project", "Project must be a project id"),
        ("from=yesterday", "from", "Dates look like 2026-11-27"),
        ("from=2026-02-01&to=2026-01-01", "to", "The end of the range must come after its start."),
        ("size=7", "size", "Page size must be one of 25, 50, 100, 200, 500"),
        ("sort=meta", "sort", "Cannot sort by &#39;meta&#39;"),
    ],
)
def test_bad_filter_values_are_shown_next_to_the_field(
    server: WebServer, query: str, field: str, message: str
) -> None:
    http = server.signed_in()
    reply = http.get(f"/events?{query}")
    assert reply.status_code == 400
    assert message in reply.text
    if field != "sort":
        assert f'id="e-{field}"' in reply.text
    assert 'id="event-rows"' not in reply.text  # no query ran


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/no/such/page", "No page at /no/such/page"),
        ("/events/999999999", "There is no event 999999999."),
        ("/events/abc", "No page at /events/abc"),
        ("/entities/Spaceship", "There is no entity type &#39;Spaceship&#39;."),
        ("/entities/Shot/987654", "There is no Shot with id 987654."),
        ("/entities/Spaceship/1", "There is no entity type &#39;Spaceship&#39;."),
    ],
)
def test_unknown_pages_and_ids_are_a_friendly_404(server: WebServer, path: str, text: str) -> None:
    http = server.signed_in()
    reply = http.get(path)
    assert reply.status_code == 404
    assert reply.headers["content-type"].startswith("text/html")
    assert text in reply.text and "Back to the event log" in reply.text


def test_the_apis_keep_their_own_errors(server: WebServer) -> None:
    http = server.http()
    reply = http.get("/api/v1/no_such_thing")
    assert reply.status_code == 404 and reply.headers["content-type"].startswith("application/json")
    # an API client (no text/html in Accept) gets the JSON 404 on any unknown path
    other = http.get("/no/such/page", headers={"Accept": "application/json"})
    assert other.status_code == 404 and other.json()["errors"][0]["title"] == "No such path: /no/such/page"
    assert http.get("/healthz").json()["status"] == "ok"


def test_live_endpoint_returns_new_rows_and_needs_a_session(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    assert server.http().get("/events/live.json?head=1").status_code == 401
    http = server.signed_in()
    head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])["id"]
    shot = sg.create("Shot", {"code": "live-http", "project": project})
    reply = http.get(f"/events/live.json?project={project['id']}&head={head}")
    data = reply.json()
    assert reply.status_code == 200 and data["count"] >= 1 and data["head"] > head
    assert f"/entities/Shot/{shot['id']}" in data["html"]
    bad = http.get("/events/live.json?head=abc")
    assert bad.status_code == 400 and "head" in bad.json()["errors"]


def test_retired_entities_still_have_a_page(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    http = server.signed_in()
    shot = sg.create("Shot", {"code": "gone010", "project": project})
    sg.delete("Shot", shot["id"])
    page = http.get(f"/entities/Shot/{shot['id']}")
    assert page.status_code == 200 and "retired" in page.text and "gone010" in page.text
    retirement = sg.find_one(
        "EventLogEntry", [["event_type", "is", "Shotgun_Shot_Retirement"], ["project", "is", project]], ["id"]
    )
    event = http.get(f"/events/{retirement['id']}")
    assert f'href="/entities/Shot/{shot["id"]}"' in event.text


def test_export_link_downloads_the_current_filter_as_csv(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    import csv
    import html
    import io
    import re

    http = server.signed_in()
    shot = sg.create("Shot", {"code": "csv010", "project": project})
    sg.create("Asset", {"code": "csvasset", "project": project})
    page = http.get(f"/events?project={project['id']}&event_type=Shotgun_Shot_*").text
    link = html.unescape(re.search(r'<a class="button" href="([^"]+)" id="export-csv"', page).group(1))  # type: ignore[union-attr]
    reply = http.get(link)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text.lstrip("\ufeff"))))
    shown = re.findall(r'<tr data-id="(\d+)"', page)
    assert sorted(int(r["id"]) for r in rows) == sorted(int(i) for i in shown)
    assert {r["event_type"] for r in rows} <= {"Shotgun_Shot_New", "Shotgun_Shot_Change"}
    expected = sg.find(
        "EventLogEntry", [["entity", "is", shot], ["event_type", "starts_with", "Shotgun_Shot_"]]
    )
    assert len(rows) == len(expected) > 1
    # a filter the export cannot apply disables the button instead of exporting more than is shown
    assert 'id="export-csv"' not in http.get(f"/events?project={project['id']}&q=csv010").text


@pytest.mark.parametrize("value", ["²", "٣", "9" * 5000, "-1", "1e3", "é", " ", "0x10"])
def test_odd_numbers_never_break_a_page(server: WebServer, value: str) -> None:
    """Unicode digits, huge numbers and the like are refused as values, never a server error."""
    http = server.signed_in()
    for path, params in [
        ("/events", {"size": value}),
        ("/events", {"project": value}),
        ("/events", {"after": value}),
        ("/events", {"entity_type": "Shot", "entity_id": value}),
        ("/events/live.json", {"head": value}),
        ("/entities/Shot", {"page": value}),
    ]:
        reply = http.get(path, params=params)
        assert reply.status_code in (200, 400, 404), (path, params, reply.status_code)
