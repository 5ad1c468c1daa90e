"""Files as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, moto...).

Clients move the bytes themselves: shotlog hands out presigned PUT, part and GET URLs (SigV4, plain
URLs that need no extra headers) and only looks at the objects afterwards. When shotlog does proxy a
stream (``write``), it goes up in parts of ``PART_BYTES`` through a multipart upload, aborted on
any failure, so memory stays bounded and a broken stream leaves no object.

Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a
profile, an instance role); ``endpoint_url`` points at a service other than AWS.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, BinaryIO, NamedTuple

from shotlog.errors import ShotlogError
from shotlog.files.names import content_disposition
from shotlog.files.objects import FileStorageError, Meter, Stored, TooLarge, check_key, pump, pump_async

__all__ = ["PART_BYTES", "S3Files"]

#: The part size of a proxied stream: above S3's 5 MiB minimum, and the most memory one holds.
PART_BYTES = 8 * 1024 * 1024
_MISSING = ("404", "NoSuchKey", "NotFound")


class _Boto(NamedTuple):
    session: Any  # boto3.session.Session
    config: Any  # botocore.config.Config
    core_error: type[Exception]  # botocore.exceptions.BotoCoreError
    client_error: Any  # botocore.exceptions.ClientError, whose ``response`` is read


@functools.cache
def _boto() -> _Boto | None:
    """boto3's names, imported at the first ``S3Files`` made, not when ``shotlog serve`` (or any
    command) imports this module: they take a second or more to import on a loaded machine, and
    only a bucket needs them. None when boto3 is not installed (it is the s3 extra's,
    shotlog[s3]: a site on a directory runs without it)."""
    try:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
    except ImportError:
        return None
    return _Boto(boto3.session.Session, Config, BotoCoreError, ClientError)


def _etag(reply: dict[str, Any]) -> str:
    return str(reply["ETag"]).strip('"')


class S3Files:
    """A ``FileStore`` (see ``shotlog.files.storage``) over a bucket and a key prefix."""

    presigns = True
    #: the error this store raises; the archive's stores raise their own
    error: type[ShotlogError] = FileStorageError

    def __init__(
        self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        boto = _boto()
        if boto is None:
            raise self.error(
                f"s3://{bucket} needs boto3, which is not installed: install shotlog with its s3 extra "
                "(pip install 'shotlog[s3]')",
                url=f"s3://{bucket}",
            )
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self.endpoint_url = endpoint_url
        self._core_error, self._client_error = boto.core_error, boto.client_error
        self._errors = (boto.core_error, boto.client_error)
        self._session = boto.session(
            region_name=region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        )
        self._config = boto.config(
            signature_version="s3v4",
            # a service at an address of its own (MinIO, moto) has no per-bucket host names
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            # checksums boto3 adds by default are not understood by every S3-compatible service,
            # and would have to be sent by clients of presigned URLs too
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._session.client("s3", endpoint_url=self.endpoint_url, config=self._config)
        return self._client

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def call(self, what: str, key: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """``fn(**kwargs)`` with the bucket filled in; any failure becomes ``self.error``."""
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except self._errors as exc:
            raise self.error(
                f"object storage {what} of {key!r} failed at {self.url}: {exc}", key=key
            ) from exc

    def check(self) -> None:
        if self._session.get_credentials() is None:
            raise self.error(
                f"no credentials for the object storage of {self.url}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
            )
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except self._errors as exc:
            raise self.error(
                f"cannot use the bucket {self.bucket!r} at {self.endpoint_url or 'AWS'}: {exc}"
            ) from exc

    # -- whole objects ------------------------------------------------------------------------

    def write(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        limit: int,
        content_type: str | None = None,
        durable: bool = True,
    ) -> Stored:
        """An object is durable once S3 has answered: ``durable`` changes nothing here."""
        return pump(lambda: _S3Sink(self, key, limit, content_type), chunks)

    async def write_async(self, key: str, chunks: AsyncIterator[bytes], *, limit: int) -> Stored:
        return await pump_async(lambda: _S3Sink(self, key, limit), chunks, limit)

    def open(self, key: str) -> BinaryIO:
        body: BinaryIO = self.call("download", key, self.client.get_object, Key=self.object_key(key))["Body"]
        return body

    def path(self, key: str) -> None:
        return None

    def stat(self, key: str) -> Stored | None:
        try:
            reply = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except self._client_error as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise self.error(
                f"object storage lookup of {key!r} failed at {self.url}: {exc}", key=key
            ) from exc
        except self._core_error as exc:
            raise self.error(
                f"object storage lookup of {key!r} failed at {self.url}: {exc}", key=key
            ) from exc
        return Stored(key, int(reply["ContentLength"]), None, _etag(reply))

    def size(self, key: str) -> int | None:
        stored = self.stat(key)
        return None if stored is None else stored.size

    def delete(self, key: str) -> None:
        self.call("delete", key, self.client.delete_object, Key=self.object_key(key))

    # -- multipart uploads --------------------------------------------------------------------

    def begin_multipart(self, key: str) -> str:
        reply = self.call("upload", key, self.client.create_multipart_upload, Key=self.object_key(key))
        return str(reply["UploadId"])

    def write_part(
        self, key: str, upload_id: str, part_number: int, chunks: Iterable[bytes], *, limit: int
    ) -> str:
        return str(pump(lambda: _PartSink(self, key, upload_id, part_number, limit), chunks).etag)

    async def write_part_async(
        self, key: str, upload_id: str, part_number: int, chunks: AsyncIterator[bytes], *, limit: int
    ) -> str:
        sink = lambda: _PartSink(self, key, upload_id, part_number, limit)  # noqa: E731
        return str((await pump_async(sink, chunks, limit)).etag)

    def _listed_parts(self, key: str, upload_id: str) -> dict[int, tuple[str, int]]:
        """Part number → (etag, size) of the parts S3 holds for the upload."""
        parts: dict[int, tuple[str, int]] = {}
        marker = 0
        while True:
            reply = self.call(
                "listing the parts",
                key,
                self.client.list_parts,
                Key=self.object_key(key),
                UploadId=upload_id,
                PartNumberMarker=marker,
            )
            for part in reply.get("Parts", []):
                parts[int(part["PartNumber"])] = (_etag(part), int(part["Size"]))
            if not reply.get("IsTruncated"):
                return parts
            marker = int(reply["NextPartNumberMarker"])

    def complete_multipart(self, key: str, upload_id: str, etags: list[str], *, limit: int) -> Stored:
        held = self._listed_parts(key, upload_id)
        if not etags:
            raise self.error(f"the upload of {key!r} names no parts", key=key)
        for number, quoted in enumerate(etags, start=1):
            if number not in held:
                raise self.error(f"part {number} of the upload of {key!r} was never uploaded", key=key)
            if held[number][0] != quoted.strip('"'):
                raise self.error(
                    f"part {number} of the upload of {key!r}: etag {quoted!r} does not match the part stored",
                    key=key,
                    part=number,
                )
        total = sum(held[number][1] for number in range(1, len(etags) + 1))
        if total > limit:
            self.abort_multipart(key, upload_id)
            raise TooLarge(limit, total)
        return Stored(key, total, None, self.join_parts(key, upload_id, etags))

    def send_part(self, key: str, upload_id: str, part_number: int, body: Any, **extra: Any) -> str:
        """``UploadPart``; returns the part's etag."""
        reply = self.call(
            "upload",
            key,
            self.client.upload_part,
            Key=self.object_key(key),
            UploadId=upload_id,
            PartNumber=part_number,
            Body=body,
            **extra,
        )
        return _etag(reply)

    def join_parts(self, key: str, upload_id: str, etags: list[str]) -> str:
        """``CompleteMultipartUpload`` of parts 1..n; returns the object's etag."""
        parts = [{"ETag": f'"{e.strip(chr(34))}"', "PartNumber": n} for n, e in enumerate(etags, start=1)]
        reply = self.call(
            "completing the upload",
            key,
            self.client.complete_multipart_upload,
            Key=self.object_key(key),
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
        return _etag(reply)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.object_key(key), UploadId=upload_id
            )
        except self._client_error as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise self.error(f"object storage abort of {key!r} failed at {self.url}: {exc}") from exc

    # -- presigned URLs -------------------------------------------------------------------------

    def _presign(self, method: str, key: str, expires: int, **params: Any) -> str:
        try:
            url = self.client.generate_presigned_url(
                method,
                Params={"Bucket": self.bucket, "Key": self.object_key(key), **params},
                ExpiresIn=expires,
            )
        except self._errors as exc:
            raise self.error(f"cannot presign a URL for {key!r} at {self.url}: {exc}", key=key) from exc
        return str(url)

    def presign_put(self, key: str, *, expires: int) -> str:
        return self._presign("put_object", key, expires)

    def presign_part(self, key: str, upload_id: str, part_number: int, *, expires: int) -> str:
        return self._presign("upload_part", key, expires, UploadId=upload_id, PartNumber=part_number)

    def presign_get(self, key: str, *, filename: str, content_type: str, expires: int) -> str:
        return self._presign(
            "get_object",
            key,
            expires,
            ResponseContentDisposition=content_disposition(filename),
            ResponseContentType=content_type,
        )


