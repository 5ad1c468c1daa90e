"""``shotlog webhooks``: manage hooks and their deliveries from the terminal."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from shotlog.cli.common import database_option, fail, open_store
from shotlog.errors import ShotlogError

__all__ = ["webhooks"]


@contextmanager
def _errors() -> Iterator[None]:
    """Every shotlog error becomes a one-line message naming the field and value, and exit code 1."""
    try:
        yield
    except ShotlogError as exc:
        field = exc.details.get("field")
        prefix = f"{field}: " if isinstance(field, str) and not exc.message.startswith(field) else ""
        fail(prefix + exc.message)
    except ValueError as exc:  # settings (SHOTLOG_WEBHOOKS_*) that do not parse
        fail(str(exc))


def _api(database: str) -> Any:
    from shotlog.webhooks.api import Webhooks

    with _errors():
        return Webhooks(open_store(database))


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _entities(entity: tuple[str, ...], fields: tuple[str, ...]) -> dict[str, dict[str, list[str]]] | None:
    """``--entity Shot=create,update --fields Shot=sg_status_list,code`` → FPTR's entity_types."""
    if not entity:
        if fields:
            fail("--fields needs --entity for the same entity type")
        return None
    out: dict[str, dict[str, list[str]]] = {}
    for spec in entity:
        name, _, actions = spec.partition("=")
        if not name or not actions:
            fail(f"--entity expects Type=action[,action...], got {spec!r}")
        out.setdefault(name, {}).update({a.strip(): [] for a in actions.split(",") if a.strip()})
    for spec in fields:
        name, _, names = spec.partition("=")
        if name not in out or "update" not in out[name]:
            fail(f"--fields {spec!r}: give --entity {name}=update first")
        out[name]["update"] = [n.strip() for n in names.split(",") if n.strip()]
    return out


