"""The file stores, each method happy and failing, on a real directory and a real moto S3 server."""

from __future__ import annotations

import asyncio
import hashlib
import os
import resource
import signal
import urllib.request
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from shotlog.files import assembly
from shotlog.files.objects import BATCH_BYTES
from shotlog.files.s3 import PART_BYTES
from shotlog.files.storage import (
    DirectoryFiles,
    FileStorageError,
    FileStore,
    S3Files,
    TooLarge,
    default_directory,
    open_files,
)

MIB = 1024 * 1024


def leftovers(store: FileStore) -> list[str]:
    """Every file or object the store holds, its temporary files and open uploads included."""
    if isinstance(store, DirectoryFiles):
        return sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file())
    assert isinstance(store, S3Files)
    objects = store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    return sorted([o["Key"] for o in objects] + [f"upload:{u['Key']}" for u in uploads])


def read(store: FileStore, key: str) -> bytes:
    with store.open(key) as fh:
        return fh.read()


def blocks(total: int, size: int = MIB, seen: list[int] | None = None) -> Iterator[bytes]:
    """``total`` bytes in blocks of ``size`` (each block's bytes tell it apart); counts in ``seen``."""
    sent = 0
    while sent < total:
        block = bytes([len(seen or []) % 251]) * min(size, total - sent)
        if seen is not None:
            seen.append(len(block))
        sent += len(block)
        yield block


async def aiter_of(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def test_write_read_stat_delete(store: FileStore) -> None:
    stored = store.write("thumbnail/2024/05/a.jpg", [b"abc", b"", b"def"], limit=6)
    assert (stored.key, stored.size, stored.sha256) == (
        "thumbnail/2024/05/a.jpg",
        6,
        hashlib.sha256(b"abcdef").hexdigest(),
    )
    assert stored.etag
    assert read(store, "thumbnail/2024/05/a.jpg") == b"abcdef"
    assert store.size("thumbnail/2024/05/a.jpg") == 6
    found = store.stat("thumbnail/2024/05/a.jpg")
    assert found is not None and found.size == 6
    store.delete("thumbnail/2024/05/a.jpg")
    assert store.size("thumbnail/2024/05/a.jpg") is None and store.stat("thumbnail/2024/05/a.jpg") is None
    store.delete("thumbnail/2024/05/a.jpg")  # gone already: no error
    assert leftovers(store) == []


def test_a_stream_larger_than_a_part_is_stored_whole(store: FileStore) -> None:
    total = PART_BYTES * 2 + 123
    expected = b"".join(blocks(total, seen=[]))
    stored = store.write("attachment/big.bin", blocks(total, seen=[]), limit=total)
    assert stored.size == total and stored.sha256 == hashlib.sha256(expected).hexdigest()
    assert read(store, "attachment/big.bin") == expected
    assert leftovers(store) == [f"{'site/files/' if isinstance(store, S3Files) else ''}attachment/big.bin"]


def test_writing_replaces_an_object(store: FileStore) -> None:
    store.write("k/a", [b"old"], limit=10)
    store.write("k/a", [b"new!"], limit=10)
    assert read(store, "k/a") == b"new!"


@pytest.mark.parametrize("total", [30, PART_BYTES + 3 * MIB])
def test_too_large_stops_reading_and_leaves_nothing(store: FileStore, total: int) -> None:
    limit = total - 10
    seen: list[int] = []
    size = 4 if total < MIB else MIB
    with pytest.raises(TooLarge) as caught:
        store.write("attachment/x.mov", blocks(total, size, seen), limit=limit)
    assert caught.value.limit == limit and str(limit) in str(caught.value)
    assert sum(seen) - seen[-1] <= limit < sum(seen)  # refused at the first block past the limit
    assert leftovers(store) == []


def test_a_failing_chunk_iterator_leaves_nothing(store: FileStore) -> None:
    def broken() -> Iterator[bytes]:
        yield b"x" * PART_BYTES
        yield b"y" * MIB
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.write("attachment/x.bin", broken(), limit=10 * PART_BYTES)
    assert leftovers(store) == []


def test_disk_full_mid_write_is_a_storage_error_and_leaves_nothing(directory: DirectoryFiles) -> None:
    # a file size limit makes write() fail with EFBIG after 1 MiB, as a full disk fails with ENOSPC
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (MIB, old_limit[1]))
    try:
        with pytest.raises(FileStorageError, match="attachment/full") as caught:
            directory.write("attachment/full.bin", blocks(3 * MIB, 64 * 1024), limit=10 * MIB)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert str(directory.root) in str(caught.value)
    assert leftovers(directory) == []


