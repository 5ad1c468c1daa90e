"""The delivery log's listing and its counts per state: one set of conditions for both, so a page's
counts are always its table's, whatever the filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from webhookkit import fast_settings

import shotlog
from shotlog.clock import utcnow
from shotlog.webhooks import repository
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.claims import AttemptResult
from shotlog.webhooks.dispatcher import Dispatcher
from shotlog.webhooks.states import AttemptOutcome, DeliveryState


@pytest.fixture(scope="module")
def sg(module_db: str) -> Iterator[shotlog.Shotlog]:
    store = shotlog.connect(module_db)
    yield store
    store.close()


@pytest.fixture(scope="module")
def log(sg: shotlog.Shotlog) -> tuple[Webhooks, str]:
    """A hook with 7 deliveries: 2 delivered, 2 retrying (pending), 1 given up, 2 never tried."""
    hooks = Webhooks(sg, fast_settings())
    hook_id = hooks.create_hook({"url": "http://127.0.0.1:9/hook", "event_type": "Toolkit_Log"})["id"]
    project = sg.create("Project", {"name": "Log"})
    shots = [sg.create("Shot", {"code": f"s{i}", "project": project}) for i in range(2)]
    sg.batch(
        [
            {
                "request_type": "create",
                "entity_type": "EventLogEntry",
                "data": {"event_type": "Toolkit_Log", "entity": shots[i % 2], "project": project},
            }
            for i in range(7)
        ]
    )
    Dispatcher(sg.db).run()
    now = utcnow()
    _, claim = repository.exchange(sg.db, [], lambda hook: 5, now=now, margin=1.0)
    ds = claim.deliveries[hook_id]

    def result(part: list[Any], outcome: AttemptOutcome, code: int, delay: float | None) -> AttemptResult:
        return AttemptResult(
            hook_id=hook_id,
            delivery_ids=[d.id for d in part],
            attempts_before=[0] * len(part),
            started_at=now,
            outcome=outcome,
            response_code=code,
            process_time=0.01,
            error=None if code < 400 else f"HTTP {code}",
            request_headers={},
            request_body="{}",
            response_headers={},
            response_body="",
            retry_delays=[delay] * len(part),
        )

    repository.record(
        sg.db,
        [
            result(ds[0:2], AttemptOutcome.SUCCEEDED, 200, None),
            result(ds[2:4], AttemptOutcome.REJECTED, 500, 3600.0),
            result(ds[4:5], AttemptOutcome.REJECTED, 500, None),
        ],
        now,
        count_failures=False,
    )
    return hooks, hook_id


EXPECTED = {"delivered": 2, "pending": 4, "failed": 1, "held": 0, "discarded": 0}


@pytest.mark.parametrize("state", [None, *DeliveryState])
@pytest.mark.parametrize("on_entity", [False, True])
def test_counts_are_what_the_listing_lists(log: tuple[Webhooks, str], state: Any, on_entity: bool) -> None:
    hooks, hook_id = log
    entity: dict[str, Any] = {}
    if on_entity:
        first = hooks.list_deliveries(hook_id, page_size=1).deliveries[0]["entity"]
        entity = {"entity_type": first["type"], "entity_id": first["id"]}
    page = hooks.delivery_log(hook_id, state=state, page_size=500, **entity)
    everything = hooks.delivery_log(hook_id, page_size=500, **entity)
    assert page.counts is not None and everything.counts is not None
    # the counts are the same whatever state the table shows, and they are the table's
    assert page.counts == everything.counts
    assert page.counts == {s: sum(d["state"] == s for d in everything.deliveries) for s in DeliveryState}
    listed = len(page.deliveries)
    assert listed == (sum(page.counts.values()) if state is None else page.counts[state])
    assert {d["state"] for d in page.deliveries} <= ({state} if state else set(DeliveryState))
    if not on_entity:
        assert {str(s): n for s, n in page.counts.items()} == EXPECTED
        assert hooks.delivery_counts(hook_id) == page.counts


def test_a_retrying_delivery_is_pending_and_fptrs_status_says_its_last_attempt_failed(
    log: tuple[Webhooks, str],
) -> None:
    hooks, hook_id = log
    retrying = [
        d for d in hooks.delivery_log(hook_id, state=DeliveryState.PENDING).deliveries if d["attempts"]
    ]
    assert len(retrying) == 2
    assert all(d["status"] == "failed" and d["next_attempt_at"] and d["sent_at"] for d in retrying)
    fptr_failed = hooks.list_deliveries(hook_id, status="failed").deliveries
    assert sorted(d["state"] for d in fptr_failed) == ["failed", "pending", "pending"]


@pytest.mark.parametrize("on_entity", [False, True])
def test_a_page_reads_the_whole_logs_counts_with_its_table_in_one_grouped_count(
    log: tuple[Webhooks, str], on_entity: bool
) -> None:
    """The hook page's totals (Health, the held deliveries) and its table's counts come from the
    page's one read: one grouped count unfiltered, a second for the whole log when filtered."""
    hooks, hook_id = log
    entity: dict[str, Any] = {}
    if on_entity:
        first = hooks.list_deliveries(hook_id, page_size=1).deliveries[0]["entity"]
        entity = {"entity_type": first["type"], "entity_id": first["id"]}
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = hooks.db.reader
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        page = hooks.delivery_log(hook_id, state=DeliveryState.PENDING, page_size=2, **entity)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    grouped = [s for s in statements if "count(" in s.lower() and "webhook_deliveries" in s]
    assert len(grouped) == (2 if on_entity else 1), grouped
    assert page.log_counts is not None
    assert {str(s): n for s, n in page.log_counts.items()} == EXPECTED
    assert page.log_counts == hooks.delivery_counts(hook_id)