def _body(
    url: str | None,
    name: str | None,
    description: str | None,
    token: str | None,
    entity: tuple[str, ...],
    fields: tuple[str, ...],
    event_type: tuple[str, ...],
    project: tuple[int, ...],
    options: dict[str, Any],
    raw: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if raw:
        try:
            loaded = json.loads(raw)
        except ValueError as exc:
            fail(f"--json is not valid JSON: {exc}")
        if not isinstance(loaded, dict):
            fail("--json must be a JSON object of hook fields")
        body.update(loaded)
    for key, value in (("url", url), ("name", name), ("description", description), ("token", token)):
        if value is not None:
            body[key] = value
    entity_types = _entities(entity, fields)
    if entity_types is not None:
        body["entity_types"] = entity_types
    if event_type:
        body["event_types"] = list(event_type)
    if project:
        body["projects"] = list(project)
    body.update({k: v for k, v in options.items() if v is not None})
    return body


def _hook_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--url", help="Receiver URL (http:// or https://)."),
        click.option("--name"),
        click.option("--description"),
        click.option("--token", help="Secret for X-SG-SIGNATURE (sha1 HMAC); '' removes it."),
        click.option(
            "--entity",
            multiple=True,
            help="Type=actions, e.g. Shot=create,update,delete,revive (repeatable).",
        ),
        click.option("--fields", multiple=True, help="Type=field,field: the fields whose updates fire."),
        click.option(
            "--event-type", multiple=True, help="A non-entity or custom event type; wildcards allowed."
        ),
        click.option(
            "--project", type=int, multiple=True, help="Only events of this project id (repeatable)."
        ),
        click.option("--batched/--not-batched", "batch_deliveries", default=None, help="Batched format."),
        click.option("--verify-ssl/--no-verify-ssl", "validate_ssl_cert", default=None),
        click.option("--include-in-create/--no-include-in-create", default=None),
        click.option("--ordered/--unordered", default=None, help="One request at a time, in event order."),
        click.option("--concurrency", "max_concurrency", type=int, help="Requests in flight at most."),
        click.option("--timeout", type=float, help="Seconds per request (default 6)."),
        click.option("--standard-webhooks/--no-standard-webhooks", default=None),
        click.option("--json", "raw", help="Hook fields as a JSON object (FPTR's REST body)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _hook_body(kw: dict[str, Any]) -> dict[str, Any]:
    options = {
        k: kw.pop(k)
        for k in (
            "batch_deliveries",
            "validate_ssl_cert",
            "include_in_create",
            "ordered",
            "max_concurrency",
            "timeout",
            "standard_webhooks",
        )
    }
    if "status" in kw:
        options["status"] = kw.pop("status")
    return _body(
        kw["url"],
        kw["name"],
        kw["description"],
        kw["token"],
        kw["entity"],
        kw["fields"],
        kw["event_type"],
        kw["project"],
        options,
        kw["raw"],
    )


def _show_hook(hook: dict[str, Any]) -> None:
    _echo_json(hook)


@click.group()
def webhooks() -> None:
    """Manage webhooks: hooks, deliveries, replays and held deliveries."""


@webhooks.command("list")
@database_option
@click.option("--status", type=click.Choice(["active", "unstable", "failed", "disabled"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(database: str, status: str | None, as_json: bool) -> None:
    """List hooks."""
    api = _api(database)
    with _errors():
        hooks, _ = api.list_hooks(status, page_size=100_000)
    if as_json:
        _echo_json(hooks)
        return
    table = Table()
    for col in ("id", "name", "status", "url", "subscription", "pending", "held", "delivered"):
        table.add_column(col, overflow="fold")
    for h in hooks:
        sub = ", ".join(h.get("entity_types", {}) or h.get("event_types", []))
        table.add_row(
            h["id"],
            h["name"],
            h["status"],
            h["url"],
            sub,
            str(h["pending_deliveries"]),
            str(h["held_deliveries"]),
            str(h["num_deliveries"]),
        )
    Console().print(table)


@webhooks.command("create")
@database_option
@_hook_options
def create_cmd(database: str, **kw: Any) -> None:
    """Create a hook and print it (as JSON).

    Example: shotlog webhooks create --url https://hooks.example.com/sg --token s3cret
    --entity Shot=create,update --fields Shot=sg_status_list

    The URL must resolve to an address shotlog may reach when the hook is created (a public one
    unless SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS or SHOTLOG_WEBHOOKS_ALLOW_PRIVATE say otherwise);
    `shotlog webhooks listen` is a receiver to try hooks with on this machine.
    """
    api = _api(database)
    with _errors():
        _show_hook(api.create_hook(_hook_body(kw)))


@webhooks.command("show")
@database_option
@click.argument("hook_id")
def show_cmd(database: str, hook_id: str) -> None:
    """Show one hook (as JSON)."""
    api = _api(database)
    with _errors():
        _show_hook(api.get_hook(hook_id))


@webhooks.command("update")
@database_option
@click.argument("hook_id")
@_hook_options
@click.option("--status", type=click.Choice(["active", "disabled"]), help="Enable or disable the hook.")
def update_cmd(database: str, hook_id: str, **kw: Any) -> None:
    """Change some fields of a hook."""
    api = _api(database)
    body = _hook_body(kw)
    if not body:
        fail("nothing to update: give at least one option")
    with _errors():
        _show_hook(api.update_hook(hook_id, body))


@webhooks.command("delete")
@database_option
@click.argument("hook_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_cmd(database: str, hook_id: str, yes: bool) -> None:
    """Delete a hook and its delivery log."""
    api = _api(database)
    if not yes:
        click.confirm(f"Delete hook {hook_id} and its delivery log?", abort=True)
    with _errors():
        api.delete_hook(hook_id)
    click.echo(f"deleted {hook_id}")


@webhooks.command("deliveries")
@database_option
@click.argument("hook_id")
@click.option("--status", type=click.Choice(["delivered", "failed", "pending", "held", "discarded"]))
@click.option("--entity-type")
@click.option("--entity-id", type=int)
@click.option("--acknowledgement", help="Only deliveries whose acknowledgement contains this text.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with FPTR's performance metrics).")
def deliveries_cmd(
    database: str,
    hook_id: str,
    status: str | None,
    entity_type: str | None,
    entity_id: int | None,
    acknowledgement: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List a hook's deliveries, newest first."""
    api = _api(database)
    with _errors():
        page = api.list_deliveries(
            hook_id,
            status=status,
            entity_type=entity_type,
            entity_id=entity_id,
            acknowledgement=acknowledgement,
            page_size=limit,
        )
    if as_json:
        _echo_json({"data": page.deliveries, "performance_metrics": page.performance_metrics})
        return
    table = Table()
    for col in ("id", "event", "status", "attempts", "code", "time (s)", "error"):
        table.add_column(col, overflow="fold")
    for d in page.deliveries:
        table.add_row(
            d["id"],
            str(d["event_log_entry_id"]),
            d["status"],
            str(d["attempts"]),
            str(d["response_code"] or ""),
            "" if d["process_time"] is None else f"{d['process_time']:.3f}",
            d["error"] or "",
        )
    Console().print(table)


@webhooks.command("redeliver")
@database_option
@click.argument("delivery_id")
def redeliver_cmd(database: str, delivery_id: str) -> None:
    """Send a delivery's event again (a new delivery linked to the original)."""
    api = _api(database)
    with _errors():
        new = api.redeliver(delivery_id)
    click.echo(new)


def _when(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{name} must be an ISO date or time (2026-11-27T10:00:00Z), got {value!r}")
        raise
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


@webhooks.command("replay")
@database_option
@click.argument("hook_id")
@click.option("--after", "after_id", type=click.IntRange(0), default=0, help="Events with an id above this.")
@click.option("--to", "to_id", type=click.IntRange(0), help="Events with an id up to this.")
@click.option("--since", help="Events created at or after this time (ISO, UTC).")
@click.option("--until", help="Events created at or before this time (ISO, UTC).")
def replay_cmd(
    database: str, hook_id: str, after_id: int, to_id: int | None, since: str | None, until: str | None
) -> None:
    """Deliver again every event of a range that the hook's subscription matches."""
    api = _api(database)
    with _errors():
        n = api.replay(
            hook_id,
            after_id=after_id,
            to_id=to_id,
            since=_when(since, "--since"),
            until=_when(until, "--until"),
        )
    click.echo(f"queued {n} deliveries")


@webhooks.command("test")
@database_option
@click.argument("hook_id")
def test_cmd(database: str, hook_id: str) -> None:
    """Send a Test_Connection delivery now and show what the receiver answered."""
    api = _api(database)
    with _errors():
        result = api.test_hook(hook_id)
    verdict = "ok" if result.ok else "FAILED"
    code = result.response_code if result.response_code is not None else "no answer"
    click.echo(
        f"{verdict}: HTTP {code} in {result.latency_ms:.1f} ms"
        + (f" ({result.error})" if result.error else "")
    )
    if not result.ok:
        raise SystemExit(1)


@webhooks.command("release")
@database_option
@click.argument("hook_id")
def release_cmd(database: str, hook_id: str) -> None:
    """Queue the hook's held deliveries (they go out once the hook is active)."""
    api = _api(database)
    with _errors():
        n = api.release_held(hook_id)
    click.echo(f"released {n} held deliveries")


@webhooks.command("discard")
@database_option
@click.argument("hook_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def discard_cmd(database: str, hook_id: str, yes: bool) -> None:
    """Give up the hook's held deliveries."""
    api = _api(database)
    if not yes:
        click.confirm(f"Discard every held delivery of hook {hook_id}?", abort=True)
    with _errors():
        n = api.discard_held(hook_id)
    click.echo(f"discarded {n} held deliveries")


@webhooks.command("enable")
@database_option
@click.argument("hook_id")
def enable_cmd(database: str, hook_id: str) -> None:
    """Make a disabled or failed hook active again and send its held deliveries."""
    api = _api(database)
    with _errors():
        held = api.get_hook(hook_id)["held_deliveries"]
        hook = api.enable_hook(hook_id)
    click.echo(f"{hook['id']} is {hook['status']}; {held} held deliveries are sent")


@webhooks.command("disable")
@database_option
@click.argument("hook_id")
def disable_cmd(database: str, hook_id: str) -> None:
    """Stop delivering to a hook; its deliveries are held."""
    api = _api(database)
    with _errors():
        hook = api.disable_hook(hook_id)
    click.echo(f"{hook['id']} is {hook['status']}")
