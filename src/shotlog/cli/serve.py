"""``shotlog serve``: run the server."""

from __future__ import annotations

import logging
import logging.config
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from shotlog.cli.common import database_option, fail, open_store, setting_option, shown_url
from shotlog.server.listener import ListenerSettings

if TYPE_CHECKING:
    from shotlog.server.bootstrap import Bootstrap

from shotlog.settings import (
    ARCHIVE_URL,
    HOST,
    KEEPALIVE_SECONDS,
    LOG_FORMAT,
    MAX_IDLE_CONNECTIONS,
    METRICS_ADDRESS,
    PORT,
    TLS_CERT,
    TLS_KEY,
)

_PEM = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@database_option
@setting_option("--host", setting=HOST, show_default=True, help="Address to listen on.")
@setting_option(
    "--port", setting=PORT, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option(
    "--demo",
    is_flag=True,
    help="Load nine months of a sample studio into a new database (three shows, their people, "
    "statuses, versions, notes, playlists, thumbnails; the oldest months archived).",
)
@click.option(
    "--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"])
)
@setting_option(
    "--keepalive",
    "keepalive_seconds",
    setting=KEEPALIVE_SECONDS,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds an idle keep-alive connection stays open (shotgun_api3 keeps one per client).",
)
@setting_option(
    "--max-idle-connections",
    setting=MAX_IDLE_CONNECTIONS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Idle connections kept at most; past it the one idle the longest is closed.",
)
@setting_option("--tls-cert", setting=TLS_CERT, type=_PEM, help="PEM certificate to serve HTTPS with.")
@setting_option("--tls-key", setting=TLS_KEY, type=_PEM, help="PEM private key of --tls-cert.")
def serve(
    database: str,
    host: str,
    port: int,
    demo: bool,
    log_level: str,
    keepalive_seconds: float,
    max_idle_connections: int,
    tls_cert: Path | None,
    tls_key: Path | None,
) -> None:
    """Run the shotlog server (creates and migrates the database on first start).

    Credentials: SHOTLOG_SCRIPT_NAME/SHOTLOG_SCRIPT_KEY create or update an ApiUser,
    SHOTLOG_ADMIN_LOGIN/SHOTLOG_ADMIN_PASSWORD an admin HumanUser. With none of them on a fresh
    database, an admin and a script are created and their credentials printed once on a
    terminal (elsewhere, as under systemd, only their names and the commands that set them).

    Each option above falls back to the variable it names. serve also reads SHOTLOG_LOG_FORMAT
    (text, or json for one JSON object a line, from its first line on), SHOTLOG_METRICS_ADDRESS
    and SHOTLOG_METRICS_TOKEN, SHOTLOG_FILES_URL, SHOTLOG_ARCHIVE_URL, SHOTLOG_SQLITE_SYNCHRONOUS,
    SHOTLOG_WEBHOOKS (the delivery worker) and the other SHOTLOG_WEBHOOKS_* settings: every
    setting is listed in docs/configuration.md.
    """
    try:
        log_format = LOG_FORMAT.read()
    except ValueError as exc:
        fail(str(exc))
        return
    out = StartOutput(log_format, log_level)
    try:
        try:
            # read before anything starts, so that a bad value stops serve with a line naming it
            METRICS_ADDRESS.read()
            listener = ListenerSettings(
                host,
                port,
                keepalive_seconds=keepalive_seconds,
                max_idle_connections=max_idle_connections,
                tls_cert=tls_cert,
                tls_key=tls_key,
                log_level=log_level,
            )
        except ValueError as exc:
            fail(str(exc))
            return
        _serve(database, listener, demo, out)
    except click.ClickException as exc:
        if not out.is_json:
            raise
        out.stop(exc.format_message(), exc.exit_code)


def _serve(database: str, listener: ListenerSettings, demo: bool, out: StartOutput) -> None:
    from shotlog.accounts.credentials import Credentials
    from shotlog.errors import ShotlogError
    from shotlog.server.app import create_app
    from shotlog.server.bootstrap import ensure_credentials
    from shotlog.server.listener import run
    from shotlog.server.services import serve_services

    base_url = f"{listener.scheme}://{listener.host}:{listener.port}"
    if demo:
        # before the server's own connection: on a new database the demo's history (the seed rows
        # included) must be the first thing in the log
        _seed_demo(database, out)
    store = open_store(database)
    credentials = Credentials(store)
    try:
        made = ensure_credentials(store, credentials)
    except ValueError as exc:
        fail(str(exc))
        return
    if made.generated:
        _show_made_credentials(out, made, base_url)
    out.say(f"shotlog on [bold]{base_url}[/bold] with {store.db.backend} ({shown_url(database)})")
    try:
        app = create_app(store, credentials, serve_services(store))
    except ShotlogError as exc:  # a store the settings name cannot be opened (s3:// without boto3)
        fail(str(exc))
        return
    run(app, listener)
    store.close()


