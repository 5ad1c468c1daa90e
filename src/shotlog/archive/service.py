"""The archive job on a schedule inside ``shotlog serve``.

Runs ``run_archive`` every ``SHOTLOG_ARCHIVE_INTERVAL`` seconds (the first run a minute after the
server starts, or one interval if that is shorter, so start-up stays fast) in a worker thread,
since the store is synchronous. Stopping
asks the running job to stop after its current segment; the job is safe to interrupt anyway, so a
server killed mid-run leaves nothing the next run cannot finish. A run that fails is logged and
retried at the next interval; a second server sharing the database simply finds the job lock taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from shotlog import telemetry
from shotlog.archive.job import ArchiveBusy, run_archive
from shotlog.archive.policy import ArchivePolicy
from shotlog.archive.storage import open_storage
from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError

__all__ = ["ArchiveService", "archive_service"]

log = logging.getLogger(__name__)

FIRST_RUN_DELAY = 60.0


class ArchiveService:
    name = "archive"

    def __init__(
        self, store: Shotlog, policy: ArchivePolicy, *, first_delay: float = FIRST_RUN_DELAY
    ) -> None:
        self.store = store
        self.policy = policy
        self.first_delay = first_delay
        self._task: asyncio.Task[None] | None = None
        self._stop = threading.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="shotlog-archive")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        delay = self.first_delay
        while not self._stop.is_set():
            await asyncio.sleep(delay)
            delay = self.policy.interval
            await asyncio.to_thread(self.run_once)

    def run_once(self) -> None:
        try:
            storage = open_storage(
                self.policy.url or "", s3_endpoint=self.policy.s3_endpoint, s3_region=self.policy.s3_region
            )
            report = run_archive(self.store, storage, self.policy, should_stop=self._stop.is_set)
        except ArchiveBusy:
            telemetry.archive_run("busy")
            log.info("archive run skipped: another run holds the lock")
        except ShotlogError as exc:
            telemetry.archive_run("failed")
            log.error("archive run failed: %s", exc)
        except Exception:
            telemetry.archive_run("failed")
            log.exception("archive run failed")
        else:
            telemetry.archive_run("succeeded")
            log.info(
                "archive run: %s events archived, %s segments purged, live log starts at id %s",
                report.archived_events,
                len(report.purged),
                report.archived_through + 1,
            )


def archive_service(store: Shotlog) -> list[ArchiveService]:
    """The scheduled archive, if an archive URL is set and ``SHOTLOG_ARCHIVE_INTERVAL`` is not 0."""
    try:
        policy = ArchivePolicy.from_env()
    except ShotlogError as exc:
        log.error("archive schedule off: %s", exc)
        return []
    if not policy.url or policy.interval == 0:
        return []
    return [ArchiveService(store, policy, first_delay=min(FIRST_RUN_DELAY, policy.interval))]
