"""Which addresses a webhook may reach (server-side request forgery protection).

A hook URL is checked when it is registered (every address its host resolves to must be allowed)
and again when the worker connects: the worker's resolver hands aiohttp only the allowed addresses
of a name, so a DNS answer that changes after registration (DNS rebinding) cannot reach an internal
service, and the connection goes to the address that was vetted.

Refused by default: loopback, private (RFC 1918, unique local), link-local (cloud metadata lives
there), carrier-grade NAT, multicast, reserved and unspecified addresses.
``SHOTLOG_WEBHOOKS_ALLOW_PRIVATE=1`` allows everything; ``SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS`` allows
the listed networks (studio receivers often live on an internal network).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from shotlog.errors import ValidationError

__all__ = ["AddressPolicy", "GuardedResolver", "RefusedAddress", "check_url", "literal_address"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class RefusedAddress(ValidationError):
    """A webhook URL leads to an address the policy does not allow."""


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, allow_private: str | None, allowed_networks: str | None) -> AddressPolicy:
        """The policy from the two settings' text; a bad network names itself in the error."""
        nets: list[Network] = []
        for part in (allowed_networks or "").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS: {part!r} is not a network") from None
        flag = (allow_private or "").strip().lower() in ("1", "true", "yes", "on")
        return cls(flag, tuple(nets))

    def refusal(self, address: Address) -> str | None:
        """Why ``address`` may not be reached, or None when it may."""
        if self.allow_private:
            return None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in net for net in self.allowed_networks):
            return None
        kinds = [
            ("loopback", address.is_loopback),
            ("link-local", address.is_link_local),
            ("private", address.is_private or address in _CGNAT),
            ("multicast", address.is_multicast),
            ("unspecified", address.is_unspecified),
            ("reserved", address.is_reserved),
        ]
        for kind, hit in kinds:
            if hit:
                return f"{address} is a {kind} address"
        if not address.is_global:
            return f"{address} is not a public address"
        return None

    def check(self, host: str, addresses: Iterable[str]) -> list[str]:
        """The allowed ones of ``addresses``; raise naming the first refused one if none is allowed."""
        allowed: list[str] = []
        refused: list[str] = []
        for raw in addresses:
            reason = self.refusal(ipaddress.ip_address(raw.split("%", 1)[0]))
            (refused if reason else allowed).append(reason or raw)
        if not allowed:
            why = refused[0] if refused else "it does not resolve"
            raise RefusedAddress(
                f"url should be a valid url, not a reserved/internal ip address: {host} ({why}); "
                "allow it with SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS or SHOTLOG_WEBHOOKS_ALLOW_PRIVATE=1",
                field="url",
                value=host,
            )
        return allowed


def check_url(url: str, policy: AddressPolicy) -> None:
    """Registration check: ``url`` is http(s) with a host whose every address the policy allows."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"url is not valid: {url!r} (an http:// or https:// URL is required)", field="url"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(f"url is not valid: {url!r} (bad port)", field="url") from None
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationError(
            f"url is not valid: {host!r} does not resolve", field="url", value=url
        ) from None
    addresses = sorted({str(info[4][0]) for info in infos})
    allowed = policy.check(host, addresses)
    if len(allowed) != len(addresses):
        bad = sorted(set(addresses) - set(allowed))
        raise RefusedAddress(
            f"url should be a valid url, not a reserved/internal ip address: {host} resolves to {bad[0]}",
            field="url",
            value=url,
        )


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that returns only the addresses the policy allows (connect-time check)."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = set(self.policy.check(host, [r["host"] for r in results]))
        return [r for r in results if r["host"] in allowed]

    async def close(self) -> None:
        await self._inner.close()


def literal_address(host: str) -> Address | None:
    """``host`` as an IP address when it is one (aiohttp connects to literals without resolving)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
