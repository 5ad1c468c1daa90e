"""``shotlog mirror``: follow a live FPTR site's event log into this database, and show how far."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import signal
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from shotlog.cli.archive import _archive as archive_of
from shotlog.cli.archive import destination_options
from shotlog.cli.common import database_option, fail, from_setting, open_store
from shotlog.mirror.config import ConfigError, read_section
from shotlog.mirror.follower import Follower, MirrorStartError, Options
from shotlog.mirror.lock import MirrorBusy, mirror_lock
from shotlog.mirror.site import Credentials, Site, SiteRefused, SiteUnreachable
from shotlog.mirror.status import mirror_status
from shotlog.settings import (
    DATABASE_URL,
    MIRROR_API_KEY,
    MIRROR_BATCH,
    MIRROR_CONFIG,
    MIRROR_GAP_TIMEOUT,
    MIRROR_LOGIN,
    MIRROR_NAME_FETCH_RATE,
    MIRROR_PASSWORD,
    MIRROR_POLL_INTERVAL,
    MIRROR_RATE_LIMIT,
    MIRROR_RETRY_MAX,
    MIRROR_SCRIPT_NAME,
    MIRROR_SITE,
)

__all__ = ["mirror"]


@click.group()
def mirror() -> None:
    """Mirror a live FPTR site's event log into this database."""


def _pick(ctx: click.Context, name: str, value: Any, section: dict[str, str], cast: Any = str) -> Any:
    """The command line or SHOTLOG_MIRROR_* (already in ``value``), else the file's [mirror] key."""
    from click.core import ParameterSource

    source = ctx.get_parameter_source(name)
    if source is ParameterSource.DEFAULT and name in section:
        try:
            return cast(section[name])
        except ValueError:
            fail(f"[mirror] {name} = {section[name]!r} is not a valid value")
    return value


