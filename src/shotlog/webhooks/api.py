"""The Python API of webhooks: what the REST routes, the CLI and the web UI call.

```python
from shotlog.webhooks.api import Webhooks

hooks = Webhooks(store)                       # store: a shotlog.Shotlog
hook = hooks.create_hook({"url": "https://hooks.example.com/sg", "token": "s3cret",
                          "entity_types": {"Shot": {"update": ["sg_status_list"]}}})
hooks.list_deliveries(hook["id"], status="failed")
```

Hooks and deliveries are returned as dicts in FPTR's REST shapes (plus shotlog's extra keys), so
every caller shows the same thing. Errors are ``HookInvalid`` (a bad field, with ``.field``) and
``WebhookNotFound``; both are ``shotlog.ShotlogError``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import uuid
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from shotlog.clock import clock, utcnow
from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError
from shotlog.eventlog import log
from shotlog.eventlog.events import EventBuilder, webhook_event
from shotlog.schema.global_events import never_written
from shotlog.webhooks import claims, deliverylog, payloads, repository, sending
from shotlog.webhooks.claims import ClaimedDelivery
from shotlog.webhooks.hooks import HookConfig, HookInvalid, parse_hook
from shotlog.webhooks.netguard import check_url
from shotlog.webhooks.repository import DeliveryFilter, Hook
from shotlog.webhooks.sender import Sender
from shotlog.webhooks.settings import WebhookSettings
from shotlog.webhooks.shapes import DeliveryPage, delivery_dict, performance_metrics
from shotlog.webhooks.shapes import iso_time as _iso
from shotlog.webhooks.states import DeliveryState
from shotlog.webhooks.status import FAILURE_WINDOW, HookStatus
from shotlog.webhooks.subscriptions import HookSubscription, Subscriptions

T = TypeVar("T")

__all__ = ["MAX_ACKNOWLEDGEMENT", "DeliveryPage", "TestResult", "WebhookNotFound", "Webhooks"]

#: FPTR's limit on an acknowledgement, in bytes of UTF-8
MAX_ACKNOWLEDGEMENT = 4096


class WebhookNotFound(ShotlogError):
    """No hook or delivery with that id; ``kind`` is ``hook`` or ``delivery``."""

    error_code = 104

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind}: {ident} not found", kind=kind, ident=ident)
        self.kind = kind
        self.valid_id = _is_uuid(ident)


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class TestResult:
    """What ``test_hook`` saw: the receiver's status code (None: no answer), latency and error."""

    ok: bool
    response_code: int | None
    latency_ms: float
    error: str | None
    delivery_id: str


