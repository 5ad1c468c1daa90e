"""Large api3 bodies against a real ``shotlog serve`` (shotlog issue 15, item 4): a well-formed
client keeps being answered within 50 ms while strangers send 63 MB bodies of small strings, since
the caller of a body over ``SHOTLOG_API3_UNAUTHENTICATED_BODY`` is known, by the credentials at its
head, before the rest is read, and a refused caller's body is never parsed; the real clients' large
calls, by script key or password, are answered as before.

The latency bound is the issue's, asserted on the 90th percentile of the official client's calls
(on a loaded 2-core machine a few calls are slow with nothing else going on; the median, p95 and
maximum are printed). What proves it was measured under load: those calls are counted only while
the hostile bodies are still being sent (the server has to read them for the send to finish: the
socket buffers hold a few megabytes, not 63). What proves the bodies were not parsed: the server
process's CPU time for the whole round, a fraction of a second, where parsing one took 20 s.
"""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest
from sgserver import Server, events_after, head_event_id

#: the issue's body: 63 MB of one-letter strings
HOSTILE_BYTES = 63_000_000
LATENCY_BOUND = 0.050
PASSWORD = "a long enough password"
UNAUTHENTICATED_BODY = 256 * 1024


@pytest.fixture(scope="module")
def big(start_server: Callable[..., Server]) -> Iterator[Server]:
    """The module's server (default limits); nothing it is sent may make it log a failure."""
    server = start_server()
    yield server
    assert server.alive()
    log = server.log()
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-5000:]


