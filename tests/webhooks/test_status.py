"""FPTR's status rules driven by a clock the tests move (``SHOTLOG_TEST_CLOCK_FILE``), not by wall
time: a receiver that stays down makes its hook Failed at the threshold, a Failed hook holds its
events and sends them all once enabled, every change reaches the hook's URL as a
Webhook_Status_Change, and the hook's ``notify_emails`` get a mail through a real SMTP server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from receivers import Receiver
from webhookkit import WorkerThread, fast_settings, wait_until

import shotlog
from shotlog.clock import Clock, utcnow
from shotlog.store.tables import webhook_attempts as att
from shotlog.store.tables import webhook_deliveries as dlv
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.notify import smtp_config
from shotlog.webhooks.status import probe_interval
from testdbs import free_port

Run = Callable[..., WorkerThread]
THRESHOLD = 5


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Envelope] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 OK"

    def mails(self) -> list[Any]:
        return [message_from_bytes(bytes(m.original_content or b"")) for m in self.messages]


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SHOTLOG_WEBHOOKS_SMTP_SERVER", "127.0.0.1")
    monkeypatch.setenv("SHOTLOG_WEBHOOKS_SMTP_PORT", str(port))
    monkeypatch.setenv("SHOTLOG_WEBHOOKS_SMTP_FROM", "shotlog@example.com")
    yield box
    controller.stop()


class MovedClock:
    """The process clock (``shotlog.clock.clock()``) of the worker and the API, moved by the test."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shift = 0.0
        path.write_text("0")

    def advance(self, seconds: float) -> None:
        self.shift += seconds
        self.path.write_text(repr(self.shift))


@pytest.fixture
def moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MovedClock:
    test_clock = MovedClock(tmp_path / "clock")
    monkeypatch.setenv("SHOTLOG_TEST_CLOCK_FILE", str(test_clock.path))
    return test_clock


def _failed_requests(sg: shotlog.Shotlog, hook_id: str) -> int:
    with sg.db.read() as conn:
        rows = conn.execute(att.select().where(att.c.hook_id == hook_id, att.c.succeeded.is_(False)))
        return len(rows.all())


def _wait_for_more_failures(sg: shotlog.Shotlog, hook_id: str, seen: int) -> None:
    wait_until(lambda: _failed_requests(sg, hook_id) > seen, what="a probe")


def _changes(receiver: Receiver) -> list[tuple[str, str, str]]:
    return [
        (d["previous_webhook_status"], d["webhook_status"], d["meta"]["source"])
        for d in receiver.items(service=True)
        if d["event_type"] == "Webhook_Status_Change"
    ]


def test_dead_receiver_fails_the_hook_which_holds_its_events_until_enabled(
    inbox: Inbox, sg: shotlog.Shotlog, receiver: Receiver, run_worker: Run, moved: MovedClock
) -> None:
    # (the inbox first: torn down last, after the worker has sent what it queued)
    settings = fast_settings(failure_threshold=THRESHOLD, retry_scale=1.0)
    hooks = Webhooks(sg, settings)
    receiver.respond = lambda r: 500  # down: every request fails, status changes included
    hook = hooks.create_hook(
        {"url": receiver.url, "event_type": "Toolkit_Down", "notify_emails": ["ops@example.com"]}
    )
    run_worker(settings)
    first = [sg.create_event("Toolkit_Down", description=str(i))["id"] for i in range(3)]
    wait_until(lambda: _failed_requests(sg, hook["id"]) >= 1, what="the first failed request")
    # Each step moves the clock past the longest pause (jitter included) and waits for the probe.
    step = probe_interval(THRESHOLD) * 1.2 + 1
    for _ in range(THRESHOLD + 2):
        if hooks.get_hook(hook["id"])["status"] == "failed":
            break
        seen = _failed_requests(sg, hook["id"])
        moved.advance(step)
        _wait_for_more_failures(sg, hook["id"], seen)
    h = hooks.get_hook(hook["id"])
    assert h["status"] == "failed"
    assert h["failures_in_window"] >= THRESHOLD and h["failure_threshold"] == THRESHOLD
    assert h["status_since"] is not None
    assert h["held_deliveries"] == 3
    # a new event is held, not sent; the unstable → failed change still goes to the URL (the marker
    # that the worker ran a round after the hook failed)
    later = sg.create_event("Toolkit_Down", description="later")["id"]
    wait_until(lambda: hooks.get_hook(hook["id"])["held_deliveries"] == 4, what="four held")
    sent_before_failed = len(receiver.items())
    moved.advance(step)
    wait_until(lambda: ("unstable", "failed", "system") in _changes(receiver), what="the failed change")
    assert len(receiver.items()) == sent_before_failed
    assert _changes(receiver)[:1] == [("active", "unstable", "system")]
    # the addresses were mailed twice: unstable, then failed with what is held and how to enable
    wait_until(lambda: len(inbox.messages) == 2, what="two emails")
    unstable, failed = inbox.mails()
    assert unstable["To"] == "ops@example.com" and unstable["From"] == "shotlog@example.com"
    assert "is unstable" in unstable["Subject"] and "is failed" in failed["Subject"]
    body = failed.get_payload(decode=True).decode()
    assert f"(Failed at {THRESHOLD})" in body and "3 held so far" in body
    assert f"shotlog webhooks enable {hook['id']}" in body and "HTTP 500" in body
    # enabling sends every held event, in one go, and counts failures afresh
    receiver.respond = lambda r: 200
    enabled = hooks.enable_hook(hook["id"])
    assert enabled["status"] == "active" and enabled["held_deliveries"] == 0
    assert enabled["failures_in_window"] == 0
    wait_until(
        lambda: (
            {i["event_log_entry_id"] for i in receiver.items() if i["event_log_entry_id"]} >= {*first, later}
        ),
        what="the held events",
    )
    wait_until(lambda: ("failed", "active", "client") in _changes(receiver), what="the enable change")

    def delivered() -> list[int]:
        page = hooks.list_deliveries(hook["id"], status="delivered").deliveries
        return sorted(d["event_log_entry_id"] for d in page if d["kind"] == "event")

    wait_until(lambda: len(delivered()) >= 4, what="the held events recorded as delivered")
    assert delivered() == sorted([*first, later])
    # one failure after enabling makes it Unstable, not Failed again
    receiver.respond = lambda r: 503
    sg.create_event("Toolkit_Down", description="one more")
    wait_until(lambda: hooks.get_hook(hook["id"])["status"] == "unstable", what="unstable again")
    assert hooks.get_hook(hook["id"])["failures_in_window"] < THRESHOLD
    wait_until(lambda: len(inbox.messages) == 3, what="the email about it")


