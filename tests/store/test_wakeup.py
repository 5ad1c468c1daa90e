"""Wake-ups reach consumers when events commit, time out when nothing happens, and coalesce bursts."""

from __future__ import annotations

import asyncio
import threading
import time

import shotlog
from shotlog.eventlog import read as eventlog
from shotlog.eventlog.wakeup import BlockingWakeup, open_wakeup


def test_blocking_wakeup_times_out_then_wakes_on_commit(db_url: str) -> None:
    with shotlog.connect(db_url, migrate=False) as sg:
        waker = BlockingWakeup(db_url)
        try:
            assert waker.wait(0.05) is False  # nothing committed yet
            timer = threading.Timer(0.1, lambda: sg.create("Shot", {"code": "w1"}))
            timer.start()
            started = time.monotonic()
            assert waker.wait(10) is True
            assert time.monotonic() - started < 9  # woken by the commit, not by the timeout
            timer.join()
        finally:
            waker.close()


def _burst_reached(waker: BlockingWakeup, head: int) -> bool:
    """Whether the notification of the burst's last commit has reached the waker's connection.

    A round trip on that connection makes the server send the session what it has queued for it;
    psycopg keeps notifications that come outside ``notifies()`` in a backlog, read first by the
    next ``notifies()``. The server sends them when it gets round to it, which under load can be
    after a commit returned: hence a wait for this positive signal, not for a time.
    """
    conn = waker._pg
    assert conn is not None
    conn.execute("SELECT 1")
    return any(n.payload == str(head) for n in conn._notifies_backlog or ())


def test_blocking_wakeup_folds_a_burst_into_few_wakeups(db_url: str) -> None:
    with shotlog.connect(db_url, migrate=False) as sg:
        waker = BlockingWakeup(db_url)
        try:
            for i in range(20):
                sg.create("Shot", {"code": f"b{i}"})
            if not sg.db.is_sqlite:
                # every notification of the burst is queued at the waker before it is asked
                with sg.db.read() as conn:
                    head = eventlog.head_id(conn)
                deadline = time.monotonic() + 15
                while not _burst_reached(waker, head):
                    assert time.monotonic() < deadline, "the burst's notifications never reached the waker"
                    time.sleep(0.01)
            assert waker.wait(5) is True
            # that one wake-up folded every queued notification: the next wait sees nothing new
            # (no commit follows, and one not folded would be there to read at once)
            assert waker.wait(0.05) is False
        finally:
            waker.close()


def test_async_wakeup_wakes_on_commit_from_another_thread(db_url: str) -> None:
    async def scenario() -> tuple[bool, bool]:
        waker = await open_wakeup(db_url)
        try:
            idle = await waker.wait(0.05)
            with shotlog.connect(db_url, migrate=False) as sg:
                task = asyncio.create_task(waker.wait(10))
                await asyncio.sleep(0.05)
                await asyncio.to_thread(sg.create, "Shot", {"code": "a1"})
                woke = await task
            return idle, woke
        finally:
            await waker.close()

    idle, woke = asyncio.run(scenario())
    assert idle is False
    assert woke is True
