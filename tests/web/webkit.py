"""Helpers of the web tests: the shared server's credentials, CSRF, a webhook receiver, browser steps."""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import shotgun_api3

CHROMIUM = "/usr/bin/chromium"


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


ADMIN_LOGIN = "web.admin"


ADMIN_PASSWORD = "lighthouse keeper 42"


SCRIPT_NAME = "web_tests"


SCRIPT_KEY = "web-" + "0123456789abcdef" * 4


@dataclass
class WebServer:
    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    clients: list[httpx.Client] = field(default_factory=list)

    def close_clients(self) -> None:
        while self.clients:
            self.clients.pop().close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(self) -> shotgun_api3.Shotgun:
        return shotgun_api3.Shotgun(self.url, script_name=SCRIPT_NAME, api_key=SCRIPT_KEY)

    def http(self) -> httpx.Client:
        """An HTTP client with no session (follows no redirects, so tests see them)."""
        # a browser's Accept header: unknown paths answer browsers with the UI's 404 page
        headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        client = httpx.Client(base_url=self.url, timeout=30, follow_redirects=False, headers=headers)
        self.clients.append(client)
        return client

    def signed_in(self, login: str = ADMIN_LOGIN, password: str = ADMIN_PASSWORD) -> httpx.Client:
        """An HTTP client signed in through the real form (its cookies hold the session)."""
        http = self.http()
        form = http.get("/login")
        token = csrf_of(form.text)
        reply = http.post(
            "/login", data={"login": login, "password": password, "csrf": token, "next": "/events"}
        )
        assert reply.status_code == 303, reply.text
        return http


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that records every request and answers ``status``."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


def reload_until(page: Any, selector: str, text: str = "", timeout: float = 20.0) -> None:
    """Reload until ``selector`` (containing ``text``) is on the page: for work done in the background."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        found = page.locator(selector)
        if text:
            found = found.filter(has_text=text)
        if found.count():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} {text!r} did not appear on {page.url}")
        time.sleep(0.2)
        page.reload()


def navigate(page: Any, action: Any) -> None:
    """Run ``action`` (a click or a select that loads another page) and wait for that page's load,
    so what is read next is the new page, never the old one."""
    with page.expect_navigation(wait_until="load"):
        action()


def sign_in(
    page: Any, login: str = ADMIN_LOGIN, password: str = ADMIN_PASSWORD, start: str = "/events"
) -> None:
    page.goto(start)
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    navigate(page, page.get_by_role("button", name="Sign in").click)


def new_hook(http: Any, receiver: Receiver, project: dict[str, Any], **extra: str) -> str:
    """A hook made through the web form (an entity hook on Shot creates in ``project``): its id."""
    token = csrf_of(http.get("/webhooks/new").text)
    form = {
        "csrf": token,
        "name": f"h-{uuid.uuid4().hex[:6]}",
        "url": receiver.url,
        "kind": "entity",
        "entity_type": "Shot",
        "action_create": "on",
        "projects": str(project["id"]),
        "validate_ssl_cert": "on",
        "timeout": "6",
        "max_concurrency": "10",
        **extra,
    }
    reply = http.post("/webhooks/new", data=form)
    assert reply.status_code == 303, reply.text
    return reply.headers["location"].rsplit("/", 1)[-1]
