"""The HTTP side: one aiohttp session with pooled keep-alive connections, and one request per call.

aiohttp was chosen over httpx for the client because, measured on this project's benchmark
(docs/architecture.md), it sends several times more small POSTs per second per core, and its
resolver hook lets the SSRF guard vet every address at connect time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from shotlog.webhooks.netguard import AddressPolicy, GuardedResolver, RefusedAddress, literal_address

__all__ = ["RESPONSE_CAPTURE", "Response", "Sender"]

#: bytes of a receiver's response body kept in the delivery log
RESPONSE_CAPTURE = 4096
#: response headers kept in the delivery log
MAX_HEADERS = 50


@dataclass(frozen=True)
class Response:
    status: int | None
    headers: dict[str, str] | None
    body: str | None
    error: str | None
    elapsed: float
    started_at: dt.datetime


class Sender:
    def __init__(self, policy: AddressPolicy, *, limit: int = 500, limit_per_host: int = 100) -> None:
        self.policy = policy
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._session: aiohttp.ClientSession | None = None
        self._refusals: dict[str, str | None] = {}
        self._insecure = ssl.create_default_context()
        self._insecure.check_hostname = False
        self._insecure.verify_mode = ssl.CERT_NONE

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self._limit,
            limit_per_host=self._limit_per_host,
            resolver=GuardedResolver(self.policy),
            ttl_dns_cache=10,
            enable_cleanup_closed=True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding",),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _literal_refusal(self, url: str) -> str | None:
        """Why an IP-literal URL may not be reached (aiohttp connects to literals without resolving,
        so the guarded resolver never sees them); None for names and allowed addresses."""
        if url in self._refusals:
            return self._refusals[url]
        literal = literal_address(urlsplit(url).hostname or "")
        reason = None if literal is None else self.policy.refusal(literal)
        if len(self._refusals) > 10_000:
            self._refusals.clear()
        self._refusals[url] = reason
        return reason

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, verify_tls: bool
    ) -> Response:
        """POST ``body``; never raises for the receiver's faults (they become ``error``)."""
        assert self._session is not None, "Sender.open() first"
        started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        start = time.perf_counter()
        reason = self._literal_refusal(url)
        if reason is not None:
            return Response(None, None, None, f"refused: {reason}", 0.0, started_at)
        try:
            async with self._session.post(
                url,
                data=body,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=timeout),
                ssl=True if verify_tls else self._insecure,
                allow_redirects=False,
            ) as resp:
                raw = await resp.content.read(RESPONSE_CAPTURE)
                captured = dict(list(resp.headers.items())[:MAX_HEADERS])
                return Response(
                    resp.status,
                    captured,
                    raw.decode("utf-8", "replace"),
                    None,
                    time.perf_counter() - start,
                    started_at,
                )
        except TimeoutError:
            error = f"timed out after {timeout:g} s"
        except RefusedAddress as exc:
            error = f"refused: {exc.message}"
        except aiohttp.ClientConnectorError as exc:
            cause = exc.os_error
            error = (
                f"refused: {cause.message}"
                if isinstance(cause, RefusedAddress)
                else f"connection failed: {exc}"
            )
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except (OSError, asyncio.IncompleteReadError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        return Response(None, None, None, error, time.perf_counter() - start, started_at)
