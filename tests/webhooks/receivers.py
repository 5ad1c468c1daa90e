"""Real HTTP receivers on 127.0.0.1 for the webhook tests.

A receiver checks each request the way public FPTR receivers do: read the raw body, recompute
``sha1=`` + HMAC-SHA1 with the shared token, and compare with ``hmac.compare_digest``. It can
answer with any status, hang past the sender's timeout, or go away and come back on the same port.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    raw: bytes
    headers: dict[str, str]
    body: Any
    signature_ok: bool | None  # None when the receiver has no token

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


def verify_sha1(token: str, raw: bytes, header: str | None) -> bool:
    if not header:
        return False
    expected = "sha1=" + hmac.new(token.encode(), raw, hashlib.sha1).hexdigest()
    return hmac.compare_digest(expected, header)


def verify_standard(secret: str, msg_id: str, stamp: str, raw: bytes, header: str) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + raw, hashlib.sha256).digest())
    for part in header.split():
        version, _, sig = part.partition(",")
        if version == "v1" and hmac.compare_digest(sig.encode(), expected):
            return True
    return False


class Receiver:
    """``respond(received) -> status`` decides each answer (default 200); ``delay`` hangs first."""

    def __init__(self, token: str | None = None, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.token = token
        self.tls = tls
        self.requests: list[Received] = []
        self.respond: Callable[[Received], int] = lambda r: 200
        self.delay = 0.0
        #: when set to an unset Event, every request waits for it (a receiver that hangs until released)
        self.gate: threading.Event | None = None
        self.extra_headers: dict[str, str] = {}
        self._lock = threading.Condition()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self._port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = dict(self.headers.items())
                sig = None
                if receiver.token is not None:
                    sig = verify_sha1(receiver.token, raw, self.headers.get("X-SG-SIGNATURE"))
                got = Received(raw, headers, json.loads(raw), sig)
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.gate is not None:
                    receiver.gate.wait(30)
                status = receiver.respond(got)
                with receiver._lock:
                    receiver.requests.append(got)
                    receiver._lock.notify_all()
                payload = b"ok"
                try:
                    self.send_response(status)
                    for k, v in receiver.extra_headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.gate is not None:
            self.gate.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, n: int, timeout: float = 15.0) -> list[Received]:
        """Block until at least ``n`` requests arrived; fail the test if they do not."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} requests, got {len(self.requests)}")
                self._lock.wait(left)
            return list(self.requests)

    def delivery_ids_from(self, site: str) -> set[str]:
        """The delivery ids sent by the worker whose ``X-SG-WEBHOOK-SITE-URL`` is ``site``."""
        return {
            i["delivery_id"]
            for r in list(self.requests)
            if r.header("X-SG-WEBHOOK-SITE-URL") == site
            for i in r.body["data"].get("deliveries", [r.body["data"]])
        }

    def items(self, *, service: bool = False) -> list[dict[str, Any]]:
        """Every delivered event's data, batched or not, in arrival order; ``service`` keeps the
        Webhook_Status_Change and Test_Connection messages too."""
        out: list[dict[str, Any]] = []
        for r in list(self.requests):
            data = r.body["data"]
            out.extend(data.get("deliveries", [data]))
        if not service:
            out = [d for d in out if d["event_type"] not in ("Webhook_Status_Change", "Test_Connection")]
        return out
