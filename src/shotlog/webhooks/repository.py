"""The webhook tables: hooks, the dispatch cursor, deliveries and attempts. All SQL lives here.

The worker and the API call these functions and never see a query; events are read through
``shotlog.eventlog.read``. Every function takes a ``Database`` and runs one transaction (or takes a
``Connection`` when it is part of a larger one).

Claiming (``claim_in``, inside ``exchange``) is how several workers share the load: a delivery is
taken by setting ``claimed_until`` (a lease) in a short transaction; rows another worker holds are
skipped (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has a single writer, so its claim
transaction is already exclusive). A worker that dies simply lets its leases expire, and the
deliveries are taken again: nothing is lost, and only requests that were in flight can be sent twice.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.clock import utcnow
from shotlog.eventlog import read as eventlog
from shotlog.store import driver
from shotlog.store.database import Database
from shotlog.store.tables import webhook_attempts as att
from shotlog.store.tables import webhook_cursor as cur
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.store.tables import webhook_hooks as hk
from shotlog.webhooks.hooks import HookConfig
from shotlog.webhooks.payloads import HookSigning
from shotlog.webhooks.schedule import DISABLED, FAILED, FAILURE_WINDOW
from shotlog.webhooks.subscriptions import HookSubscription

__all__ = [
    "DELIVERED",
    "DISCARDED",
    "GAVE_UP",
    "HELD",
    "PENDING",
    "ROUNDS_AHEAD",
    "AttemptResult",
    "Audit",
    "Claim",
    "ClaimedDelivery",
    "DeliveryFilter",
    "Hook",
    "acknowledge",
    "any_hook",
    "claim_in",
    "counts",
    "cursor_position",
    "delete_hook",
    "discard_held",
    "dispatch",
    "exchange",
    "failures_in_window",
    "get_delivery",
    "get_hook",
    "has_due",
    "insert_hook",
    "insert_service",
    "list_deliveries",
    "list_hooks",
    "mark_claimed",
    "new_id",
    "purge",
    "record",
    "record_in",
    "redeliver",
    "release",
    "release_held",
    "replay",
    "set_status",
    "update_hook",
    "utcnow",
]

PENDING, DELIVERED, GAVE_UP, HELD, DISCARDED = "pending", "delivered", "failed", "held", "discarded"
#: rounds of requests a worker claims beyond the ones in flight (see ``worker.DeliveryWorker._capacity``)
ROUNDS_AHEAD = 3
# The hot statements, built once: ``driver.executemany`` compiles each once and sends plain driver SQL.
_INSERT_DELIVERY = sa.insert(dlv)
_INSERT_ATTEMPT = sa.insert(att)
#: what every attempt writes on its deliveries, finished or to be retried (``record_in``'s ``base``)
_AFTER_ATTEMPT: dict[str, Any] = {
    "attempts": sa.bindparam("b_attempts"),
    "last_attempt_id": sa.bindparam("b_attempt"),
    "response_code": sa.bindparam("b_code"),
    "process_time": sa.bindparam("b_time"),
    "claimed_until": sa.bindparam("b_claimed"),
}
_FINISH = (
    sa.update(dlv)
    .where(dlv.c.id == sa.bindparam("b_id"))
    .values(**_AFTER_ATTEMPT, state=sa.bindparam("b_state"), finished_at=sa.bindparam("b_finished"))
)
_RETRY = (
    sa.update(dlv)
    .where(dlv.c.id == sa.bindparam("b_id"))
    .values(**_AFTER_ATTEMPT, next_attempt_at=sa.bindparam("b_next"))
)
#: the dispatch cursor: a single row (id 1) shared by every worker
_CURSOR = sa.select(cur.c.last_event_id).where(cur.c.id == 1)
#: whether any hook exists (deleted hooks leave no row)
_ANY_HOOK = sa.select(hk.c.id).limit(1)


def _not_paused(now: dt.datetime) -> Any:
    """Hooks whose back-off pause is over (or that have none) at ``now``."""
    return sa.or_(hk.c.paused_until.is_(None), hk.c.paused_until <= now)


def _unclaimed(now: dt.datetime) -> Any:
    """Deliveries no worker holds a lease on at ``now`` (never claimed, or the lease ran out)."""
    return sa.or_(dlv.c.claimed_until.is_(None), dlv.c.claimed_until < now)


_ids = random.Random(int.from_bytes(os.urandom(16), "big"))
_ids_lock = threading.Lock()


def new_id() -> str:
    """A random (version 4) UUID. Ids name rows, they are not secrets, so they come from a PRNG
    seeded from the OS: ``uuid4()`` reads ``os.urandom`` each time, which cost more than a
    delivery's HMAC in the worker's profile."""
    with _ids_lock:
        bits = _ids.getrandbits(128)
    return str(uuid.UUID(int=bits, version=4))


@dataclass(frozen=True)
class Hook:
    """A hook row: its configuration and its delivery state."""

    id: str
    config: HookConfig
    start_event_id: int
    consecutive_failures: int
    paused_until: dt.datetime | None
    num_deliveries: int
    last_success_at: dt.datetime | None
    last_error_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def status(self) -> str:
        return self.config.status

    def subscription(self) -> HookSubscription:
        c = self.config
        return HookSubscription(
            self.id, c.entity_types, c.event_types, c.projects, c.include_in_create, self.start_event_id
        )

    def signing(self, site_url: str) -> HookSigning:
        """What of this hook shapes its requests' headers."""
        c = self.config
        return HookSigning(self.id, c.token, c.standard_webhooks, c.signing_secrets, site_url)


