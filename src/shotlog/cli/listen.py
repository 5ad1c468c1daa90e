"""``shotlog webhooks listen``: a local receiver for trying hooks (a module of its own for its size;
``shotlog.cli`` adds it to the ``webhooks`` group)."""

from __future__ import annotations

import asyncio
import secrets as random_secrets
import signal
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import click
from rich.console import Console

from shotlog.cli.common import database_option, fail, open_store
from shotlog.cli.webhooks import _entities, _errors

__all__ = ["listen"]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _subscription(
    entity: tuple[str, ...], fields: tuple[str, ...], event_type: tuple[str, ...], project: tuple[int, ...]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    entity_types = _entities(entity, fields)
    if entity_types is not None:
        body["entity_types"] = entity_types
    if event_type:
        body["event_types"] = list(event_type)
    if project:
        body["projects"] = list(project)
    return body


def _hook_secrets(given: tuple[str, ...]) -> tuple[str, str]:
    """The created hook's token and Standard Webhooks secret: the first of each kind given with
    ``--secret``, else new random ones (the listener knows them, so both signatures verify)."""
    from shotlog.webhooks.payloads import new_signing_secret, valid_signing_secret

    token = next((s for s in given if not s.startswith("whsec_")), None)
    signing = next((s for s in given if valid_signing_secret(s)), None)
    return token or random_secrets.token_urlsafe(24), signing or new_signing_secret()


def _create(database: str, body: dict[str, Any]) -> tuple[Any, str]:
    from shotlog.webhooks.api import Webhooks
    from shotlog.webhooks.netguard import RefusedAddress
    from shotlog.webhooks.settings import WebhookSettings

    try:
        api = Webhooks(open_store(database), WebhookSettings.from_env())
        return api, api.create_hook(body)["id"]
    except RefusedAddress as exc:
        fail(
            f"--hook-url: {exc.message}. To let shotlog deliver to this machine, run this command and"
            " the server or workers that send with SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS=127.0.0.0/8"
            " (or the listener's network), or give --hook-url an address they may reach"
        )
        raise


@click.command("listen")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0 picks a free port."
)
@click.option(
    "--secret",
    multiple=True,
    help="A hook's token (checks X-SG-SIGNATURE) or whsec_ secret (checks webhook-signature); repeatable.",
)
@click.option(
    "--status",
    type=click.IntRange(100, 599),
    help="Answer every delivery with this HTTP status (default 200).",
)
@click.option(
    "--delay",
    type=click.FloatRange(0, 3600),
    default=0.0,
    help="Seconds to wait before answering (beyond the hook's timeout to rehearse one).",
)
@click.option(
    "--forward",
    metavar="URL",
    help="POST each delivery, same body and headers, to your app; answer with the app's status.",
)
@click.option("--full", is_flag=True, help="Print whole bodies instead of one compact line.")
@click.option(
    "--create-hook",
    is_flag=True,
    help="Create a hook posting here (signed both ways) until this command exits, then delete it.",
)
@database_option
@click.option("--entity", multiple=True, help="With --create-hook: Type=actions, e.g. Shot=create,update.")
@click.option("--fields", multiple=True, help="With --create-hook: Type=field,field for updates.")
@click.option("--event-type", multiple=True, help="With --create-hook: an event type; wildcards allowed.")
@click.option("--project", type=int, multiple=True, help="With --create-hook: only this project id.")
@click.option("--batched", is_flag=True, help="With --create-hook: the batched format.")
@click.option("--hook-url", help="With --create-hook: the URL the hook posts to (default: this listener).")
def listen(
    host: str,
    port: int,
    secret: tuple[str, ...],
    status: int | None,
    delay: float,
    forward: str | None,
    full: bool,
    create_hook: bool,
    database: str,
    entity: tuple[str, ...],
    fields: tuple[str, ...],
    event_type: tuple[str, ...],
    project: tuple[int, ...],
    batched: bool,
    hook_url: str | None,
) -> None:
    """Receive deliveries here and print each: event, entity, delivery id, signature verdicts.

    Examples: `shotlog webhooks listen --secret s3cret` (then point a hook's URL here);
    `shotlog webhooks listen --create-hook --entity Shot=create,update --status 500` (a hook for as
    long as this runs, answered with failures); `--forward http://127.0.0.1:5000/sg` (your app
    answers, the listener shows both sides). Stop with Ctrl-C or SIGTERM.
    """
    from shotlog.webhooks.listener import Answer, Listener, bind, serve_until_signal, url_of

    if status is not None and forward:
        fail("--status and --forward both decide the answer: give one of them")
    if forward and urlsplit(forward).scheme not in ("http", "https"):
        fail(f"--forward must be an http:// or https:// URL, got {forward!r}")
    subscription = _subscription(entity, fields, event_type, project)
    if not create_hook and (subscription or batched or hook_url):
        fail("--entity, --fields, --event-type, --project, --batched and --hook-url go with --create-hook")
    if create_hook and not (subscription.get("entity_types") or subscription.get("event_types")):
        fail("--create-hook needs a subscription: --entity Type=actions or --event-type TYPE")
    try:
        sock = bind(host, port)
    except OSError as exc:
        fail(f"--port {port}: cannot listen on {host}:{port}: {exc.strerror or exc}")
        raise
    console = Console(highlight=False)
    keys = list(secret)
    api: Any = None
    hook_id: str | None = None
    # From here SIGTERM unwinds like Ctrl-C, so the finally below deletes the hook whenever it stops.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if create_hook:
            token, signing = _hook_secrets(secret)
            keys += [token, signing]
            body = {
                **subscription,
                "url": hook_url or url_of(sock, host),
                "name": f"webhooks listen on {url_of(sock, host)}",
                "token": token,
                "standard_webhooks": True,
                "signing_secret": signing,
                "batch_deliveries": batched,
            }
            with _errors():
                api, hook_id = _create(database, body)
            console.print(
                f"created hook {hook_id} posting to {body['url']} (deleted when this command exits)",
                soft_wrap=True,
            )
        answer = Answer(status=status or 200, delay=delay, forward=forward)
        told = f"forwarding to {forward}" if forward else f"answering {answer.status}"
        if delay:
            told += f" after {delay:g} s"
        console.print(
            f"listening on {url_of(sock, host)}, {told}; Ctrl-C to stop", soft_wrap=True, highlight=False
        )
        asyncio.run(serve_until_signal(Listener(keys, answer, console, full=full), sock))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if hook_id is not None:
            _delete(api, hook_id, console)


def _delete(api: Any, hook_id: str, console: Console) -> None:
    """Delete, not disable: a disabled hook would hold every matching event from now on, waiting for
    a listener that is gone. The hook's delivery log goes with it."""
    from shotlog.errors import ShotlogError

    try:
        api.delete_hook(hook_id)
    except ShotlogError as exc:
        console.print(f"could not delete hook {hook_id} ({exc}): shotlog webhooks delete {hook_id} --yes")
        raise SystemExit(1) from None
    console.print(f"deleted hook {hook_id}")
