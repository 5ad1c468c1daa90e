"""Per-plugin progress files: a plugin's cursor after every event, without a database commit each.

The first of a cursor's two tiers (``checkpoint.py`` puts them together and says why there are two).

The database cursor (``daemon_cursors``) is what status, lag, the REST endpoint and the web UI
show, and what operators move. Committing it after every event costs 30-120 µs, more than the rest
of the daemon's work on an event, so a worker commits it only every ``commit_every`` events or
``commit_interval`` seconds, and whenever it stops, pauses or fails. In between, after **every**
event whose callbacks ran, it stores a small checksummed record in its own file, mapped into
memory: the bytes are in the operating system's page cache at once, which outlives a kill -9 (or
any crash) of the daemon process. Only the loss of the machine's memory (power loss, kernel
crash) can lose them; the database cursor then bounds what runs again.

At start the worker takes the newer of the two, and the file only when it provably continues the
database cursor: the same ``resume_token`` (no operator moved or resumed the cursor since) and a
``base`` equal to the database position (the file was written on top of the current database
cursor, not of an older or a restored database). Anything else, an unreadable or torn record
included, and the database wins: at worst events run again, never is one skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProgressFile", "Record", "progress_path"]

# sequence number, position, last event id (0: none), resume token, base (the database position it
# continues), events handled and failures not yet counted in the database; then a CRC-32 of those
_BODY = struct.Struct("<qqqqqqq")
_CRC = struct.Struct("<I")
RECORD = _BODY.size + _CRC.size
#: two slots, written in turn: a write cut short by the death of the process damages only the slot
#: being written, and the other still holds the record before it
_SLOT = 64
_FILE_SIZE = 4096


@dataclass(frozen=True)
class Record:
    position: int
    last_event_id: int | None
    token: int
    base: int
    handled: int
    failures: int

    def continues(self, db_position: int, db_token: int) -> bool:
        """Whether this record is ahead of, and built on, the database cursor given."""
        return self.token == db_token and self.base == db_position and self.position > db_position


def progress_path(directory: Path, state_url: str, daemon: str, collection: str, plugin: str) -> Path:
    """One file per plugin, named after the daemon and plugin, keyed by the state database too (two
    state databases never share a file)."""
    digest = hashlib.sha256("\0".join((state_url, daemon, collection, plugin)).encode()).hexdigest()[:16]
    return directory / f"{daemon}.{plugin}.{digest}.cursor"


class ProgressFile:
    """One plugin's record, in a small file mapped into memory (``MAP_SHARED``).

    Storing a record is a copy into the mapping: no system call, so the worker never gives up the
    interpreter lock for it (a ``pwrite`` per event did, and the wait to get it back dominated).
    The mapped pages are the file's page cache: they outlive the process, and the kernel writes
    them to disk in the background. The records alternate between two checksummed slots, so a
    copy interrupted by a kill -9 leaves the previous record readable."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            if os.fstat(fd).st_size < _FILE_SIZE:
                os.ftruncate(fd, _FILE_SIZE)
            self._map: mmap.mmap | None = mmap.mmap(
                fd, _FILE_SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE
            )
        finally:
            os.close(fd)  # the mapping keeps the file open
        last = self._latest()
        self._seq = last[0] if last is not None else 0

    def _slot(self, index: int) -> tuple[int, Record] | None:
        assert self._map is not None
        data = self._map[index * _SLOT : index * _SLOT + RECORD]
        body = data[: _BODY.size]
        (crc,) = _CRC.unpack_from(data, _BODY.size)
        if zlib.crc32(body) != crc:
            return None
        seq, position, last_event_id, token, base, handled, failures = _BODY.unpack(body)
        if seq <= 0:
            return None
        return seq, Record(position, last_event_id or None, token, base, handled, failures)

    def _latest(self) -> tuple[int, Record] | None:
        if self._map is None:
            return None
        found = [slot for slot in (self._slot(0), self._slot(1)) if slot is not None]
        return max(found, key=lambda slot: slot[0]) if found else None

    def read(self) -> Record | None:
        latest = self._latest()
        return latest[1] if latest is not None else None

    def write(
        self, position: int, last_event_id: int | None, token: int, base: int, handled: int, failures: int
    ) -> None:
        if self._map is None:
            return
        self._seq = seq = self._seq + 1
        body = _BODY.pack(seq, position, last_event_id or 0, token, base, handled, failures)
        offset = (seq & 1) * _SLOT
        self._map[offset : offset + RECORD] = body + _CRC.pack(zlib.crc32(body))

    def close(self) -> None:
        if self._map is not None:
            with contextlib.suppress(OSError, ValueError):
                self._map.close()
            self._map = None
