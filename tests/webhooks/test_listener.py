"""``shotlog webhooks listen``: the verdicts (pure, against shotlog's own signing), then the real
command as a subprocess receiving from shotlog's worker, from a hand-made request and forwarding
to a real app on 127.0.0.1. Every wait is for a line the command prints, never a fixed sleep."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from receivers import Receiver
from webhookkit import WorkerThread, wait_until

import shotlog
from shotlog.cli import main
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.inspection import check_sha1, check_standard, inspect_request
from shotlog.webhooks.payloads import HookSigning, Message, headers

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes
OTHER = "whsec_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
NOW = dt.datetime(2026, 12, 7, 18, 0, tzinfo=dt.UTC)
EVENT: dict[str, Any] = {
    "data": {
        "id": "812.0.0",
        "event_log_entry_id": 812,
        "event_type": "Shotgun_Shot_Change",
        "operation": "update",
        "entity": {"type": "Shot", "id": 12},
        "attribute_name": "sg_status_list",
        "meta": {"old_value": "wtg", "new_value": "ip"},
        "delivery_id": "d-1",
    },
    "timestamp": "2026-12-07T18:00:00Z",
}


def signed(
    body: Any = EVENT, token: str | None = "s3cret", keys: tuple[str, ...] = (SECRET,), now: dt.datetime = NOW
) -> tuple[bytes, dict[str, str]]:
    """A request exactly as shotlog's sender builds it."""
    raw = orjson.dumps(body)
    hook = HookSigning("hook-1", token, bool(keys), keys, "http://127.0.0.1:8000/")
    return raw, headers(hook, Message(raw, ("d-1",), "7"), now)


@pytest.mark.parametrize(
    ("secrets", "change", "sha1", "standard"),
    [
        (("s3cret", SECRET), None, "verified", "verified"),
        (("s3cret", OTHER, SECRET), None, "verified", "verified"),  # any of several secrets
        (("wrong", OTHER), None, "FAILED", "FAILED"),
        ((), None, "unchecked", "unchecked"),
        (("s3cret",), None, "verified", "unchecked"),  # a token is no whsec_ secret
        (("s3cret", SECRET), {"X-SG-SIGNATURE": "sha1=00"}, "FAILED", "verified"),
        (("s3cret", SECRET), {"X-SG-SIGNATURE": "md5=00"}, "FAILED", "verified"),
        (("s3cret", SECRET), {"webhook-timestamp": str(int(NOW.timestamp()) - 301)}, "verified", "FAILED"),
        (("s3cret", SECRET), {"webhook-timestamp": "soon"}, "verified", "FAILED"),
        (("s3cret", SECRET), {"webhook-id": "d-2"}, "verified", "FAILED"),
        (("s3cret", SECRET), {"webhook-signature": "v1a,abc v2,xyz"}, "verified", "FAILED"),
    ],
)
def test_verdicts_on_what_shotlog_signs(
    secrets: tuple[str, ...], change: dict[str, str] | None, sha1: str, standard: str
) -> None:
    raw, sent = signed()
    sent.update(change or {})
    sha1_verdict = check_sha1(secrets, raw, sent)
    standard_verdict = check_standard(secrets, raw, sent, NOW)
    assert sha1_verdict is not None and sha1_verdict.outcome == sha1, sha1_verdict
    assert standard_verdict is not None and standard_verdict.outcome == standard, standard_verdict


def test_a_rotated_secret_signs_twice_and_either_verifies() -> None:
    raw, sent = signed(keys=(OTHER, SECRET))
    assert len(sent["webhook-signature"].split()) == 2
    for key in (OTHER, SECRET):
        assert check_standard([key], raw, sent, NOW).outcome == "verified"  # type: ignore[union-attr]


def test_a_changed_body_fails_both_and_unsigned_requests_have_no_verdict() -> None:
    raw, sent = signed()
    seen = inspect_request(raw + b" ", sent, ["s3cret", SECRET], NOW)
    assert [v.outcome for v in seen.verdicts] == ["FAILED", "FAILED"] and seen.failed
    assert inspect_request(raw, {}, ["s3cret"], NOW).verdicts == ()


