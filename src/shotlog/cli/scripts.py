"""``shotlog scripts``: scripts (ApiUser) and their keys, made, re-keyed and revoked while shotlog runs.

The command acts as shotlog itself, with the database's own rights (whoever can run it can read the
database), so the events it writes name no user. A key is printed once and kept only as a digest.
"""

from __future__ import annotations

import click

from shotlog.accounts.scripts import Scripts
from shotlog.cli.common import database_option, fail, open_store
from shotlog.errors import ShotlogError

__all__ = ["scripts"]


@click.group()
def scripts() -> None:
    """Scripts (ApiUser): list them, create one, give one a new key, revoke its key."""


@scripts.command("list")
@database_option
def list_cmd(database: str) -> None:
    """List the scripts: id, name, permission set, and when their key was made."""
    found = Scripts(open_store(database)).list()
    if not found:
        click.echo("No scripts.")
        return
    click.echo(f"{'id':>6}  {'name':<32} {'permission set':<20} {'status':<6}  key made (UTC)")
    for s in found:
        made = s.key_made_at.strftime("%Y-%m-%d %H:%M:%S") if s.key_made_at else "(no key)"
        click.echo(f"{s.id:>6}  {s.name:<32} {s.permission_rule_set or '-':<20} {s.status:<6}  {made}")


@scripts.command("create")
@database_option
@click.argument("name")
@click.option("--permission-set", default=None, help="Its permission set (default: ApiUser's default).")
@click.option("--description", default=None, help="What the script is for.")
def create_cmd(database: str, name: str, permission_set: str | None, description: str | None) -> None:
    """Create the script NAME and print its key (shown this once)."""
    store = open_store(database)
    fields = {
        k: v for k, v in {"permission_rule_set": permission_set, "description": description}.items() if v
    }
    try:
        entity, key = Scripts(store).create(store, name, fields)
    except ShotlogError as exc:
        fail(exc.message)
    click.echo(f"Script {name} created (ApiUser {entity['id']}). Its key, shown this once:")
    click.echo(key)


@scripts.command("rotate")
@database_option
@click.argument("script")
def rotate_cmd(database: str, script: str) -> None:
    """Give SCRIPT (a name or an id) a new key and print it; the old key is refused at once."""
    store = open_store(database)
    try:
        found, key = Scripts(store).rotate(store, script)
    except ShotlogError as exc:
        fail(exc.message)
    click.echo(f"Script {found.name} has a new key; the old one is refused from now on. Shown this once:")
    click.echo(key)


@scripts.command("revoke")
@database_option
@click.argument("script")
def revoke_cmd(database: str, script: str) -> None:
    """Take SCRIPT's key away: it signs in no more until `shotlog scripts rotate` gives it one."""
    store = open_store(database)
    try:
        found = Scripts(store).revoke(store, script)
    except ShotlogError as exc:
        fail(exc.message)
    click.echo(f"Script {found.name}: key revoked.")
