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

__all__ = [
    "SettingOption",
    "database_option",
    "fail",
    "from_setting",
    "open_store",
    "setting_option",
    "shown_url",
]

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


class SettingOption(click.Option):
    """An option filled from ``setting`` when it is not given (``from_setting``), whose help names
    the variable (Click's ``[env var: ...]``).

    ``shotlog.settings`` stays the one reader of the variable: Click itself never reads it, so a
    blank value, ``none`` and the message for a value that does not parse are the settings
    module's, as for every other variable."""

    def __init__(self, *args: Any, setting: Setting[Any], **attrs: Any) -> None:
        attrs.setdefault("default", setting.default)
        attrs.update(callback=from_setting(setting), show_envvar=True)
        super().__init__(*args, **attrs)
        self.envvar = setting.name  # shown by the help; resolve_envvar_value reads nothing

    def resolve_envvar_value(self, ctx: click.Context) -> str | None:
        return None


def setting_option(*decls: str, setting: Setting[Any], **attrs: Any) -> Callable[[F], F]:
    """``click.option`` filled from ``setting`` when not given, its help naming the variable."""
    return click.option(*decls, cls=SettingOption, setting=setting, **attrs)


def shown_url(url: str) -> str:
    """A database URL without its password: what a command prints may end up in a log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def database_option(fn: F) -> F:
    return setting_option("--database", "-d", setting=DATABASE_URL, show_default=True, help="Database URL.")(
        fn
    )


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
