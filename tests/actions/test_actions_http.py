"""The Action Menu Item and export routes of a real ``shotlog serve``, with a real receiver.

The server allows only 127.0.0.1 to its outbound requests (``SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS``):
a receiver there is reachable, one on 127.0.0.2 stands for any internal service that must not be.
"""

from __future__ import annotations

import csv
import io
import threading
import unicodedata
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
import shotgun_api3

import shotlog
from shotlog.actions import TRIGGERED
from testdbs import start_serve, stop_serve, wait_healthy

SCRIPT, KEY = "ami_tests", "k3y-" + "cd" * 20
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(module_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    db_url, tmp_path = module_db, tmp_path_factory.mktemp("serve")
    sg = shotlog.connect(db_url)
    project = sg.create("Project", {"name": "Web"})
    shots = [sg.create("Shot", {"code": f"sh{i}", "project": project}) for i in range(3)]
    process, url, log = start_serve(
        db_url,
        tmp_path / "serve",
        {
            "SHOTLOG_SCRIPT_NAME": SCRIPT,
            "SHOTLOG_SCRIPT_KEY": KEY,
            "SHOTLOG_ADMIN_LOGIN": "boss",
            "SHOTLOG_ADMIN_PASSWORD": PASSWORD,
            "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.1/32",
        },
    )
    client = shotgun_api3.Shotgun(url, script_name=SCRIPT, api_key=KEY, connect=False)
    try:
        wait_healthy(url, process, log)
        token = client.get_session_token()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            yield {"url": url, "sg": sg, "api3": client, "http": http, "project": project, "shots": shots}
    finally:
        client.close()
        stop_serve(process, 10)
        sg.close()
    assert "Traceback" not in log.read_text()


class AmiReceiver:
    """An item's URL on ``host``: records each POST's form and answers ``status``, ``headers`` and
    ``body``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.got: list[list[tuple[str, str]]] = []
        self.status, self.headers, self.body = 200, dict[str, str](), b"report built"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                receiver.got.append(urllib.parse.parse_qsl(body, keep_blank_values=True))
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            do_GET = do_POST  # a followed redirect would arrive as a GET

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = HTTPServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}/ami"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[list[tuple[str, str]]]]]:
    r = AmiReceiver()
    yield r.url, r.got
    r.stop()


@pytest.fixture
def internal() -> Iterator[AmiReceiver]:
    """A service on 127.0.0.2, which the server's policy does not allow."""
    r = AmiReceiver("127.0.0.2")
    yield r
    r.stop()


def test_list_and_builtin_export(server: dict[str, Any]) -> None:
    http, shots = server["http"], server["shots"]
    reply = http.get(
        "/api/v1/action_menu_items", params={"entity_type": "Shot", "project_id": server["project"]["id"]}
    )
    assert reply.status_code == 200, reply.text
    builtin = next(i for i in reply.json()["data"] if i["builtin"])
    reply = http.post(
        f"/api/v1/action_menu_items/{builtin['id']}/trigger",
        json={"entity_type": "Shot", "selected_ids": [shots[1]["id"]], "columns": "id,event_type,entity"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-disposition"] == 'attachment; filename="events.csv"'
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    expected = server["sg"].find("EventLogEntry", [["entity", "is", shots[1]]], ["id"])
    assert [int(r["id"]) for r in rows] == [e["id"] for e in expected]
    assert {r["entity.name"] for r in rows} == {"sh1"}
    triggered = server["api3"].find(
        "EventLogEntry",
        [["event_type", "is", "Shotgun_ActionMenuItem_Triggered"]],
        ["entity", "meta", "user"],
    )
    triggered = [t for t in triggered if t["entity"]["id"] == builtin["id"]]
    assert len(triggered) == 1
    assert triggered[0]["meta"]["export_query"] == {"entity_type": "Shot", "entity_ids": [shots[1]["id"]]}
    assert triggered[0]["user"]["name"] == SCRIPT


def test_external_item_posted_by_the_server(server: dict[str, Any], receiver: tuple[str, list[Any]]) -> None:
    url, got = receiver
    item = server["sg"].create("ActionMenuItem", {"title": "Report", "url": url, "entity_type": "Shot"})
    form = [
        ("entity_type", "Shot"),
        ("selected_ids", f"{server['shots'][0]['id']},{server['shots'][2]['id']}"),
        ("cols", "code"),
        ("cols", "sg_status_list"),
        ("column_display_names", "Shot Code"),
        ("column_display_names", "Status"),
        ("project_id", str(server["project"]["id"])),
        ("page_id", "7"),
        ("deliver", "server"),
    ]
    reply = server["http"].post(
        f"/api/v1/action_menu_items/{item['id']}/trigger",
        content=urllib.parse.urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["action"] == "posted" and body["status"] == 200 and body["response"] == "report built"
    assert body["error"] is None
    sent = got[0]
    assert [v for k, v in sent if k == "cols"] == ["code", "sg_status_list"]
    fields = dict(sent)
    assert fields["selected_ids"] == f"{server['shots'][0]['id']},{server['shots'][2]['id']}"
    assert fields["project_name"] == "Web" and fields["page_id"] == "7" and fields["user_login"] == ""
    assert fields["server_hostname"] == "127.0.0.1" and fields["title"] == "Report"


@pytest.fixture(scope="module")
def principals(server: dict[str, Any]) -> Iterator[dict[str, httpx.Client]]:
    """Bearer clients of the script (API Admin), the site Admin and an Artist, each signed in
    through the official client as a user would."""
    server["api3"].create(
        "HumanUser",
        {
            "login": "painter",
            "firstname": "Art",
            "lastname": "Ist",
            "password_proxy": "paint it black",
            "permission_rule_set": "Artist",
        },
    )
    clients = {"script": server["http"]}
    for who, login, password in [("admin", "boss", PASSWORD), ("artist", "painter", "paint it black")]:
        user = shotgun_api3.Shotgun(server["url"], login=login, password=password, connect=False)
        token = user.get_session_token()
        user.close()
        clients[who] = httpx.Client(
            base_url=server["url"], headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
    yield clients
    for who in ("admin", "artist"):
        clients[who].close()


def triggered(server: dict[str, Any], item: dict[str, Any]) -> list[Any]:
    """The trigger events written for ``item``."""
    return list(
        server["sg"].find(
            "EventLogEntry",
            [["event_type", "is", TRIGGERED], ["entity", "is", {"type": "ActionMenuItem", "id": item["id"]}]],
            ["id"],
        )
    )


def trigger_path(item: dict[str, Any]) -> str:
    return f"/api/v1/action_menu_items/{item['id']}/trigger"


def test_server_delivery_refuses_internal_addresses_for_every_principal(
    server: dict[str, Any], principals: dict[str, httpx.Client], internal: AmiReceiver
) -> None:
    port = internal.port
    urls = [
        internal.url,
        f"http://[::ffff:127.0.0.2]:{port}/ami",
        f"http://[2002:7f00:2::1]:{port}/ami",
        f"http://[64:ff9b::7f00:2]:{port}/ami",
        f"http://[::1]:{port}/ami",
        f"http://0.0.0.0:{port}/ami",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/admin",
    ]
    items = [
        server["sg"].create("ActionMenuItem", {"title": f"Internal {i}", "url": url, "entity_type": "Shot"})
        for i, url in enumerate(urls)
    ]
    for who, http in principals.items():
        for item in items:
            reply = http.post(trigger_path(item), json={"entity_type": "Shot", "deliver": "server"})
            assert reply.status_code == 400, (who, item["url"], reply.text)
            error = reply.json()["errors"][0]
            assert error["source"] == {"parameter": "url"}, reply.text
            assert "not a reserved/internal ip address" in error["title"], reply.text
    assert [triggered(server, item) for item in items] == [[] for _ in items]  # refusals write nothing
    # The positive signal: an allowed item triggered after all of them is delivered, and by then
    # the internal service has still seen nothing (each refusal answered before anything was sent).
    allowed = AmiReceiver()
    try:
        item = server["sg"].create("ActionMenuItem", {"title": "Allowed", "url": allowed.url})
        reply = principals["artist"].post(
            trigger_path(item), json={"entity_type": "Shot", "deliver": "server"}
        )
        assert reply.status_code == 200 and reply.json()["status"] == 200, reply.text
        assert len(allowed.got) == 1
    finally:
        allowed.stop()
    assert internal.got == []


def test_server_delivery_follows_no_redirect_and_hands_back_a_short_clean_excerpt(
    server: dict[str, Any], internal: AmiReceiver
) -> None:
    outer = AmiReceiver()
    try:
        outer.status = 302
        outer.headers = {"Location": internal.url + "?token=internal-secret"}
        outer.body = "\x1b[31mmoved\x00\r\nto\u202e the\tsecret ".encode() + b"x" * 5000
        item = server["sg"].create("ActionMenuItem", {"title": "Moved", "url": outer.url})
        reply = server["http"].post(trigger_path(item), json={"entity_type": "Shot", "deliver": "server"})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["action"] == "posted" and body["status"] == 302 and body["error"] is None
        expected = "[31mmoved  to the secret "
        assert body["response"] == expected + "x" * (200 - len(expected))
        assert not [c for c in body["response"] if unicodedata.category(c).startswith("C")]
        assert "internal-secret" not in reply.text  # no header of the answer is handed back
        assert len(outer.got) == 1
    finally:
        outer.stop()
    assert internal.got == []  # the reply came back: a followed redirect would have arrived first


def test_server_delivery_input_faults_write_nothing(
    server: dict[str, Any], receiver: tuple[str, Any]
) -> None:
    url, got = receiver
    custom = server["sg"].create("ActionMenuItem", {"title": "RV", "url": "rvlink://baked/play"})
    reply = server["http"].post(trigger_path(custom), json={"entity_type": "Shot", "deliver": "server"})
    assert reply.status_code == 400, reply.text
    error = reply.json()["errors"][0]
    assert error["source"] == {"parameter": "url"} and "http:// or https://" in error["title"]
    plain = server["sg"].create("ActionMenuItem", {"title": "Plain", "url": url})
    reply = server["http"].post(trigger_path(plain), json={"entity_type": "Shot", "deliver": "pigeon"})
    assert reply.status_code == 400, reply.text
    error = reply.json()["errors"][0]
    assert error["source"] == {"parameter": "deliver"} and "'pigeon'" in error["title"]
    assert triggered(server, custom) == [] and triggered(server, plain) == [] and got == []
    # without deliver, a custom-protocol item is the browser's to open: triggered, nothing sent
    reply = server["http"].post(trigger_path(custom), json={"entity_type": "Shot"})
    assert reply.status_code == 200 and reply.json()["action"] == "post", reply.text
    assert len(triggered(server, custom)) == 1


def test_export_route_and_errors(server: dict[str, Any]) -> None:
    http = server["http"]
    reply = http.get(
        "/export/events.csv", params={"event_types": "Shotgun_Shot_New", "columns": "id,entity.Shot.code"}
    )
    assert reply.status_code == 200, reply.text
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert [r["entity.Shot.code"] for r in rows] == ["sh0", "sh1", "sh2"]
    reply = http.post(
        "/export/events.jsonl",
        json={"query": {"project_ids": [server["project"]["id"]]}, "columns": ["id"], "limit": 2},
    )
    assert reply.status_code == 200 and len(reply.content.splitlines()) == 2
    for method, path, kwargs, status, words in [
        ("GET", "/export/events.csv", {"params": {"columns": "id,nope"}}, 400, "unknown column 'nope'"),
        ("GET", "/export/events.csv", {"params": {"colour": "red"}}, 400, "unknown filter 'colour'"),
        ("GET", "/export/events.csv", {"params": {"since": "soon"}}, 400, "since must be an ISO date"),
        (
            "POST",
            "/api/v1/action_menu_items/999/trigger",
            {"json": {"entity_type": "Shot"}},
            404,
            "No ActionMenuItem with id 999",
        ),
        (
            "POST",
            "/api/v1/action_menu_items/abc/trigger",
            {"json": {"entity_type": "Shot"}},
            400,
            "id must be a positive integer",
        ),
        (
            "POST",
            "/api/v1/action_menu_items/1/trigger",
            {"content": b"{", "headers": {"Content-Type": "application/json"}},
            400,
            "not valid JSON",
        ),
        ("GET", "/api/v1/action_menu_items", {}, 400, "entity_type is required"),
        (
            "GET",
            "/api/v1/action_menu_items",
            {"params": {"entity_type": "Shoot"}},
            404,
            "Unknown entity type 'Shoot'",
        ),
    ]:
        reply = http.request(method, path, **kwargs)
        assert reply.status_code == status, (path, reply.text)
        assert words in reply.json()["errors"][0]["title"], reply.text
    anonymous = httpx.get(f"{server['url']}/export/events.csv")
    assert anonymous.status_code == 401
    bad = httpx.get(f"{server['url']}/export/events.csv", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_web_session_cookie_needs_the_csrf_token_on_post(server: dict[str, Any]) -> None:
    """The web UI's own session works too; a POST with it must carry the page's CSRF token."""
    import hashlib

    with httpx.Client(base_url=server["url"], timeout=30) as browser:
        browser.get("/login")
        login_csrf = browser.cookies["shotlog_login_csrf"]
        reply = browser.post("/login", data={"login": "boss", "password": PASSWORD, "csrf": login_csrf})
        assert reply.status_code in (200, 303), reply.text
        session = browser.cookies["shotlog_session"]
        csrf = hashlib.sha256(b"shotlog-web-csrf:" + session.encode()).hexdigest()
        items = browser.get("/api/v1/action_menu_items", params={"entity_type": "Shot"})
        assert items.status_code == 200, items.text
        builtin = next(i for i in items.json()["data"] if i["builtin"])
        path = f"/api/v1/action_menu_items/{builtin['id']}/trigger"
        forged = browser.post(path, json={"entity_type": "Shot"})
        assert forged.status_code == 403 and "CSRF" in forged.json()["errors"][0]["title"]
        wrong = browser.post(path, json={"entity_type": "Shot"}, headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403
        ok = browser.post(
            path,
            json={"entity_type": "Shot", "query": {"event_types": ["Shotgun_Shot_New"]}},
            headers={"X-CSRF-Token": csrf},
        )
        assert ok.status_code == 200, ok.text
        assert len(ok.content.decode("utf-8-sig").splitlines()) == 1 + 3
    triggered = server["api3"].find(
        "EventLogEntry",
        [
            ["event_type", "is", "Shotgun_ActionMenuItem_Triggered"],
            ["entity", "is", {"type": "ActionMenuItem", "id": builtin["id"]}],
            ["user", "type_is", "HumanUser"],
        ],
        ["user"],
    )
    assert len(triggered) == 1  # written as the signed-in HumanUser
