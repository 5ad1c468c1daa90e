"""``shotlog db``: create, upgrade, back up and restore the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from shotlog.cli.common import database_option, fail, from_setting, shown_url
from shotlog.errors import ShotlogError
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.settings import ARCHIVE_URL, FILES_URL
from shotlog.store.database import Database
from shotlog.store.migrate import current_revision, head_revision, known_revisions, upgrade

F = TypeVar("F", bound=Any)


@click.group()
def db() -> None:
    """Create, upgrade and inspect the database."""


@db.command("upgrade")
@database_option
def upgrade_cmd(database: str) -> None:
    """Apply pending migrations and add missing default entity types and fields."""
    try:
        store = Database(database)
    except ShotlogError as exc:
        fail(str(exc))
        return
    try:
        upgrade(store, events=TransactionEvents)
        revision = current_revision(store)
        Console().print(f"[green]Database is at revision {revision}[/green] ({shown_url(database)})")
    except ShotlogError as exc:
        fail(str(exc))
    finally:
        store.dispose()


@db.command("current")
@database_option
def current_cmd(database: str) -> None:
    """Show the database's migration revision and whether it is up to date."""
    try:
        store = Database(database)
        rev, head = current_revision(store), head_revision()
        store.dispose()
    except ShotlogError as exc:
        fail(str(exc))
        return
    if rev == head:
        state = "up to date"
    elif rev is not None and rev not in known_revisions():
        state = f"newer than this shotlog (its latest is {head}): run the release that upgraded it"
    else:
        state = f"behind (head is {head}): run shotlog db upgrade"
    click.echo(f"{rev or 'empty'}: {state}")


def _store_options(fn: F) -> F:
    fn = click.option(
        "--archive",
        "archive_url",
        default=None,
        callback=from_setting(ARCHIVE_URL),
        metavar="URL",
        help="The archive's directory or s3://bucket/prefix (also SHOTLOG_ARCHIVE_URL).",
    )(fn)
    return click.option(
        "--files",
        "files_url",
        default=None,
        callback=from_setting(FILES_URL),
        metavar="URL",
        help="Uploaded files' directory or s3://bucket/prefix (also SHOTLOG_FILES_URL; "
        "default: beside the SQLite file, else ./shotlog-files).",
    )(fn)


@db.command("backup")
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@database_option
@_store_options
def backup_cmd(dest: Path, database: str, files_url: str | None, archive_url: str | None) -> None:
    """Back up the database, uploaded files and archive segments into DEST, a new directory.

    Consistent while shotlog runs: SQLite's online backup, or pg_dump (on PATH) for PostgreSQL.
    Files and segments in a directory are copied; those in a bucket are listed in manifest.json."""
    from shotlog.backup import take_backup

    try:
        manifest = take_backup(database, dest, files_url=files_url, archive_url=archive_url)
    except ShotlogError as exc:
        fail(str(exc))
        return
    click.echo(
        f"Backed up {shown_url(database)} into {dest}: schema {manifest.database.revision}, "
        f"events up to id {manifest.database.last_event_id}"
    )
    for what, listing in (("uploaded files", manifest.files), ("archive segments", manifest.archive)):
        if listing.kind == "none":
            click.echo(f"{what}: none (no store configured)")
        elif listing.copied_to:
            click.echo(f"{what}: {listing.url} copied to {dest / listing.copied_to}")
        else:
            click.echo(f"{what}: {listing.count} in {listing.url}, listed in {dest / 'manifest.json'}")


@db.command("restore")
@click.argument("src", type=click.Path(path_type=Path, exists=True, file_okay=False))
@database_option
@_store_options
@click.option(
    "--force",
    is_flag=True,
    help="Replace a database that is not empty (stop every shotlog process using it first).",
)
def restore_cmd(
    src: Path, database: str, files_url: str | None, archive_url: str | None, force: bool
) -> None:
    """Restore a backup of `shotlog db backup`: the database, files and archive segments.

    Refuses a database that has any table unless --force. A backup of an older release is brought
    up to date by the next `shotlog db upgrade` or `shotlog serve`."""
    from shotlog.backup import restore_backup

    try:
        report = restore_backup(src, database, files_url=files_url, archive_url=archive_url, force=force)
    except ShotlogError as exc:
        fail(str(exc))
        return
    for note in report.notes:
        click.echo(note)
    if report.manifest.database.revision != head_revision():
        click.echo(f"run shotlog db upgrade (or start shotlog serve) to bring it to schema {head_revision()}")
