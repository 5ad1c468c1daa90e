"""How far behind each hook is: its deliveries by state and the age of the oldest one still owed.

Read by the metrics (``shotlog.server.site_metrics``) at every scrape, so it stays cheap on a
large delivery log: the finished states are counted through the ``(state, hook_id, …)`` indexes,
``delivered`` not at all (the log purges it; the hook's own ``num_deliveries`` counts every one),
and the oldest owed event is looked up per hook among the owed deliveries only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from shotlog.store.database import Database
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.store.tables import webhook_hooks as hk
from shotlog.webhooks.states import OWED, DeliveryState

__all__ = ["COUNTED", "HookBacklog", "read_backlog"]

#: the states counted per hook (every state but ``delivered``)
COUNTED = (DeliveryState.PENDING, DeliveryState.HELD, DeliveryState.FAILED, DeliveryState.DISCARDED)


@dataclass(frozen=True)
class HookBacklog:
    hook_id: str
    name: str
    status: str
    #: requests that succeeded since the hook was made (purging the log does not lower it)
    delivered: int
    #: deliveries in the log per state of ``COUNTED`` (every one present, 0 when none)
    by_state: dict[str, int] = field(default_factory=dict)
    #: when the event of the oldest pending or held delivery happened (None: nothing owed)
    oldest_owed: dt.datetime | None = None


def read_backlog(db: Database) -> list[HookBacklog]:
    """Every hook's backlog, in the order of the hooks' names."""
    owed = [str(s) for s in OWED]
    with db.read() as conn:
        hooks = conn.execute(
            sa.select(hk.c.id, hk.c.name, hk.c.status, hk.c.num_deliveries).order_by(hk.c.name, hk.c.id)
        ).all()
        counted = conn.execute(
            sa.select(dlv.c.hook_id, dlv.c.state, sa.func.count())
            .where(dlv.c.state.in_([str(s) for s in COUNTED]))
            .group_by(dlv.c.hook_id, dlv.c.state)
        ).all()
        oldest = dict(
            conn.execute(
                sa.select(dlv.c.hook_id, sa.func.min(dlv.c.event_time))
                .where(dlv.c.state.in_(owed))
                .group_by(dlv.c.hook_id)
            ).all()
        )
    counts: dict[str, dict[str, int]] = {}
    for hook_id, state, n in counted:
        counts.setdefault(hook_id, {})[state] = int(n)
    out = []
    for row in hooks:
        by_state = {str(s): counts.get(row.id, {}).get(str(s), 0) for s in COUNTED}
        out.append(
            HookBacklog(
                hook_id=row.id,
                name=row.name,
                status=row.status,
                delivered=int(row.num_deliveries),
                by_state=by_state,
                oldest_owed=oldest.get(row.id),
            )
        )
    return out
