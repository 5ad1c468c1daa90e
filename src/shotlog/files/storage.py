"""Where uploaded files and thumbnails are kept: the ``FileStore`` interface and ``open_files``.

Two stores implement it: ``DirectoryFiles`` (``files/directory.py``, the default, a directory next
to the SQLite database) and ``S3Files`` (``files/s3.py``, a bucket). Every write streams (memory is
bounded whatever the size), is atomic (the object appears whole or not at all), is refused with
``TooLarge`` as soon as it passes its limit and leaves nothing behind on any failure. The archive's
stores (``archive/storage.py``) are these two with a few methods of their own.

Each blocking method has an ``_async`` twin only where a request body is the input
(``write_async``, ``write_part_async``): they take an async iterator of chunks and do the file or
network work on worker threads. The other methods are quick or are called from a thread already.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from shotlog.files.directory import DirectoryFiles
from shotlog.files.objects import FileStorageError, Stored, TooLarge
from shotlog.files.s3 import S3Files

__all__ = ["DirectoryFiles", "FileStorageError", "FileStore", "S3Files", "Stored", "TooLarge", "open_files"]

#: The directory of a PostgreSQL site (or an in-memory SQLite one) when SHOTLOG_FILES_URL is unset.
DEFAULT_DIRECTORY = "shotlog-files"


class FileStore(Protocol):
    url: str
    #: True: clients PUT and GET presigned URLs of the store (S3); False: shotlog moves the bytes
    presigns: bool

    def check(self) -> None:
        """Raise ``FileStorageError`` unless objects can be written and read here."""

    def write(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        limit: int,
        content_type: str | None = None,
        durable: bool = True,
    ) -> Stored:
        """Store the chunks under ``key``, atomically; ``TooLarge`` past ``limit`` bytes, and any
        failure (``FileStorageError``, or the iterator's own error), leaves nothing behind.
        ``durable=False``: the object may be lost to a power failure (not to a killed process), for
        what can be made again (a thumbnail's renditions); it then costs no sync."""

    async def write_async(self, key: str, chunks: AsyncIterator[bytes], *, limit: int) -> Stored:
        """``write`` for a request body, from the event loop (work on threads, a batch at a time)."""

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object; ``FileStorageError`` if there is none."""

    def path(self, key: str) -> Path | None:
        """The object's local file (a directory store, for a file response); None on S3."""

    def size(self, key: str) -> int | None:
        """The object's size in bytes, None if there is no such object."""

    def stat(self, key: str) -> Stored | None:
        """Size and etag of an object (one a client PUT directly, say); None if absent."""

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""

    def begin_multipart(self, key: str) -> str:
        """Start a multipart upload of ``key``; returns its upload id."""

    def write_part(
        self, key: str, upload_id: str, part_number: int, chunks: Iterable[bytes], *, limit: int
    ) -> str:
        """Store part ``part_number`` (1-based; sending it again replaces it); returns its etag."""

    async def write_part_async(
        self, key: str, upload_id: str, part_number: int, chunks: AsyncIterator[bytes], *, limit: int
    ) -> str:
        """``write_part`` for a request body, from the event loop."""

    def complete_multipart(self, key: str, upload_id: str, etags: list[str], *, limit: int) -> Stored:
        """Join parts 1..n, whose etags (quoted or not) must be those the parts were stored with,
        else ``FileStorageError`` naming the part; ``TooLarge`` (and the upload aborted) when the
        parts add up to more than ``limit``."""

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop an upload's parts; no error if it is already gone."""

    def presign_put(self, key: str, *, expires: int) -> str:
        """A URL a client PUTs the whole object to (S3; ``FileStorageError`` on a directory)."""

    def presign_part(self, key: str, upload_id: str, part_number: int, *, expires: int) -> str:
        """A URL a client PUTs one part to (S3 only)."""

    def presign_get(self, key: str, *, filename: str, content_type: str, expires: int) -> str:
        """A download URL answering as an attachment named ``filename`` (S3 only)."""


def default_directory(database_url: str) -> Path:
    """``<database file>.files`` for a SQLite file, else ``./shotlog-files``."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return Path(DEFAULT_DIRECTORY)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        return Path(database + ".files")
    return Path(DEFAULT_DIRECTORY)


def open_files(
    url: str | None, *, database_url: str, s3_endpoint: str | None = None, s3_region: str | None = None
) -> FileStore:
    """The store for ``SHOTLOG_FILES_URL``: unset, a directory beside the database
    (``default_directory``); a path or ``file:///path``; or ``s3://bucket/prefix``."""
    if url is None or not url.strip():
        return DirectoryFiles(default_directory(database_url))
    return store_at(url, s3_endpoint=s3_endpoint, s3_region=s3_region)


def store_at(
    url: str,
    *,
    s3_endpoint: str | None,
    s3_region: str | None,
    directory: type[DirectoryFiles] = DirectoryFiles,
    bucket: type[S3Files] = S3Files,
    what: str = "files",
) -> FileStore:
    """The store a URL names: a path or ``file:///path`` (``directory``), or ``s3://bucket/prefix``
    (``bucket``); the archive passes its own store types, and ``what`` for its messages."""
    scheme, _, rest = url.partition("://")
    if not rest:
        return directory(url)
    if scheme == "file":
        # file:///abs, or file://host/abs whose host can only be this machine
        return directory("/" + rest.partition("/")[2])
    if scheme == "s3":
        name, _, prefix = rest.partition("/")
        if not name:
            raise directory.error(f"{what} URL {url!r} names no bucket: use s3://bucket/prefix", url=url)
        return bucket(name, prefix, endpoint_url=s3_endpoint, region=s3_region)
    raise directory.error(
        f"unsupported {what} URL {url!r}: use a directory path, file:///path or s3://bucket/prefix", url=url
    )
