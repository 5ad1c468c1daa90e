"""``shotlog events``: read the event log from the terminal."""

from __future__ import annotations

import json
import time
from fnmatch import fnmatchcase
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from shotlog.cli.common import database_option, open_store
from shotlog.eventlog import EVENT_FIELDS
from shotlog.eventlog.floor import CursorArchived


def _link(value: Any) -> str:
    if not value:
        return ""
    return f"{value['type']} {value.get('name') or ''} #{value['id']}".replace("  ", " ")


def _filters(event_type: str | None, entity_type: str | None, project: int | None) -> list[Any]:
    filters: list[Any] = []
    if event_type and not any(c in event_type for c in "*?["):
        filters.append(["event_type", "is", event_type])
    if entity_type:
        filters.append(["entity", "type_is", entity_type])
    if project is not None:
        filters.append(["project", "is", {"type": "Project", "id": project}])
    return filters


#: The order of an event's keys in ``--json`` lines: what scripts that read them have always seen
#: (the fields themselves are the event log's, ``EVENT_FIELDS``).
_JSON_ORDER = (
    "type",
    "id",
    "event_type",
    "description",
    "entity",
    "project",
    "user",
    "attribute_name",
    "meta",
    "created_at",
    "session_uuid",
)
#: Events read per page when a shell pattern is matched here rather than in SQL.
_SCAN_PAGE = 500


def _jsonable(event: dict[str, Any]) -> dict[str, Any]:
    out = {key: event[key] for key in _JSON_ORDER if key in event}
    out.update((key, value) for key, value in event.items() if key not in out)
    if out.get("created_at") is not None:
        out["created_at"] = out["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


@click.group()
def events() -> None:
    """List and follow the event log."""


@events.command("list")
@database_option
@click.option("--after", type=int, default=None, help="Only events with an id greater than this.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--type", "event_type", help="Event type; wildcards allowed (Shotgun_Shot_*).")
@click.option("--entity-type", help="Only events whose entity is of this type.")
@click.option("--project", type=int, help="Only events of this project id.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_cmd(
    database: str,
    after: int | None,
    limit: int,
    event_type: str | None,
    entity_type: str | None,
    project: int | None,
    as_json: bool,
) -> None:
    """Show events, the newest last (by default the last 50)."""
    sg = open_store(database)
    filters = _filters(event_type, entity_type, project)
    if after is None:
        rows = _newest(sg, filters, event_type, limit)
    else:
        rows = []
        for e in _iter_events(sg, after):
            if _matches(e, event_type, entity_type, project):
                rows.append(e)
                if len(rows) >= limit:
                    break
    _show(rows, as_json)


def _newest(sg: Any, filters: list[Any], event_type: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` events matching, oldest first.

    A shell pattern (``Shotgun_Shot_*``) is matched here, so pages are read backwards from the head
    until enough match or the log ends: older matches are found however many newer events differ."""
    pattern = event_type if event_type and any(c in event_type for c in "*?[") else None
    size = max(limit, _SCAN_PAGE) if pattern else limit
    newest_first: list[dict[str, Any]] = []
    before: int | None = None
    while len(newest_first) < limit:
        page_filters = filters if before is None else [*filters, ["id", "less_than", before]]
        page = sg.find(
            "EventLogEntry",
            page_filters,
            list(EVENT_FIELDS),
            order=[{"field_name": "id", "direction": "desc"}],
            limit=size,
        )
        newest_first.extend(e for e in page if pattern is None or fnmatchcase(e["event_type"], pattern))
        if len(page) < size or pattern is None:
            break
        before = page[-1]["id"]
    return list(reversed(newest_first[:limit]))


def _matches(e: dict[str, Any], event_type: str | None, entity_type: str | None, project: int | None) -> bool:
    if event_type and not fnmatchcase(e["event_type"], event_type):
        return False
    if entity_type and (not e["entity"] or e["entity"]["type"] != entity_type):
        return False
    return not (project is not None and (not e["project"] or e["project"]["id"] != project))


def _show(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        for e in rows:
            click.echo(json.dumps(_jsonable(e), ensure_ascii=False))
        return
    table = Table(show_lines=False)
    for col in ("id", "created", "event type", "entity", "user", "description"):
        table.add_column(col, overflow="fold")
    for e in rows:
        table.add_row(
            str(e["id"]),
            e["created_at"].strftime("%Y-%m-%d %H:%M:%S") if e["created_at"] else "",
            e["event_type"],
            _link(e["entity"]),
            _link(e["user"]),
            e["description"] or "",
        )
    Console().print(table)


@events.command("tail")
@database_option
@click.option("--from-id", type=int, default=None, help="Start after this id (default: the current head).")
@click.option("--type", "event_type", help="Event type; wildcards allowed.")
@click.option("--interval", type=float, default=0.5, show_default=True, help="Seconds between polls.")
def tail_cmd(database: str, from_id: int | None, event_type: str | None, interval: float) -> None:
    """Follow the event log, printing one JSON line per new event (Ctrl-C to stop)."""
    sg = open_store(database)
    cursor = sg.head_event_id() if from_id is None else from_id
    try:
        while True:
            got = False
            for e in _iter_events(sg, cursor):
                cursor = e["id"]
                got = True
                if _matches(e, event_type, None, None):
                    click.echo(json.dumps(_jsonable(e), ensure_ascii=False), nl=True)
            if not got:
                time.sleep(interval)
    except KeyboardInterrupt:
        pass


def _iter_events(sg: Any, after: int) -> Any:
    """``sg.iter_events`` with a cursor behind the archive reported as a message, not a traceback."""
    try:
        yield from sg.iter_events(after, EVENT_FIELDS)
    except CursorArchived as exc:
        raise click.ClickException(str(exc)) from None


from shotlog.cli.export import export_cmd  # noqa: E402  (the command lives in its own module)

events.add_command(export_cmd)
