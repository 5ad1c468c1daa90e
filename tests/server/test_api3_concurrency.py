"""Several clients writing at once through one server: every write lands, the event log stays ordered."""

from __future__ import annotations

import threading
from typing import Any

import shotgun_api3
from sgserver import Server, head_event_id

WRITERS = 4
WRITES = 15


def test_concurrent_writers(server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> None:
    before = head_event_id(sg)
    errors: list[BaseException] = []
    made: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        client = server.client()
        try:
            start.wait()
            for i in range(WRITES):
                shot = client.create("Shot", {"code": f"w{n}-{i}", "project": project})
                client.update("Shot", shot["id"], {"description": f"by writer {n}"})
                with lock:
                    made.append(shot["id"])
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(made) == WRITERS * WRITES
    rows = sg.find("Shot", [["project", "is", project]], ["code", "description"])
    assert len(rows) == WRITERS * WRITES
    assert {r["id"] for r in rows} == set(made)
    assert all(r["description"] == f"by writer {r['code'][1]}" for r in rows)
    events = sg.find(
        "EventLogEntry",
        [["id", "greater_than", before]],
        ["event_type", "entity"],
        order=[{"field_name": "id", "direction": "asc"}],
    )
    ids = [e["id"] for e in events]
    assert ids == list(range(before + 1, before + 1 + len(ids)))  # no holes, no duplicates
    news = [e["entity"]["id"] for e in events if e["event_type"] == "Shotgun_Shot_New"]
    assert sorted(news) == sorted(made)
    # each shot's New event comes before the Change its update wrote
    first_seen: dict[int, int] = {}
    for position, e in enumerate(events):
        if e["entity"] and e["entity"]["type"] == "Shot":
            first_seen.setdefault(e["entity"]["id"], position)
    for position, e in enumerate(events):
        if e["event_type"] == "Shotgun_Shot_New":
            assert first_seen[e["entity"]["id"]] == position
