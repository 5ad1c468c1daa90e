"""Wake-ups reach consumers when events commit, time out when nothing happens, and coalesce bursts."""

from __future__ import annotations

import asyncio
import threading
import time

import shotlog
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


def test_blocking_wakeup_folds_a_burst_into_few_wakeups(db_url: str) -> None:
    with shotlog.connect(db_url, migrate=False) as sg:
        waker = BlockingWakeup(db_url)
        try:
            for i in range(20):
                sg.create("Shot", {"code": f"b{i}"})
            assert waker.wait(5) is True
            # every commit finished before that wake-up, so it folded all of their notifications:
            # the next wait sees nothing new (the burst's size is not a matter of timing)
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
