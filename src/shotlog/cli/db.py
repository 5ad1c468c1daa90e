"""``shotlog db``: create and upgrade the database."""

from __future__ import annotations

import click
from rich.console import Console

from shotlog.cli.common import database_option, fail
from shotlog.errors import ShotlogError
from shotlog.eventlog.recorder import TransactionEvents
from shotlog.store.database import Database
from shotlog.store.migrate import current_revision, head_revision, known_revisions, upgrade


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
        Console().print(f"[green]Database is at revision {current_revision(store)}[/green] ({database})")
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
