"""``shotlog prefs``: read and change the site preferences that ``preferences_read`` answers."""

from __future__ import annotations

import json

import click

from shotlog.cli.common import database_option, fail, open_store
from shotlog.errors import ShotlogError
from shotlog.site import preferences


@click.group()
def prefs() -> None:
    """Read and change site preferences (FPTR's preferences_read)."""


@prefs.command("show")
@database_option
@click.argument("names", nargs=-1)
def show_cmd(database: str, names: tuple[str, ...]) -> None:
    """Print the preferences (all, or NAMES) as JSON."""
    sg = open_store(database)
    click.echo(json.dumps(preferences.read(sg, list(names) or None), indent=2, sort_keys=True))


@prefs.command("set")
@database_option
@click.argument("name")
@click.argument("value")
def set_cmd(database: str, name: str, value: str) -> None:
    """Set preference NAME to VALUE (JSON where it parses: true, 7.5, null; else text).

    Writes a Shotgun_Preferences_Change event when the value changes.
    """
    sg = open_store(database)
    try:
        changed = preferences.set_preference(sg, name, preferences.parse_text(name, value))
    except ShotlogError as exc:
        fail(str(exc))
        return
    if changed["event_id"] is None:
        click.echo(f"{name} is already {json.dumps(changed['new'])}")
    else:
        old, new = json.dumps(changed["old"]), json.dumps(changed["new"])
        click.echo(f"{name}: {old} -> {new} (event {changed['event_id']})")
