"""``shotlog webhooks listen``: a local receiver that prints each delivery, checks its signatures,
answers as told, and can pass deliveries on to the app being developed.

What webhook.site or an ngrok inspector give, without a third party seeing the payloads. aiohttp
serves (the package's HTTP client is aiohttp too, so forwarding needs nothing more). The verdicts
and summaries are ``shotlog.webhooks.inspection``'s; this module does only I/O and printing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from rich.console import Console
from rich.markup import escape

from shotlog.webhooks.inspection import FAILED, VERIFIED, Inspection, inspect_request

__all__ = ["Answer", "Listener", "bind", "serve_until_signal", "url_of"]

#: headers of one hop only (RFC 9110 §7.6.1), and those the HTTP client recomputes for the next hop
_NOT_FORWARDED = {
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-connection",
}

#: seconds the forwarded request may take; longer than any hook's timeout is pointless, since the
#: sender has given up by then, but an app stopped in a debugger should not hang the listener
FORWARD_TIMEOUT = 120.0


@dataclass(frozen=True)
class Answer:
    """How the listener answers: a fixed status after a delay, or the forwarded app's answer."""

    status: int = 200
    delay: float = 0.0
    forward: str | None = None


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound before anything else happens: its port (0 picks one) is the hook's
    URL, and connections made before the server runs wait in the backlog instead of failing."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)


def url_of(sock: socket.socket, host: str | None = None) -> str:
    """``http://host:port/`` of a bound socket; a wildcard address is shown as the loopback one."""
    address, port = sock.getsockname()[:2]
    shown = host or address
    if shown in ("0.0.0.0", ""):
        shown = "127.0.0.1"
    elif shown == "::":
        shown = "::1"
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


class Listener:
    """The aiohttp handler: inspect, print, wait, answer (or forward and relay)."""

    def __init__(
        self, secrets: Sequence[str], answer: Answer, console: Console, *, full: bool = False
    ) -> None:
        self.secrets = tuple(secrets)
        self.answer = answer
        self.console = console
        self.full = full
        self._client: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/{tail:.*}", self._hello)
        app.router.add_post("/{tail:.*}", self._delivery)
        app.on_startup.append(self._open)
        app.on_cleanup.append(self._close)
        return app

    async def _open(self, app: web.Application) -> None:
        if self.answer.forward:
            # A new connection per delivery: the app under development restarts often, and a kept
            # connection to its previous process would fail the next delivery for no reason of its own.
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True),
                timeout=aiohttp.ClientTimeout(total=FORWARD_TIMEOUT),
            )

    async def _close(self, app: web.Application) -> None:
        if self._client is not None:
            await self._client.close()

    async def _hello(self, request: web.Request) -> web.Response:
        return web.Response(text="shotlog webhooks listen: POST deliveries to this address\n")

    async def _delivery(self, request: web.Request) -> web.Response:
        raw = await request.read()
        now = dt.datetime.now(dt.UTC)
        seen = inspect_request(raw, request.headers, self.secrets, now, limit=self._limit())
        immediate = not self.answer.delay and not self.answer.forward
        self._print_arrival(request, seen, raw, self.answer.status if immediate else None)
        if self.answer.delay:
            await asyncio.sleep(self.answer.delay)
        if self.answer.forward:
            response = await self._forward(request, raw, seen)
        else:
            body = f"received by shotlog webhooks listen, answering {self.answer.status}\n"
            response = web.Response(status=self.answer.status, text=body)
            if not immediate:
                self._print_answer(seen, f"answered {self.answer.status} after {self.answer.delay:g} s")
        if request.transport is None or request.transport.is_closing():
            self._print_answer(seen, "[yellow]the sender had hung up before the answer (its timeout)[/]")
        return response

    def _limit(self) -> int:
        return 100_000 if self.full else max(120, self.console.width * 2)

    def _print_arrival(self, request: web.Request, seen: Inspection, raw: bytes, status: int | None) -> None:
        clock = dt.datetime.now().strftime("%H:%M:%S")
        parts = [f"[dim]{clock}[/] POST {escape(request.path)}", f"[bold]{escape(seen.title)}[/]"]
        if seen.subject:
            parts.append(escape(seen.subject))
        if seen.delivery_id:
            parts.append(f"delivery {escape(seen.delivery_id)}")
        for v in seen.verdicts:
            colour = {VERIFIED: "green", FAILED: "bold red"}.get(v.outcome, "yellow")
            why = f" ({escape(v.reason)})" if v.reason else ""
            parts.append(f"{v.scheme} [{colour}]{v.outcome}[/]{why}")
        if not seen.verdicts:
            parts.append("[yellow]unsigned[/]")
        parts.append(f"→ {status}" if status is not None else "…")
        self.console.print("  ".join(parts), soft_wrap=True, highlight=False)
        for line in seen.lines:
            self.console.print(f"    {escape(line)}", soft_wrap=True, highlight=False)
        if self.full:
            try:
                self.console.print_json(raw.decode("utf-8"))
            except ValueError:
                self.console.print(escape(raw.decode("utf-8", "replace")), highlight=False)
        elif seen.body:
            self.console.print(f"    [dim]{escape(seen.body)}[/]", soft_wrap=True, highlight=False)

    def _print_answer(self, seen: Inspection, text: str) -> None:
        who = f"delivery {escape(seen.delivery_id)}" if seen.delivery_id else "request"
        self.console.print(f"    ↳ {who} {text}", soft_wrap=True, highlight=False)

    async def _forward(self, request: web.Request, raw: bytes, seen: Inspection) -> web.Response:
        """POST the same bytes and headers to the app and relay its answer; 502 when it has none."""
        assert self._client is not None and self.answer.forward is not None
        target = self.answer.forward
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
        started = time.perf_counter()
        try:
            async with self._client.post(
                target, data=raw, headers=headers, allow_redirects=False, auto_decompress=False
            ) as reply:
                body = await reply.read()
                took = (time.perf_counter() - started) * 1000
                text = body[:200].decode("utf-8", "replace").strip()
                self._print_answer(
                    seen,
                    f"forwarded to {escape(target)}: the app answered {reply.status} in {took:.0f} ms"
                    + (f" [dim]{escape(text)}[/]" if text else ""),
                )
                kept = {k: v for k, v in reply.headers.items() if k.lower() == "content-type"}
                return web.Response(status=reply.status, body=body, headers=kept)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            why = str(exc) or type(exc).__name__
            self._print_answer(
                seen, f"[bold red]could not forward to {escape(target)}[/]: {escape(why)} → 502"
            )
            return web.Response(status=502, text=f"shotlog webhooks listen: forwarding failed: {why}\n")


async def serve_until_signal(listener: Listener, sock: socket.socket) -> None:
    """Serve on ``sock`` until SIGINT or SIGTERM; then stop at once (a delivery still waiting out a
    ``--delay`` is dropped: its sender times out, as it would against a receiver that went away)."""
    runner = web.AppRunner(listener.app(), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