def _show_made_credentials(out: StartOutput, made: Bootstrap, base_url: str) -> None:
    """The admin and script a fresh database was given. Their secrets go to a terminal only: under
    systemd, in a container or redirected to a file, what serve prints is kept in a log, and a
    secret must never be (the command to set each one is printed instead)."""
    if out.console.is_terminal:
        lines = (
            f"Admin user  login [bold]{made.admin_login}[/bold]  "
            f"password [bold]{made.admin_password}[/bold]\n"
            f"Script      name  [bold]{made.script_name}[/bold]  key [bold]{made.script_key}[/bold]\n\n"
            f"shotgun_api3.Shotgun('{base_url}', script_name='{made.script_name}', "
            f"api_key='{made.script_key}')\n"
            "These are shown once; only their hashes are stored."
        )
        out.panel(lines, "New shotlog database: credentials")
        return
    out.say(
        f"New shotlog database: made the admin user '{made.admin_login}' and the script "
        f"'{made.script_name}'. Their password and key are not printed, because this output is not a "
        "terminal and may be kept in a log. Set them with "
        f"`shotlog users set-password {made.admin_login}` and `shotlog scripts rotate "
        f"{made.script_name}` (it shows the new key once), or name your own in "
        "SHOTLOG_ADMIN_LOGIN/SHOTLOG_ADMIN_PASSWORD and SHOTLOG_SCRIPT_NAME/SHOTLOG_SCRIPT_KEY.",
        level=logging.WARNING,
    )


def _seed_demo(database: str, out: StartOutput) -> None:
    """Nine months of a small studio (``shotlog.demo``), archived where ``SHOTLOG_ARCHIVE_URL``
    says or beside the database; this server's archive pages and scheduled runs then use it."""
    from shotlog.demo import default_archive_url, seed_demo
    from shotlog.errors import ShotlogError

    archive_url = ARCHIVE_URL.read() or default_archive_url(database)
    try:
        report = seed_demo(database, archive_url=archive_url)
    except ShotlogError as exc:
        fail(str(exc))
        return
    out.say(report.summary())
    if ARCHIVE_URL.read() is None:
        os.environ[ARCHIVE_URL.name] = archive_url
        out.say(f"Demo archive: {archive_url} (set {ARCHIVE_URL.name} to it when serving without --demo)")


class StartOutput:
    """What serve says before uvicorn's logging takes over (the demo's summary, new credentials, the
    "shotlog on ..." line), and a failure that stops it.

    With ``SHOTLOG_LOG_FORMAT=text`` it goes to the console as it always has. With ``json`` every
    line a log collector reads must be one JSON object, so these go through the log's own handler
    and formatter (``server.log_format``, configured here before anything is said), under the
    logger ``shotlog.serve``."""

    def __init__(self, log_format: str, log_level: str) -> None:
        self.console = Console(stderr=True)
        self.is_json = log_format == "json"
        self._logger = logging.getLogger("shotlog.serve")
        if self.is_json:
            from shotlog.server.log_format import log_config

            logging.config.dictConfig(log_config(log_format, log_level))

    def say(self, markup: str, level: int = logging.INFO) -> None:
        if self.is_json:
            self._logger.log(level, Text.from_markup(markup).plain)
        else:
            self.console.print(markup, soft_wrap=level >= logging.WARNING)

    def panel(self, markup: str, title: str) -> None:
        """A box on a terminal; in JSON, the same words as one line."""
        if self.is_json:
            self._logger.warning("%s: %s", title, Text.from_markup(markup).plain)
        else:
            self.console.print(Panel(markup, title=title))

    def stop(self, message: str, exit_code: int) -> None:
        """Stop serve with ``message`` as an ERROR record (JSON; in text, Click's ``Error:`` line)."""
        self._logger.error(message)
        raise click.exceptions.Exit(exit_code)