def _strings(nbytes: int) -> bytes:
    """A JSON list of one-letter strings, about ``nbytes`` long."""
    return b"[" + b'"a",' * (nbytes // 4) + b'"a"]'


def _post(server: Server, body: bytes) -> dict[str, Any]:
    """``body`` to /api3/json on a socket of its own; the decoded reply."""
    address = urlsplit(server.url)
    assert address.hostname is not None and address.port is not None
    with socket.create_connection((address.hostname, address.port), timeout=120) as conn:
        head = f"POST /api3/json HTTP/1.1\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        conn.sendall(head.encode())
        conn.sendall(body)  # releases the GIL while it sends (a copy with the head would not)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    status, _, rest = b"".join(chunks).partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 200"), status
    reply: dict[str, Any] = json.loads(rest.partition(b"\r\n\r\n")[2])
    return reply


class Measured:
    """The official client's ``find`` latencies while other threads send bodies, and the server
    process's CPU seconds from the first body's sending to the last one's answer."""

    def __init__(self, server: Server, bodies: list[bytes]) -> None:
        self.replies: list[dict[str, Any]] = []
        process = psutil.Process(server.process.pid)
        self.latencies: list[float] = []  # of calls made while a body was still being sent
        sending = len(bodies)
        lock = threading.Lock()

        def send(body: bytes) -> None:
            nonlocal sending
            reply = _post(server, body)
            with lock:
                sending -= 1
                self.replies.append(reply)

        sg = server.client()
        sg.find("Shot", [["code", "is", "warm"]], ["code"])  # connected before the bodies
        senders = [threading.Thread(target=send, args=(body,)) for body in bodies]
        cpu_before = process.cpu_times()
        for sender in senders:
            sender.start()
        while sending:
            began = time.perf_counter()
            sg.find("Shot", [["code", "is", "nothing"]], ["code"])
            if sending:
                self.latencies.append(time.perf_counter() - began)
        for sender in senders:
            sender.join()
        ended = process.cpu_times()
        self.server_cpu = ended.user + ended.system - cpu_before.user - cpu_before.system

    def p90(self) -> float:
        return statistics.quantiles(self.latencies, n=10)[-1] if len(self.latencies) > 1 else 0.0

    def p95(self) -> float:
        return statistics.quantiles(self.latencies, n=20)[-1] if len(self.latencies) > 1 else 0.0

    def report(self, what: str) -> str:
        ms = [s * 1000 for s in self.latencies]
        return (
            f"{what}: {len(ms)} calls meanwhile, median {statistics.median(ms):.1f} ms, "
            f"p90 {self.p90() * 1000:.1f} ms, p95 {self.p95() * 1000:.1f} ms, max {max(ms):.1f} ms; "
            f"server CPU {self.server_cpu:.2f} s"
        )


@pytest.mark.parametrize(
    ("count", "auth", "refusal"),
    [
        pytest.param(
            1, None, "(SHOTLOG_API3_UNAUTHENTICATED_BODY) is read only once", id="1 without credentials"
        ),
        pytest.param(
            4,
            {"script_name": "nobody", "script_key": "wrong"},
            "wrong script name or key for 'nobody'",
            id="4 with a wrong key",
        ),
    ],
)
def test_strangers_63_mb_bodies_leave_a_client_answered_within_50_ms(
    big: Server, count: int, auth: dict[str, str] | None, refusal: str
) -> None:
    params = b"" if auth is None else json.dumps(auth).encode() + b","
    body = b'{"method_name":"read","params":[' + params + _strings(HOSTILE_BYTES) + b"]}"
    measured = Measured(big, [body] * count)
    print(f"\n{measured.report(f'{count} x {len(body) / 1e6:.0f} MB unauthenticated')}")
    assert [r.get("error_code") for r in measured.replies] == [102] * count
    assert all(refusal in r["message"] for r in measured.replies), measured.replies[0]
    assert len(measured.latencies) >= 5  # the bodies were read while the client was answered
    assert measured.server_cpu < count, measured.report("parsed?")  # read and dropped: ~0.1 s each
    assert measured.p90() < LATENCY_BOUND, measured.report("too slow")


def test_the_real_clients_large_calls_are_answered(big: Server) -> None:
    """A find whose filter is larger than the unsigned limit, by script key and by password."""
    sg = big.client()
    person = sg.create(
        "HumanUser",
        {
            "login": "large.bodies",
            "firstname": "L",
            "lastname": "B",
            "password_proxy": PASSWORD,
            "sg_status_list": "act",
        },
    )
    codes = [f"code-{n:030d}" for n in range(10_000)]  # about 400 KB of filter (10,000 values at most)
    by_password = big.client(login="large.bodies", password=PASSWORD)
    head = head_event_id(sg)
    for client in (sg, by_password):
        assert client.find("Shot", [["code", "in", codes]], ["code"]) == []
    logins = events_after(sg, head, event_type="Shotgun_User_Login")
    assert [e["entity"]["id"] for e in logins] == [person["id"]]  # its password checked as one sign-in


def _padded(auth: dict[str, str], then: bytes = b"") -> bytes:
    """A read whose second param is over the unsigned limit, with ``then`` after params."""
    padding = _strings(UNAUTHENTICATED_BODY * 2)
    return (
        b'{"method_name":"read","params":[' + json.dumps(auth).encode() + b"," + padding + b"]" + then + b"}"
    )


def test_a_wrong_password_in_a_large_body_is_one_failed_sign_in(big: Server) -> None:
    sg = big.client()
    sg.create(
        "HumanUser",
        {
            "login": "large.wrong",
            "firstname": "L",
            "lastname": "W",
            "password_proxy": PASSWORD,
            "sg_status_list": "act",
        },
    )
    head = head_event_id(sg)
    reply = _post(big, _padded({"user_login": "large.wrong", "user_password": "not it"}))
    assert reply["error_code"] == 102 and "wrong login or password" in reply["message"]
    failed = events_after(sg, head, event_type="Shotgun_User_FailedLogin")
    assert [e["meta"]["login"] for e in failed] == ["large.wrong"]


def test_credentials_checked_at_the_head_stand_for_those_credentials_only(big: Server) -> None:
    """JSON lets a key come twice, the last one counting: a second ``params`` after the checked
    one is authenticated on its own, its wrong password refused."""
    sg = big.client()
    sg.create(
        "HumanUser",
        {
            "login": "large.twice",
            "firstname": "L",
            "lastname": "T",
            "password_proxy": PASSWORD,
            "sg_status_list": "act",
        },
    )
    good = {"user_login": "large.twice", "user_password": PASSWORD}
    ok = _post(big, _padded(good))
    assert ok.get("error_code") != 102, ok  # accepted: what is refused next is its arguments
    second = b',"params":[{"user_login":"admin.tests","user_password":"guess"},{}]'
    reply = _post(big, _padded(good, second))
    assert reply["error_code"] == 102 and "admin.tests" in reply["message"], reply


def test_an_accepted_large_body_of_small_strings(big: Server) -> None:
    """A script's 16 MB body is parsed (one at a time: ``SHOTLOG_API3_LARGE_PARSES``) and its
    fault names the arguments; the client's latency meanwhile is printed: the parse shares the
    interpreter with it for seconds (docs/performance.md has the figures)."""
    body = (
        b'{"method_name":"read","params":['
        + json.dumps(big.auth()).encode()
        + b","
        + _strings(16_000_000)
        + b"]}"
    )
    measured = Measured(big, [body, body])
    print(f"\n{measured.report('2 x 16 MB by a script')}")
    assert len(measured.replies) == 2
    assert all(r.get("error_code") not in (None, 102) for r in measured.replies), measured.replies
    assert len(measured.latencies) >= 10
