"""The delivery log: listing, reading and acknowledging deliveries, releasing or discarding a held
hook's deliveries, and purging old ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shotlog.store.database import Database
from shotlog.store.tables import webhook_attempt_deliveries as carried
from shotlog.store.tables import webhook_attempts as att
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.webhooks.records import HELD, PENDING
from shotlog.webhooks.states import FINISHED, DeliveryState

__all__ = [
    "DeliveryFilter",
    "LogPage",
    "acknowledge",
    "attempts_of",
    "discard_held",
    "get_delivery",
    "list_deliveries",
    "log_page",
    "purge",
    "release_held",
    "state_counts",
]

# -- the delivery log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryFilter:
    #: FPTR's listing filter: delivered, or failed (the last attempt failed, retrying or given up);
    #: pending, held and discarded are states
    status: str | None = None
    entity_type: str | None = None
    entity_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    acknowledgement: str | None = None
    #: exactly this state (the web pages' filter: one state per delivery)
    state: DeliveryState | None = None


def _filtered(query: Any, f: DeliveryFilter) -> Any:
    if f.status == DeliveryState.DELIVERED:
        query = query.where(dlv.c.state == DeliveryState.DELIVERED)
    elif f.status == "failed":
        query = query.where(dlv.c.state != DeliveryState.DELIVERED, dlv.c.attempts > 0)
    elif f.status is not None:
        query = query.where(dlv.c.state == f.status)
    if f.state is not None:
        query = query.where(dlv.c.state == f.state)
    return _unstated(query, f)


def _unstated(query: Any, f: DeliveryFilter) -> Any:
    """``f``'s conditions other than status and state (what the counts per state are taken under)."""
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
        att.c.started_at.label("sent_at"),
    ).select_from(dlv.outerjoin(att, att.c.id == dlv.c.last_attempt_id))


def _listing(hook_id: str, f: DeliveryFilter, limit: int, offset: int) -> Any:
    query = (
        _with_last_attempt()
        .where(dlv.c.hook_id == hook_id)
        .order_by(dlv.c.event_time.desc(), dlv.c.event_id.desc(), dlv.c.id)
        .limit(limit + 1)
        .offset(offset)
    )
    return _filtered(query, f)


def _state_counts(hook_id: str, f: DeliveryFilter) -> Any:
    query = sa.select(dlv.c.state, sa.func.count()).where(dlv.c.hook_id == hook_id).group_by(dlv.c.state)
    return _unstated(query, f)


def _counted(rows: Any) -> dict[DeliveryState, int]:
    out = dict.fromkeys(DeliveryState, 0)
    for state, n in rows:
        out[DeliveryState(state)] = int(n)
    return out


def list_deliveries(
    db: Database, hook_id: str, f: DeliveryFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], bool]:
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(_listing(hook_id, f, limit, offset))]
    return rows[:limit], len(rows) > limit


def state_counts(db: Database, hook_id: str, f: DeliveryFilter | None = None) -> dict[DeliveryState, int]:
    """How many of the hook's deliveries are in each state, under ``f``'s other conditions."""
    with db.read() as conn:
        return _counted(conn.execute(_state_counts(hook_id, f or DeliveryFilter())))


def _narrowed(f: DeliveryFilter) -> bool:
    """Whether ``f`` has a condition besides the state (its counts are then not the whole log's)."""
    return any(v is not None for v in (f.entity_type, f.entity_id, f.since, f.until, f.acknowledgement))


@dataclass(frozen=True)
class LogPage:
    """A page of the delivery log and the counts read with it."""

    rows: list[dict[str, Any]]
    #: deliveries per state under the page's conditions but its state: the table's
    counts: dict[DeliveryState, int]
    #: deliveries per state in the hook's whole log (the same dict as ``counts`` when unfiltered)
    log_counts: dict[DeliveryState, int]
    has_next: bool


def log_page(db: Database, hook_id: str, f: DeliveryFilter, *, limit: int, offset: int) -> LogPage:
    """A page of the delivery log with the counts per state it is listed under (the same conditions,
    ``_unstated``) and those of the whole log, read in one transaction, so the page's counts, its
    table and the hook's totals agree. One grouped count when the page is not filtered (its counts
    are the whole log's), two when it is."""
    with db.read() as conn:
        if not db.is_sqlite:
            # one snapshot for every statement (a SQLite read transaction is one already)
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        rows = [dict(r._mapping) for r in conn.execute(_listing(hook_id, f, limit, offset))]
        counts = _counted(conn.execute(_state_counts(hook_id, f)))
        whole = _counted(conn.execute(_state_counts(hook_id, DeliveryFilter()))) if _narrowed(f) else counts
    return LogPage(rows[:limit], counts, whole, len(rows) > limit)


def get_delivery(db: Database, delivery_id: str) -> dict[str, Any] | None:
    query = _with_last_attempt().where(dlv.c.id == delivery_id)
    with db.read() as conn:
        row = conn.execute(query).first()
    return dict(row._mapping) if row is not None else None


def attempts_of(db: Database, delivery_id: str) -> list[dict[str, Any]]:
    """Every attempt that carried the delivery, oldest first, each with its request and answer:
    the requests of it alone name it on their row, the batched ones that carried it link to it."""
    alone = sa.select(att).where(att.c.delivery_id == delivery_id)
    batched = (
        sa.select(att)
        .select_from(carried.join(att, att.c.id == carried.c.attempt_id))
        .where(carried.c.delivery_id == delivery_id)
    )
    both = sa.union_all(alone, batched).subquery()
    query = sa.select(both).order_by(both.c.started_at, both.c.id)
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def acknowledge(db: Database, delivery_id: str, text: str | None) -> bool:
    with db.write() as conn:
        return bool(
            conn.execute(sa.update(dlv).where(dlv.c.id == delivery_id).values(acknowledgement=text)).rowcount
        )


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
                .values(state=DeliveryState.DISCARDED, finished_at=now)
            ).rowcount
        )


def purge(db: Database, before: dt.datetime, *, chunk: int = 10_000) -> int:
    """Delete finished deliveries and attempts older than ``before`` (the retention setting)."""
    finished = list(FINISHED)
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
            conn.execute(sa.delete(carried).where(carried.c.attempt_id.in_(attempt_ids)))
    return total
