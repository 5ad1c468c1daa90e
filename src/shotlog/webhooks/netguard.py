"""Which addresses shotlog may reach on a user's behalf (server-side request forgery protection).

Webhook deliveries and server-delivered Action Menu Items go through this guard. A URL is checked
when it is registered or triggered (every address its host resolves to must be allowed), and again
at connect time, in two places: the resolver hands aiohttp only the allowed addresses of a name,
and the socket factory refuses to open a socket to any address the policy does not allow (IP
literals included, which aiohttp connects to without resolving). aiohttp connects to the addresses
its resolver returned and never resolves again, so a DNS answer that changes after the check (DNS
rebinding) cannot reach an internal service: the connection goes to an address that was vetted.

Refused by default (``address_kind``): loopback, private (RFC 1918, unique local, site-local),
link-local (cloud metadata lives there), carrier-grade NAT, multicast, documentation,
benchmarking, unspecified, reserved and the other non-global blocks of IANA's special-purpose
registries, and any IPv6 address outside global unicast (2000::/3). IPv6 forms that carry an IPv4
address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``,
6to4 ``2002::/16``, Teredo ``2001::/32``) are judged by the IPv4 addresses they carry, so
``[2002:7f00:1::1]`` is refused as 127.0.0.1 and ``[64:ff9b::808:808]`` (what DNS64 answers for a
public name on an IPv6-only network) is allowed as 8.8.8.8. The local-use NAT64 prefix
``64:ff9b:1::/48`` is refused whole: where it puts the IPv4 address is a local choice.

``SHOTLOG_WEBHOOKS_ALLOW_PRIVATE=1`` allows everything; ``SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS`` allows
the listed networks (studio receivers often live on an internal network); an address that carries
an IPv4 address is allowed when that IPv4 address is in a listed network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from shotlog.errors import ValidationError
from shotlog.settings import WEBHOOKS_ALLOW_PRIVATE, WEBHOOKS_ALLOWED_NETWORKS

__all__ = [
    "AddressPolicy",
    "GuardedResolver",
    "RefusedAddress",
    "RefusedConnection",
    "SocketGuard",
    "address_kind",
    "check_url",
    "embedded_ipv4",
]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _table(rows: Iterable[tuple[str, str]]) -> tuple[tuple[Network, str], ...]:
    return tuple((ipaddress.ip_network(net), kind) for net, kind in rows)


# IANA's IPv4 special-purpose registry, the blocks that are not globally reachable (the few global
# exceptions inside 192.0.0.0/24 are anycast services no webhook receiver lives on).
_SPECIAL_V4 = _table(
    [
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),  # the retired 6to4 relay anycast
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),  # with 255.255.255.255, the limited broadcast
    ]
)

# The IPv6 registry's non-global blocks inside or beside 2000::/3, most specific first; the forms
# that carry an IPv4 address are handled by ``embedded_ipv4`` before this table is consulted.
_SPECIAL_V6 = _table(
    [
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "reserved"),  # discard-only
        ("2001:db8::/32", "documentation"),
        ("2001::/23", "reserved"),  # IETF protocol assignments (Teredo is taken out first)
        ("3fff::/20", "documentation"),
        ("5f00::/16", "reserved"),  # segment routing identifiers
        ("fc00::/7", "private"),  # unique local
        ("fec0::/10", "private"),  # the retired site-local block
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    ]
)
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(address: Address) -> tuple[tuple[str, ipaddress.IPv4Address], ...]:
    """The IPv4 addresses an IPv6 address carries, each with the name of its form (pure).

    Traffic to these forms ends up at the IPv4 address (the host's own stack for mapped and
    compatible forms, a translator or relay for the others), so that address is what is judged.
    """
    if isinstance(address, ipaddress.IPv4Address):
        return ()
    if address.ipv4_mapped is not None:
        return (("IPv4-mapped", address.ipv4_mapped),)
    low32 = ipaddress.IPv4Address(address.packed[-4:])
    if address in _COMPATIBLE and int(address) > 1:  # :: and ::1 are themselves, not 0.0.0.x
        return (("IPv4-compatible", low32),)
    if address in _NAT64:
        return (("NAT64", low32),)
    if address.sixtofour is not None:
        return (("6to4", address.sixtofour),)
    if address.teredo is not None:
        server, client = address.teredo  # the client is stored XORed with 0xffffffff
        return (("Teredo server", server), ("Teredo client", client))
    return ()


def address_kind(address: Address) -> str | None:
    """Why ``address`` by itself is not a public destination (its special-purpose kind), or None
    when it is public. Embedded IPv4 addresses are not looked at here (see ``embedded_ipv4``)."""
    table = _SPECIAL_V4 if isinstance(address, ipaddress.IPv4Address) else _SPECIAL_V6
    for network, kind in table:
        if address in network:
            return kind
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST:
        return "reserved"
    return None


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


class RefusedAddress(ValidationError):
    """A URL leads to an address the policy does not allow."""


class RefusedConnection(OSError):
    """The socket factory refused an address; aiohttp reports it as the connection's OS error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, allow_private: str | None, allowed_networks: str | None) -> AddressPolicy:
        """The policy from the two settings' text; a bad network names itself in the error."""
        given = {WEBHOOKS_ALLOW_PRIVATE.name: allow_private, WEBHOOKS_ALLOWED_NETWORKS.name: allowed_networks}
        return cls.from_env({name: text for name, text in given.items() if text is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AddressPolicy:
        """``SHOTLOG_WEBHOOKS_ALLOW_PRIVATE`` and ``SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS``."""
        return cls(WEBHOOKS_ALLOW_PRIVATE.read(env), WEBHOOKS_ALLOWED_NETWORKS.read(env))

    def _listed(self, address: Address) -> bool:
        return any(address in net for net in self.allowed_networks)

    def refusal(self, address: Address) -> str | None:
        """Why ``address`` may not be reached, or None when it may (pure)."""
        if self.allow_private or self._listed(address):
            return None
        carried = embedded_ipv4(address)
        if carried:
            for form, inner in carried:
                kind = None if self._listed(inner) else address_kind(inner)
                if kind is not None:
                    return f"{address} is the {form} form of {inner}, {_a(kind)} address"
            return None
        kind = address_kind(address)
        return None if kind is None else f"{address} is {_a(kind)} address"

    def refusal_of(self, raw: str) -> str | None:
        """``refusal`` of an address as text (a scope such as ``%eth0`` is dropped)."""
        return self.refusal(ipaddress.ip_address(raw.split("%", 1)[0]))

    def check(self, host: str, addresses: Iterable[str]) -> list[str]:
        """The allowed ones of ``addresses``; raise naming the first refused one if none is allowed."""
        allowed: list[str] = []
        refused: list[str] = []
        for raw in addresses:
            reason = self.refusal_of(raw)
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
    """aiohttp resolver that returns only the addresses the policy allows, so that aiohttp tries
    no refused address of a name (the socket factory below is the last word)."""

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


class SocketGuard:
    """aiohttp's ``socket_factory``: called with the exact address about to be connected to, after
    every resolution and cache, for names and IP literals alike; refuses what the policy refuses."""

    def __init__(self, policy: AddressPolicy, make: Callable[..., socket.socket] = socket.socket) -> None:
        self.policy = policy
        self._make = make

    def __call__(
        self,
        addr_info: tuple[int | socket.AddressFamily, int | socket.SocketKind, int, str, tuple[Any, ...]],
    ) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        reason = self.policy.refusal_of(str(sockaddr[0]))
        if reason is not None:
            raise RefusedConnection(reason)
        return self._make(family=family, type=kind, proto=proto)
