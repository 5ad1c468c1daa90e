"""Hostile input against a real ``shotlog serve`` (shotlog issue 15, item 4): bodies over each
endpoint's limit are refused before they are parsed, slow clients are cut off, and idle keep-alive
connections are not. Large api3 bodies, and the latency of other calls meanwhile, are
``test_large_api3_bodies``'s.

The server has short time limits (``SHOTLOG_HEADER_TIMEOUT``, ``SHOTLOG_BODY_TIMEOUT``) and a small
REST limit, so that each case takes about a second. Raw sockets send what no well-behaved client
would: headers that never end, a body that never comes, a ``Content-Length`` larger than what
follows it.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sgserver import Server

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
REST_MAX_BODY = 100_000
FORM_MAX_BODY = 50_000


@pytest.fixture(scope="module")
def hostile(start_server: Callable[..., Server]) -> Iterator[Server]:
    """The module's server; none of what it is sent may make it log a failure."""
    server = start_server(
        env={
            "SHOTLOG_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "SHOTLOG_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "SHOTLOG_REST_MAX_BODY": str(REST_MAX_BODY),
            "SHOTLOG_FORM_MAX_BODY": str(FORM_MAX_BODY),
        }
    )
    yield server
    assert server.alive()
    log = server.log()
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-5000:]


def _connect(server: Server) -> socket.socket:
    address = urlsplit(server.url)
    assert address.hostname is not None and address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=30)


