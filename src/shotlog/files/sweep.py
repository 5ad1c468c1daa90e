"""The files' upkeep inside ``shotlog serve``: finishing what a crash cut short.

When the server starts it finishes the thumbnails a crash left transient (``recover``), then every
``SWEEP_INTERVAL`` deletes the objects of uploads announced and never linked (``sweep``: their rows
in ``file_uploads`` outlive a kill -9 by design). Both run in a worker
thread, since the store and the object stores are synchronous; a failure is logged and the next
round tries again. Stopping also stops the thumbnail renderer's process.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path

from shotlog.clock import utcnow_seconds
from shotlog.files.service import Files, Target
from shotlog.store import files as rows
from shotlog.store.files import StoredFile
from shotlog.store.writer import WriteTransaction
from shotlog.values import Thumbnail

__all__ = ["RECOVER_AFTER", "SWEEP_INTERVAL", "FileSweep", "recover", "sweep"]

log = logging.getLogger(__name__)

#: seconds between sweeps of expired uploads
SWEEP_INTERVAL = 600.0
#: a thumbnail transient for longer than this when a server starts was cut by a crash
RECOVER_AFTER = dt.timedelta(minutes=5)


def sweep(files: Files, now: dt.datetime | None = None) -> int:
    """Delete the objects of uploads that expired unlinked (abandoned, or cut by a crash)."""
    with files.store.db.read() as conn:
        expired = rows.expired_uploads(conn, now or utcnow_seconds())
    for up in expired:
        files.abandon(up)
    return len(expired)


def recover(files: Files, older_than: dt.timedelta = RECOVER_AFTER) -> int:
    """Finish the thumbnails a crash left transient (between their two transactions): render them
    again from the stored original and write the final value, as shotlog itself. Only those older
    than ``older_than``, so that another server's upload in flight is left to it."""
    with files.store.db.read() as conn:
        pending = rows.pending_thumbnails(conn, files.store.catalog)
    done = 0
    for entity_type, entity_id, field, value in pending:
        thumb = Thumbnail.parse(value)
        if thumb is None:
            continue
        try:
            found = files.stored(thumb.attachment_id)
            if found.created_at > utcnow_seconds() - older_than:
                continue
            _finish(files, Target(entity_type, entity_id, field, None), thumb, found)
        except Exception:
            log.exception("could not finish the thumbnail of %s %s", entity_type, entity_id)
            continue
        done += 1
    return done


def _finish(files: Files, target: Target, thumb: Thumbnail, found: StoredFile) -> None:
    with tempfile.TemporaryDirectory(prefix="shotlog-recover-") as directory:
        local = Path(directory) / found.filename
        with files.storage.open(found.key) as src, local.open("wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)
        renditions = files.renderer.render(local, filmstrip=target.field == "filmstrip_image")
    keys = files.store_renditions(found.key, thumb.attachment_id, renditions)

    def work(tx: WriteTransaction) -> None:
        now = rows.image_value(tx.conn, tx.catalog, target.entity_type, target.entity_id, target.field or "")
        if now != thumb.stored():
            return  # changed since: a newer upload owns the field
        rows.set_renditions(tx.conn, thumb.attachment_id, keys)
        files.set_image(tx, target, Thumbnail(thumb.attachment_id))

    files.store.transaction(work)


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
        try:
            finished = await asyncio.to_thread(recover, self.files)
            if finished:
                log.info("finished %d thumbnails a crash left transient", finished)
        except Exception:
            log.exception("finishing transient thumbnails failed")
        while True:
            try:
                swept = await asyncio.to_thread(sweep, self.files)
                if swept:
                    log.info("deleted the objects of %d uploads that expired unlinked", swept)
            except Exception:
                log.exception("sweeping expired uploads failed")
            await asyncio.sleep(self.interval)
