"""Group commit: writes that queue while another commits share one transaction, each isolated.

A first write holds the leader's seat (its work waits on an event) while other threads queue their
updates behind it, so the next leader deterministically commits them as one group.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

import shotlog
from shotlog.errors import ValidationError
from shotlog.store.tables import event_log_entries as ele


def _queued_behind_a_slow_write(
    sg: shotlog.Shotlog, writes: list[Callable[[], Any]]
) -> tuple[list[Any], list[BaseException | None], tuple[int, int]]:
    """Run ``writes`` in threads while a first write holds the commit; return their results, their
    errors and (groups, writes) committed after the slow one."""
    release = threading.Event()
    entered = threading.Event()

    def slow(conn: Connection) -> None:
        entered.set()
        assert release.wait(10)

    leader = threading.Thread(target=sg.db.write_grouped, args=(slow,))
    leader.start()
    assert entered.wait(10)
    commits = sg.db.commits
    before = (commits.groups, commits.writes)
    results: list[Any] = [None] * len(writes)
    errors: list[BaseException | None] = [None] * len(writes)

    def call(i: int) -> None:
        try:
            results[i] = writes[i]()
        except BaseException as exc:
            errors[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(writes))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(commits._queue) < len(writes) and time.monotonic() < deadline:
        time.sleep(0.005)  # wait until every thread has queued its write behind the slow one
    release.set()
    leader.join(10)
    for t in threads:
        t.join(10)
    return results, errors, (commits.groups - before[0] - 1, commits.writes - before[1] - 1)


def _shots(sg: shotlog.Shotlog, n: int) -> list[int]:
    project = sg.create("Project", {"name": "grouped"})
    return [sg.create("Shot", {"code": f"g{i}", "project": project})["id"] for i in range(n)]


def _events_for(sg: shotlog.Shotlog, shot_ids: list[int], after: int) -> list[Any]:
    with sg.db.read() as conn:
        return conn.execute(
            sa.select(ele.c.id, ele.c.entity_id, ele.c.attribute_name)
            .where(ele.c.id > after, ele.c.entity_type == "Shot", ele.c.entity_id.in_(shot_ids))
            .order_by(ele.c.id)
        ).all()


def _head(sg: shotlog.Shotlog) -> int:
    return int(
        sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])["id"]
    )


def _groups(sg: shotlog.Shotlog) -> None:
    if not sg.db.is_sqlite:
        pytest.skip(
            "on PostgreSQL each write commits on its own, beside the others, and the database groups "
            "the flushes (test_writes_run_beside_a_slow_one_on_postgresql)"
        )


def test_writes_run_beside_a_slow_one_on_postgresql(sg: shotlog.Shotlog) -> None:
    """PostgreSQL: writes do not queue behind one whose transaction is open; they commit first."""
    if sg.db.is_sqlite:
        pytest.skip("SQLite has one writer: the writes queue and commit as a group (the tests above)")
    ids = _shots(sg, 4)
    release, entered = threading.Event(), threading.Event()

    def slow(conn: Connection) -> None:
        entered.set()
        assert release.wait(30)

    leader = threading.Thread(target=sg.db.write_grouped, args=(slow,))
    leader.start()
    try:
        assert entered.wait(10)
        for sid in ids:
            sg.update("Shot", sid, {"description": f"beside {sid}"})  # returns while slow is open
        assert leader.is_alive()
    finally:
        release.set()
        leader.join(30)
    rows = sg.find("Shot", [["id", "in", ids]], ["description"])
    assert {r["id"]: r["description"] for r in rows} == {sid: f"beside {sid}" for sid in ids}


def test_queued_writes_commit_as_one_group(sg: shotlog.Shotlog) -> None:
    _groups(sg)
    ids = _shots(sg, 4)
    head = _head(sg)
    writes = [(lambda sid=sid: sg.update("Shot", sid, {"description": f"grouped {sid}"})) for sid in ids]
    results, errors, (groups, written) = _queued_behind_a_slow_write(sg, writes)
    assert errors == [None] * 4
    assert [r["description"] for r in results] == [f"grouped {sid}" for sid in ids]
    assert (groups, written) == (1, 4)  # the four queued updates shared one commit
    rows = sg.find("Shot", [["id", "in", ids]], ["description"])
    assert {r["id"]: r["description"] for r in rows} == {sid: f"grouped {sid}" for sid in ids}
    events = _events_for(sg, ids, head)
    assert sorted(e.entity_id for e in events) == sorted(ids)  # one event each, none twice
    assert [e.id for e in events] == list(range(events[0].id, events[0].id + 4))  # no holes


def test_a_failing_write_rolls_back_alone(sg: shotlog.Shotlog) -> None:
    _groups(sg)
    ids = _shots(sg, 3)
    head = _head(sg)
    writes = [
        lambda: sg.update("Shot", ids[0], {"description": "kept"}),
        lambda: sg.update("Shot", ids[1], {"sg_status_list": "no such status"}),
        lambda: sg.update("Shot", ids[2], {"description": "kept too"}),
    ]
    _results, errors, (groups, written) = _queued_behind_a_slow_write(sg, writes)
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], ValidationError) and "no such status" in str(errors[1])
    assert (groups, written) == (1, 3)
    got = {r["id"]: r for r in sg.find("Shot", [["id", "in", ids]], ["description", "sg_status_list"])}
    assert got[ids[0]]["description"] == "kept" and got[ids[2]]["description"] == "kept too"
    assert got[ids[1]]["sg_status_list"] != "no such status"
    assert sorted(e.entity_id for e in _events_for(sg, ids, head)) == sorted([ids[0], ids[2]])


def test_a_broken_group_runs_each_write_alone_exactly_once(sg: shotlog.Shotlog) -> None:
    """A write that ends the shared transaction under the others (here: a raw ROLLBACK) fails the
    group's commit; the others are then run alone and land exactly once."""
    _groups(sg)
    ids = _shots(sg, 2)
    head = _head(sg)

    def saboteur() -> None:
        def work(conn: Connection) -> None:
            conn.connection.driver_connection.cursor().execute("ROLLBACK")  # type: ignore[union-attr]
            raise RuntimeError("sabotaged")

        sg.db.write_grouped(work)

    writes = [
        lambda: sg.update("Shot", ids[0], {"description": "once"}),
        saboteur,
        lambda: sg.update("Shot", ids[1], {"description": "once too"}),
    ]
    _results, errors, _counts = _queued_behind_a_slow_write(sg, writes)
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], Exception)
    got = {r["id"]: r["description"] for r in sg.find("Shot", [["id", "in", ids]], ["description"])}
    assert got == {ids[0]: "once", ids[1]: "once too"}
    events = _events_for(sg, ids, head)
    assert sorted(e.entity_id for e in events) == sorted(ids)  # exactly one event each


def test_a_lone_write_is_not_grouped(sg: shotlog.Shotlog) -> None:
    (sid,) = _shots(sg, 1)
    before = (sg.db.commits.groups, sg.db.commits.writes)
    sg.update("Shot", sid, {"description": "alone"})
    assert (sg.db.commits.groups - before[0], sg.db.commits.writes - before[1]) == (1, 1)


@pytest.mark.parametrize("n", [8])
def test_many_threads_lose_and_repeat_nothing(sg: shotlog.Shotlog, n: int) -> None:
    ids = _shots(sg, n)
    head = _head(sg)
    errors: list[BaseException] = []

    def writer(sid: int) -> None:
        try:
            for k in range(20):
                sg.update("Shot", sid, {"description": f"v{k}"})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(sid,)) for sid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    events = _events_for(sg, ids, head)
    assert len(events) == 20 * n
    assert [e.id for e in events] == list(range(events[0].id, events[0].id + 20 * n))
    assert {r["description"] for r in sg.find("Shot", [["id", "in", ids]], ["description"])} == {"v19"}
