"""Counting words on the pages: "1 held delivery", "2 held deliveries", never "Shot Shot".

The rules are checked as a table; then pages are rendered by the real server with one and with two
of each counted thing, and their text searched for the bad forms.
"""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import shotgun_api3
from webkit import Receiver, WebServer

import shotlog
from shotlog.daemon.cursors import CursorStore
from shotlog.web.wording import counted, plural
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.settings import WebhookSettings


@pytest.mark.parametrize(
    ("noun", "many"),
    [
        ("Shot", "Shots"),
        ("Pipeline Step", "Pipeline Steps"),
        ("Status", "Statuses"),
        ("Reply", "Replies"),
        ("Delivery", "Deliveries"),
        ("held delivery", "held deliveries"),
        ("Day", "Days"),
        ("Person", "People"),
        ("Software", "Software"),
        ("Event Log Entry", "Event Log Entries"),
        ("Box", "Boxes"),
        ("Patch", "Patches"),
        ("", ""),
    ],
)
def test_plurals(noun: str, many: str) -> None:
    assert plural(noun) == many


@pytest.mark.parametrize(
    ("n", "noun", "many", "text"),
    [
        (0, "event", None, "0 events"),
        (1, "event", None, "1 event"),
        (2, "event", None, "2 events"),
        (1, "held delivery", None, "1 held delivery"),
        (12345, "matching event", None, "12,345 matching events"),
        (2, "child", "children", "2 children"),
        (1, "child", "children", "1 child"),
    ],
)
def test_counted(n: int, noun: str, many: str | None, text: str) -> None:
    assert counted(n, noun, many) == text


# "1 deliveries", "1 held deliveries" (an s-word right after a one; "1 of 3 ..." reads fine, and so
# does a unit: "mean 1 ms")
ONE_MANY = re.compile(r"(?<![\d,.#:-])\b1 (?:[a-z]+ )?(?!(?:is|was|has|this|as|its|ms)\b)[a-z]+s\b")
# "2 delivery", "2 event" (a singular counted noun after a larger number)
MANY_ONE = re.compile(
    r"(?<![\d,.#:-])\b(?:[2-9]|\d{2,}) (?:held |matching )?(?:event|delivery|attempt|error|script)\b"
)
# "Shot Shot" (a word said twice in a row)
TWICE = re.compile(r"\b([A-Za-z]{2,}) \1\b")


def visible_text(page: str) -> str:
    """The words of a page as a reader sees them: no tags, scripts or styles; cells apart."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    body = re.sub(r"<(td|th|dd|dt|li|p|div|h\d|option|br)\b", "\n<", body)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def bad_forms(text: str) -> list[str]:
    return [m.group(0) for pattern in (ONE_MANY, MANY_ONE, TWICE) for m in pattern.finditer(text)]


def test_the_checks_catch_the_bad_forms() -> None:
    text = visible_text("<p>1 held deliveries</p><td>2 attempt</td><h1>Shot <span>Shot</span></h1>")
    assert bad_forms(text) == ["1 held deliveries", "2 attempt", "Shot Shot"]
    assert bad_forms(visible_text("<p>1 held delivery, 2 attempts, 1 event of 3 events, mean 1 ms</p>")) == []


@pytest.fixture(scope="module")
def world(server: WebServer, sg: shotgun_api3.Shotgun, receiver: Receiver) -> Iterator[dict[str, Any]]:
    """A project, a disabled webhook on its Shot creations (so they are held) and a daemon."""
    project = sg.create("Project", {"name": f"words-{uuid.uuid4().hex[:8]}"})
    store = shotlog.connect(server.db_url, migrate=False)
    hooks = Webhooks(store, WebhookSettings.from_env({"SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.1/32"}))
    hook = hooks.create_hook(
        {
            "name": "words",
            "url": receiver.url,
            "entity_types": {"Shot": {"create": []}},
            "projects": [project["id"]],
        }
    )
    hooks.disable_hook(hook["id"])
    cursors = CursorStore(store.db, f"words-{uuid.uuid4().hex[:6]}")
    cursors.claim("direct")
    yield {"project": project, "hook": hook["id"], "cursors": cursors, "store": store}
    cursors.release()
    hooks.delete_hook(hook["id"])
    store.close()


def _until(check: Callable[[], str], pattern: str) -> str:
    """A page, read again until it matches ``pattern`` (work done in the server's background)."""
    deadline = time.monotonic() + 20
    while not re.search(pattern, page := check()):
        assert time.monotonic() < deadline, f"{pattern!r} never appeared"
        time.sleep(0.2)
    return page


@pytest.mark.parametrize("n", [1, 2])
def test_pages_count_one_and_two_in_good_english(
    n: int, server: WebServer, sg: shotgun_api3.Shotgun, world: dict[str, Any]
) -> None:
    http = server.signed_in()
    project, cursors = world["project"], world["cursors"]
    while len(sg.find("Shot", [["project", "is", project]])) < n:
        sg.create("Shot", {"code": f"w{uuid.uuid4().hex[:4]}", "project": project})
    head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])["id"]
    cursors.heartbeat(head, head)
    cursors.create("/plugins", f"lag{n}", position=head - n, last_event_id=head - n, path=None)
    for _ in range(n):
        cursors.fail("/plugins", f"lag{n}", error="KeyError: 'code'", event_id=head, done_callbacks=[])

    pages = {  # the webhook's held deliveries are counted in the background: wait for all n
        "webhook": _until(
            lambda: http.get(f"/webhooks/{world['hook']}").text, rf"\b{n} (held deliver|deliver[a-z]+ held)"
        ),
        "events": http.get(f"/events?project={project['id']}&event_type=Shotgun_Shot_New").text,
        "daemon": http.get("/daemon").text,
    }
    for path in ("/webhooks", "/admin", "/entities", "/entities/Shot", "/entities/Status", "/projects"):
        pages[path] = http.get(path).text
    found = {name: bad_forms(visible_text(page)) for name, page in pages.items()}
    assert not any(found.values()), found
    assert ("1 delivery held" if n == 1 else "2 deliveries held") in visible_text(pages["webhook"])
    assert ("Event 1 of 1" if n == 1 else "Events 1–2 of 2") in visible_text(pages["events"])
    assert ("1 error" if n == 1 else "2 errors") in visible_text(pages["daemon"])
    assert "Events of all Statuses" in visible_text(pages["/entities/Status"])
