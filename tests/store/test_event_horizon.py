"""Readers stop at the horizon: an id another transaction still holds is never passed.

On PostgreSQL writers commit concurrently and take their event ids as they append
(``shotlog.store.eventids``); every read that follows the log is bounded by the horizon below the
ids still reserved. Here a transaction takes ids and stays open while other writers commit later
events: every reader (``find`` as a poller asks, the head, a page, the daemon's direct source)
stays below the open ids, and passes them once the holder commits, rolls back (a gap that stays),
or is killed with -9. Other writers never wait for the holder. On SQLite the holder has the
database's write lock, so the others wait for it instead; the kill -9 case runs on both.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import shotlog
from shotlog.clock import utcnow_seconds
from shotlog.eventlog import read
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.store.tables import event_log_entries as ele
from shotlog.store.writer import WriteTransaction

WAIT = 60  # seconds: a bound for waits that end as soon as what they wait for happens
HOLD = 10.0  # seconds a long transaction stays open while other writers go on (issue 19)


class Holder:
    """A thread whose write transaction took event ids and stays open until told to end."""

    def __init__(self, url: str, *, commit: bool) -> None:
        self.url = url
        self.commit = commit
        self.ids: list[int] = []
        self.ready = threading.Event()
        self.release = threading.Event()
        self.ended = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with shotlog.connect(self.url, migrate=False) as sg:
                try:
                    with sg.db.write() as conn:
                        tx = WriteTransaction(
                            sg.db,
                            sg.catalog,
                            conn,
                            sg.catalog.schema,
                            sg.actor,
                            utcnow_seconds(),
                            events=TransactionEvents,
                        )
                        before = int(conn.execute(sa.select(sa.func.max(ele.c.id))).scalar_one())
                        tx.create("Sequence", {"code": "held"})
                        tx.finish()  # the ids are taken here
                        self.ids = [
                            int(i)
                            for i in conn.execute(sa.select(ele.c.id).where(ele.c.id > before)).scalars()
                        ]
                        self.ready.set()
                        self.release.wait(WAIT)
                        if not self.commit:
                            raise _RollBack
                except _RollBack:
                    pass
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            self.ended.set()
            self.ready.set()

    def __enter__(self) -> Holder:
        self.thread.start()
        assert self.ready.wait(WAIT)
        assert not self.errors, self.errors
        assert self.ids
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self.thread.join(WAIT)


class _RollBack(Exception):
    pass


def _views(sg: shotlog.Shotlog, cursor: int) -> dict[str, list[int]]:
    """What each kind of reader returns after ``cursor``."""
    found = sg.find(
        "EventLogEntry",
        [["id", "greater_than", cursor]],
        ["id"],
        order=[{"column": "id", "direction": "asc"}],
        limit=500,
    )
    with sg.db.read() as conn:
        head = read.head_id(conn)
        page = [r.id for r in read.page(conn, cursor, 500)]
    direct = [e["id"] for e in read.events_after(sg.db, sg.catalog, cursor, 500)]
    return {"find": [e["id"] for e in found], "head": [head], "page": page, "direct": direct}


def _write_later(url: str, n: int) -> None:
    with shotlog.connect(url, migrate=False) as other:
        for i in range(n):
            other.create("Asset", {"code": f"later{i}"})


@pytest.fixture
def pg(db_url: str) -> Iterator[str]:
    if not db_url.startswith("postgres"):
        pytest.skip("SQLite has one writer: a transaction that took ids holds every other writer too")
    yield db_url


@pytest.mark.parametrize("commit", [True, False], ids=["commits", "rolls back"])
def test_readers_stop_below_an_open_transaction_and_pass_it_when_it_ends(
    pg: str, sg: shotlog.Shotlog, commit: bool
) -> None:
    start = sg.head_event_id()
    with Holder(pg, commit=commit) as holder:
        # other writers are not held up: these commit while the holder is open
        _write_later(pg, 3)
        assert not holder.ended.is_set()
        with sg.db.read() as conn:
            stored = int(conn.execute(sa.select(sa.func.max(ele.c.id))).scalar_one())
        assert stored > max(holder.ids)  # later events are committed...
        views = _views(sg, start)
        below = list(range(start + 1, min(holder.ids)))
        # ...but no reader passes the open ids
        assert views == {"find": below, "head": [min(holder.ids) - 1], "page": below, "direct": below}
    assert not holder.errors, holder.errors
    views = _views(sg, start)
    everything = views["find"]
    assert views["page"] == everything and views["direct"] == everything
    assert views["head"] == [everything[-1]] and everything[-1] == stored
    if commit:
        assert everything == list(range(start + 1, stored + 1))
    else:  # a gap, passed
        assert everything == [i for i in range(start + 1, stored + 1) if i not in holder.ids]


def test_a_long_transaction_does_not_hold_other_writers(pg: str, sg: shotlog.Shotlog) -> None:
    """Eight writers on two connections (two servers) keep writing for the ``HOLD`` seconds a
    transaction that took ids stays open, and finish before it ends; a poller following the log
    meanwhile reads every event in order, exactly once, with no hole (the holder commits: had the
    poller passed its ids, they would be missing)."""
    start = sg.head_event_id()
    servers = [shotlog.connect(pg, migrate=False) for _ in range(2)]
    shots = [servers[n % 2].create("Shot", {"code": f"s{n}"})["id"] for n in range(8)]
    seen: list[int] = []
    problems: list[str] = []
    stop = threading.Event()

    def poll() -> None:
        cursor = start
        while True:
            last_round = stop.is_set()
            page = sg.find(
                "EventLogEntry",
                [["id", "greater_than", cursor]],
                ["id"],
                order=[{"column": "id", "direction": "asc"}],
                limit=50,
            )
            ids = [e["id"] for e in page]
            if ids and ids != list(range(cursor + 1, cursor + 1 + len(ids))):
                problems.append(f"after {cursor} the poller read {ids[:5]}...: a hole or reordering")
            seen.extend(ids)
            cursor = ids[-1] if ids else cursor
            if last_round and not ids:
                return

    counts = [0] * 8
    until = [0.0]

    def write(n: int) -> None:
        i = 0
        while i < 10 or time.monotonic() < until[0]:
            servers[n % 2].update("Shot", shots[n], {"description": f"{n}-{i}"})
            i += 1
        counts[n] = i

    try:
        with Holder(pg, commit=True) as holder:
            until[0] = time.monotonic() + HOLD
            poller = threading.Thread(target=poll)
            poller.start()
            writers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
            for t in writers:
                t.start()
            for t in writers:
                t.join(WAIT + HOLD)
            assert not any(t.is_alive() for t in writers)
            assert not holder.ended.is_set()  # the writers did not wait for it...
            assert time.monotonic() >= until[0]  # ...though it was open for HOLD seconds
        stop.set()
        poller.join(WAIT)
    finally:
        for s in servers:
            s.close()
    assert not problems, problems
    with sg.db.read() as conn:
        stored = [
            int(i)
            for i in conn.execute(sa.select(ele.c.id).where(ele.c.id > start).order_by(ele.c.id)).scalars()
        ]
    assert seen == stored  # everything, in order, exactly once
    assert len(stored) >= 8 + sum(counts) + len(holder.ids)


def _hold_then_wait(url: str, ready: Any) -> None:
    """A writer process: take ids in a transaction, say so, and wait to be killed."""
    with shotlog.connect(url, migrate=False) as sg, sg.db.write() as conn:
        tx = WriteTransaction(
            sg.db, sg.catalog, conn, sg.catalog.schema, sg.actor, utcnow_seconds(), events=TransactionEvents
        )
        tx.create("Sequence", {"code": "killed"})
        tx.finish()
        ready.set()
        threading.Event().wait(WAIT)


def test_a_writer_killed_mid_transaction_stalls_nobody(db_url: str, sg: shotlog.Shotlog) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_hold_then_wait, args=(db_url, ready))
    proc.start()
    try:
        assert ready.wait(WAIT)
        start = sg.head_event_id()  # below the killed writer's ids
        later = threading.Thread(target=_write_later, args=(db_url, 3))
        later.start()
        if db_url.startswith("postgres"):
            later.join(WAIT)  # PostgreSQL: not held up by the open transaction...
            assert not later.is_alive()
            assert _views(sg, start)["find"] == []  # ...and no reader passes it
    finally:
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(WAIT)
    later.join(WAIT)  # SQLite: the killed process's write lock is gone with it
    assert not later.is_alive()
    # the readers pass the killed writer's ids (a gap on PostgreSQL, taken again on SQLite) and
    # reach the later events: nothing is lost or skipped
    with sg.db.read() as conn:
        stored = [
            int(i)
            for i in conn.execute(sa.select(ele.c.id).where(ele.c.id > start).order_by(ele.c.id)).scalars()
        ]
    assert len(stored) >= 3  # the later writer's events (and what its connect wrote)
    pause = threading.Event()
    views = _views(sg, start)
    for _ in range(WAIT * 10):  # PostgreSQL notices the closed connection within moments
        if views["find"] == stored:
            break
        pause.wait(0.1)
        views = _views(sg, start)
    assert views["find"] == views["page"] == views["direct"] == stored
    assert views["head"] == [stored[-1]]
    if not db_url.startswith("postgres"):  # SQLite took the killed writer's ids again
        assert stored == list(range(start + 1, start + 1 + len(stored)))
