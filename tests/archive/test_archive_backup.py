"""The archive's segments in a backup: copied from a directory (and restored beside the database),
listed when they are in a bucket."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from archivekit import NOW
from click.testing import CliRunner

import shotlog
from shotlog.archive import Archive, ArchivePolicy
from shotlog.archive.segments import iter_records
from shotlog.cli import main


def _archived(archive: Archive) -> list[dict[str, Any]]:
    return [r for s in archive.segments() for r in iter_records(archive.storage, s)]


def test_segments_in_a_directory_are_copied_and_restored(
    sg: shotlog.Shotlog, old_log: list[dict[str, Any]], db_url: str, empty_url: str, tmp_path: Path
) -> None:
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch"), live_days=183))
    assert archive.run(now=NOW).archived_events > 0
    before = _archived(archive)
    runner = CliRunner()
    backup = tmp_path / "backup"
    made = runner.invoke(
        main, ["db", "backup", str(backup), "-d", db_url, "--archive", str(tmp_path / "arch")]
    )
    assert made.exit_code == 0, made.output
    listed = json.loads((backup / "manifest.json").read_text())["archive"]
    assert listed["copied_to"] == "archive"
    assert [o["key"] for o in listed["objects"]] == [s.key for s in archive.segments()]
    for segment in listed["objects"]:
        copy = (backup / "archive" / segment["key"]).read_bytes()
        assert hashlib.sha256(copy).hexdigest() == segment["sha256"]

    back = runner.invoke(
        main, ["db", "restore", str(backup), "-d", empty_url, "--archive", str(tmp_path / "arch2")]
    )
    assert back.exit_code == 0, back.output
    with shotlog.connect(empty_url, migrate=False) as restored:
        assert _archived(Archive(restored, ArchivePolicy(url=str(tmp_path / "arch2")))) == before


def test_segments_in_a_bucket_are_listed_not_copied(
    sg: shotlog.Shotlog, old_log: list[dict[str, Any]], db_url: str, moto: str, s3_env: str, tmp_path: Path
) -> None:
    url = f"s3://{s3_env}/studio/events"
    archive = Archive(sg, ArchivePolicy(url=url, live_days=183, s3_endpoint=moto))
    assert archive.run(now=NOW).archived_events > 0
    backup = tmp_path / "backup"
    made = CliRunner().invoke(main, ["db", "backup", str(backup), "-d", db_url, "--archive", url])
    assert made.exit_code == 0, made.output
    assert f"in {url}, listed in" in made.output
    listed = json.loads((backup / "manifest.json").read_text())["archive"]
    assert (listed["kind"], listed["copied_to"], listed["url"]) == ("s3", None, url)
    assert [(o["key"], o["size_bytes"]) for o in listed["objects"]] == [
        (s.key, s.size_bytes) for s in archive.segments()
    ]
    assert not (backup / "archive").exists()