def _hook(row: Any) -> Hook:
    m = row._mapping
    config = HookConfig(
        url=m["url"],
        name=m["name"],
        description=m["description"],
        token=m["token"],
        signing_secrets=tuple(m["signing_secrets"] or ()),
        standard_webhooks=m["standard_webhooks"],
        entity_types=m["entity_types"],
        event_types=tuple(m["event_types"]) if m["event_types"] is not None else None,
        projects=tuple(m["projects"] or ()),
        include_in_create=m["include_in_create"],
        validate_ssl_cert=m["validate_ssl_cert"],
        batch_deliveries=m["batch_deliveries"],
        ordered=m["ordered"],
        max_concurrency=m["max_concurrency"],
        timeout=m["timeout"],
        status=m["status"],
    )
    return Hook(
        id=m["id"],
        config=config,
        start_event_id=m["start_event_id"],
        consecutive_failures=m["consecutive_failures"],
        paused_until=m["paused_until"],
        num_deliveries=m["num_deliveries"],
        last_success_at=m["last_success_at"],
        last_error_at=m["last_error_at"],
        last_error=m["last_error"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _config_values(c: HookConfig) -> dict[str, Any]:
    return {
        "url": c.url,
        "name": c.name,
        "description": c.description,
        "token": c.token,
        "signing_secrets": list(c.signing_secrets),
        "standard_webhooks": c.standard_webhooks,
        "entity_types": c.entity_types,
        "event_types": list(c.event_types) if c.event_types is not None else None,
        "projects": list(c.projects),
        "include_in_create": c.include_in_create,
        "validate_ssl_cert": c.validate_ssl_cert,
        "batch_deliveries": c.batch_deliveries,
        "ordered": c.ordered,
        "max_concurrency": c.max_concurrency,
        "timeout": c.timeout,
        "status": c.status,
    }


# -- hooks ------------------------------------------------------------------------------------------


#: what a hook change appends to the event log, given the transaction and the hook's id: it runs as
#: the transaction's last step, so the change and its event commit together
Audit = Callable[[Connection, str], None]


def insert_hook(db: Database, config: HookConfig, now: dt.datetime, audit: Audit | None = None) -> str:
    """Store a new hook; it receives events committed after this transaction (start_event_id)."""
    hook_id = new_id()
    with db.write() as conn:
        head = eventlog.head_id(conn)
        conn.execute(
            sa.insert(hk).values(
                id=hook_id,
                **_config_values(config),
                start_event_id=head,
                consecutive_failures=0,
                paused_until=None,
                num_deliveries=0,
                created_at=now,
                updated_at=now,
            )
        )
        if audit is not None:
            audit(conn, hook_id)
    return hook_id


def get_hook(db: Database, hook_id: str) -> Hook | None:
    with db.read() as conn:
        row = conn.execute(sa.select(hk).where(hk.c.id == hook_id)).first()
    return _hook(row) if row is not None else None


def list_hooks(db: Database, status: str | None = None, *, limit: int = 0, offset: int = 0) -> list[Hook]:
    query = sa.select(hk).order_by(hk.c.created_at, hk.c.id)
    if status is not None:
        query = query.where(hk.c.status == status)
    if limit:
        query = query.limit(limit).offset(offset)
    with db.read() as conn:
        return [_hook(r) for r in conn.execute(query)]


def update_hook(
    db: Database,
    hook_id: str,
    config: HookConfig,
    now: dt.datetime,
    *,
    source: str = "client",
    audit: Audit | None = None,
) -> bool:
    """Store a changed configuration; a status change also queues its Webhook_Status_Change."""
    with db.write() as conn:
        old = conn.execute(sa.select(hk.c.status).where(hk.c.id == hook_id).with_for_update()).scalar()
        if old is None:
            return False
        values = _config_values(config)
        if old != config.status:
            values.update(consecutive_failures=0, paused_until=None)
        conn.execute(sa.update(hk).where(hk.c.id == hook_id).values(**values, updated_at=now))
        if old != config.status:
            _status_changed(conn, hook_id, old, config.status, source, now)
        if audit is not None:
            audit(conn, hook_id)
    return True


def delete_hook(db: Database, hook_id: str, audit: Audit | None = None) -> bool:
    """Remove a hook with its deliveries and attempts (FPTR removes the history at once too)."""
    with db.write() as conn:
        gone = conn.execute(sa.delete(hk).where(hk.c.id == hook_id)).rowcount
        conn.execute(sa.delete(dlv).where(dlv.c.hook_id == hook_id))
        conn.execute(sa.delete(att).where(att.c.hook_id == hook_id))
        if gone and audit is not None:
            audit(conn, hook_id)
    return bool(gone)


def counts(db: Database, hook_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Pending and held deliveries per hook (the hook's lag, shown next to its status)."""
    if not hook_ids:
        return {}
    query = (
        sa.select(dlv.c.hook_id, dlv.c.state, sa.func.count())
        .where(dlv.c.hook_id.in_(hook_ids), dlv.c.state.in_([PENDING, HELD]))
        .group_by(dlv.c.hook_id, dlv.c.state)
    )
    out: dict[str, dict[str, int]] = {h: {PENDING: 0, HELD: 0} for h in hook_ids}
    with db.read() as conn:
        for hook_id, state, n in conn.execute(query):
            out[hook_id][state] = int(n)
    return out


def _status_changed(
    conn: Connection, hook_id: str, old: str, new: str, source: str, now: dt.datetime
) -> None:
    """Queue the Webhook_Status_Change delivery; entering Failed/Disabled holds the pending ones."""
    from shotlog.webhooks.payloads import status_change_data

    if new in (FAILED, DISABLED):
        conn.execute(
            sa.update(dlv)
            .where(dlv.c.hook_id == hook_id, dlv.c.state == PENDING, dlv.c.kind != "status")
            .values(state=HELD)
        )
    conn.execute(
        sa.insert(dlv).values(
            _delivery_row(hook_id, 0, "status", now, service_data=status_change_data(old, new, source))
        )
    )


def _delivery_row(
    hook_id: str,
    event_id: int,
    kind: str,
    now: dt.datetime,
    *,
    state: str = PENDING,
    event_time: dt.datetime | None = None,
    entity: tuple[str | None, int | None] = (None, None),
    service_data: Any = None,
    redelivery_of: str | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "hook_id": hook_id,
        "event_id": event_id,
        "kind": kind,
        "service_data": service_data,
        "state": state,
        "event_time": event_time or now,
        "entity_type": entity[0],
        "entity_id": entity[1],
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_until": None,
        "last_attempt_id": None,
        "response_code": None,
        "process_time": None,
        "acknowledgement": None,
        "redelivery_of": redelivery_of,
        "created_at": now,
        "finished_at": None,
    }


# -- dispatch ---------------------------------------------------------------------------------------


def dispatch(
    db: Database, match: Any, *, limit: int = 2000, now: dt.datetime | None = None
) -> tuple[int, int]:
    """Turn up to ``limit`` events after the cursor into deliveries, and advance the cursor, in one
    transaction: a crash before the commit leaves both as they were, so no delivery is ever lost or
    made twice. ``match(hooks)`` returns the matcher (see ``dispatcher``).

    The cursor is safe because event ids become visible in id order (``eventlog.log``). On
    PostgreSQL the cursor row is locked with NOWAIT-style SKIP LOCKED: while one worker dispatches,
    the others skip dispatching instead of queueing behind it. Returns (events read, deliveries made);
    (-1, 0) when another worker holds the cursor.
    """
    now = now or utcnow()
    with db.read() as conn:
        # Most wake-ups find nothing new (or events another worker already took): a read decides,
        # so an idle worker never takes the write lock.
        position = conn.execute(_CURSOR).scalar()
        head = eventlog.head_id(conn)
    if position is not None and head <= position:
        return 0, 0
    with db.write() as conn:
        query = _CURSOR
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        cursor = conn.execute(query).scalar()
        if cursor is None:
            if not db.is_sqlite and conn.execute(sa.select(sa.func.count()).select_from(cur)).scalar_one():
                return -1, 0  # the row exists: another worker holds it
            head = eventlog.head_id(conn)
            conn.execute(sa.insert(cur).values(id=1, last_event_id=head))
            return 0, 0
        hooks = [_hook(r) for r in conn.execute(sa.select(hk))]
        subscriptions = match(hooks)
        if not subscriptions:
            # Nothing subscribes: jump to the head without reading the events.
            head = eventlog.head_id(conn)
            if head > cursor:
                conn.execute(sa.update(cur).where(cur.c.id == 1).values(last_event_id=head))
            return head - cursor, 0
        # No hook takes an event at or before its own start (replays aside), so a cursor left
        # behind while there were no hooks jumps to the oldest hook's start without reading.
        start = max(cursor, min(h.start_event_id for h in hooks))
        events = eventlog.page(conn, start, limit)
        if not events:
            if start > cursor:
                conn.execute(sa.update(cur).where(cur.c.id == 1).values(last_event_id=start))
            return 0, 0
        held = {h.id for h in hooks if h.status in (FAILED, DISABLED)}
        rows: list[dict[str, Any]] = []
        for ev in events:
            m = ev._mapping
            for hook_id in subscriptions.match(m):
                rows.append(
                    _delivery_row(
                        hook_id,
                        m["id"],
                        "event",
                        now,
                        state=HELD if hook_id in held else PENDING,
                        event_time=m["created_at"],
                        entity=(m["entity_type"], m["entity_id"]),
                    )
                )
        if rows:
            driver.executemany(conn, _INSERT_DELIVERY, rows)
        conn.execute(sa.update(cur).where(cur.c.id == 1).values(last_event_id=events[-1].id))
    return len(events), len(rows)


def any_hook(db: Database) -> bool:
    """Whether any hook exists. While none does, the dispatch cursor may stay behind: a hook made
    later starts after the head at its creation (``start_event_id``), and ``dispatch`` skips to the
    oldest hook's start."""
    with db.read() as conn:
        return conn.execute(_ANY_HOOK).first() is not None


def cursor_position(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(_CURSOR).scalar() or 0)


# -- claiming ---------------------------------------------------------------------------------------


@dataclass
class ClaimedDelivery:
    id: str
    hook_id: str
    event_id: int
    kind: str
    service_data: Any
    attempts: int
    event: Mapping[str, Any] | None = None


@dataclass
class Claim:
    """What one claim transaction took: per hook, its configuration and its deliveries in order."""

    hooks: dict[str, Hook] = field(default_factory=dict)
    deliveries: dict[str, list[ClaimedDelivery]] = field(default_factory=dict)


def has_due(db: Database, now: dt.datetime) -> bool:
    """Whether any delivery may be claimable now (a read, so idle workers never lock for writing)."""
    with db.read() as conn:
        row = conn.execute(
            sa.select(dlv.c.id)
            .where(
                dlv.c.state == PENDING,
                dlv.c.hook_id.in_(sa.select(hk.c.id).where(_not_paused(now))),
                dlv.c.next_attempt_at <= now,
                _unclaimed(now),
            )
            .limit(1)
        ).first()
    return row is not None


def claim_in(
    conn: Connection,
    db: Database,
    capacity: Mapping[str, int] | None,
    default_capacity: Any,
    *,
    now: dt.datetime,
    margin: float,
) -> Claim:
    """Take due deliveries: per hook at most its free capacity (in deliveries), in event order.

    ``capacity`` maps hook ids to how many more deliveries this worker may take for them now;
    a hook missing from it gets ``default_capacity(hook)``. The lease is ``1 + ROUNDS_AHEAD`` times
    the hook's request timeout (batched: one second per event, at least the timeout) plus ``margin``.
    """
    out = Claim()
    hook_query = sa.select(hk).where(_not_paused(now))
    if not db.is_sqlite:
        # One worker claims for a hook at a time; the others move on to other hooks.
        hook_query = hook_query.with_for_update(skip_locked=True)
    hooks = [_hook(r) for r in conn.execute(hook_query)]
    for hook in hooks:
        room = capacity.get(hook.id) if capacity is not None and hook.id in capacity else None
        if room is None:
            room = default_capacity(hook)
        if room <= 0:
            continue
        conds = [
            dlv.c.state == PENDING,
            dlv.c.hook_id == hook.id,
            _unclaimed(now),
        ]
        if hook.status in (FAILED, DISABLED):
            conds.append(dlv.c.kind == "status")
        if hook.config.ordered:
            # Strictly in event order: the oldest pending delivery goes first, even when a later
            # one is due earlier; nothing goes while another is in flight.
            busy = conn.execute(
                sa.select(dlv.c.id)
                .where(dlv.c.state == PENDING, dlv.c.hook_id == hook.id, dlv.c.claimed_until >= now)
                .limit(1)
            ).first()
            if busy is not None:
                continue
            query = sa.select(dlv).where(*conds).order_by(dlv.c.event_id, dlv.c.created_at).limit(room)
        else:
            conds.append(dlv.c.next_attempt_at <= now)
            query = sa.select(dlv).where(*conds).order_by(dlv.c.next_attempt_at, dlv.c.event_id).limit(room)
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = conn.execute(query).all()
        if hook.config.ordered:
            # the head of the line must be due; later rows are only taken up to the first not due
            due = []
            for r in rows:
                if r.next_attempt_at > now:
                    break
                due.append(r)
            rows = due
        if not rows:
            continue
        n = len(rows)
        timeout = max(hook.config.timeout, float(n)) if hook.config.batch_deliveries else hook.config.timeout
        # a claimed request may wait one round of requests for a slot, then take its own timeout
        lease = now + dt.timedelta(seconds=2 * timeout + margin)
        ids = [r.id for r in rows]
        conn.execute(sa.update(dlv).where(dlv.c.id.in_(ids)).values(claimed_until=lease))
        out.hooks[hook.id] = hook
        out.deliveries[hook.id] = [
            ClaimedDelivery(r.id, r.hook_id, r.event_id, r.kind, r.service_data, r.attempts) for r in rows
        ]
    # the events the batch needs, read in one query
    events = eventlog.rows_by_id(
        conn, [d.event_id for ds in out.deliveries.values() for d in ds if d.event_id]
    )
    for ds in out.deliveries.values():
        for d in ds:
            d.event = events.get(d.event_id)
    return out


def release(db: Database, delivery_ids: Sequence[str]) -> None:
    """Hand back claimed deliveries that were not sent (a worker stopping)."""
    if not delivery_ids:
        return
    with db.write() as conn:
        for i in range(0, len(delivery_ids), 1000):
            conn.execute(
                sa.update(dlv)
                .where(dlv.c.id.in_(delivery_ids[i : i + 1000]), dlv.c.state == PENDING)
                .values(claimed_until=None)
            )


# -- recording --------------------------------------------------------------------------------------


@dataclass
class AttemptResult:
    """One HTTP request and what came of it, with the deliveries it carried."""

    hook_id: str
    delivery_ids: list[str]
    attempts_before: list[int]
    started_at: dt.datetime
    succeeded: bool
    response_code: int | None
    process_time: float
    error: str | None
    request_headers: dict[str, str]
    request_body: str
    response_headers: dict[str, str] | None
    response_body: str | None
    #: for failures: the delay of each delivery (None = give up) and the hook's pause
    retry_delays: list[float | None] = field(default_factory=list)
    hook_pause: float = 0.0
    id: str = field(default_factory=new_id)


def record_in(
    conn: Connection, results: Sequence[AttemptResult], now: dt.datetime, *, count_failures: bool = True
) -> list[str]:
    """Write a batch of attempts and their deliveries' new states; returns the hooks that failed.

    ``count_failures=False`` (a manual test) records without touching the hook's back-off.
    """
    if not results:
        return []
    attempt_rows = []
    done: list[dict[str, Any]] = []
    retry: list[dict[str, Any]] = []
    for r in results:
        attempt_rows.append(
            {
                "id": r.id,
                "hook_id": r.hook_id,
                "started_at": r.started_at,
                "succeeded": r.succeeded,
                "response_code": r.response_code,
                "process_time": r.process_time,
                "error": r.error,
                "request_headers": r.request_headers,
                "request_body": r.request_body,
                "response_headers": r.response_headers,
                "response_body": r.response_body,
            }
        )
        for i, delivery_id in enumerate(r.delivery_ids):
            base = {
                "b_id": delivery_id,
                "b_attempts": r.attempts_before[i] + 1,
                "b_attempt": r.id,
                "b_code": r.response_code,
                "b_time": r.process_time,
                "b_claimed": None,
            }
            if r.succeeded:
                done.append({**base, "b_state": DELIVERED, "b_finished": now})
            else:
                delay = r.retry_delays[i] if i < len(r.retry_delays) else None
                if delay is None:
                    done.append({**base, "b_state": GAVE_UP, "b_finished": now})
                else:
                    retry.append({**base, "b_next": now + dt.timedelta(seconds=delay)})
    failed_hooks: list[str] = []
    if conn.dialect.name == "postgresql":
        # Lock the hooks first, in id order, as delete_hook does (it deletes the hook row before its
        # deliveries): taking the deliveries first and the hooks last could deadlock with it.
        hook_ids = sorted({r.hook_id for r in results})
        conn.execute(sa.select(hk.c.id).where(hk.c.id.in_(hook_ids)).order_by(hk.c.id).with_for_update())
    driver.executemany(conn, _INSERT_ATTEMPT, attempt_rows)
    if done:
        driver.executemany(conn, _FINISH, done)
    if retry:
        driver.executemany(conn, _RETRY, retry)
    per_hook: dict[str, list[AttemptResult]] = {}
    for r in results:
        per_hook.setdefault(r.hook_id, []).append(r)
    # hooks in id order: two workers recording at once take the hook rows' locks in the same order
    for hook_id, rs in sorted(per_hook.items()):
        ok = [r for r in rs if r.succeeded]
        bad = [r for r in rs if not r.succeeded]
        values: dict[str, Any] = {}
        if ok:
            values["num_deliveries"] = hk.c.num_deliveries + sum(len(r.delivery_ids) for r in ok)
            values["last_success_at"] = now
        if bad and count_failures:
            last = bad[-1]
            # one step of the back-off per round of failures, however many requests were in flight
            values["consecutive_failures"] = hk.c.consecutive_failures + 1
            values["paused_until"] = now + dt.timedelta(seconds=max(r.hook_pause for r in bad))
            values["last_error_at"] = now
            values["last_error"] = (last.error or f"HTTP {last.response_code}")[:1000]
            failed_hooks.append(hook_id)
        elif ok and count_failures:
            values["consecutive_failures"] = 0
            values["paused_until"] = None
        if values:
            conn.execute(sa.update(hk).where(hk.c.id == hook_id).values(**values))
    return failed_hooks


def record(
    db: Database, results: Sequence[AttemptResult], now: dt.datetime, *, count_failures: bool = True
) -> list[str]:
    """``record_in`` in a transaction of its own."""
    if not results:
        return []
    with db.write() as conn:
        return record_in(conn, results, now, count_failures=count_failures)


def exchange(
    db: Database,
    results: Sequence[AttemptResult],
    default_capacity: Any,
    *,
    now: dt.datetime,
    margin: float,
    take: bool = True,
) -> tuple[list[str], Claim]:
    """Record finished requests and claim the next deliveries in one transaction (the worker's
    round trip: one commit per round instead of two). Returns the hooks that failed and the claim."""
    with db.write() as conn:
        failed = record_in(conn, results, now) if results else []
        taken = claim_in(conn, db, None, default_capacity, now=now, margin=margin) if take else Claim()
    return failed, taken


def mark_claimed(db: Database, delivery_id: str, until: dt.datetime) -> None:
    with db.write() as conn:
        conn.execute(sa.update(dlv).where(dlv.c.id == delivery_id).values(claimed_until=until))


def failures_in_window(
    db: Database, hook_id: str, now: dt.datetime, window: dt.timedelta = FAILURE_WINDOW
) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(att)
                .where(
                    att.c.hook_id == hook_id,
                    att.c.started_at > now - window,
                    att.c.succeeded.is_(False),
                )
            ).scalar_one()
        )


def set_status(db: Database, hook_id: str, expected: str, new: str, source: str, now: dt.datetime) -> bool:
    """Change a hook's status if it still is ``expected`` (a system transition racing a user's)."""
    with db.write() as conn:
        changed = conn.execute(
            sa.update(hk)
            .where(hk.c.id == hook_id, hk.c.status == expected)
            .values(status=new, updated_at=now)
        ).rowcount
        if changed:
            _status_changed(conn, hook_id, expected, new, source, now)
    return bool(changed)


# -- the delivery log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryFilter:
    status: str | None = None  # delivered, failed, pending, held, discarded
    entity_type: str | None = None
    entity_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    acknowledgement: str | None = None


def _filtered(query: Any, f: DeliveryFilter) -> Any:
    if f.status == DELIVERED:
        query = query.where(dlv.c.state == DELIVERED)
    elif f.status == "failed":
        query = query.where(dlv.c.state != DELIVERED, dlv.c.attempts > 0)
    elif f.status is not None:
        query = query.where(dlv.c.state == f.status)
    if f.entity_type is not None:
        query = query.where(dlv.c.entity_type == f.entity_type)
    if f.entity_id is not None:
        query = query.where(dlv.c.entity_id == f.entity_id)
    if f.since is not None:
        query = query.where(dlv.c.event_time >= f.since)
    if f.until is not None:
        query = query.where(dlv.c.event_time <= f.until)
    if f.acknowledgement is not None:
        escaped = f.acknowledgement.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(dlv.c.acknowledgement.like(f"%{escaped}%", escape="\\"))
    return query


def _with_last_attempt() -> Any:
    """Deliveries with the request and response of their last attempt (none yet: NULLs)."""
    return sa.select(
        *dlv.c,
        att.c.request_headers,
        att.c.request_body,
        att.c.response_headers,
        att.c.response_body,
        att.c.error,
    ).select_from(dlv.outerjoin(att, att.c.id == dlv.c.last_attempt_id))


def list_deliveries(
    db: Database, hook_id: str, f: DeliveryFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], bool]:
    query = (
        _with_last_attempt()
        .where(dlv.c.hook_id == hook_id)
        .order_by(dlv.c.event_time.desc(), dlv.c.event_id.desc(), dlv.c.id)
        .limit(limit + 1)
        .offset(offset)
    )
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(_filtered(query, f))]
    return rows[:limit], len(rows) > limit