class _S3Sink:
    """A proxied stream: one ``PutObject`` if it fits in a part, else a multipart upload."""

    def __init__(self, store: S3Files, key: str, limit: int, content_type: str | None = None) -> None:
        self.store, self.key = store, key
        # kept on the object, so a GET of it (a presigned one too) says what it is
        self.extra = {"ContentType": content_type} if content_type else {}
        self.object_key = store.object_key(key)
        self.meter = Meter(limit)
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.etags: list[str] = []

    def write(self, data: bytes) -> None:
        self.meter.feed(data)
        self.buffer += data
        while len(self.buffer) >= PART_BYTES:
            self._send(bytes(self.buffer[:PART_BYTES]))
            del self.buffer[:PART_BYTES]

    def _send(self, part: bytes) -> None:
        if self.upload_id is None:
            self.upload_id = self.store.begin_multipart(self.key)
        self.etags.append(self.store.send_part(self.key, self.upload_id, len(self.etags) + 1, part))

    def finish(self) -> Stored:
        if self.upload_id is None:
            reply = self.store.call(
                "upload",
                self.key,
                self.store.client.put_object,
                Key=self.object_key,
                Body=bytes(self.buffer),
                **self.extra,
            )
            etag = _etag(reply)
        else:
            if self.buffer:
                self._send(bytes(self.buffer))
            etag = self.store.join_parts(self.key, self.upload_id, self.etags)
        self.buffer = bytearray()
        return Stored(self.key, self.meter.size, self.meter.sha256, etag)

    def discard(self) -> None:
        self.buffer = bytearray()
        if self.upload_id is not None:
            # if even the abort fails, the bucket's rule for incomplete uploads is the last resort
            with contextlib.suppress(ShotlogError):
                self.store.abort_multipart(self.key, self.upload_id)


class _PartSink:
    """One part of a client's multipart upload that shotlog proxies: spooled (to disk past
    ``PART_BYTES``) because ``UploadPart`` needs the part's length before it starts."""

    def __init__(self, store: S3Files, key: str, upload_id: str, part_number: int, limit: int) -> None:
        self.store, self.key, self.upload_id, self.part_number = store, key, upload_id, part_number
        store.object_key(key)  # a bad key is refused before any byte is read
        self.meter = Meter(limit)
        self.spool = tempfile.SpooledTemporaryFile(max_size=PART_BYTES)  # noqa: SIM115 - closed in finish/discard

    def write(self, data: bytes) -> None:
        self.meter.feed(data)
        try:
            self.spool.write(data)
        except OSError as exc:
            raise self.store.error(f"cannot spool part {self.part_number} of {self.key!r}: {exc}") from exc

    def finish(self) -> Stored:
        self.spool.seek(0)
        try:
            etag = self.store.send_part(
                self.key, self.upload_id, self.part_number, self.spool, ContentLength=self.meter.size
            )
        finally:
            self.spool.close()
        return Stored(self.key, self.meter.size, self.meter.sha256, etag)

    def discard(self) -> None:
        self.spool.close()
