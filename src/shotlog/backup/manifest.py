"""``manifest.json``: what a backup directory holds, and what it only names.

A backup copies the database, and the uploaded files and archive segments when they are kept in a
directory. Objects in an S3 bucket are not copied (the bucket has its own versioning and
replication, and may hold terabytes); the manifest lists each one the database names, so an
operator can check the bucket still has them. Everything here is pure: reading, writing and the
decisions about a manifest, no I/O beyond the one file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shotlog.store.backup import BackupError, DatabaseCopy

__all__ = ["FORMAT", "MANIFEST", "Manifest", "StoreListing", "check_restorable", "store_kind"]

MANIFEST = "manifest.json"
#: the manifest's layout; a later one this code cannot read is refused
FORMAT = 1


def store_kind(url: str | None) -> str:
    """``none``, ``s3`` or ``directory``: what a files or archive URL names."""
    if url is None or not url.strip() or url == "none":
        return "none"
    return "s3" if url.startswith("s3://") else "directory"


@dataclass(frozen=True, slots=True)
class StoreListing:
    """A store of objects (uploaded files, archive segments) as the backup saw it.

    ``copied_to`` is the backup's folder holding a copy of the store (a directory store), None when
    the objects stay where they are (a bucket) or there is no store. ``objects`` lists what the
    database names: every archive segment, and every uploaded file of a bucket."""

    url: str
    kind: str
    copied_to: str | None = None
    count: int = 0
    objects: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Manifest:
    shotlog: str
    made_at: str
    database: DatabaseCopy
    files: StoreListing
    archive: StoreListing
    format: int = FORMAT

    def write(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(json.dumps(asdict(self), indent=1, sort_keys=True) + "\n")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise BackupError(f"{str(directory)!r} is not a shotlog backup: it has no {MANIFEST}") from None
        except (OSError, ValueError) as exc:
            raise BackupError(f"cannot read {str(path)!r}: {exc}") from None
        try:
            if data["format"] > FORMAT:
                raise BackupError(
                    f"{str(path)!r} is of backup format {data['format']}, newer than this shotlog "
                    f"reads ({FORMAT}): restore it with the release that made it ({data.get('shotlog')})"
                )
            return cls(
                shotlog=data["shotlog"],
                made_at=data["made_at"],
                database=DatabaseCopy(**data["database"]),
                files=StoreListing(**data["files"]),
                archive=StoreListing(**data["archive"]),
                format=data["format"],
            )
        except (KeyError, TypeError) as exc:
            raise BackupError(f"{str(path)!r} is not a shotlog backup manifest ({exc})") from None


def check_restorable(manifest: Manifest, known_revisions: set[str], head: str | None) -> None:
    """Refuse a backup whose database this code could not run: one of a newer schema."""
    revision = manifest.database.revision
    if revision is not None and revision not in known_revisions:
        raise BackupError(
            f"the backup's database is at schema revision {revision!r}, newer than this shotlog knows "
            f"(its latest is {head!r}): restore it with shotlog {manifest.shotlog} or later"
        )
