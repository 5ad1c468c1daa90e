"""Taking a backup of a site into a directory, and restoring one.

A backup directory holds the database's copy (``shotlog.store.backup``), a copy of the uploaded
files and of the archive segments where they are kept in a directory, and ``manifest.json``
(``backup/manifest.py``), written last: a directory without it is an unfinished backup, which
restore refuses. The files and segments are copied after the database, so every object the
database copy names is in the backup (an object written since is there too, named by nothing).

A backup holds password hashes, script keys, signing secrets and every uploaded file: only its
owner may read it. The directory a backup creates is 0700 and everything in it 0600 (folders
0700), whatever the umask or the modes of the files it copies.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shotlog.archive.segments import list_segments
from shotlog.backup.manifest import Manifest, StoreListing, check_restorable, store_kind
from shotlog.clock import utcnow
from shotlog.files.storage import default_directory
from shotlog.store import files as stored_files
from shotlog.store.backup import BackupError, copy_database, restore_database
from shotlog.store.database import Database
from shotlog.store.migrate import head_revision, known_revisions

__all__ = ["RestoreReport", "restore_backup", "take_backup"]

FILES, ARCHIVE = "files", "archive"
#: the modes of what a backup writes: its owner's only, as for any file that holds secrets
FILE_MODE, DIRECTORY_MODE = 0o600, 0o700
_SEGMENT_KEYS = ("key", "month", "first_id", "last_id", "size_bytes", "sha256")


@dataclass
class RestoreReport:
    """What a restore put back, and what it left for the operator (one sentence each)."""

    manifest: Manifest
    notes: list[str] = field(default_factory=list)


def _directory_of(url: str | None, database_url: str) -> Path:
    """The directory a files URL names (unset: beside the SQLite file, as the server does)."""
    if url is None or not url.strip():
        return default_directory(database_url)
    return Path("/" + url.partition("://")[2].partition("/")[2]) if url.startswith("file://") else Path(url)


def _hidden(_folder: str, names: list[str]) -> list[str]:
    # a store's temporary files and multipart folders start with a dot: unfinished, not objects
    return [name for name in names if name.startswith(".")]


def _copy_tree(source: Path, target: Path) -> int:
    """Copy the store's objects; how many there were."""
    if not source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return 0
    shutil.copytree(source, target, ignore=_hidden, dirs_exist_ok=True)
    return sum(1 for path in target.rglob("*") if path.is_file())


def take_backup(database_url: str, dest: Path, *, files_url: str | None, archive_url: str | None) -> Manifest:
    """Back the site up into ``dest``, a new or empty directory."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{str(dest)!r} is not an empty directory: back up into a new one")
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    if created:
        os.chmod(dest, DIRECTORY_MODE)  # before anything is in it: mkdir's mode is cut by the umask
    # What is written from here (the database copy, pg_dump's file included, and the manifest) is
    # created owner-only; the process's umask is its own, and the command does nothing else meanwhile.
    umask = os.umask(0o077)
    try:
        manifest = _take(database_url, dest, files_url, archive_url)
        _owner_only(dest)
        return manifest
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)  # half a backup must not pass for one
        raise
    finally:
        os.umask(umask)


def _owner_only(dest: Path) -> None:
    """Files 0600 and folders 0700 under ``dest``: the copied trees keep their sources' modes
    (``copytree`` copies them), which the umask does not narrow."""
    for folder, dirs, files in os.walk(dest):
        for name in dirs:
            os.chmod(os.path.join(folder, name), DIRECTORY_MODE)
        for name in files:
            os.chmod(os.path.join(folder, name), FILE_MODE)


def _take(database_url: str, dest: Path, files_url: str | None, archive_url: str | None) -> Manifest:
    made_at = utcnow().isoformat(timespec="seconds") + "Z"
    copy = copy_database(database_url, dest)
    db = Database(database_url)
    try:
        files = _files_listing(db, database_url, files_url, dest)
        archive = _archive_listing(db, archive_url, dest)
    finally:
        db.dispose()
    manifest = Manifest(
        shotlog=importlib.metadata.version("shotlog"),
        made_at=made_at,
        database=copy,
        files=files,
        archive=archive,
    )
    manifest.write(dest)
    return manifest


def _files_listing(db: Database, database_url: str, url: str | None, dest: Path) -> StoreListing:
    kind = "directory" if url is None or not url.strip() else store_kind(url)
    shown = url or str(default_directory(database_url))
    if kind == "s3":
        with db.read() as conn:
            objects = [
                {
                    "key": f.key,
                    "size_bytes": f.size_bytes,
                    "sha256": f.sha256,
                    "renditions": dict(f.renditions),
                }
                for f in stored_files.all_stored(conn)
            ]
        return StoreListing(shown, kind, None, len(objects), objects)
    count = _copy_tree(_directory_of(url, database_url), dest / FILES)
    return StoreListing(shown, kind, FILES, count)


def _archive_listing(db: Database, url: str | None, dest: Path) -> StoreListing:
    kind = store_kind(url)
    if kind == "none":
        return StoreListing("", kind)
    segments: list[dict[str, Any]] = []
    for segment in list_segments(db):
        shown = segment.as_dict()
        segments.append(
            {k: shown[k] for k in ("key", "month", "first_id", "last_id", "size_bytes", "sha256")}
        )
    assert url is not None
    copied = None
    if kind == "directory":
        _copy_tree(_directory_of(url, db.url), dest / ARCHIVE)
        copied = ARCHIVE
    return StoreListing(url, kind, copied, len(segments), segments)


def restore_backup(
    src: Path, database_url: str, *, files_url: str | None, archive_url: str | None, force: bool
) -> RestoreReport:
    """Restore the backup in ``src`` to the database at ``database_url`` and the site's stores."""
    manifest = Manifest.read(src)
    check_restorable(manifest, known_revisions(), head_revision())
    copy = src / manifest.database.file
    if not copy.is_file():
        raise BackupError(f"the backup lacks its database copy {str(copy)!r}")
    restore_database(copy, manifest.database.backend, database_url, force=force)
    report = RestoreReport(manifest)
    report.notes.append(
        f"database restored: schema {manifest.database.revision}, events up to id "
        f"{manifest.database.last_event_id} (backup of {manifest.made_at})"
    )
    files_kind = store_kind(files_url) if files_url and files_url.strip() else "directory"
    files_dir = _directory_of(files_url, database_url) if files_kind == "directory" else None
    _put_back(report, manifest.files, src, files_kind, files_dir, "uploaded files")
    archive_kind = store_kind(archive_url)
    archive_dir = _directory_of(archive_url, database_url) if archive_kind == "directory" else None
    _put_back(report, manifest.archive, src, archive_kind, archive_dir, "archive segments")
    return report


def _put_back(
    report: RestoreReport, listing: StoreListing, src: Path, kind: str, directory: Path | None, what: str
) -> None:
    if listing.kind == "none":
        return
    if listing.copied_to is None:
        report.notes.append(
            f"{what}: {listing.count} objects stay in {listing.url}, not copied by the backup "
            f"(listed in {src / 'manifest.json'})"
        )
        return
    if kind != "directory" or directory is None:
        report.notes.append(
            f"{what}: not restored, the site keeps them in {kind if kind != 'none' else 'no store'}; "
            f"copy {src / listing.copied_to} there yourself"
        )
        return
    _copy_tree(src / listing.copied_to, directory)
    report.notes.append(f"{what}: {listing.count} copied back to {directory}")
