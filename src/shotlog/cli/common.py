"""Options and helpers every command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.core import ParameterSource
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from shotlog.errors import ShotlogError
from shotlog.settings import DATABASE_URL, SQLITE_SYNCHRONOUS, Setting, SettingError

__all__ = ["database_option", "fail", "from_setting", "open_store", "shown_url"]

F = TypeVar("F", bound=Callable[..., Any])


def from_setting(setting: Setting[Any]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A Click callback that fills an option left at its default from its ``SHOTLOG_*`` variable.

    ``shotlog.settings`` is the one reader of those variables, so a value that does not parse is
    refused with a message naming the variable; one that parses is then checked by the option's own
    type (a port's range, a file that must exist) as a value typed on the command line would be."""

    def fill(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if param.name is None or ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT:
            return value
        try:
            configured = setting.read()
        except SettingError as exc:
            raise click.BadParameter(exc.message, ctx, param) from None
        if configured is None or configured == setting.default:
            return value
        try:
            return param.type_cast_value(ctx, configured)
        except click.BadParameter as exc:
            raise click.BadParameter(f"{exc.message} (from {setting.name})", ctx, param) from None

    return fill


def shown_url(url: str) -> str:
    """A database URL without its password: what a command prints may end up in a log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def database_option(fn: F) -> F:
    return click.option(
        "--database",
        "-d",
        default=DATABASE_URL.default,
        callback=from_setting(DATABASE_URL),
        show_default=True,
        help="Database URL (also SHOTLOG_DATABASE_URL).",
    )(fn)


def open_store(url: str, *, migrate: bool = True) -> Any:
    import shotlog

    try:
        store = shotlog.connect(url, migrate=migrate, sqlite_synchronous=SQLITE_SYNCHRONOUS.read())
    except ShotlogError as exc:
        fail(str(exc))
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(store.close)  # every command releases its connections when it ends
    return store


def fail(message: str) -> None:
    raise click.ClickException(message)
