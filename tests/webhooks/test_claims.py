"""The claim and record SQL, tested directly (not only through end-to-end delivery), on the backend
under test: what a claim takes, when a lease runs out, an ordered hook's line, what recording an
attempt writes, and two workers claiming the same deliveries at the same moment.

Time is the tests': every call gets its ``now``, so a lease "runs out" without waiting for it. The
module shares one database; each test has hooks of its own, and claims only for them.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from webhookkit import fast_settings

import shotlog
from shotlog.clock import utcnow
from shotlog.store.tables import webhook_attempt_deliveries as carried
from shotlog.store.tables import webhook_attempts as att
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.store.tables import webhook_hooks as hk
from shotlog.webhooks import repository
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.claims import AttemptResult, ClaimedDelivery, lease_seconds, renew
from shotlog.webhooks.dispatcher import Dispatcher
from shotlog.webhooks.states import AttemptOutcome, DeliveryState

MARGIN = 5.0
TIMEOUT = 6.0
LEASE = dt.timedelta(seconds=lease_seconds(TIMEOUT, MARGIN))


@pytest.fixture(scope="module")
def sg(module_db: str) -> Iterator[shotlog.Shotlog]:
    store = shotlog.connect(module_db)
    yield store
    store.close()


@pytest.fixture(scope="module")
def hooks(sg: shotlog.Shotlog) -> Webhooks:
    return Webhooks(sg, fast_settings())


def queue(sg: shotlog.Shotlog, hooks: Webhooks, n: int, **fields: Any) -> str:
    """A hook with ``n`` deliveries of ``n`` events, in event order; returns the hook's id."""
    event_type = f"Toolkit_Claim{len(hooks.list_hooks()[0])}"  # its own: no other hook matches
    hook = hooks.create_hook(
        {"url": "http://127.0.0.1:9/hook", "event_type": event_type, "timeout": TIMEOUT, **fields}
    )
    sg.batch(
        [
            {"request_type": "create", "entity_type": "EventLogEntry", "data": {"event_type": event_type}}
            for _ in range(n)
        ]
    )
    Dispatcher(sg.db).run()
    return str(hook["id"])


def claim(sg: shotlog.Shotlog, hook_id: str, room: int, now: dt.datetime) -> list[ClaimedDelivery]:
    """One claim transaction, as a worker's round takes it, with ``room`` deliveries for the hook."""
    _, taken = repository.exchange(
        sg.db, [], lambda hook: room if hook.id == hook_id else 0, now=now, margin=MARGIN
    )
    return taken.deliveries.get(hook_id, [])


def events_of(deliveries: list[ClaimedDelivery]) -> list[int]:
    return [d.event_id for d in deliveries]


def rows(sg: shotlog.Shotlog, hook_id: str) -> dict[int, Any]:
    """The hook's delivery rows by event id."""
    with sg.db.read() as conn:
        return {r.event_id: r for r in conn.execute(sa.select(dlv).where(dlv.c.hook_id == hook_id))}


def failed(hook_id: str, ds: list[ClaimedDelivery], delay: float | None, code: int = 500) -> AttemptResult:
    return attempt(hook_id, ds, AttemptOutcome.REJECTED, code, [delay] * len(ds))


def attempt(
    hook_id: str,
    ds: list[ClaimedDelivery],
    outcome: AttemptOutcome,
    code: int | None,
    delays: list[float | None] | None = None,
) -> AttemptResult:
    return AttemptResult(
        hook_id=hook_id,
        delivery_ids=[d.id for d in ds],
        attempts_before=[d.attempts for d in ds],
        started_at=utcnow(),
        outcome=outcome,
        response_code=code,
        process_time=0.01,
        error=None if outcome is AttemptOutcome.SUCCEEDED else f"HTTP {code}",
        request_headers={"X-SG-WEBHOOK-ID": hook_id},
        request_body="{}",
        response_headers={},
        response_body="",
        retry_delays=delays or [],
    )


@pytest.mark.parametrize(
    ("n", "fields", "rooms", "takes"),
    [
        # a claim takes up to its room, oldest event first; the next takes what the first left
        (5, {}, [2, 10, 10], [[1, 2], [3, 4, 5], []]),
        (3, {}, [0, 3], [[], [1, 2, 3]]),
        # ordered: in event order too, and nothing more while any of the hook's deliveries is held
        (4, {"ordered": True}, [1, 1, 5], [[1], [], []]),
        (4, {"ordered": True}, [2, 5], [[1, 2], []]),
    ],
)
def test_a_claim_takes_what_is_due_up_to_its_room_and_leases_it(
    sg: shotlog.Shotlog,
    hooks: Webhooks,
    n: int,
    fields: dict[str, Any],
    rooms: list[int],
    takes: list[list[int]],
) -> None:
    hook_id = queue(sg, hooks, n, **fields)
    first = min(rows(sg, hook_id))
    now = utcnow()
    for room, expected in zip(rooms, takes, strict=True):
        got = claim(sg, hook_id, room, now)
        assert [e - first + 1 for e in events_of(got)] == expected
        assert all(d.lease == now + LEASE for d in got)
    leased = {e - first + 1 for e, r in rows(sg, hook_id).items() if r.claimed_until is not None}
    assert leased == {e for taken in takes for e in taken}


