"""Files under a directory: a local disk or a mounted share.

An object appears whole or not at all: it is written to a temporary name in its own folder,
fsynced and renamed into place. A multipart upload keeps its parts in ``.uploads/<upload id>/``,
each part's file named after its number and its etag, so completing checks the client's etags by
name alone and streams the parts, in order, into the final object through the same atomic write.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from shotlog.errors import ShotlogError
from shotlog.files import assembly
from shotlog.files.objects import (
    FileStorageError,
    Meter,
    Sink,
    Stored,
    TooLarge,
    check_key,
    pump,
    pump_async,
)

__all__ = ["DirectoryFiles", "fsync_dir"]

_UPLOADS = ".uploads"
#: upload ids and a directory part's etag: 32 hex digits, so neither can name another path
_HEX32 = re.compile(r"[0-9a-f]{32}")
_READ_BYTES = 1024 * 1024
#: S3's bound, kept so that a client behaves the same against either store
MAX_PARTS = 10_000


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _FileSink:
    """One object being written under a temporary name in ``folder``; ``finish`` renames it to
    ``name(etag)`` (the part files carry their etag in their name).

    A ``part`` is neither hashed nor synced, its etag a random id: a part of a multipart upload
    (the file it becomes part of is synced whole when the upload completes, before anything names
    it), or an object that can be made again (``write(durable=False)``).
    """

    def __init__(
        self,
        store: DirectoryFiles,
        key: str,
        folder: Path,
        name: Callable[[str], str],
        limit: int,
        *,
        part: bool = False,
    ) -> None:
        self.store, self.key, self.folder, self.name, self.part = store, key, folder, name, part
        self.meter = Meter(limit, hashing=not part)
        # named after its object, so that deleting the object also finds a write a crash cut off
        self.temp = folder / f".part-{Path(key).name}-{uuid.uuid4().hex}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.fh: BinaryIO = self.temp.open("xb")
        except OSError as exc:
            raise store.failed("write", key, exc) from exc

    def write(self, data: bytes) -> None:
        self.meter.feed(data)
        try:
            self.fh.write(data)
        except OSError as exc:
            raise self.store.failed("write", self.key, exc) from exc

    def finish(self) -> Stored:
        sha256 = self.meter.sha256
        etag = sha256[:32] if sha256 is not None else uuid.uuid4().hex
        try:
            self.fh.flush()
            if not self.part:
                os.fsync(self.fh.fileno())
            self.fh.close()
            os.replace(self.temp, self.folder / self.name(etag))
            if not self.part:
                fsync_dir(self.folder)
        except OSError as exc:
            raise self.store.failed("write", self.key, exc) from exc
        return Stored(self.key, self.meter.size, sha256, etag)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.fh.close()
        with contextlib.suppress(OSError):
            self.temp.unlink(missing_ok=True)


class DirectoryFiles:
    """A ``FileStore`` (see ``shotlog.files.storage``) over a directory. It presigns nothing:
    shotlog serves and receives the bytes itself, at URLs it signs (``shotlog.files.signing``)."""

    presigns = False
    #: the error this store raises; the archive's stores raise their own
    error: type[ShotlogError] = FileStorageError

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.url = str(self.root)

    def failed(self, what: str, key: str, exc: OSError) -> ShotlogError:
        return self.error(f"cannot {what} {key!r} in the directory {self.root}: {exc}", key=key)

    def _path(self, key: str) -> Path:
        path = self.root / check_key(key)
        # a symlinked folder inside the root could still lead outside it
        if self.root.resolve() not in path.resolve().parents:
            raise self.error(f"file key {key!r} leads outside the directory {self.root}", key=key)
        return path

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self.error(f"cannot create the directory {self.root}: {exc}") from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise self.error(f"the directory {self.root} is not writable")

    # -- whole objects ------------------------------------------------------------------------

    def _sink(self, key: str, limit: int, *, durable: bool = True) -> _FileSink:
        target = self._path(key)
        return _FileSink(self, key, target.parent, lambda _etag: target.name, limit, part=not durable)

    def write(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        limit: int,
        content_type: str | None = None,
        durable: bool = True,
    ) -> Stored:
        """``content_type`` is for stores that keep one per object; a directory's files have none
        (each is served with the type of its Attachment). ``durable=False`` skips the syncs."""
        return pump(lambda: self._sink(key, limit, durable=durable), chunks)

    async def write_async(self, key: str, chunks: AsyncIterator[bytes], *, limit: int) -> Stored:
        return await pump_async(lambda: self._sink(key, limit), chunks, limit)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise self.error(f"file {key!r} is missing from {self.root}", key=key) from None
        except OSError as exc:
            raise self.failed("read", key, exc) from exc

    def path(self, key: str) -> Path | None:
        return self._path(key)

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self.failed("look up", key, exc) from exc

    def stat(self, key: str) -> Stored | None:
        size = self.size(key)
        return None if size is None else Stored(key, size, None, None)

    def delete(self, key: str) -> None:
        """Remove the object, and what is left of any write of it a crash cut off."""
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
            if path.parent.is_dir():
                for partial in path.parent.glob(f".part-{glob.escape(path.name)}-*"):
                    partial.unlink(missing_ok=True)
        except OSError as exc:
            raise self.failed("delete", key, exc) from exc

    # -- multipart uploads --------------------------------------------------------------------

    def _upload(self, key: str, upload_id: str) -> Path:
        """The folder of an upload begun for ``key``; refused for any other key or id."""
        self._path(key)
        folder = self.root / _UPLOADS / upload_id
        try:
            ok = _HEX32.fullmatch(upload_id) is not None and (folder / "key").read_text() == key
        except OSError:
            ok = False
        if not ok:
            raise self.error(f"no multipart upload {upload_id!r} of {key!r} in {self.root}", key=key)
        return folder

    def begin_multipart(self, key: str) -> str:
        self._path(key)
        upload_id = uuid.uuid4().hex
        folder = self.root / _UPLOADS / upload_id
        try:
            folder.mkdir(parents=True)
            (folder / "key").write_text(key)
        except OSError as exc:
            raise self.failed("begin an upload of", key, exc) from exc
        return upload_id

    def _part_sink(self, key: str, upload_id: str, part_number: int, limit: int) -> Sink:
        """The next part expected is appended to the upload's assembly; any other is kept apart
        (``shotlog.files.assembly``)."""
        if not 1 <= part_number <= MAX_PARTS:
            raise self.error(f"part number {part_number!r} is not between 1 and {MAX_PARTS}", key=key)
        folder = self._upload(key, upload_id)
        try:
            appending = assembly.next_append(folder, part_number, limit)
        except OSError as exc:
            raise self.failed("write", key, exc) from exc
        if appending is not None:
            return appending
        return _FileSink(self, key, folder, lambda etag: f"{part_number:05d}.{etag}", limit, part=True)

    def _drop_older(self, key: str, upload_id: str, part_number: int, etag: str) -> str:
        """A part sent again replaces the one before it: only the newest part file stays."""
        for old in self._upload(key, upload_id).glob(f"{part_number:05d}.*"):
            if old.name != f"{part_number:05d}.{etag}":
                old.unlink(missing_ok=True)
        return etag

    def write_part(
        self, key: str, upload_id: str, part_number: int, chunks: Iterable[bytes], *, limit: int
    ) -> str:
        stored = pump(lambda: self._part_sink(key, upload_id, part_number, limit), chunks)
        return self._drop_older(key, upload_id, part_number, str(stored.etag))

    async def write_part_async(
        self, key: str, upload_id: str, part_number: int, chunks: AsyncIterator[bytes], *, limit: int
    ) -> str:
        stored = await pump_async(lambda: self._part_sink(key, upload_id, part_number, limit), chunks, limit)
        return self._drop_older(key, upload_id, part_number, str(stored.etag))

    def complete_multipart(self, key: str, upload_id: str, etags: list[str], *, limit: int) -> Stored:
        folder = self._upload(key, upload_id)
        if not etags:
            raise self.error(f"the upload of {key!r} names no parts", key=key)
        try:
            found = assembly.pieces(folder, etags)
        except assembly.MissingPart as missing:
            raise self.error(
                f"part {missing.number} of the upload of {key!r}{missing.why}", key=key, part=missing.number
            ) from None
        total = sum(piece.size for piece in found)
        if total > limit:
            self.abort_multipart(key, upload_id)
            raise TooLarge(limit, total)
        target = self._path(key)
        temp = target.parent / f".part-{target.name}-{uuid.uuid4().hex}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            assembly.join(folder, found, temp)
            os.replace(temp, target)
            fsync_dir(target.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            raise self.failed("assemble", key, exc) from exc
        self.abort_multipart(key, upload_id)
        # the parts were not hashed as they came: no sha256, as for an object a client PUT to S3
        return Stored(key, total, None, f"{uuid.uuid4().hex}-{len(found)}")

    def abort_multipart(self, key: str, upload_id: str) -> None:
        with contextlib.suppress(ShotlogError):
            shutil.rmtree(self._upload(key, upload_id), ignore_errors=True)

    # -- presigned URLs: not for a directory ----------------------------------------------------

    def _no_presigning(self, key: str) -> ShotlogError:
        return self.error(
            f"the directory store {self.root} cannot presign a URL for {key!r}: shotlog signs its own",
            key=key,
        )

    def presign_put(self, key: str, *, expires: int) -> str:
        raise self._no_presigning(key)

    def presign_part(self, key: str, upload_id: str, part_number: int, *, expires: int) -> str:
        raise self._no_presigning(key)

    def presign_get(self, key: str, *, filename: str, content_type: str, expires: int) -> str:
        raise self._no_presigning(key)
