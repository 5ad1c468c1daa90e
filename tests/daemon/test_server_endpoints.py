"""The event stream (server-sent events) and the daemon status endpoints of ``shotlog serve``."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from daemonkit import (
    SCRIPT_KEY,
    SCRIPT_NAME,
    RunningEngine,
    Site,
    config_text,
    copy_plugins,
    make_config,
    wait_for,
)

import shotlog
from shotlog.daemon.sources.stream import parse_sse


def _token(site: Site, **grant: str) -> str:
    data = grant or {
        "grant_type": "client_credentials",
        "client_id": SCRIPT_NAME,
        "client_secret": SCRIPT_KEY,
    }
    reply = httpx.post(f"{site.url}/api/v1/auth/access_token", data=data)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


@pytest.fixture
def auth(site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(site)}"}


def _messages(text: str) -> list[tuple[str | None, str, Any]]:
    return [(i, kind, json.loads(data)) for i, kind, data in parse_sse(iter(text.splitlines(keepends=True)))]


def test_backlog_resume_and_limit(site: Site, auth: dict[str, str]) -> None:
    sg = site.client()
    project = sg.create("Project", {"name": "stream backlog"})
    sg.update("Project", project["id"], {"sg_description": "x"})
    head = site.head()
    after = head - 3
    reply = httpx.get(
        f"{site.url}/api/v1/events/stream", params={"after_id": after, "follow": "false"}, headers=auth
    )
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
    msgs = _messages(reply.text)
    assert msgs[0][1] == "head" and msgs[0][2]["head_event_id"] >= head
    events = [m for m in msgs if m[1] == "event"]
    assert [int(i) for i, _, _ in events] == list(range(after + 1, head + 1))
    first = events[0][2]
    assert set(first) == {
        "type",
        "id",
        "event_type",
        "attribute_name",
        "meta",
        "entity",
        "user",
        "project",
        "session_uuid",
        "created_at",
    }
    assert first["created_at"].endswith("Z")
    # Last-Event-ID resumes like after_id (what a browser's EventSource sends on reconnect)
    reply = httpx.get(
        f"{site.url}/api/v1/events/stream",
        params={"follow": "false", "limit": 1},
        headers={**auth, "Last-Event-ID": str(head - 1)},
    )
    assert [int(i) for i, kind, _ in _messages(reply.text) if kind == "event"] == [head]


def test_live_events_are_pushed(site: Site, auth: dict[str, str]) -> None:
    sg = site.client()
    head = site.head()
    got: list[int] = []
    done = threading.Event()

    def listen() -> None:
        with httpx.stream(
            "GET", f"{site.url}/api/v1/events/stream", params={"after_id": head}, headers=auth, timeout=30
        ) as reply:
            for event_id, kind, _ in parse_sse(reply.iter_lines()):
                if kind == "event" and event_id:
                    got.append(int(event_id))
                    if len(got) >= 2:
                        done.set()
                        return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    project = sg.create("Project", {"name": "stream live"})
    assert done.wait(30), got
    assert got[:2] == [head + 1, head + 2] and project["id"]
    thread.join(10)


@pytest.mark.parametrize(
    ("params", "headers", "status", "fragment"),
    [
        ({"after_id": "abc"}, {}, 400, "after_id must be an integer"),
        ({"after_id": "-1"}, {}, 400, "after_id must be an integer"),
        ({}, {"Last-Event-ID": "x1"}, 400, "Last-Event-ID must be an integer"),
        ({"follow": "sometimes"}, {}, 400, "follow must be true or false"),
        ({"limit": "0.5"}, {}, 400, "limit must be an integer"),
    ],
)
def test_bad_stream_requests(
    site: Site,
    auth: dict[str, str],
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
    fragment: str,
) -> None:
    reply = httpx.get(f"{site.url}/api/v1/events/stream", params=params, headers={**auth, **headers})
    assert reply.status_code == status
    assert fragment in reply.json()["errors"][0]["title"]


def test_stream_needs_a_valid_token(site: Site) -> None:
    reply = httpx.get(f"{site.url}/api/v1/events/stream")
    assert reply.status_code == 401 and "Bearer" in reply.json()["errors"][0]["title"]
    reply = httpx.get(f"{site.url}/api/v1/events/stream", headers={"Authorization": "Bearer nope"})
    assert reply.status_code == 401 and "invalid or has expired" in reply.json()["errors"][0]["title"]


def test_plugin_status_and_actions(site: Site, auth: dict[str, str], tmp_path: Path) -> None:
    plugins = copy_plugins(["recorder", "bad_match"], tmp_path / "plugins")
    out = tmp_path / "out"
    out.mkdir()
    config = make_config(
        config_text(site, [plugins], out, scripts={"recorder": site.script("plugin_recorder")}),
        tmp_path / "daemon.conf",
    )
    running = RunningEngine(config)
    base = f"{site.url}/api/v1/daemon/plugins"
    try:

        def mine() -> dict[str, Any]:
            reply = httpx.get(base, headers=auth)
            assert reply.status_code == 200, reply.text
            return next(d for d in reply.json()["data"] if d["daemon"] == config.name)

        daemon = wait_for(lambda: mine()["running"] and mine(), "the daemon's heartbeat")
        by_name = {p["plugin"]: p for p in daemon["plugins"]}
        assert daemon["source"] == "direct" and daemon["head_event_id"] >= by_name["recorder"]["position"]
        assert by_name["recorder"]["state"] == "running" and by_name["recorder"]["lag"] >= 0
        assert (
            by_name["bad_match"]["state"] == "load_error"
            and "matchEvents" in by_name["bad_match"]["last_error"]
        )
        assert set(by_name["recorder"]) >= {
            "state",
            "position",
            "last_event_id",
            "lag",
            "last_error",
            "processed",
        }

        reply = httpx.post(f"{base}/{config.name}/recorder/pause", headers=auth)
        assert reply.status_code == 200, reply.text
        wait_for(
            lambda: {p["plugin"]: p for p in mine()["plugins"]}["recorder"]["state"] == "paused", "the pause"
        )
        assert httpx.post(f"{base}/{config.name}/recorder/resume", headers=auth).status_code == 200
        wait_for(
            lambda: {p["plugin"]: p for p in mine()["plugins"]}["recorder"]["state"] == "running",
            "the resume",
        )

        reply = httpx.post(f"{base}/{config.name}/nope/pause", headers=auth)
        assert reply.status_code == 404 and "no plugin 'nope'" in reply.json()["errors"][0]["title"]
        reply = httpx.post(f"{base}/{config.name}/recorder/replay", headers=auth)
        assert reply.status_code == 400 and "from_event_id" in reply.json()["errors"][0]["title"]
        reply = httpx.post(
            f"{base}/{config.name}/recorder/replay", params={"from_event_id": "x"}, headers=auth
        )
        assert reply.status_code == 400
        assert httpx.get(base).status_code == 401

        # an artist may look but not act
        with shotlog.connect(site.db_url) as store:
            store.create(
                "HumanUser",
                {
                    "login": f"artist{tmp_path.name}",
                    "password_proxy": "pw-artist-123",
                    "permission_rule_set": "Artist",
                    "sg_status_list": "act",
                    "firstname": "A",
                    "lastname": "B",
                },
            )
        artist = {
            "Authorization": "Bearer "
            + _token(site, grant_type="password", username=f"artist{tmp_path.name}", password="pw-artist-123")
        }
        assert httpx.get(base, headers=artist).status_code == 200
        reply = httpx.post(f"{base}/{config.name}/recorder/pause", headers=artist)
        assert reply.status_code == 403
    finally:
        running.stop()