@pytest.mark.parametrize(
    ("later", "taken_again"),
    [
        (dt.timedelta(0), False),
        (LEASE - dt.timedelta(seconds=1), False),
        # the lease is still good at its last instant: the worker may still be recording
        (LEASE, False),
        (LEASE + dt.timedelta(seconds=1), True),
    ],
)
def test_a_lease_keeps_others_off_until_it_runs_out(
    sg: shotlog.Shotlog, hooks: Webhooks, later: dt.timedelta, taken_again: bool
) -> None:
    hook_id = queue(sg, hooks, 2)
    now = utcnow()
    first = claim(sg, hook_id, 10, now)
    assert len(first) == 2
    again = claim(sg, hook_id, 10, now + later)
    assert [d.id for d in again] == ([d.id for d in first] if taken_again else [])
    if taken_again:  # a new lease of its own: the first worker may no longer send them
        assert all(d.lease == now + later + LEASE for d in again)
        held = first[0].lease
        assert held is not None
        assert renew(sg.db, [d.id for d in first], held, held + LEASE) is False


@pytest.mark.parametrize(
    ("ordered", "after_failure", "expected"),
    [
        # the head of an ordered hook's line waits for its retry, and so does every event behind it
        (True, dt.timedelta(0), []),
        (True, dt.timedelta(seconds=61), [1, 2, 3]),
        # without order, the others go while the failed one waits
        (False, dt.timedelta(0), [2, 3]),
        # then by due time: the retried one is due last
        (False, dt.timedelta(seconds=61), [2, 3, 1]),
    ],
)
def test_an_ordered_hook_holds_its_line_behind_a_failed_head(
    sg: shotlog.Shotlog, hooks: Webhooks, ordered: bool, after_failure: dt.timedelta, expected: list[int]
) -> None:
    hook_id = queue(sg, hooks, 3, ordered=ordered)
    first = min(rows(sg, hook_id))
    now = utcnow()
    head = claim(sg, hook_id, 1, now)
    assert [d.event_id for d in head] == [first]
    repository.record(sg.db, [failed(hook_id, head, 60.0)], now)
    got = claim(sg, hook_id, 10, now + after_failure)
    assert [e - first + 1 for e in events_of(got)] == expected


@pytest.mark.parametrize(
    ("outcome", "code", "delay", "count", "state", "next_in", "failures"),
    [
        (AttemptOutcome.SUCCEEDED, 200, None, True, DeliveryState.DELIVERED, None, 0),
        (AttemptOutcome.REJECTED, 500, 30.0, True, DeliveryState.PENDING, 30.0, 1),
        (AttemptOutcome.UNANSWERED, None, 5.0, True, DeliveryState.PENDING, 5.0, 1),
        # retries spent: given up, final
        (AttemptOutcome.REJECTED, 503, None, True, DeliveryState.FAILED, None, 1),
        # a manual test records without touching the hook's back-off
        (AttemptOutcome.REJECTED, 500, None, False, DeliveryState.FAILED, None, 0),
    ],
)
def test_recording_an_attempt_writes_the_delivery_the_attempt_and_the_hook(
    sg: shotlog.Shotlog,
    hooks: Webhooks,
    outcome: AttemptOutcome,
    code: int | None,
    delay: float | None,
    count: bool,
    state: DeliveryState,
    next_in: float | None,
    failures: int,
) -> None:
    hook_id = queue(sg, hooks, 2, batch_deliveries=True)
    now = utcnow()
    ds = claim(sg, hook_id, 10, now)
    result = attempt(hook_id, ds, outcome, code, [delay, delay])
    failing = repository.record(sg.db, [result], now, count_failures=count)
    assert failing == ([hook_id] if failures else [])
    for r in rows(sg, hook_id).values():
        assert (r.state, r.attempts, r.last_attempt_id, r.response_code) == (state, 1, result.id, code)
        assert r.claimed_until is None  # the lease ends with the recording
        assert r.finished_at == (now if state != DeliveryState.PENDING else None)
        if next_in is not None:
            assert r.next_attempt_at == now + dt.timedelta(seconds=next_in)
    with sg.db.read() as conn:
        stored = conn.execute(sa.select(att).where(att.c.id == result.id)).one()
        links = conn.execute(sa.select(carried.c.delivery_id).where(carried.c.attempt_id == result.id))
        hook = conn.execute(sa.select(hk).where(hk.c.id == hook_id)).one()
    assert stored.succeeded is (outcome is AttemptOutcome.SUCCEEDED)
    # one request, both deliveries: each lists it among its attempts
    assert sorted(links.scalars()) == sorted(d.id for d in ds)
    for d in ds:
        assert [a["id"] for a in hooks.delivery_attempts(d.id)] == [result.id]
    assert hook.consecutive_failures == failures
    assert hook.num_deliveries == (2 if outcome is AttemptOutcome.SUCCEEDED else 0)


