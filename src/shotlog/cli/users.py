"""``shotlog users``: the sign-in throttle's windows, and lifting a login's lockout."""

from __future__ import annotations

import click

from shotlog.accounts.signins import SignIns
from shotlog.cli.common import database_option, open_store


@click.group()
def users() -> None:
    """Sign-in lockouts: list the failed sign-ins being counted, lift a login's lockout."""


@users.command("locks")
@database_option
def locks_cmd(database: str) -> None:
    """List the open windows of failed sign-ins (per client address and login), most first."""
    signins = SignIns(open_store(database))
    windows = signins.open_windows()
    if not windows:
        click.echo("No failed sign-ins in the current window.")
        return
    click.echo(f"{'login':<24} {'address':<40} {'failures':>8} {'refused':>8}  since (UTC)")
    for row in windows:
        login = row.login or "(other logins)"
        stamp = row.window_start.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{login:<24} {row.address:<40} {row.failures:>8} {row.refused:>8}  {stamp}")


@users.command("unlock")
@database_option
@click.argument("login")
def unlock_cmd(database: str, login: str) -> None:
    """Lift LOGIN's lockout now: its failed sign-ins stop counting (their summary events are written)."""
    ended = SignIns(open_store(database)).unlock(login)
    if ended:
        click.echo(f"{login}: unlocked ({ended} window(s) of failed sign-ins ended)")
    else:
        click.echo(f"{login}: no failed sign-ins are counted; nothing to unlock")
