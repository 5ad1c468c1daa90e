"""Claims and their leases: a delivery is sent once however long it waits for a slot.

A worker claims up to ``(1 + ROUNDS_AHEAD) * max_concurrency`` requests per hook; the last of them
waits for the others before it is sent. Its lease has to last that long, or another worker takes the
delivery over and the receiver gets it twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import sqlalchemy as sa
from receivers import Receiver
from webhookkit import WorkerThread, fast_settings, wait_until

import shotlog
from shotlog.clock import utcnow
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.webhooks import repository
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.claims import lease_seconds, renew
from shotlog.webhooks.dispatcher import Dispatcher
from shotlog.webhooks.records import ROUNDS_AHEAD

Run = Callable[..., WorkerThread]


def make_events(sg: shotlog.Shotlog, event_type: str, n: int) -> None:
    sg.batch(
        [
            {"request_type": "create", "entity_type": "EventLogEntry", "data": {"event_type": event_type}}
            for _ in range(n)
        ]
    )


def test_lease_covers_every_round_a_claim_may_wait_for() -> None:
    # the last of 1 + ROUNDS_AHEAD rounds waits ROUNDS_AHEAD request times, then takes its own
    assert ROUNDS_AHEAD == 3
    assert lease_seconds(1.0, 0.0) == 4.0
    assert lease_seconds(30.0, 10.0) == 130.0


def test_receiver_answering_near_its_timeout_gets_each_delivery_once_from_several_workers(
    sg: shotlog.Shotlog, hooks: Webhooks, run_worker: Run
) -> None:
    receiver = Receiver(token="s3cret").start()
    timeout = 1.0
    receiver.delay = 0.9 * timeout
    hook = hooks.create_hook(
        {
            "url": receiver.url,
            "token": "s3cret",
            "event_type": "Toolkit_Slow",
            "max_concurrency": 1,
            "timeout": timeout,
        }
    )
    n = 16
    make_events(sg, "Toolkit_Slow", n)
    workers = [run_worker(fast_settings(site_url=f"http://worker{i}/")) for i in range(3)]
    try:

        def delivered() -> int:
            return len(hooks.list_deliveries(hook["id"], status="delivered").deliveries)

        wait_until(lambda: delivered() == n, timeout=60, what=f"{n} delivered in the log")
        for w in workers:
            w.stop()  # waits for every request in flight: no worker sends anything after this
        attempts = {d["id"]: d["attempts"] for d in hooks.list_deliveries(hook["id"]).deliveries}
        counts = Counter(i["delivery_id"] for i in receiver.items())
    finally:
        receiver.stop()
    assert len(counts) == n
    # Every arrival is an attempt of the delivery's own: a lease taken over while its worker still
    # meant to send makes two arrivals of one attempt. On a loaded machine an answer at 0.9 of the
    # timeout can still time out: that repeat is a recorded failed attempt, the only kind allowed
    # (and an attempt that failed before reaching the receiver arrives not at all).
    assert {d: (k, attempts[d]) for d, k in counts.items() if k > attempts[d]} == {}
    # the work was shared: the test is about several workers, not one doing everything
    senders = {r.header("X-SG-WEBHOOK-SITE-URL") for r in receiver.requests}
    assert len(senders) >= 2, senders


def _claim(db_url: str, n: int, margin: float) -> list[repository.ClaimedDelivery]:
    """Dispatch the new events and claim up to ``n`` deliveries, as one worker's round does."""
    with shotlog.connect(db_url, migrate=False) as store:
        Dispatcher(store.db).run()
        _, claim = repository.exchange(store.db, [], lambda hook: n, now=utcnow(), margin=margin)
    return [d for ds in claim.deliveries.values() for d in ds]


def _leases(sg: shotlog.Shotlog, ids: list[str]) -> dict[str, dt.datetime | None]:
    with sg.db.read() as conn:
        rows = conn.execute(sa.select(dlv.c.id, dlv.c.claimed_until).where(dlv.c.id.in_(ids)))
        return {r.id: r.claimed_until for r in rows}


def test_renew_extends_a_lease_still_held_and_gives_back_what_another_worker_took(
    sg: shotlog.Shotlog, db_url: str, hooks: Webhooks, receiver: Receiver
) -> None:
    hooks.create_hook({"url": receiver.url, "token": "s3cret", "event_type": "Toolkit_Lease"})
    make_events(sg, "Toolkit_Lease", 3)
    claimed = _claim(db_url, 3, margin=5.0)
    assert len(claimed) == 3
    held = claimed[0].lease
    assert held is not None and all(d.lease == held for d in claimed)
    ids = [d.id for d in claimed]
    assert _leases(sg, ids) == dict.fromkeys(ids, held)

    later = held + dt.timedelta(seconds=60)
    assert renew(sg.db, ids[:2], held, later) is True
    assert _leases(sg, ids) == {ids[0]: later, ids[1]: later, ids[2]: held}

    # the third one's lease ran out and another worker claimed it (a lease of its own)
    other = held + dt.timedelta(seconds=1)
    repository.mark_claimed(sg.db, ids[2], other)
    assert renew(sg.db, ids[1:], later, later + dt.timedelta(seconds=60)) is False
    # the one still ours goes back (nobody sends it on a lease it may lose), the other's is untouched
    assert _leases(sg, ids) == {ids[0]: later, ids[1]: None, ids[2]: other}
