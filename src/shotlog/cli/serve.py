"""``shotlog serve``: run the server."""

from __future__ import annotations

import click
from rich.console import Console
from rich.panel import Panel

from shotlog.cli.common import database_option, fail, open_store


@click.command()
@database_option
@click.option("--host", default="127.0.0.1", show_default=True, envvar="SHOTLOG_HOST")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), envvar="SHOTLOG_PORT")
@click.option("--demo", is_flag=True, help="Seed a sample project (shots, assets, tasks, versions, notes).")
@click.option(
    "--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"])
)
def serve(database: str, host: str, port: int, demo: bool, log_level: str) -> None:
    """Run the shotlog server (creates and migrates the database on first start).

    Credentials: SHOTLOG_SCRIPT_NAME/SHOTLOG_SCRIPT_KEY create or update an ApiUser,
    SHOTLOG_ADMIN_LOGIN/SHOTLOG_ADMIN_PASSWORD an admin HumanUser. With none of them on a fresh
    database, an admin and a script are created and their credentials printed once.
    """
    import uvicorn

    from shotlog.credentials import Credentials
    from shotlog.server.app import create_app
    from shotlog.server.bootstrap import ensure_credentials
    from shotlog.server.services import serve_services

    store = open_store(database)
    credentials = Credentials(store)
    console = Console(stderr=True)
    try:
        made = ensure_credentials(store, credentials)
    except ValueError as exc:
        fail(str(exc))
        return
    if made.generated:
        console.print(
            Panel(
                f"Admin user  login [bold]{made.admin_login}[/bold]  "
                f"password [bold]{made.admin_password}[/bold]\n"
                f"Script      name  [bold]{made.script_name}[/bold]  key [bold]{made.script_key}[/bold]\n\n"
                f"shotgun_api3.Shotgun('http://{host}:{port}', script_name='{made.script_name}', "
                f"api_key='{made.script_key}')\n"
                "These are shown once; only their hashes are stored.",
                title="New shotlog database: credentials",
            )
        )
    if demo:
        from shotlog.demo import seed_demo

        created = seed_demo(store)
        console.print(f"Demo project: {created}")
    console.print(f"shotlog on [bold]http://{host}:{port}[/bold] with {store.db.backend} ({database})")
    # uvicorn handles SIGINT/SIGTERM: it stops accepting, finishes in-flight requests, then returns.
    app = create_app(store, credentials, serve_services(store))
    uvicorn.run(app, host=host, port=port, log_level=log_level)
    store.close()