def test_summaries() -> None:
    raw, sent = signed()
    seen = inspect_request(raw, sent, [], NOW)
    assert (seen.title, seen.subject, seen.delivery_id, seen.hook_id) == (
        "Shotgun_Shot_Change",
        "Shot 12 · sg_status_list",
        "d-1",
        "hook-1",
    )
    assert '"new_value":"ip"' in seen.body and '"delivery_id"' not in seen.body
    batch = {"data": {"deliveries": [EVENT["data"], {**EVENT["data"], "event_log_entry_id": 813}]}}
    raw, sent = signed(batch)
    seen = inspect_request(raw, sent, [], NOW)
    assert seen.title == "batch of 2" and seen.lines[1].endswith("(event 813)")
    status = {"data": {"event_type": "Webhook_Status_Change", "webhook_status": "unstable"}}
    status["data"]["previous_webhook_status"] = "active"
    assert inspect_request(orjson.dumps(status), {}, [], NOW).subject == "active → unstable"
    assert inspect_request(b"<xml/>", {}, [], NOW).title == "not JSON"
    assert inspect_request(b"[1]", {}, [], NOW).title == "not a delivery"
    long = inspect_request(orjson.dumps({"data": {"meta": "x" * 1000}}), {}, [], NOW, limit=100)
    assert len(long.body) == 100 and long.body.endswith("…")


# --- the command as a user runs it ---------------------------------------------------------------


