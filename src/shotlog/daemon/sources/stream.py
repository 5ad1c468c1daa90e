"""The stream source: a remote shotlog server's event stream (``GET /api/v1/events/stream``).

The server pushes each event as a server-sent event whose ``id`` is the event id, so the position
is the event id (shotlog commits ids in order) and a reconnect resumes exactly after the last one
received (``after_id``, as ``Last-Event-ID`` would). Authentication is the REST API's: an access
token from ``/api/v1/auth/access_token`` with the engine's script name and key, renewed on 401.
Workers that are behind read with the same endpoint and ``follow=false`` (the backlog, then EOF).

Only the standard library's ``http.client`` is used: a blocking line reader is all SSE needs.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import Any

from shotlog.daemon.events import Event, from_wire
from shotlog.daemon.sources.feed import Feed
from shotlog.daemon.sources.retry import Retry

__all__ = ["StreamAuthError", "StreamPump", "parse_sse"]

log = logging.getLogger("engine")

STREAM_PATH = "/api/v1/events/stream"
TOKEN_PATH = "/api/v1/auth/access_token"


class StreamAuthError(RuntimeError):
    pass


def parse_sse(lines: Iterator[str]) -> Iterator[tuple[str | None, str, str]]:
    """(id, event, data) of each message in a stream of lines (comments and retry ignored)."""
    event_id: str | None = None
    event = "message"
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield event_id, event, "\n".join(data)
            event_id, event, data = None, "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            event_id = value
        elif name == "event":
            event = value
        elif name == "data":
            data.append(value)


class StreamPump:
    kind = "stream"
    ordered = True

    def __init__(
        self,
        server: str,
        script_name: str,
        script_key: str,
        *,
        batch: int,
        timeout: float,
        retry: Retry,
    ) -> None:
        parsed = urllib.parse.urlsplit(server)
        self.scheme = parsed.scheme
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port
        self.prefix = parsed.path.rstrip("/")
        self.script_name = script_name
        self.script_key = script_key
        self.batch = batch
        self.timeout = timeout
        self.retry = retry
        self._token: str | None = None
        self._token_lock = threading.Lock()
        self._head = 0
        self._live: http.client.HTTPConnection | None = None

    # -- HTTP ---------------------------------------------------------------------------------------

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _access_token(self, renew: bool = False) -> str:
        with self._token_lock:
            if self._token is None or renew:
                body = urllib.parse.urlencode(
                    {
                        "grant_type": "client_credentials",
                        "client_id": self.script_name,
                        "client_secret": self.script_key,
                    }
                )
                conn = self._connection(self.timeout)
                try:
                    conn.request(
                        "POST",
                        self.prefix + TOKEN_PATH,
                        body=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                    resp = conn.getresponse()
                    payload = resp.read()
                finally:
                    conn.close()
                if resp.status != 200:
                    raise StreamAuthError(
                        f"the server refused the script credentials ({resp.status}): {payload[:200]!r}"
                    )
                self._token = str(json.loads(payload)["access_token"])
            return self._token

    def _open(self, after: int, *, follow: bool, limit: int | None) -> tuple[http.client.HTTPConnection, Any]:
        params: dict[str, Any] = {"after_id": after}
        if not follow:
            params["follow"] = "false"
        if limit is not None:
            params["limit"] = limit
        path = f"{self.prefix}{STREAM_PATH}?{urllib.parse.urlencode(params)}"
        for attempt in range(2):
            conn = self._connection(self.timeout)
            headers = {
                "Authorization": f"Bearer {self._access_token(renew=attempt > 0)}",
                "Accept": "text/event-stream",
            }
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            if resp.status == 401 and attempt == 0:
                resp.read()
                conn.close()
                continue
            if resp.status != 200:
                body = resp.read()[:300]
                conn.close()
                raise ConnectionError(f"event stream answered {resp.status}: {body!r}")
            return conn, resp
        raise StreamAuthError("the event stream refused a fresh access token")

    def _events(self, resp: Any) -> Iterator[Event]:
        def lines() -> Iterator[str]:
            while True:
                raw = resp.readline()
                if not raw:
                    return
                yield raw.decode("utf-8")

        for event_id, kind, data in parse_sse(lines()):
            if kind == "event" and event_id is not None:
                record = json.loads(data)
                eid = int(event_id)
                yield Event(eid, eid, from_wire(record))
            elif kind == "head":
                self._head = max(self._head, int(json.loads(data)["head_event_id"]))

    # -- Pump ---------------------------------------------------------------------------------------

    def fetch(self, after: int, limit: int) -> list[Event]:
        conn, resp = self._open(after, follow=False, limit=limit)
        try:
            return list(self._events(resp))
        finally:
            conn.close()

    def fetch_ids(self, ids: Sequence[int]) -> list[Event]:
        out: list[Event] = []
        for eid in sorted(ids):
            found = self.fetch(eid - 1, 1)
            out.extend(ev for ev in found if ev.id == eid)
        return out

    def head(self) -> tuple[int, int]:
        conn, resp = self._open(0, follow=False, limit=0)
        try:
            for _ in self._events(resp):
                pass
        finally:
            conn.close()
        return self._head, self._head

    def follow(self, feed: Feed, stop: threading.Event) -> None:
        while not stop.is_set():
            conn = None
            try:
                if not feed.room(1.0):
                    continue
                conn, resp = self._open(feed.last_published, follow=True, limit=None)
                self._live = conn
                self.retry.ok()
                feed.error = None
                for ev in self._events(resp):
                    # One at a time: the stream's own pace is the push latency plugins see.
                    feed.publish([ev], head_event_id=self._head)
                    if stop.is_set():
                        break
                    if not feed.room(0):
                        break  # every worker is far behind: reconnect once one has caught up
            except Exception as exc:
                if stop.is_set():
                    break
                feed.error = f"event stream: {type(exc).__name__}: {exc}"
                stop.wait(self.retry.failed("The event stream", exc))
            finally:
                self._live = None
                if conn is not None:
                    conn.close()

    def close(self) -> None:
        live = self._live
        if live is not None and live.sock is not None:
            with contextlib.suppress(OSError):
                live.sock.shutdown(2)