def get_delivery(db: Database, delivery_id: str) -> dict[str, Any] | None:
    query = _with_last_attempt().where(dlv.c.id == delivery_id)
    with db.read() as conn:
        row = conn.execute(query).first()
    return dict(row._mapping) if row is not None else None


def acknowledge(db: Database, delivery_id: str, text: str | None) -> bool:
    with db.write() as conn:
        return bool(
            conn.execute(sa.update(dlv).where(dlv.c.id == delivery_id).values(acknowledgement=text)).rowcount
        )


def redeliver(db: Database, delivery_id: str, now: dt.datetime) -> str | None:
    """A new pending delivery of the same event to the same hook, linked to the original."""
    with db.write() as conn:
        row = conn.execute(sa.select(dlv).where(dlv.c.id == delivery_id)).first()
        if row is None:
            return None
        status = conn.execute(sa.select(hk.c.status).where(hk.c.id == row.hook_id)).scalar()
        new = _delivery_row(
            row.hook_id,
            row.event_id,
            row.kind,
            now,
            state=HELD if status in (FAILED, DISABLED) and row.kind != "status" else PENDING,
            event_time=row.event_time,
            entity=(row.entity_type, row.entity_id),
            service_data=row.service_data,
            redelivery_of=row.id,
        )
        conn.execute(sa.insert(dlv).values(new))
    return str(new["id"])


