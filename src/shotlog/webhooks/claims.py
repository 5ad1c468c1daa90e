"""Claiming deliveries and recording their attempts: how several workers share the load.

A delivery is taken by setting ``claimed_until`` (a lease) in a short transaction; rows another
worker holds are skipped (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has a single writer, so
its claim transaction is already exclusive). A worker that dies simply lets its leases expire, and
the deliveries are taken again: nothing is lost, and only requests whose outcome was not yet
recorded can be sent twice.

A lease must outlast everything a claimed delivery may still go through in its worker: waiting for
one of its hook's slots behind the ``ROUNDS_AHEAD`` rounds claimed before it, its own request, and
the transaction that records the outcome. ``lease_seconds`` is that sum; a worker that finds a
lease running short anyway (a stalled event loop, a slow database) renews it before sending
(``renew``) instead of sending a delivery another worker may already hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.eventlog import read as eventlog
from shotlog.store import driver
from shotlog.store.database import Database
from shotlog.store.tables import webhook_attempt_deliveries as carried
from shotlog.store.tables import webhook_attempts as att
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.store.tables import webhook_hooks as hk
from shotlog.webhooks.records import (
    DELIVERED,
    PENDING,
    ROUNDS_AHEAD,
    Hook,
    hook_from_row,
    new_id,
)
from shotlog.webhooks.states import AttemptOutcome, DeliveryState

__all__ = [
    "AttemptResult",
    "Claim",
    "ClaimedDelivery",
    "claim_in",
    "exchange",
    "has_due",
    "lease_seconds",
    "mark_claimed",
    "record",
    "record_in",
    "release",
    "renew",
]

# The hot statements, built once: ``driver.executemany`` compiles each once and sends plain driver SQL.
_INSERT_ATTEMPT = sa.insert(att)
_INSERT_CARRIED = sa.insert(carried)
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


def lease_seconds(timeout: float, margin: float) -> float:
    """How long a claim holds a delivery whose request may take ``timeout`` seconds.

    A worker holds up to ``1 + ROUNDS_AHEAD`` rounds of its hook's requests (``max_concurrency``
    each), and its slots serve them in claim order, so the last one claimed waits at most
    ``ROUNDS_AHEAD`` request times for a slot, then takes its own: ``(1 + ROUNDS_AHEAD) * timeout``.
    ``margin`` covers the claim and record transactions around them.
    """
    return (1 + ROUNDS_AHEAD) * timeout + margin


def _not_paused(now: dt.datetime) -> Any:
    """Hooks whose back-off pause is over (or that have none) at ``now``."""
    return sa.or_(hk.c.paused_until.is_(None), hk.c.paused_until <= now)


def _unclaimed(now: dt.datetime) -> Any:
    """Deliveries no worker holds a lease on at ``now`` (never claimed, or the lease ran out)."""
    return sa.or_(dlv.c.claimed_until.is_(None), dlv.c.claimed_until < now)


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
    #: the ``claimed_until`` this claim set: the worker's token for ``renew``
    lease: dt.datetime | None = None


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
    a hook missing from it gets ``default_capacity(hook)``. The lease is ``lease_seconds`` of the
    hook's request timeout (batched: one second per event, at least the timeout) and ``margin``.
    """
    out = Claim()
    hook_query = sa.select(hk).where(_not_paused(now))
    if not db.is_sqlite:
        # One worker claims for a hook at a time; the others move on to other hooks.
        hook_query = hook_query.with_for_update(skip_locked=True)
    hooks = [hook_from_row(r) for r in conn.execute(hook_query)]
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
        if hook.status.holds:
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
        lease = now + dt.timedelta(seconds=lease_seconds(timeout, margin))
        ids = [r.id for r in rows]
        conn.execute(sa.update(dlv).where(dlv.c.id.in_(ids)).values(claimed_until=lease))
        out.hooks[hook.id] = hook
        out.deliveries[hook.id] = [
            ClaimedDelivery(r.id, r.hook_id, r.event_id, r.kind, r.service_data, r.attempts, lease=lease)
            for r in rows
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


def renew(db: Database, delivery_ids: Sequence[str], held: dt.datetime, until: dt.datetime) -> bool:
    """Extend the lease ``held`` on these deliveries to ``until``, all or none.

    Only rows still carrying ``held`` are extended: a row whose lease ran out and was claimed again
    carries the other worker's lease, so the caller learns (False) that it must not send them.
    """
    if not delivery_ids:
        return True
    with db.write() as conn:
        ours = sa.update(dlv).where(dlv.c.id.in_(delivery_ids), dlv.c.state == PENDING)
        renewed = conn.execute(ours.where(dlv.c.claimed_until == held).values(claimed_until=until))
        if renewed.rowcount == len(delivery_ids):
            return True
        # someone else holds part of them: give back the ones still ours, and send none
        conn.execute(ours.where(dlv.c.claimed_until == until).values(claimed_until=None))
        return False


# -- recording --------------------------------------------------------------------------------------


@dataclass
class AttemptResult:
    """One HTTP request and what came of it, with the deliveries it carried."""

    hook_id: str
    delivery_ids: list[str]
    attempts_before: list[int]
    started_at: dt.datetime
    outcome: AttemptOutcome
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

    @property
    def succeeded(self) -> bool:
        return self.outcome is AttemptOutcome.SUCCEEDED


def record_in(
    conn: Connection, results: Sequence[AttemptResult], now: dt.datetime, *, count_failures: bool = True
) -> list[str]:
    """Write a batch of attempts and their deliveries' new states; returns the hooks that failed.

    ``count_failures=False`` (a manual test) records without touching the hook's back-off.
    """
    if not results:
        return []
    attempt_rows = []
    carried_rows: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    retry: list[dict[str, Any]] = []
    for r in results:
        # A request of one delivery (nearly all) names it on its own row; a batched one links each
        # of its deliveries (webhook_attempt_deliveries): one row written per request, not two.
        single = r.delivery_ids[0] if len(r.delivery_ids) == 1 else None
        attempt_rows.append(
            {
                "id": r.id,
                "hook_id": r.hook_id,
                "delivery_id": single,
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
            if single is None:
                carried_rows.append({"delivery_id": delivery_id, "attempt_id": r.id})
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
                    done.append({**base, "b_state": DeliveryState.FAILED, "b_finished": now})
                else:
                    retry.append({**base, "b_next": now + dt.timedelta(seconds=delay)})
    failed_hooks: list[str] = []
    if conn.dialect.name == "postgresql":
        # Lock the hooks first, in id order, as delete_hook does (it deletes the hook row before its
        # deliveries): taking the deliveries first and the hooks last could deadlock with it.
        hook_ids = sorted({r.hook_id for r in results})
        conn.execute(sa.select(hk.c.id).where(hk.c.id.in_(hook_ids)).order_by(hk.c.id).with_for_update())
    driver.executemany(conn, _INSERT_ATTEMPT, attempt_rows)
    if carried_rows:
        driver.executemany(conn, _INSERT_CARRIED, carried_rows)
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
            # One step of the back-off per round of failures, however many requests were in flight;
            # not for requests that left before a user enabled the hook (they said: go now).
            since_enabled = sa.or_(
                hk.c.enabled_at.is_(None), hk.c.enabled_at <= max(r.started_at for r in bad)
            )
            pause = now + dt.timedelta(seconds=max(r.hook_pause for r in bad))
            values["consecutive_failures"] = sa.case(
                (since_enabled, hk.c.consecutive_failures + 1), else_=hk.c.consecutive_failures
            )
            values["paused_until"] = sa.case((since_enabled, pause), else_=hk.c.paused_until)
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
