"""The ordering guarantee: a reader of ``id > cursor`` in id order never skips an event.

Writers run concurrently in threads, each with its own connection (so on SQLite they contend for the
database lock exactly as separate processes do), plus processes on SQLite. One writer holds its
transaction open for a while *after* its events got their ids — the situation in which sequence-based
ids become visible out of order. A tailing reader polls like shotgunEvents and checks that every page
starts right after its cursor: ids appear in commit order, with no holes, and nothing is skipped.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from typing import Any

import pytest

import shotlog
from shotlog.clock import utcnow_seconds
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.store.writer import WriteTransaction

WRITERS = 4
OPS = 40


def _writer(url: str, n: int, errors: list[BaseException], server: shotlog.Shotlog | None = None) -> None:
    """``OPS`` writes of every kind; on a connection of its own, or on ``server``'s, which other
    writer threads share (as a server's request threads do)."""
    try:
        with contextlib.nullcontext(server) if server else shotlog.connect(url, migrate=False) as sg:
            shot = sg.create("Shot", {"code": f"w{n}"})
            for i in range(OPS):
                if i % 3 == 0:
                    sg.update("Shot", shot["id"], {"description": f"{n}-{i}"})
                elif i % 3 == 1:
                    sg.create("Asset", {"code": f"a{n}-{i}"})
                else:
                    sg.batch(
                        [
                            {
                                "request_type": "update",
                                "entity_type": "Shot",
                                "entity_id": shot["id"],
                                "data": {"head_in": i},
                            },
                            {
                                "request_type": "create",
                                "entity_type": "Note",
                                "data": {"subject": f"n{n}-{i}"},
                            },
                        ]
                    )
    except BaseException as exc:  # reported by the test
        errors.append(exc)


def _slow_writer(url: str, errors: list[BaseException]) -> None:
    """Takes ids for its events, then keeps the transaction open before committing."""
    try:
        with shotlog.connect(url, migrate=False) as sg:
            for i in range(5):
                schema = sg.catalog.schema
                with sg.db.write() as conn:
                    tx = WriteTransaction(
                        sg.db, sg.catalog, conn, schema, sg.actor, utcnow_seconds(), events=TransactionEvents
                    )
                    tx.create("Sequence", {"code": f"slow{i}"})
                    tx.finish()  # ids assigned here...
                    time.sleep(0.15)  # ...and only visible after this commit
    except BaseException as exc:
        errors.append(exc)


def _tail(url: str, stop: threading.Event, seen: list[int], problems: list[str]) -> None:
    with shotlog.connect(url, migrate=False) as sg:
        cursor = 0
        idle_after_stop = 0
        while idle_after_stop < 2:
            page = sg.find(
                "EventLogEntry",
                [["id", "greater_than", cursor]],
                ["id", "event_type"],
                order=[{"column": "id", "direction": "asc"}],
                limit=25,
            )
            if page:
                ids = [e["id"] for e in page]
                if ids[0] != cursor + 1 or ids != list(range(ids[0], ids[0] + len(ids))):
                    problems.append(
                        f"after cursor {cursor} the reader saw {ids[:5]}...: a hole or reordering"
                    )
                seen.extend(ids)
                cursor = ids[-1]
            elif stop.is_set():
                idle_after_stop += 1
            else:
                time.sleep(0.002)


def _run_race(url: str, *, processes: bool = False, servers: int = 0, writers: int = WRITERS) -> None:
    """``writers`` writers and a slow one race a tailing reader; the writers are threads on
    connections of their own, processes (``processes``), or threads sharing ``servers`` connections."""
    with shotlog.connect(url) as sg:
        start = sg.head_event_id()
    errors: list[BaseException] = []
    problems: list[str] = []
    seen: list[int] = []
    stop = threading.Event()
    tailer = threading.Thread(target=_tail, args=(url, stop, seen, problems))
    tailer.start()
    shared = [shotlog.connect(url, migrate=False) for _ in range(servers)]
    if processes:
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_writer, args=(url, n, [])) for n in range(writers)]
        for p in procs:
            p.start()
        _slow_writer(url, errors)
        for p in procs:
            p.join(120)
            assert p.exitcode == 0
    else:
        threads = [
            threading.Thread(target=_writer, args=(url, n, errors, shared[n % servers] if servers else None))
            for n in range(writers)
        ]
        threads.append(threading.Thread(target=_slow_writer, args=(url, errors)))
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    for server in shared:
        server.close()
    stop.set()
    tailer.join(60)
    assert not errors, errors
    assert not problems, problems
    with shotlog.connect(url, migrate=False) as sg:
        all_ids = [e["id"] for e in sg.iter_events(0, ["id"])]
    assert seen == all_ids  # everything, in order, exactly once
    assert len(all_ids) > start + writers * OPS  # the writers really wrote
    assert all_ids == list(range(1, len(all_ids) + 1))  # and ids have no holes