@mirror.command("run")
@click.option("--site", callback=from_setting(MIRROR_SITE), help="The FPTR site's URL (SHOTLOG_MIRROR_SITE).")
@click.option(
    "--script-name", callback=from_setting(MIRROR_SCRIPT_NAME), help="Script (ApiUser) name on the site."
)
@click.option("--api-key", callback=from_setting(MIRROR_API_KEY), help="That script's key.")
@click.option("--login", callback=from_setting(MIRROR_LOGIN), help="Or a person's login on the site.")
@click.option("--password", callback=from_setting(MIRROR_PASSWORD), help="That person's password.")
@database_option
@click.option("--from-event-id", type=int, help="A new mirror starts at this site event id (backfill).")
@click.option(
    "--from-date",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="A new mirror starts at the site's first event of this UTC date or time (backfill).",
)
@click.option(
    "--poll-interval",
    type=float,
    default=MIRROR_POLL_INTERVAL.default,
    callback=from_setting(MIRROR_POLL_INTERVAL),
)
@click.option("--batch", type=int, default=MIRROR_BATCH.default, callback=from_setting(MIRROR_BATCH))
@click.option(
    "--gap-timeout", type=float, default=MIRROR_GAP_TIMEOUT.default, callback=from_setting(MIRROR_GAP_TIMEOUT)
)
@click.option(
    "--rate-limit", type=float, default=MIRROR_RATE_LIMIT.default, callback=from_setting(MIRROR_RATE_LIMIT)
)
@click.option(
    "--name-fetch-rate",
    type=float,
    default=MIRROR_NAME_FETCH_RATE.default,
    callback=from_setting(MIRROR_NAME_FETCH_RATE),
    help="Requests a second asking the site for linked entities' names (0: none).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=from_setting(MIRROR_CONFIG),
    help="A daemon-format file whose [mirror] section gives these options (SHOTLOG_MIRROR_CONFIG).",
)
@click.pass_context
def run_cmd(
    ctx: click.Context,
    site: str | None,
    script_name: str | None,
    api_key: str | None,
    login: str | None,
    password: str | None,
    database: str,
    from_event_id: int | None,
    from_date: dt.datetime | None,
    poll_interval: float,
    batch: int,
    gap_timeout: float,
    rate_limit: float,
    name_fetch_rate: float,
    config: Path | None,
) -> None:
    """Follow the site's EventLogEntry and append every event, with its id, to this database's log.

    Runs until stopped; resumes where it stopped. The database becomes a read-only mirror: clients'
    entity writes are refused and pointed at the site."""
    section: dict[str, str] = {}
    if config is not None:
        try:
            section = read_section(Path(config))
        except ConfigError as exc:
            fail(str(exc))
    site = _pick(ctx, "site", site, section)
    script_name = _pick(ctx, "script_name", script_name, section)
    api_key = _pick(ctx, "api_key", api_key, section)
    login = _pick(ctx, "login", login, section)
    password = _pick(ctx, "password", password, section)
    if (
        ctx.get_parameter_source("database") is click.core.ParameterSource.DEFAULT
        and database == DATABASE_URL.default
    ):
        database = section.get("database", database)
    poll_interval = _pick(ctx, "poll_interval", poll_interval, section, float)
    batch = _pick(ctx, "batch", batch, section, int)
    gap_timeout = _pick(ctx, "gap_timeout", gap_timeout, section, float)
    rate_limit = _pick(ctx, "rate_limit", rate_limit, section, float)
    name_fetch_rate = _pick(ctx, "name_fetch_rate", name_fetch_rate, section, float)
    if not site:
        fail("--site is required (or SHOTLOG_MIRROR_SITE, or site in the [mirror] section)")
    if bool(script_name) == bool(login) or (script_name and not api_key) or (login and not password):
        fail("give either --script-name with --api-key, or --login with --password")
    if from_event_id is not None and from_date is not None:
        fail("give --from-event-id or --from-date, not both")
    if batch < 1 or poll_interval <= 0 or gap_timeout <= 0 or rate_limit < 0 or name_fetch_rate < 0:
        fail(
            "--batch, --poll-interval and --gap-timeout must be positive, "
            "--rate-limit and --name-fetch-rate 0 or more"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = open_store(database)
    the_site = Site(str(site), Credentials(script_name, api_key, login, password), rate=rate_limit)
    options = Options(
        batch=batch,
        interval=poll_interval,
        gap_timeout=gap_timeout,
        retry_max=MIRROR_RETRY_MAX.read(),
        from_event_id=from_event_id,
        from_date=from_date,
        name_fetch_rate=name_fetch_rate,
    )
    follower = Follower(store, the_site, options)
    signal.signal(signal.SIGTERM, lambda *_: follower.stop())
    try:
        with mirror_lock(store.db):
            _start(follower)
            try:
                follower.run()
            except KeyboardInterrupt:
                follower.stop()
    except (MirrorBusy, MirrorStartError, SiteRefused) as exc:
        fail(str(exc))
    finally:
        the_site.close()


def _start(follower: Follower) -> None:
    """Start, waiting out a site that cannot be reached yet (it is reported in the log)."""
    from shotlog import backoff

    failures = 0
    while True:
        try:
            follower.start()
            return
        except SiteUnreachable as exc:
            failures += 1
            wait = backoff.delay(failures, 1.0, follower.options.retry_max)
            logging.getLogger("shotlog.mirror").warning("%s; trying again in %.0f s", exc, wait)
            if follower.stop_event.wait(wait):
                raise KeyboardInterrupt from None


@mirror.command("status")
@database_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_cmd(database: str, as_json: bool) -> None:
    """The site, the last event mirrored, the lag, open gaps and errors."""
    store = open_store(database)
    status = mirror_status(store.db)
    if status is None:
        fail("this database mirrors no site (start one with shotlog mirror run)")
        return
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    console = Console()
    console.print(f"site            {status['site']}")
    console.print(f"last event id   {status['last_event_id']} (site's newest: {status['site_head_id']})")
    console.print(f"lag             {status['lag_events']} events, {status['lag_seconds']:.0f} s")
    gaps = status["open_gaps"]
    console.print(f"open gaps       {len(gaps)}" + (f" ({', '.join(map(str, gaps[:10]))})" if gaps else ""))
    console.print(f"last poll       {status['last_poll_at'] or 'never'}")
    counts = ", ".join(f"{k} {v}" for k, v in status["counts"].items()) or "none"
    console.print(f"counts          {counts}")
    if status["last_error"]:
        console.print(f"last error      {status['last_error']} (at {status['last_error_at']})", markup=False)
    console.print(
        f"local events    {status['local_events']}"
        + (" (shotlog's own on this database: shotlog mirror local-events)" if status["local_events"] else "")
    )


@mirror.command("local-events")
@database_option
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many to show.")
@click.option("--before", type=click.IntRange(min=1), help="Only local events with an id below this one.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines, one event a line.")
def local_events_cmd(database: str, limit: int, before: int | None, as_json: bool) -> None:
    """shotlog's own events on this mirror database, newest first.

    A mirror's event log holds the site's events with the site's ids only; what shotlog does here
    by itself (webhooks created or changed, scripts and their keys, tokens, rule edits, sign-ins
    and their throttling, the admin and script serve sets up) is kept apart and listed here."""
    from shotlog.store import local_events

    store = open_store(database)
    with store.db.read() as conn:
        found = local_events.newest(conn, limit, before)
    if as_json:
        for event in found:
            click.echo(json.dumps(event))
        return
    if not found:
        click.echo("no local events")
        return
    for e in found:
        user = e["user"]
        who = f"{user['type']} {user['id']}" if user else "-"
        # one line an event, never wrapped: read by people and by grep alike
        said = e["description"] or ""
        click.echo(f"{e['id']:>6}  {e['created_at']}  {e['event_type']:<34} {who:<13} {said}")


@mirror.command("import-archive")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@database_option
@destination_options
def import_archive_cmd(file: Path, database: str, to: str | None, s3_endpoint: str | None) -> None:
    """Add FPTR's archived-events CSV download to this database's archive, beside the live mirror.

    Events already held (in the live log or the archive) are left out, so importing a file twice
    adds nothing. Rows without an event id are listed with their row numbers and not imported
    (the exit status is then 1); fields that are not what their column says are kept as given."""
    from shotlog.archive.imports import import_records, read_csv

    arch = archive_of(database, to, s3_endpoint=s3_endpoint)
    try:
        parsed = read_csv(file)
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        fail(f"cannot read {file}: {exc}")
        return
    report = import_records(arch.store.db, arch.storage, parsed)
    console = Console(stderr=True)
    for note in [*parsed.kept_as_given, *parsed.refused]:
        console.print(note, markup=False)
    click.echo(
        f"{parsed.rows} rows: {report.imported} events imported in {len(report.segments)} segments, "
        f"{report.already_held} already held, {len(parsed.refused)} not imported, "
        f"{len(parsed.kept_as_given)} fields kept as given"
    )
    if parsed.refused:
        raise SystemExit(1)
