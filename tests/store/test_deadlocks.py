"""Writes the database aborts for a serialization reason run again inside shotlog; others do not.

PostgreSQL picks a deadlock victim (40P01) or refuses a serialization (40001); the victim's work was
rolled back entirely, so shotlog runs it again and the caller never sees the error. Here the aborts
are real: a real deadlock between a write and a second connection, and errors raised by the database
itself with the SQLSTATE it would use. SQLite never aborts a transaction for such a reason (one
writer at a time, each from ``BEGIN IMMEDIATE``), so only the "final errors are not run again" half
runs there.
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
from shotlog.clock import utcnow_seconds
from shotlog.errors import ShotlogError, StorageError
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.store.database import normalize_url
from shotlog.store.tables import event_log_entries as ele
from shotlog.store.writer import WriteTransaction

NO_SERIALIZATION_ABORTS = "SQLite never aborts a transaction for a serialization reason: one writer at a time"


SQLSTATE_ERRORS = (
    "PostgreSQL raises these errors with their SQLSTATE (PL/pgSQL RAISE); on SQLite a final error "
    "is tested by test_a_final_error_is_not_run_again_on_either_backend"
)


def _postgresql_only(db_url: str, reason: str = NO_SERIALIZATION_ABORTS) -> None:
    if not db_url.startswith("postgres"):
        pytest.skip(reason)


def _changes(sg: shotlog.Shotlog, entity_type: str, entity_id: int, after: int) -> list[Any]:
    """The Change events of one entity after event ``after``, in id order."""
    with sg.db.read() as conn:
        return conn.execute(
            sa.select(ele.c.id, ele.c.attribute_name, ele.c.meta)
            .where(
                ele.c.id > after,
                ele.c.entity_type == entity_type,
                ele.c.entity_id == entity_id,
                ele.c.event_type == f"Shotgun_{entity_type}_Change",
            )
            .order_by(ele.c.id)
        ).all()


def _update_failing_first(
    sg: shotlog.Shotlog, shot_id: int, fail: Callable[[Connection], None], runs: list[int]
) -> Callable[[Connection], int]:
    """A write that updates the Shot (with its event) and then, on its first run only, ``fail``s."""

    def work(conn: Connection) -> int:
        runs.append(len(runs) + 1)
        tx = WriteTransaction(
            sg.db, sg.catalog, conn, sg.catalog.schema, sg.actor, utcnow_seconds(), events=TransactionEvents
        )
        tx.update("Shot", shot_id, {"description": f"run {len(runs)}"})
        tx.finish()  # the event has its id: the abort below must give it back
        if len(runs) == 1:
            fail(conn)
        return len(runs)

    return work


def _set_description(sg: shotlog.Shotlog, shot_id: int, value: str) -> Callable[[Connection], None]:
    """A write that sets the Shot's description (with its event)."""

    def work(conn: Connection) -> None:
        tx = WriteTransaction(
            sg.db, sg.catalog, conn, sg.catalog.schema, sg.actor, utcnow_seconds(), events=TransactionEvents
        )
        tx.update("Shot", shot_id, {"description": value})
        tx.finish()

    return work


def _raise(state: str) -> Callable[[Connection], None]:
    """Make PostgreSQL itself raise an error with SQLSTATE ``state``."""

    def fail(conn: Connection) -> None:
        conn.exec_driver_sql(f"DO $$BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '{state}'; END$$")

    return fail


@pytest.mark.parametrize("state", ["40001", "40P01"])
def test_a_serialization_abort_is_run_again_and_lands_once(
    sg: shotlog.Shotlog, db_url: str, state: str
) -> None:
    _postgresql_only(db_url)
    shot = sg.create("Shot", {"code": "retried"})
    head, retries = sg.head_event_id(), sg.db.commits.retries
    runs: list[int] = []
    assert sg.db.write_grouped(_update_failing_first(sg, shot["id"], _raise(state), runs)) == 2
    assert runs == [1, 2]
    assert sg.db.commits.retries == retries + 1
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["description"])["description"] == "run 2"
    changes = _changes(sg, "Shot", shot["id"], head)
    assert [(e.id, e.meta["new_value"]) for e in changes] == [(head + 1, "run 2")]  # once, no hole


@pytest.mark.parametrize(
    "state",
    [
        "55P03",  # lock timeout: a bounded wait stays bounded (shotlog.store.retry)
        "23505",  # unique violation
        "22012",  # division by zero
    ],
)
def test_a_final_database_error_is_not_run_again(sg: shotlog.Shotlog, db_url: str, state: str) -> None:
    _postgresql_only(db_url, SQLSTATE_ERRORS)
    shot = sg.create("Shot", {"code": "final", "description": "before"})
    head, retries = sg.head_event_id(), sg.db.commits.retries
    runs: list[int] = []
    # translated at the store's boundary: a reference to the log, not the driver's text ("forced")
    with pytest.raises(ShotlogError, match=r"\(ref [0-9a-f]{32}\)"):
        sg.db.write_grouped(_update_failing_first(sg, shot["id"], _raise(state), runs))
    assert runs == [1]
    assert sg.db.commits.retries == retries
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["description"])["description"] == "before"
    assert sg.head_event_id() == head


