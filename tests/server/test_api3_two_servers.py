"""Two ``shotlog serve`` processes on one database, eight official clients writing the same Shots.

On PostgreSQL this is where write transactions of two servers meet: they run and commit side by
side (appending events holds nothing the others wait for, docs/architecture.md, "Lock order"),
and a transaction the database still aborts for a serialization reason runs again inside the
server. No call may
fail, every update's event is in the log exactly once, and each client's events are in the order
of its calls. On SQLite the two processes share the file's single write lock; the same must hold.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from sgserver import Server, head_event_id

CLIENTS = 8
CALLS = 250  # per client
SHOTS = 4  # shared by every client: the same rows are written through both servers
MARK = "twoservers_Mark"  # a custom event type, created every tenth call


def test_two_servers_on_one_database_fail_no_call(start_server: Callable[..., Server]) -> None:
    first = start_server()
    second = start_server(db_url=first.db_url)
    servers = [first, second]
    marks = [s.log_mark() for s in servers]
    sg = first.client()
    project = sg.create("Project", {"name": "two servers"})
    shots = [sg.create("Shot", {"code": f"shared{i}", "project": project})["id"] for i in range(SHOTS)]
    before = head_event_id(sg)
    failures: list[str] = []
    # per client, in call order: ("update", description) or ("mark", event id)
    done: list[list[tuple[str, Any]]] = [[] for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)

    def client(n: int) -> None:
        api = servers[n % 2].client()  # half the clients on each server
        start.wait()
        for i in range(CALLS):
            try:
                if i % 10 == 9:
                    event = api.create("EventLogEntry", {"event_type": MARK, "description": f"{n}-{i}"})
                    done[n].append(("mark", event["id"]))
                else:
                    value = f"{n}-{i}"
                    api.update("Shot", shots[(n + i) % SHOTS], {"description": value})
                    done[n].append(("update", value))
            except Exception as exc:  # every failure is reported, not only the first
                failures.append(f"client {n} call {i}: {exc}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    elapsed = time.monotonic() - began
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert failures == [], f"{len(failures)} of {CLIENTS * CALLS} calls failed: {failures[:5]}"

    events = sg.find(
        "EventLogEntry",
        [["id", "greater_than", before]],
        ["event_type", "attribute_name", "meta", "description", "entity"],
        order=[{"field_name": "id", "direction": "asc"}],
    )
    ids = [e["id"] for e in events]
    assert ids == list(range(before + 1, before + 1 + len(ids)))  # no hole, no repeat
    updates = [e for e in events if e["event_type"] == "Shotgun_Shot_Change"]
    assert {e["attribute_name"] for e in updates} == {"description"}
    assert {e["entity"]["id"] for e in updates} <= set(shots)
    by_value = Counter(e["meta"]["new_value"] for e in updates)
    wanted = [v for calls in done for kind, v in calls if kind == "update"]
    assert len(wanted) == CLIENTS * (CALLS - CALLS // 10)
    assert by_value == Counter(wanted)  # every update's event, each exactly once
    mark_ids = [e["id"] for e in events if e["event_type"] == MARK]
    assert sorted(mark_ids) == sorted(v for calls in done for kind, v in calls if kind == "mark")
    assert len(ids) == len(updates) + len(mark_ids)

    # each client's calls were sequential, so their events must be in the same order
    event_of = {e["meta"]["new_value"]: e["id"] for e in updates}
    for n, calls in enumerate(done):
        order = [event_of[v] if kind == "update" else v for kind, v in calls]
        assert order == sorted(order), f"client {n}'s events are out of call order"

    for server, mark in zip(servers, marks, strict=True):
        log = server.log_since(mark)
        # not even a retried one: the lock order leaves the database nothing to abort
        aborted = [line for line in log.splitlines() if "deadlock" in line or "aborted a write" in line]
        assert aborted == [], f"{len(aborted)} aborted transactions, the first: {aborted[:3]}"
        assert "Traceback" not in log, log[log.index("Traceback") :][:3000]
    print(f"{CLIENTS * CALLS} calls through two servers in {elapsed:.1f}s: {CLIENTS * CALLS / elapsed:.0f}/s")