def test_a_deliverys_attempts_are_listed_oldest_first(sg: shotlog.Shotlog, hooks: Webhooks) -> None:
    hook_id = queue(sg, hooks, 1)
    now = utcnow()
    ids = []
    for i, (outcome, code) in enumerate(
        [(AttemptOutcome.REJECTED, 500), (AttemptOutcome.UNANSWERED, None), (AttemptOutcome.SUCCEEDED, 204)]
    ):
        at = now + dt.timedelta(seconds=10 * i)
        (d,) = claim(sg, hook_id, 1, at)
        result = attempt(hook_id, [d], outcome, code, [1.0])
        result.started_at = at
        repository.record(sg.db, [result], at, count_failures=False)
        ids.append(result.id)
    (delivery,) = hooks.list_deliveries(hook_id).deliveries
    attempts = hooks.delivery_attempts(delivery["id"])
    assert [a["id"] for a in attempts] == ids
    assert [a["response_code"] for a in attempts] == [500, None, 204]
    assert delivery["state"] == DeliveryState.DELIVERED and delivery["attempts"] == 3


def attempt_rows(sg: shotlog.Shotlog, result: AttemptResult) -> tuple[str | None, list[str]]:
    """The delivery an attempt's row names, and the deliveries linked to it."""
    with sg.db.read() as conn:
        named = conn.execute(sa.select(att.c.delivery_id).where(att.c.id == result.id)).scalar_one()
        links = conn.execute(sa.select(carried.c.delivery_id).where(carried.c.attempt_id == result.id))
        return named, sorted(links.scalars())


def test_a_single_request_names_its_delivery_and_a_batched_one_links_them(
    sg: shotlog.Shotlog, hooks: Webhooks
) -> None:
    """One delivery per request (nearly all): on the attempt's row, no link. Several: no id on the
    row, a link each. A delivery sent alone, then in a batch, then alone lists all three."""
    hook_id = queue(sg, hooks, 3, batch_deliveries=True)
    now = utcnow()
    steps = []
    (first,) = claim(sg, hook_id, 1, now)
    alone = failed(hook_id, [first], 1.0)
    repository.record(sg.db, [alone], now, count_failures=False)
    assert attempt_rows(sg, alone) == (first.id, [])
    steps.append(alone.id)

    later = now + dt.timedelta(seconds=10)
    batch = claim(sg, hook_id, 10, later)
    assert first.id in {d.id for d in batch} and len(batch) == 3
    together = failed(hook_id, batch, 1.0)
    together.started_at = later
    repository.record(sg.db, [together], later, count_failures=False)
    assert attempt_rows(sg, together) == (None, sorted(d.id for d in batch))
    steps.append(together.id)

    last = later + dt.timedelta(seconds=10)
    (again,) = [d for d in claim(sg, hook_id, 10, last) if d.id == first.id]
    finally_ok = attempt(hook_id, [again], AttemptOutcome.SUCCEEDED, 200)
    finally_ok.started_at = last
    repository.record(sg.db, [finally_ok], last, count_failures=False)
    steps.append(finally_ok.id)

    assert [a["id"] for a in hooks.delivery_attempts(first.id)] == steps
    others = [d.id for d in batch if d.id != first.id]
    for other in others:
        assert [a["id"] for a in hooks.delivery_attempts(other)] == [together.id]


def test_two_workers_racing_never_take_the_same_delivery(
    sg: shotlog.Shotlog, hooks: Webhooks, module_db: str
) -> None:
    n = 60
    hook_ids = [queue(sg, hooks, n), queue(sg, hooks, n, ordered=True)]
    expected = {r.id for h in hook_ids for r in rows(sg, h).values()}
    now = utcnow()
    start = threading.Barrier(2)

    def room(hook: Any) -> int:
        return 7 if hook.id in hook_ids else 0

    taken: list[list[str]] = [[], []]

    def worker(i: int) -> Callable[[], None]:
        def run() -> None:
            with shotlog.connect(module_db, migrate=False) as store:
                # enough rounds for one worker alone (on PostgreSQL a hook another worker is
                # claiming for is skipped, so a round may leave a hook to the other)
                for _ in range(12):
                    start.wait(timeout=30)  # both claim at the same moment, round after round
                    _, got = repository.exchange(store.db, [], room, now=now, margin=MARGIN)
                    taken[i].extend(d.id for ds in got.deliveries.values() for d in ds)

        return run

    threads = [threading.Thread(target=worker(i)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    both = taken[0] + taken[1]
    assert len(both) == len(set(both)), "a delivery was claimed twice"
    # between them every unordered delivery went, and of the ordered hook only the first claim's
    # (its room, in event order): nothing more while those are held
    line = [r.id for _, r in sorted(rows(sg, hook_ids[1]).items())]
    assert set(both) == {r.id for r in rows(sg, hook_ids[0]).values()} | set(line[:7])
    assert set(both) <= expected
