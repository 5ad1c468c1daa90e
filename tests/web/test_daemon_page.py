"""The daemon page: plugin state, cursor, lag and last error; pause, resume and replay."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shotgun_api3
from webkit import WebServer, csrf_of

import shotlog
from shotlog.daemon.cursors import CursorStore


@pytest.fixture
def daemon(server: WebServer, sg: shotgun_api3.Shotgun) -> Iterator[tuple[str, CursorStore]]:
    """A daemon's state in the server's database, written with the daemon's own cursor store."""
    head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])["id"]
    store = shotlog.connect(server.db_url, migrate=False)
    name = f"d{uuid.uuid4().hex[:6]}"
    cursors = CursorStore(store.db, name)
    cursors.claim("direct")
    cursors.heartbeat(head, head)
    cursors.create("/plugins", "notify", position=head - 3, last_event_id=head - 3, path="/plugins/notify.py")
    cursors.create("/plugins", "broken", position=head, last_event_id=head, path="/plugins/broken.py")
    cursors.note_error("/plugins", "broken", error="KeyError: 'sg_status_list'", event_id=head)
    yield name, cursors
    cursors.release()
    store.close()


def test_plugins_show_state_cursor_lag_and_error(
    server: WebServer, sg: shotgun_api3.Shotgun, daemon: tuple[str, CursorStore]
) -> None:
    name, cursors = daemon
    http = server.signed_in()  # signing in writes an event: the lag is measured from the head now
    head = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])["id"]
    page = http.get("/daemon").text
    notify = cursors.get("/plugins", "notify")
    assert notify is not None
    assert name in page and "running" in page
    assert f"{head - notify.position} events" in page  # notify's lag behind the head
    assert "KeyError: &#39;sg_status_list&#39;" in page


def test_pause_resume_and_replay(server: WebServer, daemon: tuple[str, CursorStore]) -> None:
    name, cursors = daemon
    http = server.signed_in()
    token = csrf_of(http.get("/daemon").text)
    data = {"csrf": token, "collection": "/plugins"}
    reply = http.post(f"/daemon/{name}/notify/pause", data=data)
    assert reply.status_code == 303
    notify = cursors.get("/plugins", "notify")
    assert notify is not None and notify.paused
    paused_page = http.get("/daemon").text
    assert "Resume" in paused_page
    # the paused plugin's state reads "paused" alone, not "running" beside it
    table = paused_page.split(f"Plugins of {name}<")[1].split("</table>")[0]
    row = table.split('data-plugin="notify"')[1].split("</tr>")[0]
    state = row.split("<td>")[2].split("</td>")[0]
    assert ">paused<" in state and ">running<" not in state, state
    assert http.post(f"/daemon/{name}/notify/resume", data=data).status_code == 303
    notify = cursors.get("/plugins", "notify")
    assert notify is not None and not notify.paused

    bad = http.post(f"/daemon/{name}/notify/replay", data={**data, "from_event_id": "yesterday"})
    assert bad.status_code == 400 and "Replay starts at an event id" in bad.text
    assert http.post(f"/daemon/{name}/notify/replay", data={**data, "from_event_id": "2"}).status_code == 303
    notify = cursors.get("/plugins", "notify")
    assert notify is not None and notify.position == 1  # processes event 2 next

    assert http.post(f"/daemon/{name}/ghost/pause", data=data).status_code == 404
    assert http.post(f"/daemon/{name}/notify/pause", data={"collection": "/plugins"}).status_code == 403


def test_replay_is_refused_without_csrf_and_with_an_unknown_plugin(server: WebServer, daemon: Any) -> None:
    http = server.signed_in()
    token = csrf_of(http.get("/daemon").text)
    reply = http.post("/daemon/nobody/notify/replay", data={"csrf": token, "from_event_id": "3"})
    assert reply.status_code == 404 and "has no plugin" in reply.text
