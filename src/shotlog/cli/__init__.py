"""The ``shotlog`` command: one program with a command per role."""

from __future__ import annotations

import click

from shotlog.cli.archive import archive
from shotlog.cli.daemon import daemon
from shotlog.cli.db import db
from shotlog.cli.events import events
from shotlog.cli.listen import listen
from shotlog.cli.mirror import mirror
from shotlog.cli.permissions import permissions
from shotlog.cli.prefs import prefs
from shotlog.cli.schedule import schedule
from shotlog.cli.schema import schema
from shotlog.cli.scripts import scripts
from shotlog.cli.serve import serve
from shotlog.cli.users import users
from shotlog.cli.webhooks import webhooks
from shotlog.cli.worker import worker

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="shotlog", prog_name="shotlog")
def main() -> None:
    """shotlog: a self-hosted event platform for production tracking, compatible with FPTR."""


main.add_command(archive)
main.add_command(daemon)
main.add_command(db)
main.add_command(events)
main.add_command(mirror)
main.add_command(permissions)
main.add_command(prefs)
main.add_command(schedule)
main.add_command(schema)
main.add_command(scripts)
main.add_command(serve)
main.add_command(users)
# `shotlog webhooks listen` lives in a module of its own (cli/listen.py), for its size
webhooks.add_command(listen)
main.add_command(webhooks)
main.add_command(worker)
