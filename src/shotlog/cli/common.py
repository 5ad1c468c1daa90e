"""Options and helpers every command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from shotlog.config import Settings
from shotlog.errors import ShotlogError

__all__ = ["database_option", "fail", "open_store"]

F = TypeVar("F", bound=Callable[..., Any])


def database_option(fn: F) -> F:
    return click.option(
        "--database",
        "-d",
        envvar="SHOTLOG_DATABASE_URL",
        default=Settings().database_url,
        show_default=True,
        help="Database URL (also SHOTLOG_DATABASE_URL).",
    )(fn)


def open_store(url: str, *, migrate: bool = True) -> Any:
    import shotlog

    settings = Settings.from_env()
    try:
        store = shotlog.connect(url, migrate=migrate, sqlite_synchronous=settings.sqlite_synchronous)
    except ShotlogError as exc:
        fail(str(exc))
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(store.close)  # every command releases its connections when it ends
    return store


def fail(message: str) -> None:
    raise click.ClickException(message)