class Listening:
    """``shotlog webhooks listen`` in a subprocess, its output read line by line as it comes."""

    def __init__(self, *args: str, database: str | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
        env.update(SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS="127.0.0.0/8", PYTHONUNBUFFERED="1", COLUMNS="200")
        command = [sys.executable, "-m", "shotlog", "webhooks", "listen", "--port", "0", *args]
        if database:
            command += ["--database", database]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
        )
        self.lines: list[str] = []
        self._seen = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_line(r"listening on (\S+),").group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()
        self.process.stdout.close()
        with self._seen:
            self.lines.append("<exited>")
            self._seen.notify_all()

    def wait_line(self, pattern: str, after: int = 0, timeout: float = 20.0) -> re.Match[str]:
        """The first line from index ``after`` matching ``pattern``; fail with the output if none comes."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in self.lines[after:]:
                    if (found := regex.search(line)) is not None:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or "<exited>" in self.lines:
                    raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))
                self._seen.wait(left)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)
        self.wait_line("<exited>")
        return "\n".join(self.lines)


@pytest.fixture
def listening() -> Iterator[Callable[..., Listening]]:
    started: list[Listening] = []

    def start(*args: str, database: str | None = None) -> Listening:
        started.append(Listening(*args, database=database))
        return started[-1]

    yield start
    for one in started:
        if one.process.poll() is None:
            one.process.kill()
        one.process.wait()
        one.wait_line("<exited>")  # the reader has closed the pipe


def post(url: str, raw: bytes, sent: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=raw, headers=sent, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_created_hook_receives_a_verified_event_and_is_deleted_on_sigterm(
    sg: shotlog.Shotlog,
    db_url: str,
    hooks: Webhooks,
    project: dict[str, Any],
    run_worker: Callable[..., WorkerThread],
    listening: Callable[..., Listening],
) -> None:
    listener = listening("--create-hook", "--entity", "Shot=create", database=db_url)
    hook_id = listener.wait_line(r"created hook (\S+) posting to").group(1)
    assert hooks.get_hook(hook_id)["url"] == listener.url
    run_worker()
    shot = sg.create("Shot", {"code": "sh010", "project": project})
    line = listener.wait_line(rf"Shotgun_Shot_New\s+Shot {shot['id']}").string
    assert "sha1 verified" in line and "standard verified" in line and line.endswith("→ 200"), line
    wait_until(
        lambda: hooks.list_deliveries(hook_id, status="delivered").deliveries, what="the delivery recorded"
    )
    output = listener.stop()
    assert listener.process.returncode == 0, output
    assert f"deleted hook {hook_id}" in output
    assert all(h["id"] != hook_id for h in hooks.list_hooks(None)[0])


def test_status_500_makes_shotlog_record_a_failed_attempt(
    sg: shotlog.Shotlog,
    db_url: str,
    hooks: Webhooks,
    run_worker: Callable[..., WorkerThread],
    listening: Callable[..., Listening],
) -> None:
    listener = listening(
        "--create-hook", "--event-type", "Toolkit_Listen", "--status", "500", database=db_url
    )
    hook_id = listener.wait_line(r"created hook (\S+)").group(1)
    assert "answering 500" in listener.lines[-1]
    run_worker()
    event = sg.create("EventLogEntry", {"event_type": "Toolkit_Listen"})
    listener.wait_line(r"Toolkit_Listen .*→ 500$")

    def failed() -> list[dict[str, Any]]:
        found = hooks.list_deliveries(hook_id, status="failed").deliveries
        return [d for d in found if d["event_log_entry_id"] == event["id"] and d["response_code"] == 500]

    assert "answering 500" in wait_until(failed, what="a failed attempt")[0]["body"]
    listener.stop()


def test_hand_made_requests_get_verdicts_and_the_answer_told(listening: Callable[..., Listening]) -> None:
    listener = listening("--secret", "s3cret", "--secret", SECRET, "--status", "201", "--delay", "0.2")
    raw, sent = signed(now=dt.datetime.now(dt.UTC))
    started = time.monotonic()
    assert post(listener.url + "hook", raw, sent)[0] == 201
    assert time.monotonic() - started >= 0.2
    line = listener.wait_line(r"POST /hook .*delivery d-1").string
    assert "sha1 verified" in line and "standard verified" in line, line
    listener.wait_line(r"↳ delivery d-1 answered 201 after 0.2 s")
    sent["X-SG-SIGNATURE"] = "sha1=" + "0" * 40
    mark = len(listener.lines)
    assert post(listener.url, raw, sent)[0] == 201  # a bad signature is shown, the answer is as told
    line = listener.wait_line(r"delivery d-1", after=mark).string
    assert "sha1 FAILED (does not match the body under any --secret)" in line and "standard verified" in line
    listener.stop()


def test_forward_relays_the_same_request_and_the_apps_answer(listening: Callable[..., Listening]) -> None:
    app = Receiver(token="s3cret").start()
    app.respond = lambda received: 202
    try:
        listener = listening("--secret", "s3cret", "--forward", app.url)
        raw, sent = signed(keys=())
        assert post(listener.url, raw, sent) == (202, b"ok")
        got = app.wait_for(1)[0]
        assert got.raw == raw and got.signature_ok and got.header("X-SG-DELIVERY-ID") == "d-1"
        listener.wait_line(rf"↳ delivery d-1 forwarded to {re.escape(app.url)}: the app answered 202 in")
    finally:
        app.stop()
    mark = len(listener.lines)
    assert post(listener.url, raw, sent)[0] == 502  # the app has gone
    listener.wait_line(r"↳ delivery d-1 could not forward to .*→ 502", after=mark)
    listener.stop()


def test_bad_options_are_named() -> None:
    for args, message in [
        (["--status", "500", "--forward", "http://127.0.0.1:1/"], "--status and --forward"),
        (["--forward", "ftp://x"], "--forward must be an http:// or https:// URL, got 'ftp://x'"),
        (["--create-hook"], "--create-hook needs a subscription"),
        (["--entity", "Shot=create"], "go with --create-hook"),
    ]:
        result = CliRunner().invoke(main, ["webhooks", "listen", "--port", "0", *args])
        assert result.exit_code == 1 and message in result.output, (args, result.output)
