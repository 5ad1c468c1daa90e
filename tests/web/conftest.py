"""One real ``shotlog serve`` for the web tests and one headless Chromium per session.

Chromium is Debian's package (``/usr/bin/chromium``, installed by ``.ci/run``), driven by
Playwright's Python package; ``playwright install`` is never used. Tests sign in through the real
form, isolate their data in a Project of their own (the server is shared by every module of
tests/web: starting one per module cost more than the tests themselves), and keep to a few pages
each.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shotgun_api3
from webkit import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    SCRIPT_KEY,
    SCRIPT_NAME,
    Receiver,
    WebServer,
    sign_in,
)

from testdbs import Databases, start_serve, wait_healthy


@pytest.fixture(scope="session")
def web_databases(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(template, tmp_path_factory.mktemp("web_dbs"))
    dbs.prefix = "web"
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="package")
def server(web_databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    env = {
        "SHOTLOG_ADMIN_LOGIN": ADMIN_LOGIN,
        "SHOTLOG_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
        "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
        # the tests' webhook receiver listens on 127.0.0.1; 10.0.0.0/8 stays refused
        "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.1/32",
        "SHOTLOG_WEBHOOKS_RETRY_SCALE": "0.001",
    }
    db_url = web_databases.new()
    process, url, log_path = start_serve(db_url, tmp_path_factory.mktemp("web_logs"), env)
    try:
        wait_healthy(url, process, log_path)
    except BaseException:
        process.kill()
        raise
    srv = WebServer(url, db_url, process, log_path)
    yield srv
    process.terminate()
    process.wait(timeout=30)
    log = srv.log()
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:8000]


@pytest.fixture(autouse=True)
def _close_http_clients(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        request.getfixturevalue("server").close_clients()


@pytest.fixture(scope="package")
def sg(server: WebServer) -> Iterator[shotgun_api3.Shotgun]:
    """One shotgun_api3 client for every web test, as a long-lived script would hold it: it sits
    idle on its keep-alive connection while the browser works, often for longer than a minute."""
    client = server.client()
    yield client
    client.close()


@pytest.fixture
def project(sg: shotgun_api3.Shotgun) -> dict[str, Any]:
    """A Project of this test's own: scope every filter to it."""
    return sg.create("Project", {"name": f"web-{uuid.uuid4().hex[:10]}"})


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if self.headers.get("content-type", "").startswith("application/json"):
                parsed: Any = json.loads(body)
            else:  # an Action Menu Item's form post
                parsed = {"form": parse_qs(body.decode())}
            state.requests.append({"path": self.path, "headers": dict(self.headers), "json": parsed})
            self.send_response(state.status)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            self.wfile.write(b"received by the tests")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


# module scope: Playwright's sync API keeps an event loop running on the main thread while the
# browser is open, which synchronous code in later test directories must not see (tests/web is not a
# Python package, so "package" scope would last the whole session).
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: WebServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the module's server."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def signed_in(page: Any) -> Any:
    """The page, signed in as the admin through the sign-in form."""
    sign_in(page)
    return page
