"""The webhooks REST API asks the web UI's question: may this principal manage webhooks?

On a real ``shotlog serve`` (its worker delivering to a receiver on 127.0.0.1), an Artist, and a
script whose permission set is ``API User``, are refused every webhook operation with a 403 in
FPTR's error envelope, before anything is read or changed; a Manager and an ``API Admin`` script
are let in, through REST and through the web UI alike.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from restkit import errors_of

import shotlog
from shotlog.accounts.credentials import Credentials
from testdbs import Databases, start_serve, stop_serve, wait_healthy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "webhooks"))
from receivers import Receiver
from webhookkit import wait_until

W = "/api/v1/webhook"
SCRIPT_NAME, SCRIPT_KEY = "hook_perm_tests", "hook-perm-" + "0123456789abcdef" * 4
ADMIN_LOGIN, ADMIN_PASSWORD = "hook.admin", "correct horse battery staple"
PASSWORD = "person-pass-0001"
REFUSED = "Webhooks are for users with the Admin or Manager permission set"


@dataclass
class Site:
    url: str
    db_url: str


@pytest.fixture(scope="module")
def site(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    dbs = Databases(template, tmp_path_factory.mktemp("webhook_permissions"))
    db_url = dbs.new()
    env = {
        "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
        "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
        "SHOTLOG_ADMIN_LOGIN": ADMIN_LOGIN,
        "SHOTLOG_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
        "SHOTLOG_WEBHOOKS_POLL_INTERVAL": "0.02",
    }
    process, url, log = start_serve(db_url, dbs.directory, env)
    try:
        wait_healthy(url, process, log)
        yield Site(url, db_url)
    finally:
        stop_serve(process)
        text = log.read_text(errors="replace")
        dbs.drop_all()
        assert "Traceback" not in text, text[-5000:]


def _client(site: Site, **grant: str) -> httpx.Client:
    reply = httpx.post(f"{site.url}/api/v1/auth/access_token", data=grant, timeout=30)
    assert reply.status_code == 200, reply.text
    token = reply.json()["access_token"]
    return httpx.Client(base_url=site.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture(scope="module")
def script(site: Site) -> Iterator[httpx.Client]:
    """The server's script: an ``API Admin``, the default permission set of scripts."""
    with _client(site, grant_type="client_credentials", client_id=SCRIPT_NAME, client_secret=SCRIPT_KEY) as c:
        yield c


def _person(site: Site, script: httpx.Client, rules: str) -> tuple[str, httpx.Client]:
    login = f"{rules.lower()}-{uuid.uuid4().hex[:8]}"
    made = script.post(
        "/api/v1/entity/human_users",
        json={
            "login": login,
            "firstname": rules,
            "lastname": "P",
            "password_proxy": PASSWORD,
            "permission_rule_set": rules,
        },
    )
    assert made.status_code == 201, made.text
    return login, _client(site, grant_type="password", username=login, password=PASSWORD)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver(token="s3cret").start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def delivered(script: httpx.Client, receiver: Receiver) -> dict[str, str]:
    """A hook the script made, and one delivery of it with its request body."""
    hook = script.post(
        f"{W}/hooks", json={"url": receiver.url, "token": "s3cret", "entity_types": {"Shot": {"create": []}}}
    )
    assert hook.status_code == 201, hook.text
    hook_id = hook.json()["data"]["id"]
    script.post("/api/v1/entity/shots", json={"code": "secret-shot-code"})

    def listed() -> Any:
        page = script.get(f"{W}/hooks/{hook_id}/deliveries", params={"status": "delivered"}).json()
        return page["data"]

    (delivery,) = wait_until(listed, what="the hook's first delivery")
    return {"hook": hook_id, "delivery": delivery["id"]}


#: every webhook endpoint, with a body a manager's request would carry
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/hooks", None),
    ("POST", "/hooks", {"url": "http://127.0.0.1:9/", "event_type": "Toolkit_X"}),
    ("GET", "/hooks/{hook}", None),
    ("PUT", "/hooks/{hook}", {"status": "disabled"}),
    ("DELETE", "/hooks/{hook}", None),
    ("POST", "/hooks/{hook}/test_connection", None),
    ("GET", "/hooks/{hook}/deliveries", None),
    ("GET", "/deliveries/{delivery}", None),
    ("PUT", "/deliveries/{delivery}", {"acknowledgement": "mine now"}),
    ("POST", "/deliveries/{delivery}/redeliver", None),
]


