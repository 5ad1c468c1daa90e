"""The HTTP listener of ``shotlog serve``: uvicorn with connections that live as long as a client's.

shotgun_api3 keeps one connection open for the life of a ``Shotgun`` object and sends each request's
headers and body in two writes. If the server has closed that connection while the client was idle,
the second write meets the reset and the call fails with ``BrokenPipeError``, which the client does
not retry over plain HTTP. A Toolkit session in a DCC, a farm job between frames or an event daemon
polling every few seconds all sit idle between calls, so the server must not be the one to close:

* idle keep-alive connections are kept for ``keepalive_seconds`` (a day by default), where uvicorn's
  own default is 5 s;
* so that idle connections cannot exhaust the process, at most ``max_idle_connections`` are kept:
  when one more goes idle, the connection idle the longest is closed, as nginx reuses its oldest
  keep-alive connections when it runs short;
* with a certificate, HTTPS is served directly: a client over HTTPS whose connection was closed by a
  server restart gets an SSL error on its next write, which shotgun_api3 retries on a new connection;
* a stopping server drains its idle connections instead of closing them at once. A proxy (nginx)
  that picks an idle upstream connection as the server closes it has sent its request into a reset
  and, the request being a POST that may have been applied, answers 502. So for
  ``drain_seconds`` the server stops accepting but keeps idle connections open, and answers a
  request arriving on one with ``Connection: close``: the proxy gets a reply and closes the
  connection itself, and its next connection attempt is refused, which it may safely pass on to
  another server. What is still idle at the end is closed then, once the proxy has had time to
  notice the server is gone.

A client that is slow to send a request is another matter: its request's headers must be complete
within ``header_timeout`` seconds of the connection or of the request's first byte, else it is
answered 408 and closed (uvicorn itself waits for ever). Only a connection between requests is idle;
once a request has begun it is not. The body's time limit is ``server.body_limits``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import resource
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from shotlog.settings import HEADER_TIMEOUT, KEEPALIVE_SECONDS, MAX_IDLE_CONNECTIONS, SHUTDOWN_DRAIN_SECONDS

__all__ = [
    "DEFAULT_KEEPALIVE_SECONDS",
    "DEFAULT_MAX_IDLE_CONNECTIONS",
    "ListenerSettings",
    "longest_idle",
    "run",
]

log = logging.getLogger("shotlog.server")

#: a day: longer than any gap between two calls of a pipeline tool that is in use
DEFAULT_KEEPALIVE_SECONDS = KEEPALIVE_SECONDS.default
#: well below the process's file limit, which run() raises to its hard limit
DEFAULT_MAX_IDLE_CONNECTIONS = MAX_IDLE_CONNECTIONS.default
#: seconds an idle TLS connection being closed waits for the client's close_notify
TLS_CLOSE_GRACE = 0.5
#: what a client too slow to send its headers is told before its connection is closed
_HEADERS_LATE = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@dataclass(frozen=True)
class ListenerSettings:
    host: str
    port: int
    keepalive_seconds: float = DEFAULT_KEEPALIVE_SECONDS
    max_idle_connections: int = DEFAULT_MAX_IDLE_CONNECTIONS
    tls_cert: Path | None = None
    tls_key: Path | None = None
    log_level: str = "info"
    header_timeout: float = field(default_factory=HEADER_TIMEOUT.read)
    drain_seconds: float = field(default_factory=SHUTDOWN_DRAIN_SECONDS.read)

    def __post_init__(self) -> None:
        if self.drain_seconds < 0:
            raise ValueError(f"the shutdown drain must be 0 or more seconds, not {self.drain_seconds}")
        if self.header_timeout <= 0:
            raise ValueError(
                f"the header timeout must be a positive number of seconds, not {self.header_timeout}"
            )
        if self.keepalive_seconds <= 0:
            raise ValueError(f"keep-alive must be a positive number of seconds, not {self.keepalive_seconds}")
        if self.max_idle_connections < 1:
            raise ValueError(f"the idle connection bound must be at least 1, not {self.max_idle_connections}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("HTTPS needs both a certificate (--tls-cert) and its key (--tls-key)")
        for path in (self.tls_cert, self.tls_key):
            if path is not None and not path.is_file():
                raise ValueError(f"no such file: {path}")

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"


class _Idle(Protocol):
    idle_since: float | None


C = TypeVar("C", bound=_Idle)


def longest_idle(connections: Iterable[C], limit: int) -> list[C]:
    """The connections to close so that no more than ``limit`` idle ones remain, longest idle first.

    A connection whose ``idle_since`` is None is busy with a request and is never chosen.
    """
    idle = [c for c in connections if c.idle_since is not None]
    excess = len(idle) - limit
    if excess <= 0:
        return []
    return heapq.nsmallest(excess, idle, key=lambda c: c.idle_since or 0.0)


def _protocol_class(max_idle: int, header_timeout: float, drain_seconds: float = 0.0) -> type:
    """uvicorn's HTTP protocol, which also knows since when each connection has been idle, closes a
    connection whose request's headers take longer than ``header_timeout`` seconds, and drains idle
    connections for ``drain_seconds`` when the server stops.

    ``idle_since`` is set when the connection opens and when a response completes, and cleared
    when a request begins; it is what ``longest_idle`` orders by. Built on demand so that the CLI's
    other commands do not import uvicorn.
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class BoundedHttp(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.idle_since: float | None = self.loop.time()
            self.draining = False  # set when the server stops
            # a new connection is for a request: its headers are due from now on
            self.headers_due: asyncio.TimerHandle | None = self.loop.call_later(
                header_timeout, self.headers_late
            )
            self._make_room()

        def on_message_begin(self) -> None:
            self.idle_since = None
            if self.headers_due is None:
                self.headers_due = self.loop.call_later(header_timeout, self.headers_late)
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._headers_arrived()
            super().on_headers_complete()
            if self.draining and self.cycle is not None:
                self.cycle.keep_alive = False  # "Connection: close", and closed once answered

        def connection_lost(self, exc: Exception | None) -> None:
            self._headers_arrived()
            super().connection_lost(exc)

        def _headers_arrived(self) -> None:
            if self.headers_due is not None:
                self.headers_due.cancel()
                self.headers_due = None

        def headers_late(self) -> None:
            """The client has not sent a whole request head in time: 408, and the connection closes."""
            self.headers_due = None
            if self.transport.is_closing():
                return
            log.info("closing a connection whose request headers took more than %g s", header_timeout)
            self.idle_since = None
            self.transport.write(_HEADERS_LATE)
            self.transport.close()
            if self.scheme == "https":  # as close_idle: the slow client may never answer close_notify
                self.loop.call_later(TLS_CLOSE_GRACE, self.transport.abort)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self.idle_since = self.loop.time()
                self._make_room()

        def shutdown(self) -> None:
            """uvicorn's graceful stop: busy connections close after their reply, idle ones are drained
            (a request arriving on one is answered, with ``Connection: close``) and closed after
            ``drain_seconds``. uvicorn waits for every connection to close before it exits."""
            self.draining = True
            if self.cycle is not None and not self.cycle.response_complete:
                super().shutdown()
            elif drain_seconds > 0:
                self.loop.call_later(drain_seconds, self._drained)
            else:
                self.close_idle()

        def _drained(self) -> None:
            if self.cycle is None or self.cycle.response_complete:
                self.close_idle()
            # else a request came in meanwhile: its reply closes the connection

        def timeout_keep_alive_handler(self) -> None:
            self.close_idle()

        def close_idle(self) -> None:
            """Close an idle connection; over TLS, without waiting for the client's answer.

            Closing a TLS connection sends close_notify and waits (30 s in asyncio) for the peer's;
            an idle client is not reading, so it never answers, and a stopping server would wait
            that long. The close_notify has gone out, and it is what makes the client's next call
            fail with an SSL error that shotgun_api3 retries on a new connection.
            """
            self.idle_since = None
            if self.transport.is_closing():
                return
            self.transport.close()
            if self.scheme == "https":
                self.loop.call_later(TLS_CLOSE_GRACE, self.transport.abort)

        def _make_room(self) -> None:
            if len(self.connections) <= max_idle:
                return  # fewer connections than the bound, idle or not: no need to look (every response)
            ours = [c for c in self.connections if isinstance(c, BoundedHttp)]
            for conn in longest_idle(ours, max_idle):
                log.warning(
                    "closing a keep-alive connection idle for %.0f s: more than %d connections are idle",
                    self.loop.time() - (conn.idle_since or 0.0),
                    max_idle,
                )
                conn.close_idle()

    return BoundedHttp


def _raise_file_limit() -> None:
    """Let idle connections use the file descriptors the system allows this process, not 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
        with contextlib.suppress(ValueError, OSError):  # a container may refuse: the soft limit stays
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def run(app: Any, settings: ListenerSettings) -> None:
    """Serve ``app`` until SIGINT/SIGTERM, which stop accepting and let in-flight requests finish."""
    import uvicorn

    from shotlog.server.log_format import log_config
    from shotlog.settings import LOG_FORMAT

    _raise_file_limit()
    protocol = _protocol_class(settings.max_idle_connections, settings.header_timeout, settings.drain_seconds)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # one handler for uvicorn and shotlog, with request ids; server.request_log writes the
        # access line (secrets redacted), so uvicorn's own is off
        log_config=log_config(LOG_FORMAT.read(), settings.log_level),
        access_log=False,
        http=protocol,
        timeout_keep_alive=int(settings.keepalive_seconds),
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
    )
