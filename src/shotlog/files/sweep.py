"""The files' upkeep inside ``shotlog serve``: finishing what a crash cut short.

Every ``SWEEP_INTERVAL``, from the server's start, it deletes the objects of uploads announced and
never linked (``sweep``: their rows in ``file_uploads`` outlive a kill -9 by design). Both run in a worker
thread, since the store and the object stores are synchronous; a failure is logged and the next
round tries again. Stopping also stops the thumbnail renderer's process.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from shotlog.clock import utcnow_seconds
from shotlog.files.service import Files
from shotlog.store import files as rows

__all__ = ["SWEEP_INTERVAL", "FileSweep", "sweep"]

log = logging.getLogger(__name__)

#: seconds between sweeps of expired uploads
SWEEP_INTERVAL = 600.0


def sweep(files: Files, now: dt.datetime | None = None) -> int:
    """Delete the objects of uploads that expired unlinked (abandoned, or cut by a crash)."""
    with files.store.db.read() as conn:
        expired = rows.expired_uploads(conn, now or utcnow_seconds())
    for up in expired:
        files.abandon(up)
    return len(expired)


class FileSweep:
    name = "files"

    def __init__(self, files: Files, interval: float = SWEEP_INTERVAL) -> None:
        self.files = files
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="shotlog-files")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.to_thread(self.files.renderer.close)

    async def _loop(self) -> None:
        while True:
            try:
                swept = await asyncio.to_thread(sweep, self.files)
                if swept:
                    log.info("deleted the objects of %d uploads that expired unlinked", swept)
            except Exception:
                log.exception("sweeping expired uploads failed")
            await asyncio.sleep(self.interval)
