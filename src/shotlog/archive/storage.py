"""Where archive segments are kept: a directory, or a bucket of S3-compatible object storage.

They are the file stores of ``shotlog.files`` (``DirectoryFiles``, ``S3Files``) raising the
archive's own error, plus what the archive needs beyond them: storing a finished segment file,
small objects from memory, and listing keys. Both make a segment appear whole or not at all (a
directory write is renamed into place; an S3 ``PutObject`` or completed multipart upload is
atomic); the archive job relies on that to be safe to kill at any moment.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from shotlog.errors import ShotlogError
from shotlog.files.directory import DirectoryFiles
from shotlog.files.s3 import S3Files
from shotlog.files.storage import store_at

__all__ = ["ArchiveStorageError", "DirectoryStore", "ObjectStore", "S3Store", "open_storage"]

_READ_BYTES = 1024 * 1024


class ArchiveStorageError(ShotlogError):
    """The archive destination is missing, unreachable, or refuses our credentials."""


class ObjectStore(Protocol):
    url: str

    def check(self) -> None:
        """Raise ``ArchiveStorageError`` unless objects can be written and read here."""

    def put_file(self, key: str, path: Path) -> None:
        """Store the file at ``path`` under ``key``, atomically (replacing any object there)."""

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the object."""

    def size(self, key: str) -> int | None:
        """The object's size in bytes, None if there is no such object."""

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""

    def keys(self, prefix: str = "") -> Iterator[str]: ...


class DirectoryStore(DirectoryFiles):
    """Segments as files under a directory (a local disk or a mounted share)."""

    error = ArchiveStorageError

    def put_file(self, key: str, path: Path) -> None:
        try:
            with path.open("rb") as fh:
                self.write(key, iter(lambda: fh.read(_READ_BYTES), b""), limit=sys.maxsize)
        except OSError as exc:  # reading the segment file
            raise self.failed("write", key, exc) from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        self.write(key, [data], limit=sys.maxsize)

    def keys(self, prefix: str = "") -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            # temporary files and multipart folders start with a dot
            hidden = any(part.startswith(".") for part in key.split("/"))
            if path.is_file() and not hidden and key.startswith(prefix):
                yield key


class S3Store(S3Files):
    """Segments as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, moto...)."""

    error = ArchiveStorageError

    def put_file(self, key: str, path: Path) -> None:
        # boto3's managed transfer: parts sent in parallel for a large segment
        self.call("upload", key, self.client.upload_file, Filename=str(path), Key=self.object_key(key))

    def put_bytes(self, key: str, data: bytes) -> None:
        self.call("upload", key, self.client.put_object, Key=self.object_key(key), Body=data)

    def keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                yield str(item["Key"])[len(self.prefix) :]


def open_storage(url: str, *, s3_endpoint: str | None = None, s3_region: str | None = None) -> ObjectStore:
    """The store for an archive URL: a path or ``file:///path``, or ``s3://bucket/prefix``."""
    if not url or url == "none":
        raise ArchiveStorageError("no archive destination: set SHOTLOG_ARCHIVE_URL or pass --to")
    store = store_at(
        url,
        s3_endpoint=s3_endpoint,
        s3_region=s3_region,
        directory=DirectoryStore,
        bucket=S3Store,
        what="archive",
    )
    return cast(ObjectStore, store)