def test_a_final_error_is_not_run_again_on_either_backend(sg: shotlog.Shotlog) -> None:
    """A real driver error that is not a serialization failure (here: a missing table)."""
    shot = sg.create("Shot", {"code": "final", "description": "before"})
    head, retries = sg.head_event_id(), sg.db.commits.retries
    runs: list[int] = []

    def missing_table(conn: Connection) -> None:
        conn.exec_driver_sql("SELECT * FROM no_such_table")

    with pytest.raises(StorageError, match=r"Database error \(ref [0-9a-f]{32}\)"):
        sg.db.write_grouped(_update_failing_first(sg, shot["id"], missing_table, runs))
    assert runs == [1]
    assert sg.db.commits.retries == retries
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["description"])["description"] == "before"
    assert sg.head_event_id() == head


def test_a_real_deadlock_victim_is_run_again(sg: shotlog.Shotlog, db_url: str) -> None:
    """A batch locks a Shot and waits for an Asset that another connection holds; that connection
    then asks for the Shot. PostgreSQL aborts the batch (it waited first, so its deadlock check runs
    first); shotlog runs the batch again once the other transaction is gone."""
    _postgresql_only(db_url)
    import psycopg

    shot = sg.create("Shot", {"code": "contended"})
    asset = sg.create("Asset", {"code": "contended"})
    head, retries = sg.head_event_id(), sg.db.commits.retries
    dsn = normalize_url(db_url).replace("postgresql+psycopg://", "postgresql://")
    shots, assets = sg.catalog.table("Shot").name, sg.catalog.table("Asset").name
    outcome: dict[str, Any] = {}

    def batch() -> None:
        try:
            outcome["result"] = sg.batch(
                [
                    {
                        "request_type": "update",
                        "entity_type": "Shot",
                        "entity_id": shot["id"],
                        "data": {"description": "s"},
                    },
                    {
                        "request_type": "update",
                        "entity_type": "Asset",
                        "entity_id": asset["id"],
                        "data": {"description": "a"},
                    },
                ]
            )
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    with psycopg.connect(dsn) as other, psycopg.connect(dsn, autocommit=True) as monitor:
        other.execute(f"SELECT id FROM {assets} WHERE id = %s FOR UPDATE", [asset["id"]])
        writer = threading.Thread(target=batch)
        writer.start()
        deadline = time.monotonic() + 10
        # the positive signal: the batch holds the Shot and waits for the Asset's row
        while not monitor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' AND pid IN"
            " (SELECT pid FROM pg_stat_activity WHERE datname = current_database())"  # not other tests'
        ).fetchone()[0]:  # type: ignore[index]
            assert time.monotonic() < deadline, "the batch never waited for the Asset"
            time.sleep(0.01)
        other.execute(f"SELECT id FROM {shots} WHERE id = %s FOR UPDATE", [shot["id"]])  # the cycle
        other.commit()
        writer.join(30)
    assert "error" not in outcome, outcome
    assert [r["description"] for r in outcome["result"]] == ["s", "a"]
    assert sg.db.commits.retries == retries + 1
    shot_changes = _changes(sg, "Shot", shot["id"], head)
    asset_changes = _changes(sg, "Asset", asset["id"], head)
    assert [e.meta["new_value"] for e in shot_changes] == ["s"]
    assert [e.meta["new_value"] for e in asset_changes] == ["a"]
    assert [e.id for e in shot_changes + asset_changes] == [head + 1, head + 2]


def test_a_group_member_aborted_by_the_database_runs_again_alone(sg: shotlog.Shotlog, db_url: str) -> None:
    """In a shared transaction one member's savepoint is aborted with a deadlock: the others commit
    together, and that member runs again by itself and lands once. Through the commit group
    itself: PostgreSQL entity writes no longer share transactions (``Database.write_grouped``), but
    the group's handling of an aborted member stays correct for any backend that does."""
    _postgresql_only(db_url)
    ids = [sg.create("Shot", {"code": f"g{i}"})["id"] for i in range(3)]
    head = sg.head_event_id()
    commits = sg.db.commits
    release, entered = threading.Event(), threading.Event()

    def slow(conn: Connection) -> None:
        entered.set()
        assert release.wait(10)

    leader = threading.Thread(target=commits.run, args=(slow,))
    leader.start()
    assert entered.wait(10)
    before = (commits.groups, commits.writes, commits.retries)
    runs: list[int] = []
    works: list[Callable[[], Any]] = [
        lambda: commits.run(_set_description(sg, ids[0], "first")),
        lambda: commits.run(_update_failing_first(sg, ids[1], _raise("40P01"), runs)),
        lambda: commits.run(_set_description(sg, ids[2], "third")),
    ]
    results: list[Any] = [None] * 3
    errors: list[BaseException] = []

    def call(i: int) -> None:
        try:
            results[i] = works[i]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(commits._queue) < 3:
        assert time.monotonic() < deadline, "the writes never queued behind the slow one"
        time.sleep(0.005)
    release.set()
    leader.join(10)
    for t in threads:
        t.join(10)
    assert errors == []
    assert runs == [1, 2] and results[1] == 2
    # the slow write, the group of three (the aborted member rolled back alone), its run again
    assert (commits.groups - before[0], commits.writes - before[1]) == (3, 4)
    assert commits.retries - before[2] == 1
    got = {r["id"]: r["description"] for r in sg.find("Shot", [["id", "in", ids]], ["description"])}
    assert got == {ids[0]: "first", ids[1]: "run 2", ids[2]: "third"}
    events = [e for sid in ids for e in _changes(sg, "Shot", sid, head)]
    assert sorted(e.meta["new_value"] for e in events) == ["first", "run 2", "third"]
    assert sorted(e.id for e in events) == [head + 1, head + 2, head + 3]