def test_unstable_returns_to_active_when_the_window_holds_no_failure(
    sg: shotlog.Shotlog, receiver: Receiver, run_worker: Run, moved: MovedClock
) -> None:
    settings = fast_settings(retry_scale=1.0)
    hooks = Webhooks(sg, settings)
    answers = iter([500])
    receiver.respond = lambda r: next(answers, 200)
    hook = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Blip"})
    worker = run_worker(settings)
    sg.create_event("Toolkit_Blip")
    wait_until(lambda: hooks.get_hook(hook["id"])["status"] == "unstable", what="unstable")
    moved.advance(10)  # past the first pause: the retry succeeds
    wait_until(
        lambda: hooks.list_deliveries(hook["id"], status="delivered").deliveries, what="the retry delivered"
    )
    worker.worker.maintain()
    assert hooks.get_hook(hook["id"])["status"] == "unstable"  # the failure is still in the window
    moved.advance(24 * 3600)
    worker.worker.maintain()
    h = hooks.get_hook(hook["id"])
    assert h["status"] == "active" and h["failures_in_window"] == 0
    wait_until(lambda: ("unstable", "active", "system") in _changes(receiver), what="the change")
    assert _changes(receiver) == [("active", "unstable", "system"), ("unstable", "active", "system")]


class FrozenClock(Clock):
    """Time that moves only when the test says (the worker's own clock; the receiver never waits)."""

    def __init__(self) -> None:
        self.at = utcnow() + dt.timedelta(hours=1)  # deliveries dispatched on the wall clock are due

    def now(self) -> dt.datetime:
        return self.at


def test_an_outage_costs_the_requests_in_flight_not_the_round(
    sg: shotlog.Shotlog, receiver: Receiver, run_worker: Run
) -> None:
    """The worker claims four rounds of ``max_concurrency``; when one request fails, those still
    waiting for a slot are handed back unsent, and the paused hook waits for its probe."""
    settings = fast_settings(retry_scale=1.0)
    hooks = Webhooks(sg, settings)
    receiver.respond = lambda r: 500
    hook = hooks.create_hook({"url": receiver.url, "event_type": "Toolkit_Burst", "max_concurrency": 2})
    frozen = FrozenClock()
    for i in range(30):
        sg.create_event("Toolkit_Burst", description=str(i))
    run_worker(settings, clock=frozen)

    def settled() -> bool:
        """A failure recorded, and nothing of the hook claimed any more (sent and recorded, or
        handed back unsent)."""
        with sg.db.read() as conn:
            claimed = conn.execute(
                dlv.select().where(dlv.c.hook_id == hook["id"], dlv.c.claimed_until.is_not(None))
            ).all()
        return _failed_requests(sg, hook["id"]) > 0 and not claimed

    wait_until(settled, what="the burst handed back")
    wait_until(lambda: hooks.get_hook(hook["id"])["status"] == "unstable", what="unstable")
    burst = _failed_requests(sg, hook["id"])
    assert 1 <= burst <= 2  # at most the two in flight, not the eight claimed
    assert len(receiver.requests) == burst
    frozen.at += dt.timedelta(seconds=7)  # past the first pause: one probe, alone
    wait_until(lambda: _failed_requests(sg, hook["id"]) > burst and settled(), what="the probe")
    assert len(receiver.requests) == burst + 1


def test_status_emails_use_the_daemon_files_mail_server_when_shotlog_has_none(tmp_path: Path) -> None:
    conf = tmp_path / "shotgunEventDaemon.conf"
    conf.write_text(
        "[emails]\nserver = smtp.studio.example\nport = 587\nuseTLS = true\nusername = mailer\n"
        "password = %(SMTP_PW)s\nfrom = daemon@studio.example\nto = td@studio.example\nsubject = [SG]\n"
    )
    env = {"SHOTLOG_DAEMON_CONFIG": str(conf), "SMTP_PW": "pw"}
    config = smtp_config(env)
    assert config is not None
    assert (config.server, config.port, config.use_tls, config.username, config.password, config.sender) == (
        "smtp.studio.example",
        587,
        True,
        "mailer",
        "pw",
        "daemon@studio.example",
    )
    own = smtp_config(
        {**env, "SHOTLOG_WEBHOOKS_SMTP_SERVER": "mail.example", "SHOTLOG_WEBHOOKS_SMTP_SECURITY": "ssl"}
    )
    assert own is not None and (own.server, own.port, own.use_ssl, own.username) == (
        "mail.example",
        465,
        True,
        None,
    )
    assert smtp_config({}) is None
    with pytest.raises(ValueError, match="SHOTLOG_WEBHOOKS_SMTP_SECURITY"):
        smtp_config({"SHOTLOG_WEBHOOKS_SMTP_SERVER": "x", "SHOTLOG_WEBHOOKS_SMTP_SECURITY": "tls"})
