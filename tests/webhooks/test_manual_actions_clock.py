"""Test connection, redeliver, replay, release and discard date what they write on the process's
clock (``shotlog.clock.clock()``), the one the worker and the hook's status use: a clock the test
moves (``SHOTLOG_TEST_CLOCK_FILE``) a month ahead shows in every time they record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from receivers import Receiver

import shotlog
from shotlog.clock import utcnow
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.webhooks import repository
from shotlog.webhooks.api import Webhooks

AHEAD = dt.timedelta(days=30)


@pytest.fixture
def month_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clock"
    path.write_text(str(AHEAD.total_seconds()))
    monkeypatch.setenv("SHOTLOG_TEST_CLOCK_FILE", str(path))


def _ahead(moment: Any) -> bool:
    """On the moved clock: a month ahead of the wall clock (a minute's leeway for a slow run)."""
    assert isinstance(moment, dt.datetime), moment
    return abs(moment - (utcnow() + AHEAD)) < dt.timedelta(minutes=1)


def _row(sg: shotlog.Shotlog, delivery_id: str) -> dict[str, Any]:
    row = repository.get_delivery(sg.db, delivery_id)
    assert row is not None
    return row


def test_manual_actions_date_their_rows_on_the_process_clock(
    month_ahead: None, sg: shotlog.Shotlog, hooks: Webhooks, receiver: Receiver
) -> None:
    hook = hooks.create_hook({"url": receiver.url, "token": "s3cret", "event_type": "Toolkit_Clock"})
    assert _ahead(repository.get_hook(sg.db, hook["id"]).created_at)  # what the API did already

    tested = hooks.test_hook(hook["id"])
    assert tested.ok
    row = _row(sg, tested.delivery_id)
    assert _ahead(row["created_at"]) and _ahead(row["sent_at"]) and _ahead(row["finished_at"]), row

    again = hooks.redeliver(tested.delivery_id)
    assert _ahead(_row(sg, again)["created_at"])

    sg.create("EventLogEntry", {"event_type": "Toolkit_Clock"})  # left to the replay (no dispatcher)
    queued = hooks.replay(hook["id"], after_id=0)
    assert queued >= 1
    with sg.db.read() as conn:
        replayed = conn.execute(dlv.select().where(dlv.c.hook_id == hook["id"], dlv.c.kind == "replay")).all()
    assert replayed and all(_ahead(r.created_at) for r in replayed)

    hooks.update_hook(hook["id"], {"status": "disabled"})
    assert hooks.get_hook(hook["id"])["held_deliveries"] >= 1
    assert hooks.release_held(hook["id"]) >= 1
    with sg.db.read() as conn:
        released = conn.execute(dlv.select().where(dlv.c.hook_id == hook["id"], dlv.c.kind == "replay")).all()
    assert all(_ahead(r.next_attempt_at) for r in released if r.state == "pending")
    hooks.update_hook(hook["id"], {"status": "active"})
    hooks.update_hook(hook["id"], {"status": "disabled"})
    assert hooks.discard_held(hook["id"]) >= 1
    with sg.db.read() as conn:
        discarded = conn.execute(
            dlv.select().where(dlv.c.hook_id == hook["id"], dlv.c.state == "discarded")
        ).all()
    assert discarded and all(_ahead(r.finished_at) for r in discarded)
