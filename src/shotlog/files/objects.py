"""What every file store shares: its errors, what a write stored, object keys, and the pumps that
stream chunks into a store's sink while counting, hashing and enforcing the size limit.

A store writes through a *sink* (``Sink``): bytes go in with ``write``, ``finish`` makes the object
appear whole, ``discard`` leaves nothing behind. ``pump`` drives a sink from an iterable of chunks,
``pump_async`` from an async iterator (a request body) with the sink's blocking work on a worker
thread, a batch of chunks at a time, so the event loop never waits on a disk or a socket and at
most one batch is held in memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import anyio.to_thread

from shotlog.errors import ShotlogError

__all__ = [
    "BATCH_BYTES",
    "FileStorageError",
    "Meter",
    "Sink",
    "Stored",
    "TooLarge",
    "check_key",
    "pump",
    "pump_async",
]

#: How many bytes of a request body ``pump_async`` gathers before handing them to a thread: large
#: enough that the thread hop costs nothing next to the write, small enough to bound memory.
BATCH_BYTES = 4 * 1024 * 1024


class FileStorageError(ShotlogError):
    """The file store is unreachable, refused the operation, or is full; the message names the
    store and the key."""


class TooLarge(ShotlogError):
    """More bytes arrived than the limit allows; nothing was stored."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        told = f" ({size} bytes)" if size is not None else ""
        super().__init__(f"the file{told} is larger than the limit of {limit} bytes", limit=limit, size=size)
        self.limit = limit
        #: the whole size when it is known (a completed multipart upload), else None: the stream
        #: was cut off as soon as it passed the limit.
        self.size = size


@dataclass(frozen=True)
class Stored:
    """An object as a store holds it.

    ``sha256`` is None when the bytes never passed through shotlog (an object a client PUT
    straight into S3); ``etag`` is None for a directory object shotlog did not write itself.
    Etags are given without the quotes HTTP puts around them."""

    key: str
    size: int
    sha256: str | None
    etag: str | None


_KEY_PART = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,254}")


def check_key(key: str) -> str:
    """``key`` if it is a relative path of plain names; else ``FileStorageError``.

    Keys are made by shotlog, never taken from a client, so this only guards against a bug: no
    absolute path, no ``..``, no name starting with a dot (the stores' own temporary files and
    upload folders start with one), nothing but letters, digits, ``_-.``."""
    parts = key.split("/")
    if not key or len(key) > 1024 or not all(_KEY_PART.fullmatch(part) for part in parts):
        raise FileStorageError(f"file key {key!r} is not a plain relative path inside the store", key=key)
    return key


class Meter:
    """Counts a stream, refusing it as soon as it passes ``limit`` bytes, and hashes it unless
    told not to (the parts of a multipart upload: the whole file's hash would need them read back)."""

    def __init__(self, limit: int, *, hashing: bool = True) -> None:
        self.limit = limit
        self.size = 0
        self._sha256 = hashlib.sha256() if hashing else None

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(self.limit)
        if self._sha256 is not None:
            self._sha256.update(data)

    @property
    def sha256(self) -> str | None:
        return None if self._sha256 is None else self._sha256.hexdigest()


class Sink(Protocol):
    """One object being written."""

    def write(self, data: bytes) -> None:
        """Append ``data`` (already counted against the limit by the sink's meter)."""

    def finish(self) -> Stored:
        """Make the object appear whole under its key."""

    def discard(self) -> None:
        """Remove whatever was written; never raises."""


def pump(open_sink: Callable[[], Sink], chunks: Iterable[bytes]) -> Stored:
    """Write ``chunks`` through a new sink; on any failure the sink is discarded and nothing stays."""
    sink = open_sink()
    try:
        for chunk in chunks:
            if chunk:
                sink.write(chunk)
        return sink.finish()
    except BaseException:
        sink.discard()
        raise


def _write_all(sink: Sink, chunks: list[bytes]) -> None:
    """The chunks one after the other, in one thread hop (joining them first would copy them)."""
    for chunk in chunks:
        sink.write(chunk)


async def pump_async(open_sink: Callable[[], Sink], chunks: AsyncIterator[bytes], limit: int) -> Stored:
    """``pump`` for a body read on the event loop: the sink's work runs on a worker thread, a batch
    of at most about ``BATCH_BYTES`` at a time; the limit is checked on the loop as bytes arrive,
    so an oversized body is refused before more of it is read."""
    sink = await anyio.to_thread.run_sync(open_sink)
    try:
        batch: list[bytes] = []
        pending = seen = 0
        async for chunk in chunks:
            seen += len(chunk)
            if seen > limit:
                raise TooLarge(limit)
            batch.append(chunk)
            pending += len(chunk)
            if pending >= BATCH_BYTES:
                await anyio.to_thread.run_sync(_write_all, sink, batch)
                batch, pending = [], 0
        if batch:
            await anyio.to_thread.run_sync(_write_all, sink, batch)
        return await anyio.to_thread.run_sync(sink.finish)
    except BaseException:
        # shielded: a cancelled request (client gone) must still remove its partial object
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(sink.discard)
        raise
