"""A directory store's multipart upload: its parts written once, joined with as little copying as
their order allows.

A client sends its parts one after the other (shotgun_api3 does, 20 MB each), so each part that
is the next one expected is appended, as it streams in, to the upload's ``assembly`` file, and
``ledger`` records its number, etag and size. A part that arrives out of order, again (a retry),
or while another is being appended, is kept in a file of its own. Completing the upload then
finds each part the client names: when they are exactly the appended ones, in order, the assembly
file *is* the object, synced and renamed into place without a byte copied; otherwise a new file is
joined from the pieces, in the kernel where it can (``copy_file_range``).

The ``lock`` file (``flock``) lets one writer append at a time; the others keep their part apart
rather than wait. Parts are neither hashed nor synced as they come: an etag is a random id (a part
names nothing until the upload completes), and the object is synced whole before anything names it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from shotlog.files.objects import Meter, Stored

__all__ = ["ASSEMBLY", "AppendSink", "MissingPart", "Piece", "join", "ledger", "next_append", "pieces"]

ASSEMBLY = "assembly"
LEDGER = "ledger"
LOCK = "lock"
_READ_BYTES = 1024 * 1024
_ETAG = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class Piece:
    """Where part ``number``'s bytes are: ``size`` bytes at ``offset`` of ``path``."""

    number: int
    etag: str
    path: Path
    offset: int
    size: int


def ledger(folder: Path) -> list[Piece]:
    """The parts appended to the assembly, in order."""
    out: list[Piece] = []
    offset = 0
    with contextlib.suppress(FileNotFoundError), (folder / LEDGER).open() as fh:
        for line in fh:
            number, etag, size = line.split()
            out.append(Piece(int(number), etag, folder / ASSEMBLY, offset, int(size)))
            offset += int(size)
    return out


class AppendSink:
    """Part ``number`` appended to the assembly while this sink holds the upload's lock."""

    def __init__(self, folder: Path, number: int, limit: int, lock: int, start: int) -> None:
        self.folder, self.number, self.lock, self.start = folder, number, lock, start
        self.meter = Meter(limit, hashing=False)
        self.fh: BinaryIO = (folder / ASSEMBLY).open("ab")

    def write(self, data: bytes) -> None:
        self.meter.feed(data)
        self.fh.write(data)

    def finish(self) -> Stored:
        etag = uuid.uuid4().hex
        try:
            self.fh.flush()
            # start this part on its way to the disk now, while the client sends the next one:
            # the sync when the upload completes then has little left to wait for
            threading.Thread(target=_write_back, args=(os.dup(self.fh.fileno()),), daemon=True).start()
            self.fh.close()
            with (self.folder / LEDGER).open("a") as fh:
                fh.write(f"{self.number} {etag} {self.meter.size}\n")
        finally:
            os.close(self.lock)
        return Stored(str(self.number), self.meter.size, None, etag)

    def discard(self) -> None:
        try:
            with contextlib.suppress(OSError):
                self.fh.close()
            with contextlib.suppress(OSError):
                os.truncate(self.folder / ASSEMBLY, self.start)  # back to the parts before this one
        finally:
            os.close(self.lock)


def _write_back(fd: int) -> None:
    try:
        with contextlib.suppress(OSError):  # the sync at completion reports what matters
            os.fdatasync(fd)
    finally:
        os.close(fd)


def next_append(folder: Path, number: int, limit: int) -> AppendSink | None:
    """A sink appending part ``number`` if it is the next one the assembly expects and no other
    part is being appended; None when the part must be kept apart."""
    lock = os.open(folder / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        return None
    try:
        done = ledger(folder)
        if number != len(done) + 1:
            os.close(lock)
            return None
        start = done[-1].offset + done[-1].size if done else 0
        assembly = folder / ASSEMBLY
        # a write cut off by a crash left bytes past what the ledger records
        if assembly.exists() and assembly.stat().st_size != start:
            os.truncate(assembly, start)
        return AppendSink(folder, number, limit, lock, start)
    except BaseException:
        os.close(lock)
        raise


class MissingPart(Exception):
    """Part ``number``, as the client names it, is not here; ``why`` completes the sentence."""

    def __init__(self, number: int, why: str) -> None:
        super().__init__(number, why)
        self.number, self.why = number, why


def pieces(folder: Path, etags: list[str]) -> list[Piece]:
    """The piece of each part the client names by its etag, in order (``MissingPart`` if one is not
    here)."""
    appended = {p.number: p for p in ledger(folder)}
    out: list[Piece] = []
    for number, quoted in enumerate(etags, start=1):
        etag = quoted.strip('"')
        apart = folder / f"{number:05d}.{etag}"
        if _ETAG.fullmatch(etag) and apart.is_file():
            out.append(Piece(number, etag, apart, 0, apart.stat().st_size))
        elif number in appended and appended[number].etag == etag:
            out.append(appended[number])
        else:
            sent = number in appended or any(folder.glob(f"{number:05d}.*"))
            why = f": etag {quoted!r} does not match the part stored" if sent else " was never uploaded"
            raise MissingPart(number, why)
    return out


def join(folder: Path, parts: list[Piece], temp: Path) -> None:
    """Write the object to ``temp``, synced: the assembly itself when it is exactly ``parts``."""
    appended = ledger(folder)
    assembly = folder / ASSEMBLY
    whole = [(p.path, p.offset, p.size) for p in parts] == [(p.path, p.offset, p.size) for p in appended]
    if whole and assembly.exists() and assembly.stat().st_size == sum(p.size for p in parts):
        with assembly.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(assembly, temp)
        return
    with temp.open("xb") as out:
        for piece in parts:
            with piece.path.open("rb") as src:
                _copy(src, out, piece.offset, piece.size)
        out.flush()
        os.fsync(out.fileno())


def _copy(src: BinaryIO, out: BinaryIO, offset: int, size: int) -> None:
    """Append ``size`` bytes of ``src`` from ``offset`` to ``out``: in the kernel where it can
    (no pass through user space, and a reflink on file systems that share blocks), else by reading."""
    copy_range = getattr(os, "copy_file_range", None)
    copied = 0
    out.flush()  # the kernel copies at the descriptor's offset: nothing may sit in the buffer
    if copy_range is not None:
        try:
            while copied < size:
                done = copy_range(src.fileno(), out.fileno(), size - copied, offset + copied)
                if done == 0:
                    break
                copied += done
        except OSError as exc:
            if copied or exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL):
                raise
    if copied < size:
        src.seek(offset + copied)
        out.seek(0, os.SEEK_END)
        remaining = size - copied
        while remaining > 0:
            block = src.read(min(_READ_BYTES, remaining))
            if not block:
                raise OSError(errno.EIO, f"{src.name} ended {remaining} bytes early")
            out.write(block)
            remaining -= len(block)
        out.flush()
