"""``shotlog events export``: the event log to CSV or JSON Lines, from this database or an api3 server."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from shotlog.cli.common import database_option, fail, from_setting, open_store
from shotlog.errors import ShotlogError
from shotlog.export import Api3Source, EventQuery, Export, StoreSource, check_destination, format_for_path
from shotlog.export.exporter import Progress
from shotlog.export.parallel import default_jobs, write_file_parallel
from shotlog.settings import EXPORT_JOBS, SERVER_API_KEY, SERVER_LOGIN, SERVER_PASSWORD, SERVER_SCRIPT_NAME

__all__ = ["check_output", "export_cmd", "parse_when", "progress_bar", "remote_client", "resolve_users"]


def parse_when(value: str | None, option: str) -> dt.datetime | None:
    """``2024-03-01`` or ``2024-03-01T10:30:00[Z|+01:00]`` as a naive UTC datetime."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date or date-time (2024-03-01 or 2024-03-01T10:30:00Z)",
            param_hint=option,
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def resolve_users(lookup: Any, users: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """``--user`` values (a login, a script name, ``HumanUser:7`` or ``ApiUser:2``) as user refs.

    ``lookup`` is anything with shotgun_api3's ``find`` (a Shotlog or a shotgun_api3 client).
    """
    out: list[tuple[str, int]] = []
    for raw in users:
        kind, _, ident = raw.partition(":")
        if kind in ("HumanUser", "ApiUser") and ident.isdigit():
            out.append((kind, int(ident)))
            continue
        found = lookup.find("HumanUser", [["login", "is", raw]], ["id"], limit=1)
        if found:
            out.append(("HumanUser", found[0]["id"]))
            continue
        found = lookup.find("ApiUser", [["firstname", "is", raw]], ["id"], limit=1)
        if found:
            out.append(("ApiUser", found[0]["id"]))
            continue
        raise click.BadParameter(f"no HumanUser login or ApiUser named {raw!r}", param_hint="--user")
    return tuple(out)


def resolve_projects(lookup: Any, projects: Sequence[str]) -> tuple[int, ...]:
    """``--project`` values: ids, or names looked up."""
    out: list[int] = []
    for raw in projects:
        if raw.isdigit():
            out.append(int(raw))
            continue
        found = lookup.find("Project", [["name", "is", raw]], ["id"], limit=1)
        if not found:
            raise click.BadParameter(f"no Project named {raw!r}", param_hint="--project")
        out.append(found[0]["id"])
    return tuple(out)


def remote_client(
    server: str, script_name: str | None, api_key: str | None, login: str | None, password: str | None
) -> Any:
    """A shotgun_api3 client for ``--server``, checked with one cheap call before any work starts."""
    from shotgun_api3.shotgun import AuthenticationFault, Shotgun

    if script_name and api_key:
        kwargs: dict[str, Any] = {"script_name": script_name, "api_key": api_key}
    elif login and password:
        kwargs = {"login": login, "password": password}
    else:
        fail(
            "--server needs credentials: --script-name with --api-key, or --login with --password "
            "(also SHOTLOG_SERVER_SCRIPT_NAME / SHOTLOG_SERVER_API_KEY / SHOTLOG_SERVER_LOGIN / "
            "SHOTLOG_SERVER_PASSWORD)"
        )
    try:
        client = Shotgun(server, connect=False, **kwargs)
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.call_on_close(client.close)  # its keep-alive socket
        client.find_one("EventLogEntry", [], ["id"])
    except AuthenticationFault as exc:
        fail(f"{server} refused the credentials: {exc}")
    except Exception as exc:
        fail(f"cannot use the api3 server {server}: {exc}")
    return client


def check_output(output: str) -> None:
    """Fail with a CLI message unless ``output`` can be written ("-", stdout, always can)."""
    if output != "-":
        try:
            check_destination(Path(output))
        except ShotlogError as exc:
            fail(str(exc))


@contextmanager
def progress_bar(enabled: bool, bounds: tuple[int, int] | None, label: str) -> Iterator[Progress | None]:
    """A Rich progress bar on stderr advanced by event id (cheap: no count query on a 10M log)."""
    if not enabled or bounds is None:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    lo, hi = bounds
    with Bar(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[count]:,} events"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=max(hi - lo + 1, 1), count=0)

        def advance(last_id: int, count: int) -> None:
            bar.update(task, completed=last_id - lo + 1, count=count)

        yield advance
        bar.update(task, completed=max(hi - lo + 1, 1))


def server_options(fn: Any) -> Any:
    for opt in reversed(
        [
            click.option(
                "--server", metavar="URL", help="Read from this api3 server (another shotlog, an FPTR site)."
            ),
            click.option(
                "--script-name", callback=from_setting(SERVER_SCRIPT_NAME), help="Script name for --server."
            ),
            click.option("--api-key", callback=from_setting(SERVER_API_KEY), help="Script key for --server."),
            click.option("--login", callback=from_setting(SERVER_LOGIN), help="User login for --server."),
            click.option(
                "--password", callback=from_setting(SERVER_PASSWORD), help="User password for --server."
            ),
        ]
    ):
        fn = opt(fn)
    return fn


def filter_options(fn: Any) -> Any:
    for opt in reversed(
        [
            click.option("--project", "projects", multiple=True, help="Project id or name (repeatable)."),
            click.option("--entity-type", help="Only events whose entity is of this type."),
            click.option(
                "--entity-id", "entity_ids", type=int, multiple=True, help="...and has this id (repeatable)."
            ),
            click.option(
                "--type",
                "event_types",
                multiple=True,
                help="Event type; wildcards allowed (Shotgun_Shot_*). Repeatable.",
            ),
            click.option(
                "--user",
                "users",
                multiple=True,
                help="Login, script name, or HumanUser:ID / ApiUser:ID (repeatable).",
            ),
            click.option("--since", help="From this UTC date or date-time, inclusive (2024-03-01)."),
            click.option("--until", help="Up to this UTC date or date-time, exclusive."),
            click.option("--min-id", type=click.IntRange(0), help="Lowest event id, inclusive."),
            click.option("--max-id", type=click.IntRange(0), help="Highest event id, inclusive."),
        ]
    ):
        fn = opt(fn)
    return fn


def build_query(lookup: Any, opts: dict[str, Any]) -> EventQuery:
    return EventQuery(
        project_ids=resolve_projects(lookup, opts["projects"]),
        entity_type=opts["entity_type"],
        entity_ids=tuple(opts["entity_ids"]),
        event_types=tuple(opts["event_types"]),
        users=resolve_users(lookup, opts["users"]),
        since=parse_when(opts["since"], "--since"),
        until=parse_when(opts["until"], "--until"),
        min_id=opts["min_id"],
        max_id=opts["max_id"],
    )


@click.command("export")
@database_option
@server_options
@filter_options
@click.option(
    "--columns",
    "-c",
    default="default",
    show_default=True,
    help="Comma-separated: fields (id,event_type,...), parts (entity.id), linked fields "
    "(entity.Shot.code), or 'all'.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="Output format (default: from the file extension, else csv).",
)
@click.option("--output", "-o", default="-", show_default=True, help="File to write ('-' for stdout).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Stop after this many events.")
@click.option("--no-bom", is_flag=True, help="CSV without the UTF-8 byte-order mark Excel needs.")
@click.option(
    "--raw-csv",
    is_flag=True,
    help="CSV cells exactly as stored: no quote before a cell starting with = + - @ tab or CR "
    "(for programs that read the file back, not spreadsheets).",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal)."
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1),
    default=None,
    callback=from_setting(EXPORT_JOBS),
    help="Processes for a file export of this database, this one included (default: one per CPU "
    "core; 1: a single process). Streams to stdout, --server and --limit use one.",
)
def export_cmd(
    database: str,
    server: str | None,
    script_name: str | None,
    api_key: str | None,
    login: str | None,
    password: str | None,
    columns: str,
    fmt: str | None,
    output: str,
    limit: int | None,
    no_bom: bool,
    raw_csv: bool,
    progress: bool | None,
    jobs: int | None,
    **filters: Any,
) -> None:
    """Export events to CSV or JSON Lines, streaming (flat memory) with a progress bar.

    Reads this database directly, or any api3 server with --server and credentials. The file
    is written under a temporary name and renamed when complete; a file export of this database
    is split over --jobs processes, this one included (the same bytes as one process writes).
    """
    to_stdout = output == "-"
    fmt = fmt or format_for_path(None if to_stdout else output)
    check_output(output)
    if server:
        client = remote_client(server, script_name, api_key, login, password)
        source: Any = Api3Source(client)
        lookup = client
    else:
        store = open_store(database)
        source = StoreSource(store)
        lookup = store
    try:
        query = build_query(lookup, filters)
        export = Export(source, query, columns, fmt, bom=not no_bom, neutralise=not raw_csv, limit=limit)
    except ShotlogError as exc:
        fail(str(exc))
        return
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with progress_bar(show, source.bounds(query) if show else None, "export") as advance:
            if to_stdout:
                count = export.write_to(sys.stdout.buffer, advance)
                sys.stdout.buffer.flush()
            elif not server and limit is None and (jobs or default_jobs()) > 1:
                count = write_file_parallel(
                    export,
                    source.store.db.url,
                    output,
                    jobs=jobs or default_jobs(),
                    progress=advance,
                )
            else:
                count = export.write_file(output, advance)
    except ShotlogError as exc:
        fail(str(exc))
        return
    except Exception as exc:  # network failures from the api3 client, disk full...
        fail(f"export failed after {export.count:,} events; nothing was left at {output}: {exc}")
        return
    if not to_stdout:
        click.echo(f"{count:,} events written to {output}", err=True)
