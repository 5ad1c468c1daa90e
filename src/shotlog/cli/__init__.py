"""The ``shotlog`` command: one program with a command per role."""

from __future__ import annotations

import click

from shotlog.cli.db import db
from shotlog.cli.events import events
from shotlog.cli.schema import schema
from shotlog.cli.serve import serve

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="shotlog")
def main() -> None:
    """shotlog: a self-hosted event platform for production tracking, compatible with FPTR."""


main.add_command(db)
main.add_command(events)
main.add_command(schema)
main.add_command(serve)
