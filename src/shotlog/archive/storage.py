"""Where archive segments are kept: a directory, or a bucket of S3-compatible object storage.

Both stores make a segment appear whole or not at all: a directory write goes to a temporary name
and is renamed into place; an S3 ``PutObject`` (or a completed multipart upload) is atomic. The
archive job relies on that to be safe to kill at any moment.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlparse

from shotlog.errors import ShotlogError

__all__ = ["ArchiveStorageError", "DirectoryStore", "ObjectStore", "S3Store", "open_storage"]


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


class DirectoryStore:
    """Segments as files under a directory (a local disk or a mounted share)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.url = str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ArchiveStorageError(f"archive key {key!r} escapes the archive directory")
        return path

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveStorageError(f"cannot create the archive directory {self.root}: {exc}") from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise ArchiveStorageError(f"the archive directory {self.root} is not writable")

    def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.part-{os.getpid()}")
        try:
            shutil.copyfile(path, temp)
            with temp.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(temp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise ArchiveStorageError(f"cannot write {target}: {exc}") from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.part-{os.getpid()}")
        with temp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise ArchiveStorageError(f"archive object {key} is missing from {self.root}") from None

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Store:
    """Segments as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, moto...).

    Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a
    profile, an instance role); ``endpoint_url`` points at a non-AWS service.
    """

    def __init__(
        self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        try:
            import boto3  # type: ignore[import-untyped]
        except ImportError:  # pragma: no cover - boto3 is an optional dependency (shotlog[s3])
            raise ArchiveStorageError("S3 archives need boto3: pip install 'shotlog[s3]'") from None
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self._session = boto3.session.Session(
            region_name=region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        )
        self._client: Any = None
        self.endpoint_url = endpoint_url

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._session.client("s3", endpoint_url=self.endpoint_url)
        return self._client

    def check(self) -> None:
        if self._session.get_credentials() is None:
            raise ArchiveStorageError(
                f"no credentials for the object storage of {self.url}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
            )
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise ArchiveStorageError(
                f"cannot use the bucket {self.bucket!r} at {self.endpoint_url or 'AWS'}: {exc}"
            ) from exc

    def _call(self, what: str, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except Exception as exc:
            raise ArchiveStorageError(f"object storage {what} failed for {self.url}: {exc}") from exc

    def put_file(self, key: str, path: Path) -> None:
        self._call(
            "upload", self.client.upload_file, Filename=str(path), Bucket=self.bucket, Key=self.prefix + key
        )

    def put_bytes(self, key: str, data: bytes) -> None:
        self._call("upload", self.client.put_object, Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def open(self, key: str) -> BinaryIO:
        reply = self._call("download", self.client.get_object, Bucket=self.bucket, Key=self.prefix + key)
        body: BinaryIO = reply["Body"]
        return body

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            reply = self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise ArchiveStorageError(f"object storage lookup failed for {self.url}{key}: {exc}") from exc
        return int(reply["ContentLength"])

    def delete(self, key: str) -> None:
        self._call("delete", self.client.delete_object, Bucket=self.bucket, Key=self.prefix + key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                yield str(item["Key"])[len(self.prefix) :]


def open_storage(url: str, *, s3_endpoint: str | None = None, s3_region: str | None = None) -> ObjectStore:
    """The store for an archive URL: a path or ``file:///path``, or ``s3://bucket/prefix``."""
    if not url or url == "none":
        raise ArchiveStorageError("no archive destination: set SHOTLOG_ARCHIVE_URL or pass --to")
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ArchiveStorageError(f"archive URL {url!r} names no bucket: use s3://bucket/prefix")
        return S3Store(parsed.netloc, parsed.path, endpoint_url=s3_endpoint, region=s3_region)
    if parsed.scheme == "file":
        return DirectoryStore(parsed.path)
    if parsed.scheme == "":
        return DirectoryStore(url)
    raise ArchiveStorageError(
        f"unsupported archive URL {url!r}: use a directory path, file:///path or s3://bucket/prefix"
    )