def _state(script: httpx.Client, delivered: dict[str, str]) -> tuple[Any, ...]:
    """What a refused request must leave as it was: the hooks, the hook, its deliveries."""
    hooks = script.get(f"{W}/hooks").json()["data"]
    hook = script.get(f"{W}/hooks/{delivered['hook']}").json()["data"]
    deliveries = script.get(f"{W}/hooks/{delivered['hook']}/deliveries").json()["data"]
    delivery = script.get(f"{W}/deliveries/{delivered['delivery']}").json()["data"]
    return (
        sorted(h["id"] for h in hooks),
        hook["status"],
        sorted(d["id"] for d in deliveries),
        delivery.get("acknowledgement"),
    )


@pytest.mark.parametrize("who", ["Artist", "API User script"])
def test_who_may_not_manage_webhooks_is_refused_everything(
    site: Site, script: httpx.Client, delivered: dict[str, str], who: str
) -> None:
    if who == "Artist":
        _login, client = _person(site, script, "Artist")
        label = "HumanUser"
    else:
        name, key = f"limited-{uuid.uuid4().hex[:8]}", f"key-{uuid.uuid4().hex}"
        made = script.post(
            "/api/v1/entity/api_users", json={"firstname": name, "permission_rule_set": "API User"}
        )
        assert made.status_code == 201, made.text
        store = shotlog.connect(site.db_url, migrate=False)
        try:
            Credentials(store).set_script_key(made.json()["data"]["id"], key)
        finally:
            store.close()
        client = _client(site, grant_type="client_credentials", client_id=name, client_secret=key)
        label = "ApiUser"
    before = _state(script, delivered)
    with client:
        for method, path, body in ROUTES:
            reply = client.request(method, W + path.format(**delivered), json=body)
            error = errors_of(reply, 403, 104)
            title = error["title"]
            expected = REFUSED if label == "HumanUser" else "the API Admin or Admin permission set"
            assert expected in title and f"{label} " in title, (method, path, title)
            assert "secret-shot-code" not in reply.text and "127.0.0.1" not in reply.text
    assert _state(script, delivered) == before


def test_managers_and_api_admins_manage_webhooks(
    site: Site, script: httpx.Client, delivered: dict[str, str]
) -> None:
    _login, manager = _person(site, script, "Manager")
    with manager:
        listed = manager.get(f"{W}/hooks")
        assert listed.status_code == 200 and delivered["hook"] in [h["id"] for h in listed.json()["data"]]
        delivery = manager.get(f"{W}/deliveries/{delivered['delivery']}")
        assert delivery.status_code == 200, delivery.text
    assert script.get(f"{W}/hooks/{delivered['hook']}").status_code == 200


def _signed_in(site: Site, login: str) -> httpx.Client:
    http = httpx.Client(base_url=site.url, timeout=30)
    form = http.get("/login")
    found = re.search(r'name="csrf" value="([^"]*)"', form.text)
    assert found, form.text
    reply = http.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf": found.group(1), "next": "/events"}
    )
    assert reply.status_code == 303, reply.text
    return http


def test_the_web_ui_and_rest_answer_alike(
    site: Site, script: httpx.Client, delivered: dict[str, str]
) -> None:
    for rules, allowed in (("Artist", False), ("Manager", True)):
        login, api = _person(site, script, rules)
        web = _signed_in(site, login)
        try:
            rest = api.get(f"{W}/hooks/{delivered['hook']}")
            page = web.get(f"/webhooks/{delivered['hook']}")
        finally:
            api.close()
            web.close()
        assert (rest.status_code, page.status_code) == ((200, 200) if allowed else (403, 403)), rules
        if not allowed:
            assert REFUSED in rest.json()["errors"][0]["title"] and REFUSED in page.text
