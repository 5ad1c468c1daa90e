"""The file stores under test: a real directory, and a bucket on a real moto S3 server process."""

from __future__ import annotations

from pathlib import Path

import pytest

from motoserver import moto, new_bucket
from shotlog.files.storage import DirectoryFiles, FileStore, S3Files

__all__ = ["moto"]  # the shared fixture, for the tests of this folder


@pytest.fixture
def bucket(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    return new_bucket(moto, monkeypatch, "files")


@pytest.fixture
def s3(moto: str, bucket: str) -> S3Files:
    return S3Files(bucket, "site/files", endpoint_url=moto)


@pytest.fixture
def directory(tmp_path: Path) -> DirectoryFiles:
    store = DirectoryFiles(tmp_path / "files")
    store.check()
    return store


@pytest.fixture(params=["directory", "s3"])
def store(request: pytest.FixtureRequest) -> FileStore:
    """Each store in turn, for the behaviour they share."""
    found: FileStore = request.getfixturevalue(request.param)
    return found
