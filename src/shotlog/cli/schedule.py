"""``shotlog schedule``: work weeks of the studio, a project or a user (FPTR sets them in its pages).

Exceptions for single days are WorkDayRule entities, set through the API's ``work_schedule_update``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from shotlog.cli.common import database_option, fail, open_store
from shotlog.errors import ShotlogError
from shotlog.site import workschedule

if TYPE_CHECKING:
    from shotlog.connection import Shotlog

_project = click.option("--project", "project_id", type=int, help="A Project's id: its own work week.")
_user = click.option("--user", "user_ref", help="A HumanUser's login or id: their own work week.")


@click.group()
def schedule() -> None:
    """Work weeks of the studio, a project or a user (work_schedule_read answers with them)."""


def _levels(sg: Shotlog, project_id: int | None, user_ref: str | None) -> dict[str, Any]:
    levels: dict[str, Any] = {}
    if project_id is not None:
        levels["project"] = {"type": "Project", "id": project_id}
    if user_ref is not None:
        if user_ref.isdigit():
            levels["user"] = {"type": "HumanUser", "id": int(user_ref)}
        else:
            found = sg.find_one("HumanUser", [["login", "is", user_ref]], ["id"])
            if found is None:
                raise click.BadParameter(f"no HumanUser with login {user_ref!r}", param_hint="--user")
            levels["user"] = {"type": "HumanUser", "id": found["id"]}
    return levels


@schedule.command("show")
@database_option
@_project
@_user
@click.option("--from", "start", help="With --to: print each day from this date (YYYY-MM-DD).")
@click.option("--to", "end", help="The last day to print (YYYY-MM-DD).")
def show_cmd(
    database: str, project_id: int | None, user_ref: str | None, start: str | None, end: str | None
) -> None:
    """Print the work week that applies (and, with --from/--to, every day's rule) as JSON."""
    sg = open_store(database)
    try:
        levels = _levels(sg, project_id, user_ref)
        out: dict[str, Any] = {"week": workschedule.read_week(sg, **levels)}
        if start or end:
            out["days"] = workschedule.read_schedule(sg, start, end, **levels)
    except ShotlogError as exc:
        fail(str(exc))
        return
    click.echo(json.dumps(out, indent=2))


@schedule.command("set-week")
@database_option
@_project
@_user
@click.argument("days", nargs=-1, required=True)
def set_week_cmd(database: str, project_id: int | None, user_ref: str | None, days: tuple[str, ...]) -> None:
    """Make DAYS (monday ... sunday, or mon, tue ...) the working days of the studio, or of a project
    or a user."""
    sg = open_store(database)
    try:
        levels = _levels(sg, project_id, user_ref)
        workschedule.set_week(sg, list(days), **levels)
        week = workschedule.read_week(sg, **levels)
    except ShotlogError as exc:
        fail(str(exc))
        return
    click.echo(f"work week: {', '.join(week['days']) or 'no working days'} ({week['reason']})")


@schedule.command("clear-week")
@database_option
@_project
@_user
def clear_week_cmd(database: str, project_id: int | None, user_ref: str | None) -> None:
    """Remove a project's or user's own work week (it follows the studio's again); without either,
    restore the studio's Monday-to-Friday week."""
    sg = open_store(database)
    try:
        levels = _levels(sg, project_id, user_ref)
        workschedule.set_week(sg, None, **levels)
        week = workschedule.read_week(sg, **levels)
    except ShotlogError as exc:
        fail(str(exc))
        return
    click.echo(f"work week: {', '.join(week['days'])} ({week['reason']})")
