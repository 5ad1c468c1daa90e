"""The hook page's held deliveries: "Release them" is offered only where it can act, and the page's
counts (Health's "In the log", the held ones, the table's badges) are one reading.

Release queues held deliveries for sending, which a Failed or Disabled hook does not do (only its
status changes go out, docs/webhooks.md's Statuses): there the page offers Enable, which sends them,
and Discard. A hook that sends and still has held deliveries (one enabled while a delivery of it was
being held) gets the Release button, and releasing sends them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shotgun_api3
import sqlalchemy as sa
from webkit import Receiver, WebServer, csrf_of, new_hook

import shotlog
from shotlog.clock import utcnow
from shotlog.store.tables import webhook_hooks as hk
from shotlog.webhooks import repository
from shotlog.webhooks.api import Webhooks
from waiting import wait_for


@pytest.fixture
def store(server: WebServer) -> Iterator[shotlog.Shotlog]:
    conn = shotlog.connect(server.db_url, migrate=False)
    yield conn
    conn.close()


def _text(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


def _badges(html: str) -> dict[str, int]:
    """The table's count per state (its badges above the rows)."""
    return {
        state: int(n.replace(",", ""))
        for state, n in re.findall(r'data-state="(\w+)"[^>]*>([\d,]+) \w+</a>', html)
    }


def test_release_is_offered_only_to_a_hook_that_sends_and_the_counts_agree(
    server: WebServer,
    receiver: Receiver,
    sg: shotgun_api3.Shotgun,
    project: dict[str, Any],
    store: shotlog.Shotlog,
) -> None:
    admin = server.signed_in()
    hook_id = new_hook(admin, receiver, project, name=f"release-{uuid.uuid4().hex[:6]}")
    hooks = Webhooks(store)

    # Failed (the worker's move at the threshold, made here directly): new events are held
    assert repository.set_status(store.db, hook_id, "active", "failed", "system", utcnow())
    for code in ("held-1", "held-2"):
        sg.create("Shot", {"code": code, "project": project})
    wait_for(lambda: hooks.get_hook(hook_id)["held_deliveries"] == 2, "two held deliveries")
    page = admin.get(f"/webhooks/{hook_id}").text
    assert f'action="/webhooks/{hook_id}/release"' not in page and "Release them" not in page
    held = _text(page, r'<div class="warning held">.*?</div>')
    assert "2 deliveries held while the hook is Failed: enabling it sends them" in held, held
    assert f'action="/webhooks/{hook_id}/discard"' in page
    assert "Enable and send the 2 held events" in page
    in_log = _text(page, r'<dd id="log-counts">.*?</dd>')
    assert "2 held" in in_log, in_log
    assert _badges(page).get("held") == 2, _badges(page)

    # Active again with held deliveries left (a delivery held by a dispatch that raced the enabling):
    # placed by hand, the status changed without the enabling's release
    with store.db.write() as conn:
        conn.execute(sa.update(hk).where(hk.c.id == hook_id).values(status="active"))
    page = admin.get(f"/webhooks/{hook_id}").text
    held = _text(page, r'<div class="warning held">.*?</div>')
    assert "2 deliveries held from when the hook was Failed or Disabled" in held, held
    released = admin.post(f"/webhooks/{hook_id}/release", data={"csrf": csrf_of(page)})
    assert released.status_code == 303

    def sent() -> bool:
        counts = {str(s): n for s, n in hooks.delivery_counts(hook_id).items()}
        # the two released and the Webhook_Status_Change of the move to Failed
        return counts["held"] == counts["pending"] == 0 and counts["delivered"] == 3

    wait_for(sent, "the released deliveries sent")
    page = admin.get(f"/webhooks/{hook_id}").text
    assert 'class="warning held"' not in page
    counts = hooks.delivery_counts(hook_id)
    assert _badges(page) == {str(s): n for s, n in counts.items() if n}
