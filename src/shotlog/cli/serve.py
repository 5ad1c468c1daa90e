"""``shotlog serve``: run the server."""

from __future__ import annotations

import click
from rich.console import Console

from shotlog.cli.common import database_option, open_store


@click.command()
@database_option
@click.option("--host", default="127.0.0.1", show_default=True, envvar="SHOTLOG_HOST")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), envvar="SHOTLOG_PORT")
@click.option(
    "--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"])
)
def serve(database: str, host: str, port: int, log_level: str) -> None:
    """Run the shotlog server (creates and migrates the database on first start)."""
    import uvicorn

    from shotlog.server.app import create_app

    store = open_store(database)
    Console(stderr=True).print(
        f"shotlog on [bold]http://{host}:{port}[/bold] with {store.db.backend} ({database})"
    )
    # uvicorn handles SIGINT/SIGTERM: it stops accepting, finishes in-flight requests, then returns.
    uvicorn.run(create_app(store), host=host, port=port, log_level=log_level)
    store.close()