def test_a_failing_rename_leaves_no_temporary_file(directory: DirectoryFiles) -> None:
    (directory.root / "attachment" / "taken").mkdir(parents=True)  # the target is a directory
    with pytest.raises(FileStorageError, match="attachment/taken"):
        directory.write("attachment/taken", [b"data"], limit=10)
    assert leftovers(directory) == []


def test_an_unwritable_folder_is_a_storage_error(directory: DirectoryFiles) -> None:
    (directory.root / "blocked").write_bytes(b"")  # a file where the folder should be
    with pytest.raises(FileStorageError, match="blocked/a"):
        directory.write("blocked/a", [b"data"], limit=10)


@pytest.mark.parametrize(
    "key", ["../x", "/etc/passwd", "a/../../b", ".uploads/x", "a//b", "", "a/.part-1", "a\\b", "a\x00b"]
)
def test_keys_that_could_leave_the_store_are_refused(store: FileStore, key: str) -> None:
    with pytest.raises(FileStorageError, match="key"):
        store.write(key, [b"x"], limit=10)
    with pytest.raises(FileStorageError):
        store.open(key)
    assert leftovers(store) == []


def test_a_symlink_out_of_the_directory_is_refused(directory: DirectoryFiles, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (directory.root / "link").symlink_to(outside)
    with pytest.raises(FileStorageError, match="outside"):
        directory.write("link/x", [b"x"], limit=10)
    assert list(outside.iterdir()) == []


def test_opening_a_missing_object_is_a_storage_error(store: FileStore) -> None:
    with pytest.raises(FileStorageError, match="nothing/here"):
        store.open("nothing/here")


def test_path_is_the_local_file_only_for_a_directory(store: FileStore) -> None:
    store.write("k/a.txt", [b"hello"], limit=10)
    path = store.path("k/a.txt")
    if isinstance(store, DirectoryFiles):
        assert path is not None and path.read_bytes() == b"hello"
    else:
        assert path is None


def test_write_async_streams_a_body(store: FileStore) -> None:
    total = 2 * BATCH_BYTES + PART_BYTES + 5
    chunks = list(blocks(total, 64 * 1024, seen=[]))
    stored = asyncio.run(store.write_async("attachment/a.bin", aiter_of(chunks), limit=total))
    assert stored.size == total and read(store, "attachment/a.bin") == b"".join(chunks)


def test_write_async_refuses_a_body_past_the_limit(store: FileStore) -> None:
    seen: list[int] = []
    with pytest.raises(TooLarge):
        asyncio.run(
            store.write_async("attachment/a.bin", aiter_of(blocks(3 * MIB, 64 * 1024, seen)), limit=MIB)
        )
    assert sum(seen) <= MIB + 64 * 1024  # read no further than the first chunk past the limit
    assert leftovers(store) == []


# -- multipart -----------------------------------------------------------------------------------

PART = 5 * MIB + 7  # S3's smallest part is 5 MiB (all but the last)


def test_multipart_upload_is_joined_in_order(store: FileStore) -> None:
    upload = store.begin_multipart("attachment/m.mov")
    first = store.write_part("attachment/m.mov", upload, 1, blocks(PART, seen=[]), limit=PART)
    second = asyncio.run(
        store.write_part_async("attachment/m.mov", upload, 2, aiter_of([b"tail"]), limit=PART)
    )
    stored = store.complete_multipart("attachment/m.mov", upload, [f'"{first}"', second], limit=PART + 4)
    assert stored.size == PART + 4 and stored.etag
    assert read(store, "attachment/m.mov") == b"".join(blocks(PART, seen=[])) + b"tail"
    assert [k for k in leftovers(store) if not k.endswith("attachment/m.mov")] == []


def test_a_part_sent_again_replaces_the_first(store: FileStore) -> None:
    upload = store.begin_multipart("attachment/m.bin")
    store.write_part("attachment/m.bin", upload, 1, [b"a" * PART], limit=PART)
    again = store.write_part("attachment/m.bin", upload, 1, [b"b" * PART], limit=PART)
    last = store.write_part("attachment/m.bin", upload, 2, [b"end"], limit=PART)
    store.complete_multipart("attachment/m.bin", upload, [again, last], limit=2 * PART)
    assert read(store, "attachment/m.bin") == b"b" * PART + b"end"


def test_a_wrong_or_missing_etag_is_refused_naming_the_part(store: FileStore) -> None:
    upload = store.begin_multipart("attachment/m.bin")
    first = store.write_part("attachment/m.bin", upload, 1, [b"a" * PART], limit=PART)
    second = store.write_part("attachment/m.bin", upload, 2, [b"end"], limit=PART)
    with pytest.raises(FileStorageError, match=r"part 2 .*does not match"):
        store.complete_multipart("attachment/m.bin", upload, [first, "0" * 32], limit=2 * PART)
    with pytest.raises(FileStorageError, match=r"part 2 .*does not match"):
        store.complete_multipart("attachment/m.bin", upload, [first, "../../../etc/passwd"], limit=2 * PART)
    with pytest.raises(FileStorageError, match=r"part 3 .*never uploaded"):
        store.complete_multipart("attachment/m.bin", upload, [first, second, "0" * 32], limit=3 * PART)
    assert store.size("attachment/m.bin") is None
    store.abort_multipart("attachment/m.bin", upload)
    assert leftovers(store) == []


def test_parts_past_the_limit_are_refused_and_dropped(store: FileStore) -> None:
    upload = store.begin_multipart("attachment/m.bin")
    first = store.write_part("attachment/m.bin", upload, 1, [b"a" * PART], limit=PART)
    second = store.write_part("attachment/m.bin", upload, 2, [b"b" * 100], limit=PART)
    with pytest.raises(TooLarge) as caught:
        store.complete_multipart("attachment/m.bin", upload, [first, second], limit=PART)
    assert (caught.value.limit, caught.value.size) == (PART, PART + 100)
    assert leftovers(store) == []


def test_a_part_past_its_limit_leaves_no_part(store: FileStore) -> None:
    upload = store.begin_multipart("attachment/m.bin")
    with pytest.raises(TooLarge):
        store.write_part("attachment/m.bin", upload, 1, blocks(3 * MIB), limit=MIB)
    with pytest.raises(FileStorageError, match=r"part 1 .*never uploaded"):
        store.complete_multipart("attachment/m.bin", upload, ["0" * 32], limit=MIB)


def test_an_upload_id_belongs_to_its_key(directory: DirectoryFiles) -> None:
    upload = directory.begin_multipart("attachment/a.bin")
    for key, upload_id in [
        ("attachment/b.bin", upload),
        ("attachment/a.bin", "../../x"),
        ("attachment/a.bin", "f" * 32),
    ]:
        with pytest.raises(FileStorageError, match="no multipart upload"):
            directory.write_part(key, upload_id, 1, [b"x"], limit=10)
    with pytest.raises(FileStorageError, match="part number"):
        directory.write_part("attachment/a.bin", upload, 0, [b"x"], limit=10)


def test_a_directory_presigns_nothing(directory: DirectoryFiles) -> None:
    with pytest.raises(FileStorageError, match="shotlog signs its own"):
        directory.presign_put("k/a", expires=60)
    with pytest.raises(FileStorageError, match="shotlog signs its own"):
        directory.presign_part("k/a", "u", 1, expires=60)
    with pytest.raises(FileStorageError, match="shotlog signs its own"):
        directory.presign_get("k/a", filename="a", content_type="text/plain", expires=60)


# -- S3: presigned URLs used with nothing but urllib ---------------------------------------------


def _put(url: str, data: bytes) -> str:
    request = urllib.request.Request(url, data=data, method="PUT")
    request.add_header("Content-Type", "application/octet-stream")  # as shotgun_api3 sends it
    with urllib.request.urlopen(request, timeout=30) as reply:
        return str(reply.headers["ETag"])


def test_presigned_put_and_get(s3: S3Files) -> None:
    _put(s3.presign_put("attachment/shot010.mov", expires=300), b"movie bytes")
    found = s3.stat("attachment/shot010.mov")
    assert found is not None and found.size == 11 and found.sha256 is None and found.etag
    url = s3.presign_get(
        "attachment/shot010.mov", filename="Shot 010 été.mov", content_type="video/quicktime", expires=300
    )
    with urllib.request.urlopen(url, timeout=30) as reply:
        assert reply.read() == b"movie bytes"
    # moto's server ignores the response-* overrides S3 honours, so they are checked in the URL
    query = parse_qs(urlsplit(url).query)
    assert query["response-content-type"] == ["video/quicktime"]
    disposition = query["response-content-disposition"][0]
    assert (
        disposition.startswith("attachment;")
        and "filename*=UTF-8''Shot%20010%20%C3%A9t%C3%A9.mov" in disposition
    )


def test_presigned_urls_are_plain_sigv4(s3: S3Files) -> None:
    """moto does not check signatures, so the URL's form is checked here: SigV4 in the query, the
    expiry asked for, and nothing a plain PUT could not satisfy (no checksum or extra headers)."""
    url = s3.presign_put("attachment/a.bin", expires=300)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert not [name for name in query if "checksum" in name.lower()]
    assert urlsplit(url).path == f"/{s3.bucket}/site/files/attachment/a.bin"


def test_presigned_multipart_upload(s3: S3Files) -> None:
    upload = s3.begin_multipart("attachment/big.mov")
    parts = [b"1" * PART, b"2" * PART, b"3"]
    etags = [
        _put(s3.presign_part("attachment/big.mov", upload, n, expires=300), part)
        for n, part in enumerate(parts, start=1)
    ]
    stored = s3.complete_multipart("attachment/big.mov", upload, etags, limit=3 * PART)
    assert stored.size == 2 * PART + 1
    assert read(s3, "attachment/big.mov") == b"".join(parts)
    assert leftovers(s3) == ["site/files/attachment/big.mov"]


def test_s3_check(s3: S3Files, moto: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s3.check()
    with pytest.raises(FileStorageError, match="no-such-bucket"):
        S3Files("no-such-bucket", endpoint_url=moto).check()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(FileStorageError, match="no credentials"):
        S3Files(s3.bucket, endpoint_url=moto).check()


def test_an_unreachable_s3_is_a_storage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from testdbs import free_port

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = S3Files("b", endpoint_url=f"http://127.0.0.1:{free_port()}")
    store._config = store._config.merge(type(store._config)(retries={"max_attempts": 1}, connect_timeout=2))
    with pytest.raises(FileStorageError, match="k/a"):
        store.write("k/a", [b"x"], limit=10)


# -- choosing the store ----------------------------------------------------------------------------


def test_open_files_picks_the_store(tmp_path: Path) -> None:
    beside = open_files(None, database_url=f"sqlite:///{tmp_path}/site.db")
    assert isinstance(beside, DirectoryFiles) and beside.root == tmp_path / "site.db.files"
    assert default_directory("sqlite:///./shotlog.db") == Path("./shotlog.db.files")
    assert default_directory("postgresql://u@h/db") == Path("shotlog-files")
    plain = open_files(str(tmp_path / "f"), database_url="postgresql://u@h/db")
    assert isinstance(plain, DirectoryFiles) and plain.root == tmp_path / "f"
    url = open_files(f"file://{tmp_path}/g", database_url="")
    assert isinstance(url, DirectoryFiles) and url.root == tmp_path / "g"
    bucket = open_files(
        "s3://studio/site/files", database_url="", s3_endpoint="http://127.0.0.1:1", s3_region="eu-west-1"
    )
    assert isinstance(bucket, S3Files) and (bucket.bucket, bucket.prefix) == ("studio", "site/files/")
    assert bucket.presigns and not plain.presigns


@pytest.mark.parametrize(
    ("url", "why"), [("s3:///prefix", "names no bucket"), ("ftp://host/x", "unsupported files URL")]
)
def test_open_files_refuses_other_urls(url: str, why: str) -> None:
    with pytest.raises(FileStorageError, match=why):
        open_files(url, database_url="")


def test_directory_check_creates_the_root(tmp_path: Path) -> None:
    store = DirectoryFiles(tmp_path / "a" / "b")
    store.check()
    assert (tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(FileStorageError, match="cannot create the directory"):
        DirectoryFiles(tmp_path / "file" / "x").check()
    assert os.access(tmp_path / "a" / "b", os.W_OK)


# -- a directory's assembly (shotlog.files.assembly) ----------------------------------------------


def _assembly(directory: DirectoryFiles, upload: str) -> Path:
    return directory.root / ".uploads" / upload / "assembly"


def test_parts_in_order_become_the_object_without_a_copy(directory: DirectoryFiles) -> None:
    upload = directory.begin_multipart("attachment/seq.mov")
    etags = [
        directory.write_part("attachment/seq.mov", upload, n, [bytes([n]) * PART], limit=PART)
        for n in (1, 2, 3)
    ]
    inode = _assembly(directory, upload).stat().st_ino
    stored = directory.complete_multipart("attachment/seq.mov", upload, etags, limit=3 * PART)
    final = directory.path("attachment/seq.mov")
    assert final is not None and final.stat().st_ino == inode  # renamed, not copied
    assert stored.size == 3 * PART and final.read_bytes() == b"\x01" * PART + b"\x02" * PART + b"\x03" * PART
    assert leftovers(directory) == ["attachment/seq.mov"]


def test_parts_out_of_order_or_sent_meanwhile_are_joined_in_order(directory: DirectoryFiles) -> None:
    key = "attachment/mixed.bin"
    upload = directory.begin_multipart(key)
    third = directory.write_part(key, upload, 3, [b"c" * 10], limit=PART)  # early: kept apart
    first = directory.write_part(key, upload, 1, [b"a" * PART], limit=PART)  # appended
    folder = directory.root / ".uploads" / upload
    holding = assembly.next_append(folder, 2, PART)  # another writer is appending part 2...
    assert holding is not None
    second = directory.write_part(key, upload, 2, [b"b" * PART], limit=PART)  # ...so this one is kept apart
    holding.discard()  # the other writer fails: its bytes are cut off the assembly again
    assert _assembly(directory, upload).stat().st_size == PART
    directory.complete_multipart(key, upload, [first, second, third], limit=3 * PART)
    assert read(directory, key) == b"a" * PART + b"b" * PART + b"c" * 10


def test_bytes_a_crash_left_past_the_ledger_are_cut_off(directory: DirectoryFiles) -> None:
    key = "attachment/crash.bin"
    upload = directory.begin_multipart(key)
    first = directory.write_part(key, upload, 1, [b"a" * PART], limit=PART)
    with _assembly(directory, upload).open("ab") as fh:
        fh.write(b"half a part the server was killed writing")
    second = directory.write_part(key, upload, 2, [b"z" * 5], limit=PART)
    directory.complete_multipart(key, upload, [first, second], limit=2 * PART)
    assert read(directory, key) == b"a" * PART + b"z" * 5