def test_concurrent_writers_never_make_a_reader_skip(db_url: str) -> None:
    _run_race(db_url)


def test_concurrent_writer_processes(db_url: str) -> None:
    _run_race(db_url, processes=True)


def test_eight_writers_on_two_servers_never_make_a_reader_skip(db_url: str) -> None:
    """Issue 19's case: eight writers sharing two connections, as two servers' request threads."""
    _run_race(db_url, servers=2, writers=8)


def test_rolled_back_transaction_leaves_no_hole(sg: shotlog.Shotlog) -> None:
    before = sg.head_event_id()
    with contextlib.suppress(shotlog.BatchError):
        sg.batch(
            [
                {"request_type": "create", "entity_type": "Shot", "data": {"code": "ok"}},
                {"request_type": "create", "entity_type": "Shot", "data": {"code": 5}},
            ]
        )
    assert sg.head_event_id() == before
    sg.create("Shot", {"code": "next"})
    ids: list[Any] = [e["id"] for e in sg.iter_events(before, ["id"])]
    assert ids[0] == before + 1


def test_postgresql_notifies_the_new_head_after_each_commit(db_url: str) -> None:
    if not db_url.startswith("postgres"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's wake-up hint; SQLite consumers poll")
    import psycopg

    from shotlog.eventlog.log import NOTIFY_CHANNEL
    from shotlog.store.database import normalize_url

    dsn = normalize_url(db_url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as listener, shotlog.connect(db_url, migrate=False) as sg:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        shot = sg.create("Shot", {"code": "n1"})  # several events in one flush
        sg.update("Shot", shot["id"], {"code": "n2"})  # one event: the single-INSERT path
        head = sg.head_event_id()
        # hints of commits close together may share one NOTIFY (shotlog.store.eventids.Notifier),
        # which carries the newest id: every hint is a committed id, and the head's one arrives
        payloads: list[int] = []
        for n in listener.notifies(timeout=10):
            payloads.append(int(n.payload))
            if payloads[-1] >= head:
                break
    assert payloads and payloads[-1] == head
    assert payloads == sorted(payloads) and len(payloads) <= 2


def test_postgresql_hints_survive_a_lost_notifier_connection(db_url: str) -> None:
    """The hint thread's connection dies (a restarted database, a killed backend): the commit after
    that is still hinted, on a new connection, and the write itself never noticed."""
    if not db_url.startswith("postgres"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's wake-up hint; SQLite consumers poll")
    import psycopg

    from shotlog.eventlog.log import NOTIFY_CHANNEL
    from shotlog.store.database import normalize_url

    def hinted_up_to(listener: Any, head: int) -> list[int]:
        seen: list[int] = []
        for n in listener.notifies(timeout=10):
            seen.append(int(n.payload))
            if seen[-1] >= head:
                break
        return seen

    dsn = normalize_url(db_url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as listener, shotlog.connect(db_url, migrate=False) as sg:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        shot = sg.create("Shot", {"code": "h1"})
        assert hinted_up_to(listener, sg.head_event_id())[-1] == sg.head_event_id()
        hints = sg.db.hints
        assert hints is not None and hints._conn is not None
        pid = hints._conn.info.backend_pid
        listener.execute("SELECT pg_terminate_backend(%s)", (pid,))
        sg.update("Shot", shot["id"], {"code": "h2"})  # its hint finds the connection gone
        sg.update("Shot", shot["id"], {"code": "h3"})
        head = sg.head_event_id()
        assert hinted_up_to(listener, head)[-1] == head
        assert hints._conn is not None and hints._conn.info.backend_pid != pid
