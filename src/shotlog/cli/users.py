"""``shotlog users``: the sign-in throttle's windows, lifting a login's lockout; people's passwords
and personal access tokens (the command acts as shotlog itself: its events name no user)."""

from __future__ import annotations

from typing import Any

import click

from shotlog.accounts.access_tokens import DEFAULT_DAYS, MAX_DAYS, AccessTokens
from shotlog.accounts.signins import SignIns
from shotlog.cli.common import database_option, fail, open_store
from shotlog.clock import utcnow_seconds
from shotlog.errors import ShotlogError
from shotlog.eventlog.events import Actor


@click.group()
def users() -> None:
    """Sign-in lockouts, passwords and personal access tokens of people."""


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


def _person(store: Any, login: str) -> dict[str, Any]:
    person = store.find_one("HumanUser", [["login", "is", login]], ["id", "name", "login"])
    if person is None:
        fail(f"login: there is no HumanUser with login {login!r}")
    return dict(person)


@users.command("set-password")
@database_option
@click.argument("login")
@click.password_option("--password", prompt="New password", help="The new password (else asked for).")
def set_password_cmd(database: str, login: str, password: str) -> None:
    """Set LOGIN's password: their sessions and tokens end, FPTR's PasswordChange is written."""
    store = open_store(database)
    person = _person(store, login)
    if len(password) < 8:
        fail("password: use at least 8 characters")
    store.update("HumanUser", person["id"], {"password_proxy": password})
    click.echo(f"{login}: password set; every session of theirs has ended.")


@users.command("tokens")
@database_option
@click.argument("login")
def tokens_cmd(database: str, login: str) -> None:
    """List LOGIN's personal access tokens with their expiry and last use."""
    store = open_store(database)
    found = AccessTokens(store).list(_person(store, login)["id"])
    if not found:
        click.echo(f"{login} has no personal access tokens.")
        return
    now = utcnow_seconds()
    stamp = "%Y-%m-%d %H:%M"
    click.echo(f"{'id':>6}  {'name':<30} {'expires (UTC)':<17} last used (UTC)")
    for t in found:
        expires = t.expires_at.strftime(stamp) + (" expired" if t.expired(now) else "")
        used = (
            f"{t.last_used_at.strftime(stamp)} from {t.last_used_address or '?'}"
            if t.last_used_at
            else "never"
        )
        click.echo(f"{t.id:>6}  {t.name:<30} {expires:<17} {used}")


@users.command("token-create")
@database_option
@click.argument("login")
@click.option("--name", required=True, help="What the token is for (shown in lists).")
@click.option(
    "--days", type=int, default=DEFAULT_DAYS, show_default=True, help=f"Days it lasts (1 to {MAX_DAYS})."
)
def token_create_cmd(database: str, login: str, name: str, days: int) -> None:
    """Make a personal access token for LOGIN and print it (shown this once)."""
    store = open_store(database)
    person = _person(store, login)
    try:
        token, secret = AccessTokens(store).create(Actor(), person["id"], name, days)
    except ShotlogError as exc:
        fail(exc.message)
    click.echo(f"Token {token.id} ({token.name}) for {login}, until {token.expires_at:%Y-%m-%d %H:%M} UTC:")
    click.echo(secret)


@users.command("token-revoke")
@database_option
@click.argument("token_id", type=int)
def token_revoke_cmd(database: str, token_id: int) -> None:
    """Revoke the personal access token TOKEN_ID: it is refused from now on."""
    try:
        token = AccessTokens(open_store(database)).revoke(Actor(), token_id)
    except ShotlogError as exc:
        fail(exc.message)
    click.echo(f"Token {token.id} ({token.name}) of HumanUser {token.user_id}: revoked.")