def replay(
    db: Database,
    hook: Hook,
    matcher: Any,
    *,
    after_id: int = 0,
    to_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime,
    chunk: int = 5000,
) -> int:
    """Queue the hook's matching events of an id or time range again (kind ``replay``)."""
    total = 0
    cursor = after_id
    while True:
        with db.write() as conn:
            events = eventlog.page(conn, cursor, chunk, to_id=to_id, since=since, until=until)
            if not events:
                return total
            state = HELD if hook.status in (FAILED, DISABLED) else PENDING
            rows = [
                _delivery_row(
                    hook.id,
                    e.id,
                    "replay",
                    now,
                    state=state,
                    event_time=e.created_at,
                    entity=(e.entity_type, e.entity_id),
                )
                for e in events
                if matcher.match(e._mapping)
            ]
            if rows:
                conn.execute(sa.insert(dlv), rows)
        total += len(rows)
        cursor = events[-1].id


def release_held(db: Database, hook_id: str, now: dt.datetime) -> int:
    with db.write() as conn:
        return int(
            conn.execute(
                sa.update(dlv)
                .where(dlv.c.hook_id == hook_id, dlv.c.state == HELD)
                .values(state=PENDING, next_attempt_at=now, claimed_until=None)
            ).rowcount
        )


def discard_held(db: Database, hook_id: str, now: dt.datetime) -> int:
    with db.write() as conn:
        return int(
            conn.execute(
                sa.update(dlv)
                .where(dlv.c.hook_id == hook_id, dlv.c.state == HELD)
                .values(state=DISCARDED, finished_at=now)
            ).rowcount
        )


def insert_service(db: Database, hook_id: str, kind: str, data: Any, now: dt.datetime) -> str:
    row = _delivery_row(hook_id, 0, kind, now, service_data=data)
    with db.write() as conn:
        conn.execute(sa.insert(dlv).values(row))
    return str(row["id"])


def purge(db: Database, before: dt.datetime, *, chunk: int = 10_000) -> int:
    """Delete finished deliveries and attempts older than ``before`` (the retention setting)."""
    finished = [DELIVERED, GAVE_UP, DISCARDED]
    total = 0
    with db.write() as conn:
        ids = (
            conn.execute(
                sa.select(dlv.c.id).where(dlv.c.state.in_(finished), dlv.c.created_at < before).limit(chunk)
            )
            .scalars()
            .all()
        )
        if ids:
            total += conn.execute(sa.delete(dlv).where(dlv.c.id.in_(ids))).rowcount
        attempt_ids = (
            conn.execute(sa.select(att.c.id).where(att.c.started_at < before).limit(chunk)).scalars().all()
        )
        if attempt_ids:
            conn.execute(sa.delete(att).where(att.c.id.in_(attempt_ids)))
    return total
