"""The webhook tables: hooks, the dispatch cursor, deliveries and attempts. All SQL lives in this
module and the three beside it, whose functions it re-exports: ``dispatching`` (events into
deliveries, by cursor), ``claims`` (how several workers share the deliveries, and their attempts)
and ``deliverylog`` (listing, acknowledging, purging). The hooks themselves are here.

The worker and the API call these functions and never see a query; events are read through
``shotlog.eventlog.read``. Every function takes a ``Database`` and runs one transaction (or takes a
``Connection`` when it is part of a larger one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.eventlog import read as eventlog
from shotlog.store.database import Database
from shotlog.store.tables import webhook_attempt_deliveries as carried
from shotlog.store.tables import webhook_attempts as att
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.store.tables import webhook_hooks as hk
from shotlog.webhooks.claims import (
    AttemptResult,
    Claim,
    ClaimedDelivery,
    claim_in,
    exchange,
    has_due,
    mark_claimed,
    record,
    record_in,
    release,
)
from shotlog.webhooks.deliverylog import (
    DeliveryFilter,
    acknowledge,
    discard_held,
    get_delivery,
    list_deliveries,
    purge,
    release_held,
)
from shotlog.webhooks.dispatching import (
    any_hook,
    cursor_position,
    dispatch,
    insert_service,
    redeliver,
    replay,
)
from shotlog.webhooks.hooks import HookConfig
from shotlog.webhooks.records import (
    DELIVERED,
    DISCARDED,
    HELD,
    PENDING,
    ROUNDS_AHEAD,
    Hook,
    config_values,
    delivery_row,
    hook_from_row,
    new_id,
)
from shotlog.webhooks.status import FAILURE_WINDOW, HookStatus

__all__ = [
    "DELIVERED",
    "DISCARDED",
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
    "failures_by_hook",
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
]

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
                **config_values(config),
                start_event_id=head,
                consecutive_failures=0,
                paused_until=None,
                num_deliveries=0,
                created_at=now,
                updated_at=now,
                status_since=now,
                enabled_at=now,
            )
        )
        if audit is not None:
            audit(conn, hook_id)
    return hook_id


def get_hook(db: Database, hook_id: str) -> Hook | None:
    with db.read() as conn:
        row = conn.execute(sa.select(hk).where(hk.c.id == hook_id)).first()
    return hook_from_row(row) if row is not None else None


def list_hooks(db: Database, status: str | None = None, *, limit: int = 0, offset: int = 0) -> list[Hook]:
    query = sa.select(hk).order_by(hk.c.created_at, hk.c.id)
    if status is not None:
        query = query.where(hk.c.status == status)
    if limit:
        query = query.limit(limit).offset(offset)
    with db.read() as conn:
        return [hook_from_row(r) for r in conn.execute(query)]


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
        values = config_values(config)
        if old != config.status:
            values.update(consecutive_failures=0, paused_until=None, status_since=now)
            if config.status == HookStatus.ACTIVE:
                # a user enabling the hook starts its count of failures afresh
                values.update(enabled_at=now)
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
        of_hook = sa.select(dlv.c.id).where(dlv.c.hook_id == hook_id)
        conn.execute(sa.delete(carried).where(carried.c.delivery_id.in_(of_hook)))
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
    """Queue the Webhook_Status_Change delivery; entering Failed/Disabled holds the pending ones,
    and leaving them (a user enabling the hook) sends the held ones, oldest event first."""
    from shotlog.webhooks.payloads import status_change_data

    if HookStatus(new).holds:
        conn.execute(
            sa.update(dlv)
            .where(dlv.c.hook_id == hook_id, dlv.c.state == PENDING, dlv.c.kind != "status")
            .values(state=HELD)
        )
    elif HookStatus(old).holds:
        conn.execute(
            sa.update(dlv)
            .where(dlv.c.hook_id == hook_id, dlv.c.state == HELD)
            .values(state=PENDING, next_attempt_at=now, claimed_until=None)
        )
    conn.execute(
        sa.insert(dlv).values(
            delivery_row(hook_id, 0, "status", now, service_data=status_change_data(old, new, source))
        )
    )


def failures_in_window(
    db: Database, hook_id: str, now: dt.datetime, window: dt.timedelta = FAILURE_WINDOW
) -> int:
    """The hook's failed requests that count towards its status at ``now``."""
    return failures_by_hook(db, [hook_id], now, window).get(hook_id, 0)


def failures_by_hook(
    db: Database, hook_ids: Sequence[str], now: dt.datetime, window: dt.timedelta = FAILURE_WINDOW
) -> dict[str, int]:
    """Failed requests per hook within the window before ``now``, and since a user last enabled
    the hook (enabling a Failed hook starts its count afresh, or one more failure would fail it
    again). Hooks without any are left out."""
    if not hook_ids:
        return {}
    start = now - window
    query = (
        sa.select(att.c.hook_id, sa.func.count())
        .select_from(att.join(hk, hk.c.id == att.c.hook_id))
        .where(
            att.c.hook_id.in_(hook_ids),
            att.c.started_at > start,
            sa.or_(hk.c.enabled_at.is_(None), att.c.started_at >= hk.c.enabled_at),
            att.c.succeeded.is_(False),
        )
        .group_by(att.c.hook_id)
    )
    with db.read() as conn:
        return {hook_id: int(n) for hook_id, n in conn.execute(query)}


def set_status(db: Database, hook_id: str, expected: str, new: str, source: str, now: dt.datetime) -> bool:
    """Change a hook's status if it still is ``expected`` (a system transition racing a user's)."""
    with db.write() as conn:
        changed = conn.execute(
            sa.update(hk)
            .where(hk.c.id == hook_id, hk.c.status == expected)
            .values(status=new, updated_at=now, status_since=now)
        ).rowcount
        if changed:
            _status_changed(conn, hook_id, expected, new, source, now)
    return bool(changed)
