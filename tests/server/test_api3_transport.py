"""The HTTP side of ``POST /api3/json``: headers, compression, bodies in pieces, disconnects, limits.

The endpoint is answered before the application's middleware (``server.app.ShotlogApp``) and
compresses its own replies, so these pin what Starlette's response and gzip middleware used to
write: the same headers, compression from 1 KiB on, and a reply compressed exactly once on the
ordinary route too (taken under a ``root_path``).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import shotgun_api3
from sgserver import SCRIPT_KEY, SCRIPT_NAME, Server
from starlette.applications import Starlette

import shotlog
from shotlog.accounts.credentials import Credentials
from shotlog.server.api3.endpoint import GZIP_MINIMUM, MAX_BODY
from shotlog.server.app import create_app

AUTH = {"script_name": SCRIPT_NAME, "script_key": SCRIPT_KEY}


def _rpc(method: str, args: Any = None) -> dict[str, Any]:
    return {"method_name": method, "params": [AUTH, args] if args is not None else [AUTH]}


def _large_read() -> dict[str, Any]:
    """A read whose reply is well over ``GZIP_MINIMUM`` bytes."""
    return _rpc(
        "read",
        {
            "type": "EventLogEntry",
            "filters": {"logical_operator": "and", "conditions": []},
            "return_fields": ["meta", "event_type", "created_at", "description"],
            "paging": {"entities_per_page": 50, "current_page": 1},
        },
    )


def test_a_small_reply_is_plain_json_without_vary(server: Server) -> None:
    one = {"type": "Project", "return_fields": ["id"], "paging": {"entities_per_page": 1, "current_page": 1}}
    reply = server.post(_rpc("read", one))
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert int(reply.headers["content-length"]) == len(reply.content) < GZIP_MINIMUM
    assert "content-encoding" not in reply.headers
    assert "vary" not in reply.headers
    assert "results" in reply.json()


def test_a_large_reply_says_vary_compressed_or_not(
    server: Server, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    sg.batch(
        [
            {"request_type": "create", "entity_type": "Shot", "data": {"code": f"v{i}", "project": project}}
            for i in range(30)
        ]
    )
    body = json.dumps(_large_read()).encode()
    with server.http.stream(
        "POST", "/api3/json", content=body, headers={"accept-encoding": "gzip, deflate"}
    ) as packed:
        raw = b"".join(packed.iter_raw())
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.headers["vary"] == "Accept-Encoding"
        assert int(packed.headers["content-length"]) == len(raw)
    plain = server.http.post("/api3/json", content=body, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    assert len(plain.content) >= GZIP_MINIMUM
    assert json.loads(gzip.decompress(raw)) == plain.json()
    assert len(plain.json()["results"]["entities"]) == 50


def test_a_body_sent_in_chunks_is_read_whole(server: Server) -> None:
    """Chunked transfer encoding: the body arrives in several ASGI messages."""
    body = json.dumps(_rpc("read", {"type": "Project", "return_fields": ["name"], "filters": []})).encode()

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    reply = server.http.post("/api3/json", content=pieces(), headers={"content-type": "application/json"})
    assert reply.status_code == 200
    assert "results" in reply.json(), reply.json()


def test_a_client_that_hangs_up_mid_request_leaves_the_server_well(server: Server) -> None:
    """No reply is owed and nothing is logged as a failure (the session asserts no traceback)."""
    mark = server.log_mark()
    address = urlsplit(server.url)
    assert address.hostname is not None and address.port is not None
    for _ in range(3):
        with socket.create_connection((address.hostname, address.port), timeout=5) as conn:
            conn.sendall(
                b"POST /api3/json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n" + b'{"method_name": "read", "params": ['
            )
    assert server.call("info")["results"]["version"] == [8, 50, 0]
    time.sleep(0.5)  # the hang-ups are handled by now: a failure would be in the log
    assert "Traceback" not in server.log_since(mark)


def test_a_body_over_the_limit_is_refused_in_the_envelope(server: Server) -> None:
    # signed in at its head, as shotgun_api3 sends it, so the whole-body limit is what refuses it
    # (unsigned ones are refused sooner: test_large_api3_bodies.py); the padding is inside "pad"
    head = json.dumps({"method_name": "info", "params": [AUTH, {"pad": ""}]})[:-4].encode()

    def oversize() -> Iterator[bytes]:
        yield head
        chunk = b" " * (4 * 1024 * 1024)
        for _ in range(MAX_BODY // len(chunk)):
            yield chunk
        yield b'"}]}'

    reply = server.http.post("/api3/json", content=oversize(), headers={"content-type": "application/json"})
    assert reply.status_code == 200
    assert reply.json() == {
        "exception": True,
        "message": f"Request body larger than {MAX_BODY} bytes",
        "error_code": 104,
    }
    # the same connection pool goes on working
    assert server.call("info")["results"]["version"] == [8, 50, 0]


@pytest.fixture
def app(db_url: str) -> Iterator[Starlette]:
    """The application in process, with script credentials (no services to start)."""
    store = shotlog.connect(db_url)
    credentials = Credentials(store)
    user = store.create("ApiUser", {"firstname": SCRIPT_NAME})
    credentials.set_script_key(user["id"], SCRIPT_KEY)
    yield create_app(store, credentials)
    store.close()


def test_under_a_root_path_the_routed_endpoint_compresses_once(app: Starlette) -> None:
    asyncio.run(_under_a_root_path(app))


async def _under_a_root_path(app: Starlette) -> None:
    transport = httpx.ASGITransport(app=app, root_path="/shotlog")
    async with httpx.AsyncClient(transport=transport, base_url="http://test/shotlog") as client:
        for i in range(40):
            reply = await client.post("/api3/json", json=_rpc("create", _shot(i)))
            assert "results" in reply.json(), reply.json()
        body = _large_read()
        packed = await client.post("/api3/json", json=body, headers={"accept-encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.headers["vary"] == "Accept-Encoding"  # once: from the middleware alone
        entities = packed.json()["results"]["entities"]  # httpx undoes one gzip layer: JSON means one
        assert len(entities) == 50
        plain = await client.post("/api3/json", json=body, headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.headers["vary"] == "Accept-Encoding"
        assert plain.json()["results"]["entities"] == entities
        small = await client.post("/api3/json", json=_rpc("info"))
        assert small.json()["results"]["version"] == [8, 50, 0]
        assert "content-encoding" not in small.headers and "vary" not in small.headers
        assert (await client.get("/api3/json")).status_code == 405


def _shot(i: int) -> dict[str, Any]:
    return {"type": "Shot", "fields": [{"field_name": "code", "value": f"root-{i:03d}-" + "x" * 40}]}