def _reply(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of the one response on ``conn``, read until the server closes."""
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def _bearer(server: Server) -> str:
    reply = server.http.post(
        "/api/v1/auth/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": server.script_name,
            "client_secret": server.script_key,
        },
    )
    assert reply.status_code == 200, reply.text
    token: str = reply.json()["access_token"]
    return token


# -- sizes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "limit", "what"),
    [
        ("/api/v1/entity/shots/_search", REST_MAX_BODY, "A REST API request body"),
        ("/api/v1/auth/access_token", 65_536, "A token request body"),
        ("/export/events.csv", REST_MAX_BODY, "A REST API request body"),
        ("/account/time-zone", FORM_MAX_BODY, "A form post"),
    ],
)
def test_a_declared_body_over_the_limit_is_refused_unread(
    hostile: Server, path: str, limit: int, what: str
) -> None:
    """Only the headers and a few bytes are sent: the 413 comes before the body, unauthenticated."""
    with _connect(hostile) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n".encode()
            + b'{"filters": ['
        )
        status, headers, body = _reply(conn)
    assert status == 413
    assert headers["connection"] == "close"
    title = json.loads(body)["errors"][0]["title"]
    assert title == f"{what} may have at most {limit:,} bytes"


def test_a_streamed_rest_body_is_refused_once_past_the_limit(hostile: Server) -> None:
    """No Content-Length (chunked): the body is read up to the limit, not parsed, and refused."""
    sent = 0

    def body() -> Any:
        nonlocal sent
        yield b'{"filters": [["code", "in", ['
        for _ in range(10_000):  # 10x the limit at most; the server stops reading long before
            sent += 1
            yield b'"ab",' * 2000
        yield b'"ab"]]]}'

    headers = {"Authorization": f"Bearer {_bearer(hostile)}", "Content-Type": "application/json"}
    try:
        reply = httpx.post(
            f"{hostile.url}/api/v1/entity/shots/_search", content=body(), headers=headers, timeout=30
        )
    except httpx.TransportError:  # the server closed while the client was still writing
        pytest.fail("the 413 should reach a client that sends a body in chunks")
    assert reply.status_code == 413, reply.text[:500]
    assert f"at most {REST_MAX_BODY:,} bytes" in reply.json()["errors"][0]["title"]
    assert sent < 10_000


def test_a_rest_body_under_the_limit_is_answered(hostile: Server) -> None:
    headers = {"Authorization": f"Bearer {_bearer(hostile)}"}
    filters = {"filters": [["code", "in", ["x" * 30] * 2000]]}
    reply = hostile.http.post("/api/v1/entity/shots/_search", json=filters, headers=headers)
    assert reply.status_code == 200, reply.text[:500]
    assert reply.json()["data"] == []


# -- time ----------------------------------------------------------------------------------------


def test_headers_that_never_end_are_cut_off(hostile: Server) -> None:
    with _connect(hostile) as conn:
        began = time.monotonic()
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        status, headers, _ = _reply(conn)
        waited = time.monotonic() - began
    assert status == 408 and headers["connection"] == "close"
    assert HEADER_TIMEOUT * 0.9 <= waited < HEADER_TIMEOUT + 10


def test_a_connection_that_sends_nothing_is_cut_off(hostile: Server) -> None:
    with _connect(hostile) as conn:
        status, _, _ = _reply(conn)
    assert status == 408


@pytest.mark.parametrize("path", ["/api3/json", "/api/v1/entity/shots/_search", "/account/time-zone"])
def test_a_body_that_never_comes_is_cut_off(hostile: Server, path: str) -> None:
    """A body sent a byte now and then: the time limit is the whole body's, not each byte's."""
    with _connect(hostile) as conn:
        began = time.monotonic()
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n{".encode()
        )
        for _ in range(4):  # a byte every fifth of the limit: each wait is short, the whole is not
            time.sleep(BODY_TIMEOUT / 5)
            conn.sendall(b" ")
        status, headers, body = _reply(conn)
        waited = time.monotonic() - began
    assert status == 408 and headers["connection"] == "close"
    assert json.loads(body)["errors"][0]["title"] == (
        f"The request body did not arrive within {BODY_TIMEOUT:g} seconds"
    )
    # the whole body's limit: a limit on each wait would have waited until 1.8 s at least
    assert BODY_TIMEOUT * 0.9 <= waited < BODY_TIMEOUT + 0.7


def test_an_upload_may_take_long_but_not_stall(hostile: Server) -> None:
    """An upload's time limit is for each wait: a slow one goes on past it, a stalled one ends."""
    with _connect(hostile) as conn:
        conn.sendall(
            b"POST /upload/upload_file HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
        )
        began = time.monotonic()
        while time.monotonic() - began < BODY_TIMEOUT * 1.5:  # longer than the limit in all
            time.sleep(BODY_TIMEOUT / 5)
            conn.sendall(b"x" * 100)
        stalled = time.monotonic()
        status, headers, body = _reply(conn)
        waited = time.monotonic() - stalled
    assert status == 408 and headers["connection"] == "close"
    assert json.loads(body)["errors"][0]["title"] == (
        f"The request body stopped arriving: none of it for {BODY_TIMEOUT:g} seconds"
    )
    assert BODY_TIMEOUT * 0.9 <= waited < BODY_TIMEOUT + 0.7


def test_an_idle_keep_alive_connection_outlives_both_time_limits(hostile: Server) -> None:
    """Between requests a connection is idle, not slow: it stays open for the keep-alive."""
    address = urlsplit(hostile.url)
    assert address.hostname is not None and address.port is not None
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        conn.request("GET", "/healthz")
        assert conn.getresponse().read()
        sock = conn.sock
        time.sleep(HEADER_TIMEOUT + BODY_TIMEOUT + 0.5)
        conn.request("POST", "/api3/json", body=json.dumps({"method_name": "info", "params": []}))
        reply = conn.getresponse()
        assert reply.status == 200
        assert json.loads(reply.read())["results"]["version"]
        assert conn.sock is sock  # the same connection, not a new one
    finally:
        conn.close()


def test_the_rest_document_declares_both_refusals(hostile: Server) -> None:
    spec = hostile.http.get("/api/v1/spec.json").json()
    for path, method in [("/api/v1/entity/{entity}/_search", "post"), ("/api/v1/auth/access_token", "post")]:
        responses = spec["paths"][path][method]["responses"]
        assert {"408", "413"} <= responses.keys(), responses.keys()
