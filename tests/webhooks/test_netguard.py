"""The address guard: every form of an internal address, decided purely, then refused for real.

The pure tables cover each IPv4 special-purpose block, the IPv6 ones, and every IPv6 form that
carries an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo). The end-to-end tests send to a
real receiver on 127.0.0.1 through the real sender and worker: it must not be reached while the
policy refuses loopback (the refusal is recorded), and is reached once the policy allows it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from receivers import Receiver
from webhookkit import WorkerThread, fast_settings, wait_until

import shotlog
from shotlog.webhooks.api import Webhooks
from shotlog.webhooks.netguard import (
    AddressPolicy,
    GuardedResolver,
    RefusedAddress,
    RefusedConnection,
    SocketGuard,
    address_kind,
    embedded_ipv4,
)
from shotlog.webhooks.sender import Sender

Run = Callable[..., WorkerThread]


def teredo(server: str, client: str) -> str:
    """A Teredo address: 2001:0000, the server's IPv4, flags and port, the client's IPv4 XORed."""
    s = int(ipaddress.IPv4Address(server))
    c = int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF
    return str(ipaddress.IPv6Address((0x20010000 << 96) | (s << 64) | (0x8000 << 48) | c))


PUBLIC_SERVER = "65.54.227.120"

# (address, a fragment of the refusal, or None when the address is public)
DECISIONS: list[tuple[str, str | None]] = [
    # IPv4 special-purpose blocks
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.8", "reserved"),
    ("192.0.2.1", "documentation"),
    ("192.88.99.1", "reserved"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    # IPv4 neighbours of those blocks that are public
    ("8.8.8.8", None),
    ("100.128.0.1", None),
    ("172.32.0.1", None),
    ("11.0.0.1", None),
    ("223.255.255.254", None),
    # IPv6 blocks
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fe80::1%2", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "private"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("100::1", "reserved"),
    ("2001:10::1", "reserved"),
    ("5f00::1", "reserved"),
    ("4000::1", "reserved"),
    ("::ffff:0:7f00:1", "reserved"),  # IPv4-translated (SIIT) is no route to the IPv4 host
    ("64:ff9b:1::808:808", "local-use NAT64"),
    ("2606:4700:4700::1111", None),
    ("2a00:1450:4001:80b::200e", None),
    # IPv4-mapped
    ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, a loopback"),
    ("::ffff:10.1.2.3", "IPv4-mapped form of 10.1.2.3, a private"),
    ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254, a link-local"),
    ("::ffff:8.8.8.8", None),
    # IPv4-compatible (deprecated, still parsed by every stack)
    ("::127.0.0.1", "IPv4-compatible form of 127.0.0.1, a loopback"),
    ("::10.0.0.1", "IPv4-compatible form of 10.0.0.1, a private"),
    ("::2", "IPv4-compatible form of 0.0.0.2, an unspecified"),
    ("::8.8.8.8", None),
    # NAT64, well-known prefix
    ("64:ff9b::127.0.0.1", "NAT64 form of 127.0.0.1, a loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254, a link-local"),
    ("64:ff9b::192.168.0.1", "NAT64 form of 192.168.0.1, a private"),
    ("64:ff9b::8.8.8.8", None),
    # 6to4
    ("2002:7f00:1::1", "6to4 form of 127.0.0.1, a loopback"),
    ("2002:7f00:1:ffff::1", "6to4 form of 127.0.0.1, a loopback"),
    ("2002:a00:1::1", "6to4 form of 10.0.0.1, a private"),
    ("2002:a9fe:a9fe::", "6to4 form of 169.254.169.254, a link-local"),
    ("2002:6440:1::1", "6to4 form of 100.64.0.1, a carrier-grade NAT"),
    ("2002:808:808::1", None),
    # Teredo: the client's address is stored XORed, the server's as it is
    (teredo(PUBLIC_SERVER, "127.0.0.1"), "Teredo client form of 127.0.0.1, a loopback"),
    (teredo(PUBLIC_SERVER, "10.0.0.1"), "Teredo client form of 10.0.0.1, a private"),
    (teredo(PUBLIC_SERVER, "169.254.169.254"), "Teredo client form of 169.254.169.254"),
    (teredo("10.0.0.1", "8.8.8.8"), "Teredo server form of 10.0.0.1, a private"),
    (teredo(PUBLIC_SERVER, "8.8.8.8"), None),
]


@pytest.mark.parametrize(("address", "refusal"), DECISIONS)
def test_default_policy_decides_every_form(address: str, refusal: str | None) -> None:
    reason = AddressPolicy().refusal_of(address)
    if refusal is None:
        assert reason is None
    else:
        assert reason is not None and refusal in reason, reason
        assert AddressPolicy(allow_private=True).refusal_of(address) is None


@pytest.mark.parametrize(
    ("address", "form", "inner"),
    [
        ("::ffff:7f00:1", "IPv4-mapped", "127.0.0.1"),
        ("::a00:1", "IPv4-compatible", "10.0.0.1"),
        ("64:ff9b::c0a8:1", "NAT64", "192.168.0.1"),
        ("2002:c0a8:101::1", "6to4", "192.168.1.1"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo client", "127.0.0.1"),
    ],
)
def test_embedded_ipv4_reads_each_form(address: str, form: str, inner: str) -> None:
    carried = dict(embedded_ipv4(ipaddress.ip_address(address)))
    assert carried[form] == ipaddress.IPv4Address(inner)


@pytest.mark.parametrize("address", ["::", "::1", "8.8.8.8", "2606:4700::1", "fe80::1"])
def test_plain_addresses_carry_nothing(address: str) -> None:
    assert embedded_ipv4(ipaddress.ip_address(address)) == ()


def test_address_kind_ignores_what_is_embedded() -> None:
    """The 6to4 block is global unicast by itself: only the embedded address makes it internal."""
    assert address_kind(ipaddress.ip_address("2002:7f00:1::1")) is None
    assert AddressPolicy().refusal_of("2002:7f00:1::1") is not None


@pytest.mark.parametrize(
    ("networks", "address", "allowed"),
    [
        ("127.0.0.0/8", "127.0.0.1", True),
        ("127.0.0.0/8", "::ffff:127.0.0.1", True),
        ("127.0.0.0/8", "2002:7f00:1::1", True),
        ("127.0.0.0/8", "64:ff9b::7f00:1", True),
        ("127.0.0.0/8", teredo(PUBLIC_SERVER, "127.0.0.1"), True),
        ("127.0.0.0/8", "::1", False),
        ("127.0.0.0/8", "10.0.0.1", False),
        ("127.0.0.0/8", "2002:a00:1::1", False),
        ("127.0.0.1/32", "127.0.0.2", False),
        ("127.0.0.1/32", "::ffff:127.0.0.2", False),
        ("::1/128", "::1", True),
        ("::1/128", "127.0.0.1", False),
        ("10.2.0.0/16, fd00::/8", "10.2.9.9", True),
        ("10.2.0.0/16, fd00::/8", "fd00::5", True),
        ("10.2.0.0/16, fd00::/8", "10.3.0.1", False),
        ("10.2.0.0/16", teredo("10.2.0.1", "10.9.0.1"), False),  # the client is not listed
    ],
)
def test_allowed_networks_open_only_themselves_in_every_form(
    networks: str, address: str, allowed: bool
) -> None:
    policy = AddressPolicy.parse(None, networks)
    assert (policy.refusal_of(address) is None) is allowed


def test_socket_guard_refuses_before_a_socket_exists() -> None:
    made: list[socket.socket] = []

    def make(**kw: Any) -> socket.socket:
        sock = socket.socket(**kw)
        made.append(sock)
        return sock

    guard = SocketGuard(AddressPolicy(), make)
    for family, sockaddr, why in [
        (socket.AF_INET, ("127.0.0.1", 80), "127.0.0.1 is a loopback address"),
        (socket.AF_INET6, ("2002:7f00:1::1", 80, 0, 0), "6to4 form of 127.0.0.1"),
        (socket.AF_INET6, ("::ffff:a9fe:a9fe", 80, 0, 0), "IPv4-mapped form of 169.254.169.254"),
    ]:
        with pytest.raises(RefusedConnection) as info:
            guard((family, socket.SOCK_STREAM, 6, "", sockaddr))
        assert why in info.value.reason
    assert made == []
    sock = SocketGuard(AddressPolicy.parse(None, "127.0.0.0/8"), make)(
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))
    )
    assert made == [sock] and sock.family == socket.AF_INET
    sock.close()


class ScriptedDns(AbstractResolver):
    """A name server whose answers change between lookups (what DNS rebinding does)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        kind = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [{"hostname": host, "host": address, "port": port, "family": kind, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        pass


def test_resolver_refuses_an_answer_that_turned_internal() -> None:
    dns = ScriptedDns("93.184.216.34", "127.0.0.1")
    guarded = GuardedResolver(AddressPolicy(), dns)
    first = asyncio.run(guarded.resolve("rebind.example", 80))
    assert [r["host"] for r in first] == ["93.184.216.34"]
    with pytest.raises(RefusedAddress, match=r"rebind\.example \(127\.0\.0\.1 is a loopback address\)"):
        asyncio.run(guarded.resolve("rebind.example", 80))


# -- through the real sender ---------------------------------------------------------------------------


def _post(policy: AddressPolicy, url: str, resolver: AbstractResolver | None = None) -> Any:
    async def run() -> Any:
        sender = Sender(policy, limit=1, limit_per_host=1, resolver=resolver)
        await sender.open()
        try:
            return await sender.post(
                url, b"{}", {"Content-Type": "application/json"}, timeout=5, verify_tls=True
            )
        finally:
            await sender.close()

    return asyncio.run(run())


def _forms(receiver: Receiver) -> dict[str, str]:
    port = receiver.url.split(":")[2].split("/")[0]
    return {
        "literal": f"http://127.0.0.1:{port}/hook",
        "mapped": f"http://[::ffff:127.0.0.1]:{port}/hook",
        "name": f"http://localhost:{port}/hook",
        "6to4": f"http://[2002:7f00:1::1]:{port}/hook",
        "nat64": f"http://[64:ff9b::7f00:1]:{port}/hook",
        "compatible": f"http://[::127.0.0.1]:{port}/hook",
        "teredo": f"http://[{teredo(PUBLIC_SERVER, '127.0.0.1')}]:{port}/hook",
        "rebound": f"http://rebind.example:{port}/hook",
    }


def dns_for(form: str) -> AbstractResolver | None:
    """The system's resolver, except for the name whose answer turned internal after a check."""
    return ScriptedDns("127.0.0.1") if form == "rebound" else None


def test_sender_refuses_every_form_then_reaches_the_receiver_when_allowed(receiver: Receiver) -> None:
    forms = _forms(receiver)
    for name, url in forms.items():
        resp = _post(AddressPolicy(), url, dns_for(name))
        assert resp.status is None and str(resp.error).startswith("refused:"), (name, resp.error)
        assert "127.0.0.1" in resp.error or "localhost" in resp.error or "rebind" in resp.error, resp.error
    # the positive signal: an allowed marker arrives, and it is the only request the receiver saw
    marker = _post(AddressPolicy.parse(None, "127.0.0.1/32"), forms["literal"])
    assert marker.status == 200 and marker.error is None
    assert len(receiver.requests) == 1
    # allowed, the forms the host routes to loopback all arrive
    loopback = AddressPolicy.parse(None, "127.0.0.0/8")
    for name in ("mapped", "name", "rebound"):
        resp = _post(loopback, forms[name], dns_for(name))
        assert resp.status == 200, (name, resp.error)
    assert len(receiver.requests) == 4
    hosts = [str(r.header("Host")).rsplit(":", 1)[0] for r in receiver.requests]
    assert hosts == ["127.0.0.1", "[::ffff:7f00:1]", "localhost", "rebind.example"]


def test_sender_does_not_follow_a_redirect(receiver: Receiver) -> None:
    other = Receiver().start()
    try:
        receiver.respond = lambda r: 302
        receiver.extra_headers = {"Location": other.url}
        resp = _post(AddressPolicy.parse(None, "127.0.0.0/8"), receiver.url)
        assert resp.status == 302 and len(receiver.requests) == 1
        assert other.requests == []
    finally:
        other.stop()


# -- through the real worker -----------------------------------------------------------------------------


def test_worker_records_the_refusal_of_every_form_and_never_reaches_the_receiver(
    sg: shotlog.Shotlog, receiver: Receiver, run_worker: Run
) -> None:
    # Registered while loopback was allowed; the worker's policy then refuses all of it.
    lenient = Webhooks(sg, fast_settings(policy=AddressPolicy.parse(None, "127.0.0.0/8,::1/128")))
    forms = {k: v for k, v in _forms(receiver).items() if k != "rebound"}
    hooks = {
        name: lenient.create_hook({"url": url, "event_type": "Toolkit_Forms"})["id"]
        for name, url in forms.items()
    }
    run_worker(fast_settings(policy=AddressPolicy()))
    sg.create_event("Toolkit_Forms")

    def refusals(hook_id: str) -> Callable[[], Any]:
        return lambda: lenient.list_deliveries(hook_id, status="failed").deliveries

    for name, hook_id in hooks.items():
        failed = wait_until(refusals(hook_id), what=f"the refusal of the {name} form")
        assert failed[0]["error"].startswith("refused:"), (name, failed[0]["error"])
    assert receiver.requests == []


def test_worker_reaches_the_receiver_through_each_routable_form_when_allowed(
    sg: shotlog.Shotlog, receiver: Receiver, run_worker: Run
) -> None:
    policy = AddressPolicy.parse(None, "127.0.0.0/8,::1/128")  # localhost has both addresses
    hooks = Webhooks(sg, fast_settings(policy=policy))
    forms = _forms(receiver)
    for name in ("literal", "mapped", "name"):
        hooks.create_hook({"url": forms[name], "event_type": "Toolkit_Reach"})
    run_worker(fast_settings(policy=policy))
    sg.create_event("Toolkit_Reach")
    hosts = sorted(str(r.header("Host")).rsplit(":", 1)[0] for r in receiver.wait_for(3))
    assert hosts == ["127.0.0.1", "[::ffff:7f00:1]", "localhost"]
