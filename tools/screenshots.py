"""Screenshots of the web UI's main pages for docs/images/, from a real ``shotlog serve --demo``.

Starts a server on a fresh SQLite file with the demo production (and its archived months), a
webhook receiver on 127.0.0.1 (so the webhook pages show real deliveries; its ``/broken`` path
answers 500, so a second hook turns Failed and shows its banner) and a daemon's state written
through the daemon's cursor store, then drives Debian's Chromium with Playwright and saves one PNG
per page.

    .venv/bin/python tools/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOGIN, PASSWORD = "admin", "screenshots only"


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        time.sleep(0.02)
        self.send_response(500 if self.path.endswith("/broken") else 200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/shotlog"

    work = Path(tempfile.mkdtemp(prefix="shotlog-shots-"))
    db_url = f"sqlite:///{work / 'demo.db'}"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    env.update(
        SHOTLOG_ADMIN_LOGIN=LOGIN,
        SHOTLOG_ADMIN_PASSWORD=PASSWORD,
        SHOTLOG_SCRIPT_NAME="screenshots",
        SHOTLOG_SCRIPT_KEY="screenshots-" + "0" * 32,
        SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS="127.0.0.1/32",
        # a handful of failed requests (not FPTR's 100) turn the broken hook Failed
        SHOTLOG_WEBHOOKS_FAILURE_THRESHOLD="3",
    )
    log = (work / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "shotlog", "serve", "--database", db_url, "--port", str(port), "--demo"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        shoot(base, hook_url, db_url, args.out, args.chromium)
    finally:
        server.terminate()
        server.wait(timeout=30)
        receiver.shutdown()
    print(f"screenshots in {args.out}")


def shoot(base: str, hook_url: str, db_url: str, out: Path, chromium: str) -> None:
    import shotgun_api3
    from playwright.sync_api import FloatRect, sync_playwright

    import shotlog
    from shotlog.daemon.cursors import CursorStore

    sg = shotgun_api3.Shotgun(base, script_name="screenshots", api_key="screenshots-" + "0" * 32)
    project = sg.find_one("Project", [["name", "starts_with", "Demo"]], ["name"])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, base_url=base)

        def snap(name: str, full: bool = False, height: int | None = None) -> None:
            # height: the top of a long page only (a full page of results is too tall to read)
            clip: FloatRect | None = {"x": 0, "y": 0, "width": 1440, "height": height} if height else None
            page.screenshot(path=str(out / f"{name}.png"), full_page=full or bool(height), clip=clip)
            print(f"  {name}.png  {page.url}")

        page.goto("/events")
        snap("signin")
        page.get_by_label("Login").fill(LOGIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        # a webhook with real deliveries, created through the form
        page.goto(
            f"/webhooks/new?entity_type=Shot&action=update&fields=sg_status_list&projects={project['id']}"
        )
        page.get_by_label("Name").fill("Shot status to the review board")
        page.get_by_label("URL").fill(hook_url)
        page.get_by_label("Secret token (X-SG-SIGNATURE)").fill("s3cret")
        snap("webhook-form", full=True)
        page.get_by_role("button", name="Create webhook").click()
        hook_path = page.url.removeprefix(base)
        # a hook whose receiver answers 500: Failed after the threshold, with its banner
        page.goto(
            f"/webhooks/new?entity_type=Shot&action=update&fields=sg_status_list&projects={project['id']}"
        )
        page.get_by_label("Name").fill("Shot status to the old tracker")
        page.get_by_label("URL").fill(hook_url + "/broken")
        page.get_by_label("Notify when unstable").fill("pipeline@studio.example")
        page.get_by_role("button", name="Create webhook").click()
        broken_path = page.url.removeprefix(base)
        shots = sg.find("Shot", [["project", "is", project]], ["code"])
        for shot, status in zip(shots, ["ip", "rdy", "fin", "ip", "hld", "fin"], strict=False):
            sg.update("Shot", shot["id"], {"sg_status_list": status})
        time.sleep(2)

        store = shotlog.connect(db_url, migrate=False)
        head = store.head_event_id()
        cursors = CursorStore(store.db, "render-farm")
        cursors.claim("direct")
        cursors.heartbeat(head, head)
        cursors.create("plugins", "version_to_review", position=head, last_event_id=head, path="plugins/a.py")
        cursors.create("plugins", "publish_notify", position=head - 12, last_event_id=head - 12, path=None)
        cursors.create("plugins", "sync_jira", position=head - 40, last_event_id=head - 40, path=None)
        cursors.note_error(
            "plugins", "sync_jira", error="ConnectionError: jira.studio.lan:443 refused", event_id=head - 39
        )
        cursors.pause("plugins", "publish_notify", True)

        page.goto("/events")
        snap("events")
        page.goto(f"/events?project={project['id']}&event_type=Shotgun_Shot_*&attribute=sg_status_list")
        snap("events-filtered")
        # "Events 26-50 of N", the pager and the jump fields under the table
        page.goto("/events?attribute=sg_status_list&new_value=fin&size=25&page=2")
        snap("events-pages", full=True)
        change = store.find_one(
            "EventLogEntry",
            [["event_type", "is", "Shotgun_Shot_Change"], ["attribute_name", "is", "sg_status_list"]],
            ["id", "entity"],
            order=[{"field_name": "id", "direction": "desc"}],
        )
        page.goto(f"/events/{change['id']}")
        snap("event")
        multi = store.find_one(
            "EventLogEntry",
            [["attribute_name", "is", "task_assignees"]],
            ["id"],
            order=[{"field_name": "id", "direction": "desc"}],
        )
        if multi:
            page.goto(f"/events/{multi['id']}")
            snap("event-multi-entity")
        page.goto(f"/entities/Shot/{change['entity']['id']}")
        snap("entity")
        page.goto("/webhooks")
        snap("webhooks")
        page.goto(broken_path)
        snap("webhook-failed")
        page.goto(hook_path)
        page.get_by_role("button", name="Test connection").click()
        snap("webhook", full=True)
        page.locator("#delivery-rows tr").filter(has_not_text="test").locator("a").first.click()
        snap("delivery", full=True)
        page.goto("/daemon")
        snap("daemon")
        page.goto(
            "/admin/archive?search=1&event_type=Shotgun_Task_Change&attribute=sg_status_list&new_value=fin"
        )
        snap("archive", height=1500)
        page.goto("/account")
        page.get_by_label("Show times in").select_option("Europe/Paris")
        page.get_by_role("button", name="Save time zone").click()
        snap("account")
        cursors.release()
        store.close()
        browser.close()
    sg.close()


if __name__ == "__main__":
    main(sys.argv[1:])
