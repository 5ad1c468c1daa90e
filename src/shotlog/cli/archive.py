"""``shotlog archive``: move old events to the archive, list, download and search it."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from shotlog.archive import Archive, ArchivePolicy
from shotlog.cli.common import database_option, fail, open_store
from shotlog.cli.export import build_query, check_output, filter_options, progress_bar
from shotlog.errors import ShotlogError
from shotlog.export import Export, format_for_path
from shotlog.settings import ARCHIVE_KEEP_DAYS, ARCHIVE_LIVE_DAYS

__all__ = ["archive"]


def _policy(
    to: str | None, live_days: int | None, keep_days: int | None, s3_endpoint: str | None
) -> ArchivePolicy:
    try:
        policy = ArchivePolicy.from_env()
        changes: dict[str, Any] = {}
        if to is not None:
            changes["url"] = to
        if live_days is not None:
            changes["live_days"] = live_days
        if keep_days is not None:
            changes["keep_days"] = keep_days
        if s3_endpoint is not None:
            changes["s3_endpoint"] = s3_endpoint
        policy = dataclasses.replace(policy, **changes)
    except ShotlogError as exc:
        fail(str(exc))
        raise AssertionError("unreachable") from None
    if not policy.url:
        fail(
            "no archive destination: set SHOTLOG_ARCHIVE_URL or pass --to (a directory or s3://bucket/prefix)"
        )
    return policy


def _archive(
    database: str,
    to: str | None,
    live_days: int | None = None,
    keep_days: int | None = None,
    s3_endpoint: str | None = None,
) -> Archive:
    policy = _policy(to, live_days, keep_days, s3_endpoint)
    archive = Archive(open_store(database), policy)
    try:
        archive.storage.check()  # missing credentials or an unreachable bucket: before any work
    except ShotlogError as exc:
        fail(str(exc))
    return archive


def destination_options(fn: Any) -> Any:
    fn = click.option(
        "--s3-endpoint", default=None, help="S3-compatible endpoint URL (also SHOTLOG_ARCHIVE_S3_ENDPOINT)."
    )(fn)
    return click.option(
        "--to",
        default=None,
        metavar="URL",
        help="Archive directory or s3://bucket/prefix (also SHOTLOG_ARCHIVE_URL).",
    )(fn)


@click.group()
def archive() -> None:
    """Retention: move events older than the live window to compressed month segments."""


@archive.command("run")
@database_option
@destination_options
@click.option(
    "--live-days",
    type=click.IntRange(1),
    default=None,
    help=f"Live window in days ({ARCHIVE_LIVE_DAYS.name}, {ARCHIVE_LIVE_DAYS.default}).",
)
@click.option(
    "--keep-days",
    type=click.IntRange(1),
    default=None,
    help=f"Archive window in days ({ARCHIVE_KEEP_DAYS.name}, {ARCHIVE_KEEP_DAYS.default}).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
def run_cmd(
    database: str,
    to: str | None,
    s3_endpoint: str | None,
    live_days: int | None,
    keep_days: int | None,
    as_json: bool,
) -> None:
    """Archive events older than the live window; purge segments older than the archive window.

    Safe to interrupt at any point: the next run finishes what was started.
    """
    arch = _archive(database, to, live_days, keep_days, s3_endpoint)
    console = Console(stderr=True)

    def step(name: str, info: dict[str, Any]) -> None:
        if name == "done" and not as_json:
            console.print(f"archived {info['count']:,} events to {info['key']}")

    try:
        report = arch.run(checkpoint=step)
    except ShotlogError as exc:
        fail(str(exc))
        return
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    console.print(
        f"{report.archived_events:,} events archived in "
        f"{len(report.segments) + len(report.resumed)} segment(s); "
        f"{len(report.purged)} purged; the live log starts at id {report.archived_through + 1}"
    )
    if report.held_back:
        console.print(f"Stopped short of the live window: {report.held_back}")


@archive.command("list")
@database_option
@click.option("--all", "include_purged", is_flag=True, help="Include purged segments.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per segment.")
def list_cmd(database: str, include_purged: bool, as_json: bool) -> None:
    """List archived segments (from the database): month, ids, dates, events, size."""
    arch = Archive(open_store(database), ArchivePolicy.from_env())
    segments = arch.segments(include_purged=include_purged)
    if as_json:
        for s in segments:
            click.echo(json.dumps(s.as_dict()))
        return
    table = Table(title=f"archive (the live log starts at id {arch.live_floor()})")
    for col in ("id", "month", "first id", "last id", "first event", "last event", "events", "size", "state"):
        table.add_column(col, justify="right" if col in ("events", "size", "id") else "left")
    for s in segments:
        table.add_row(
            str(s.id),
            s.month,
            str(s.first_id),
            str(s.last_id),
            f"{s.first_at:%Y-%m-%d %H:%M}" if s.first_at else "",
            f"{s.last_at:%Y-%m-%d %H:%M}" if s.last_at else "",
            f"{s.event_count:,}",
            f"{s.size_bytes / 1e6:,.1f} MB",
            s.state,
        )
    Console().print(table)


def _write(export: Export, output: str, show: bool | None) -> None:
    show = sys.stderr.isatty() if show is None else show
    try:
        bounds = export.source.bounds(export.query) if show else None
        with progress_bar(bool(show), bounds, "archive") as advance:
            if output == "-":
                export.write_to(sys.stdout.buffer, advance)
                sys.stdout.buffer.flush()
            else:
                export.write_file(output, advance)
                click.echo(f"{export.count:,} events written to {output}", err=True)
    except ShotlogError as exc:
        fail(str(exc))


@archive.command("download")
@database_option
@destination_options
@click.option(
    "--month", "months", multiple=True, help="Segments of this month (2024-03); repeatable. Default: all."
)
@click.option(
    "--segment", "segment_ids", type=int, multiple=True, help="Segment id (from `archive list`); repeatable."
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="Output format (default: from the file extension, else jsonl).",
)
@click.option(
    "--columns", "-c", default="all", show_default=True, help="Comma-separated columns, or 'default' / 'all'."
)
@click.option("--output", "-o", default="-", show_default=True, help="File to write ('-' for stdout).")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal)."
)
def download_cmd(
    database: str,
    to: str | None,
    s3_endpoint: str | None,
    months: tuple[str, ...],
    segment_ids: tuple[int, ...],
    fmt: str | None,
    columns: str,
    output: str,
    progress: bool | None,
) -> None:
    """Download archived events as CSV or JSON Lines, without restoring them."""
    fmt = fmt or format_for_path(None if output == "-" else output, "jsonl")
    check_output(output)
    arch = _archive(database, to, s3_endpoint=s3_endpoint)
    try:
        export = arch.download(fmt, months=months, segment_ids=segment_ids, columns=columns)
    except ShotlogError as exc:
        fail(str(exc))
        return
    _write(export, output, progress)


@archive.command("search")
@database_option
@destination_options
@filter_options
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl", show_default=True
)
@click.option(
    "--columns", "-c", default="default", show_default=True, help="Comma-separated columns, or 'all'."
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Stop after this many events.")
@click.option("--output", "-o", default="-", show_default=True, help="File to write ('-' for stdout).")
def search_cmd(
    database: str,
    to: str | None,
    s3_endpoint: str | None,
    fmt: str,
    columns: str,
    limit: int | None,
    output: str,
    **filters: Any,
) -> None:
    """Search archived events with the export filters; segments are read in place, never restored."""
    check_output(output)
    arch = _archive(database, to, s3_endpoint=s3_endpoint)
    try:
        export = arch.search(build_query(arch.store, filters), columns=columns, fmt=fmt, limit=limit)
    except ShotlogError as exc:
        fail(str(exc))
        return
    _write(export, output, False)
