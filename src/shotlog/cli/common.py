"""Options and helpers every command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from shotlog.errors import ShotlogError
from shotlog.settings import DATABASE_URL, SQLITE_SYNCHRONOUS

__all__ = ["database_option", "fail", "open_store"]

F = TypeVar("F", bound=Callable[..., Any])


def database_option(fn: F) -> F:
    return click.option(
        "--database",
        "-d",
        envvar=DATABASE_URL.name,
        default=DATABASE_URL.default,
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