def hook_dict(
    hook: Hook, counts: Mapping[str, int] | None = None, health: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """A hook in FPTR's REST shape; secrets are never included, only whether they are set.
    ``health``: its ``failures_in_window`` and ``failure_threshold``."""
    c = hook.config
    out: dict[str, Any] = {
        "id": hook.id,
        "url": c.url,
        "name": c.name,
        "description": c.description,
    }
    if c.entity_types is not None:
        out["entity_types"] = c.entity_types
    if c.event_types is not None:
        out["event_type"] = c.event_types[0] if len(c.event_types) == 1 else list(c.event_types)
        out["event_types"] = list(c.event_types)
        # FPTR accepts these silently; shotlog says the hook will not fire (unless a script writes one)
        out["never_written"] = never_written(c.event_types)
    out.update(
        projects=list(c.projects),
        status=c.status,
        num_deliveries=hook.num_deliveries,
        validate_ssl_cert=c.validate_ssl_cert,
        batch_deliveries=c.batch_deliveries,
        is_token_set=bool(c.token),
        # shotlog's additions
        include_in_create=c.include_in_create,
        ordered=c.ordered,
        max_concurrency=c.max_concurrency,
        timeout=c.timeout,
        standard_webhooks=c.standard_webhooks,
        is_signing_secret_set=bool(c.signing_secrets),
        created_at=_iso(hook.created_at),
        updated_at=_iso(hook.updated_at),
        last_success_at=_iso(hook.last_success_at),
        last_error_at=_iso(hook.last_error_at),
        last_error=hook.last_error,
        notify_emails=list(c.notify_emails),
        status_since=_iso(hook.status_since),
    )
    if health is not None:
        out.update(health)
    if counts is not None:
        out["pending_deliveries"] = counts.get(repository.PENDING, 0)
        out["held_deliveries"] = counts.get(repository.HELD, 0)
    return out


#: configuration fields whose values never go into an event, only whether they are set
_SECRET_FIELDS = {"token", "signing_secrets"}


def config_changes(old: HookConfig | None, new: HookConfig | None) -> dict[str, Any]:
    """What an operation changed on a hook, as ``{field: {"old", "new"}}`` (pure); secrets show
    only as set (true) or not (false)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(HookConfig):
        if f.name == "extra":
            continue
        before = None if old is None else getattr(old, f.name)
        after = None if new is None else getattr(new, f.name)
        if f.name in _SECRET_FIELDS:
            before = None if old is None else bool(before)
            after = None if new is None else bool(after)
        if before == after:
            continue
        out[f.name] = {"old": _plain(before), "new": _plain(after)}
    return out


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class Webhooks:
    """Manage hooks and read the delivery log of the database behind ``store``."""

    def __init__(self, store: Shotlog, settings: WebhookSettings | None = None) -> None:
        self.store = store
        self.db = store.db
        self.settings = settings or WebhookSettings.from_env()

    # -- hooks --------------------------------------------------------------------------------------

    def _hook(self, hook_id: str) -> Hook:
        hook = repository.get_hook(self.db, hook_id) if _is_uuid(hook_id) else None
        if hook is None:
            raise WebhookNotFound("hook", hook_id)
        return hook

    def list_hooks(
        self, status: str | None = None, *, page: int = 1, page_size: int = 500
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of hooks (optionally of one status) and whether another page follows."""
        hooks = repository.list_hooks(self.db, status, limit=page_size + 1, offset=(page - 1) * page_size)
        shown = hooks[:page_size]
        counts = repository.counts(self.db, [h.id for h in shown])
        health = self._health([h.id for h in shown])
        return [hook_dict(h, counts.get(h.id), health[h.id]) for h in shown], len(hooks) > page_size

    def _health(self, hook_ids: list[str]) -> dict[str, dict[str, int]]:
        """Per hook, the failed requests that count towards its status now, and the threshold."""
        window = FAILURE_WINDOW * self.settings.retry_scale
        failures = repository.failures_by_hook(self.db, hook_ids, clock().now(), window)
        threshold = self.settings.failure_threshold
        return {
            h: {"failures_in_window": failures.get(h, 0), "failure_threshold": threshold} for h in hook_ids
        }

    def get_hook(self, hook_id: str, *, with_counts: bool = True) -> dict[str, Any]:
        """The hook; ``with_counts``: with its pending and held deliveries (a page that reads the
        delivery log's counts with its table leaves them out and takes them from there)."""
        hook = self._hook(hook_id)
        counts = repository.counts(self.db, [hook.id]).get(hook.id) if with_counts else None
        return hook_dict(hook, counts, self._health([hook.id])[hook.id])

    def _validate(
        self, body: Mapping[str, Any], existing: HookConfig | None
    ) -> tuple[HookConfig, str | None]:
        generated = None
        if (
            isinstance(body, Mapping)
            and body.get("standard_webhooks") is True
            and "signing_secret" not in body
            and not (existing and existing.signing_secrets)
        ):
            generated = payloads.new_signing_secret()
            body = {**body, "signing_secret": generated}
        self.store.catalog.refresh()
        config = parse_hook(body, self.store.catalog.schema, existing)
        if "url" in body:
            check_url(config.url, self.settings.policy)
        if config.projects and "projects" in body:
            found = {
                p["id"] for p in self.store.find("Project", [["id", "in", list(config.projects)]], ["id"])
            }
            missing = [p for p in config.projects if p not in found]
            if missing:
                raise HookInvalid("projects", f"projects: no Project with id {missing[0]}")
        return config, generated

    def _audit(
        self, by: Shotlog | None, operation: str, old: HookConfig | None, new: HookConfig | None
    ) -> repository.Audit | None:
        """FPTR's Shotgun_Webhook_* event as ``by`` (the caller's view of the store), appended in
        the hook change's own transaction; None when there is nothing to log."""
        actor = (by or self.store).actor
        if not actor.generates_events or old == new:
            return None
        shown = new or old
        name = shown.name if shown is not None else ""
        changes = config_changes(old, new)

        def audit(conn: Connection, hook_id: str) -> None:
            event = webhook_event(EventBuilder(actor), operation, hook_id, name, changes)
            log.append(conn, self.db, [event], actor, utcnow())

        return audit

    def create_hook(self, fields: Mapping[str, Any], *, by: Shotlog | None = None) -> dict[str, Any]:
        """Create a hook from FPTR's create fields (and shotlog's). With ``standard_webhooks`` and no
        ``signing_secret``, one is generated and returned once, as ``signing_secret``. ``by`` is
        who did it, for the ``Shotgun_Webhook_Created`` event (default: the store's user)."""
        config, generated = self._validate(fields, None)
        hook_id = repository.insert_hook(
            self.db, config, clock().now(), self._audit(by, "created", None, config)
        )
        out = self.get_hook(hook_id)
        if generated:
            out["signing_secret"] = generated
        return out

    def update_hook(
        self, hook_id: str, fields: Mapping[str, Any], *, by: Shotlog | None = None
    ) -> dict[str, Any]:
        """Change any subset of the fields; ``status`` may be set to active or disabled."""
        hook = self._hook(hook_id)
        config, generated = self._validate(fields, hook.config)
        audit = self._audit(by, "updated", hook.config, config)
        repository.update_hook(self.db, hook.id, config, clock().now(), audit=audit)
        out = self.get_hook(hook.id)
        if generated:
            out["signing_secret"] = generated
        return out

    def delete_hook(self, hook_id: str, *, by: Shotlog | None = None) -> None:
        """Remove the hook and its whole delivery log."""
        hook = repository.get_hook(self.db, hook_id) if _is_uuid(hook_id) else None
        if hook is None or not repository.delete_hook(
            self.db, hook_id, self._audit(by, "deleted", hook.config, None)
        ):
            raise WebhookNotFound("hook", hook_id)

    def enable_hook(self, hook_id: str, *, by: Shotlog | None = None) -> dict[str, Any]:
        """Active again (from Disabled or Failed): the held deliveries are sent, oldest event first,
        and failed requests before now no longer count towards its status."""
        return self._set_status(hook_id, HookStatus.ACTIVE, by)

    def disable_hook(self, hook_id: str, *, by: Shotlog | None = None) -> dict[str, Any]:
        """Stop delivering; new and pending deliveries are held until the hook is enabled again
        (or discarded)."""
        return self._set_status(hook_id, HookStatus.DISABLED, by)

    def _set_status(self, hook_id: str, status: HookStatus, by: Shotlog | None) -> dict[str, Any]:
        hook = self._hook(hook_id)
        config = dataclasses.replace(hook.config, status=status)
        repository.update_hook(
            self.db, hook.id, config, clock().now(), audit=self._audit(by, "updated", hook.config, config)
        )
        return self.get_hook(hook.id)

    def test_hook(self, hook_id: str) -> TestResult:
        """Send a ``Test_Connection`` delivery now and report what the receiver answered.

        It is recorded in the delivery log like any delivery. Call from a thread, not from a
        running event loop (it runs its own).
        """
        hook = self._hook(hook_id)
        the_clock = clock()
        now = the_clock.now()
        data = payloads.test_connection_data(hook.id)
        lease = now + dt.timedelta(
            seconds=claims.lease_seconds(hook.config.timeout, self.settings.claim_margin)
        )
        delivery_id = repository.insert_service(self.db, hook.id, "test", data, now, claimed_until=lease)
        claimed = ClaimedDelivery(delivery_id, hook.id, 0, "test", data, 0, lease=lease)
        # the worker's steps: prepare, send, then record the outcome (the hook's back-off untouched)
        (request,), _ = sending.prepare(hook, [claimed], now)

        async def send() -> sending.Sent:
            sender = Sender(self.settings.policy, limit=1, limit_per_host=1)
            await sender.open()
            try:
                return await sending.send(sender, request, self.settings.site_url)
            finally:
                await sender.close()

        sent = _run_coroutine(send())
        result = sending.outcome(request, sent, retry_scale=self.settings.retry_scale)
        sending.time_on(result, the_clock)
        repository.record(self.db, [result], the_clock.now(), count_failures=False)
        resp = sent.response
        return TestResult(
            result.succeeded, resp.status, round(resp.elapsed * 1000, 3), resp.error, delivery_id
        )

    # -- deliveries ---------------------------------------------------------------------------------

    def list_deliveries(
        self,
        hook_id: str,
        *,
        status: str | None = None,
        entity_type: str | None = None,
        entity_id: int | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        acknowledgement: str | None = None,
        page: int = 1,
        page_size: int = 500,
    ) -> DeliveryPage:
        """The hook's deliveries, newest event first, with FPTR's performance metrics of the page.

        ``status``: delivered, failed (the last attempt failed, retrying or given up), pending
        (not attempted yet), held or discarded. ``since``/``until`` bound the event time (naive UTC).
        """
        hook = self._hook(hook_id)
        f = DeliveryFilter(status, entity_type, entity_id, since, until, acknowledgement)
        rows, has_next = repository.list_deliveries(
            self.db, hook.id, f, limit=page_size, offset=(page - 1) * page_size
        )
        deliveries = [delivery_dict(r) for r in rows]
        return DeliveryPage(deliveries, performance_metrics(deliveries), has_next)

    def delivery_log(
        self,
        hook_id: str,
        *,
        state: DeliveryState | None = None,
        entity_type: str | None = None,
        entity_id: int | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        acknowledgement: str | None = None,
        page: int = 1,
        page_size: int = 500,
    ) -> DeliveryPage:
        """A page of the hook's deliveries in one ``state`` (any: None), with ``counts``: how many
        are in each state under the same conditions, and ``log_counts``: how many in the whole log,
        both read with the page, so they agree with it."""
        hook = self._hook(hook_id)
        f = DeliveryFilter(None, entity_type, entity_id, since, until, acknowledgement, state=state)
        found = deliverylog.log_page(self.db, hook.id, f, limit=page_size, offset=(page - 1) * page_size)
        deliveries = [delivery_dict(r) for r in found.rows]
        metrics = performance_metrics(deliveries)
        return DeliveryPage(deliveries, metrics, found.has_next, found.counts, found.log_counts)

    def delivery_counts(self, hook_id: str) -> dict[DeliveryState, int]:
        """How many of the hook's deliveries are in each state (the whole log)."""
        return deliverylog.state_counts(self.db, self._hook(hook_id).id)

    def get_delivery(self, delivery_id: str) -> dict[str, Any]:
        row = repository.get_delivery(self.db, delivery_id) if _is_uuid(delivery_id) else None
        if row is None:
            raise WebhookNotFound("delivery", delivery_id)
        return delivery_dict(row)

    def delivery_attempts(self, delivery_id: str) -> list[dict[str, Any]]:
        """Every HTTP attempt of the delivery, oldest first: the request as sent (headers, body up to
        64 KiB) and the answer (status, headers, body up to 4 KiB), or the error, and the duration."""
        self.get_delivery(delivery_id)  # WebhookNotFound for an unknown one
        return deliverylog.attempts_of(self.db, delivery_id)

    def acknowledge(self, delivery_id: str, acknowledgement: str | None) -> dict[str, Any]:
        """Attach the receiver's out-of-band acknowledgement (at most 4096 bytes)."""
        if acknowledgement is not None:
            if not isinstance(acknowledgement, str):
                raise HookInvalid("acknowledgement", "acknowledgement must be a string")
            if len(acknowledgement.encode()) > MAX_ACKNOWLEDGEMENT:
                raise HookInvalid("acknowledgement", "acknowledgement must be 4096 bytes long or less")
        if not (_is_uuid(delivery_id) and repository.acknowledge(self.db, delivery_id, acknowledgement)):
            raise WebhookNotFound("delivery", delivery_id)
        return self.get_delivery(delivery_id)

    def redeliver(self, delivery_id: str) -> str:
        """Queue the delivery's event again to its hook; returns the new delivery's id (which
        records ``redelivery_of``)."""
        new = repository.redeliver(self.db, delivery_id, clock().now()) if _is_uuid(delivery_id) else None
        if new is None:
            raise WebhookNotFound("delivery", delivery_id)
        return new

    def replay(
        self,
        hook_id: str,
        *,
        after_id: int = 0,
        to_id: int | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> int:
        """Queue again every event of the range that the hook's subscription matches (older than the
        hook too); returns how many deliveries were queued."""
        hook = self._hook(hook_id)
        if after_id < 0 or (to_id is not None and to_id < after_id):
            raise HookInvalid("range", f"replay range is empty or negative: after {after_id}, to {to_id}")
        sub = hook.subscription()
        matcher = Subscriptions(
            [
                HookSubscription(
                    hook.id, sub.entity_types, sub.event_types, sub.projects, sub.include_in_create, 0
                )
            ]
        )
        return repository.replay(
            self.db,
            hook,
            matcher,
            after_id=after_id,
            to_id=to_id,
            since=since,
            until=until,
            now=clock().now(),
        )

    def release_held(self, hook_id: str) -> int:
        """Queue the hook's held deliveries for sending (the hook must be active to send them)."""
        return repository.release_held(self.db, self._hook(hook_id).id, clock().now())

    def discard_held(self, hook_id: str) -> int:
        """Give up the hook's held deliveries (they stay in the log as discarded)."""
        return repository.discard_held(self.db, self._hook(hook_id).id, clock().now())


def _run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code, even when this thread already runs an event
    loop (an embedding application, a test harness): then on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
