"""Where a webhook may send: a URL's host resolved, and every address it resolves to refused
unless it is public, so a building's admin cannot make the worker call into the network it
runs in (cloud metadata at 169.254.169.254, a database on 10.x, the worker's own loopback).

Checked when a webhook is created and again before every delivery, after resolving the host
then: a name that pointed at a public address at creation may point inward since. The
sender connects to an address checked here (`Target.addresses`), not to the name again, so a
second lookup answering something else (DNS rebinding) never decides where it connects.

Loopback (and plain http:// to it) is allowed only with PARKSHARE_WEBHOOKS_ALLOW_LOOPBACK,
for development and tests; private, link-local and the other special ranges never are.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_SECONDS_MAX = 5.0
# Well-known NAT64 (RFC 6052): the IPv4 address it embeds is where the packets go.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


class Refused(Exception):
    """The URL is malformed, or its host is (or resolves to) an address not allowed."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where to connect for a URL: its host name (for the Host header, SNI and the
    certificate) and the checked addresses to reach it at, in the resolver's order."""

    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]
    path: str  # with the query, as sent
    authority: str  # the Host header: the host as written, and the port if the URL has one
    literal: bool  # the host is an IP address (no name to send as SNI)

    def pinned_url(self, address: IPAddress) -> str:
        """The URL with a checked address in place of the host name."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why `address` may not receive a webhook, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            why = refusal(embedded, allow_loopback=allow_loopback)
            return None if why is None else f"{address} embeds {embedded}: {why}"
    if address.is_loopback:
        return None if allow_loopback else f"{address} is a loopback address"
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and (
        address in _CGNAT or address in _THIS_NETWORK
    ):
        return f"{address} is not a public address"
    if address.is_private:
        return f"{address} is a private address"
    if address.is_reserved or not address.is_global:
        return f"{address} is not a public address"
    return None


def parse(url: str, *, allow_loopback: bool) -> SplitResult:
    """The URL split, if its shape is one a webhook may have (the database checks it too)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"the url does not parse: {exc}") from None
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None:
        raise Refused("the url needs a host and no user info")
    if parts.fragment:
        raise Refused("the url may not have a fragment")
    if port == 0:
        raise Refused("the url's port must be 1 to 65535")
    if parts.scheme == "https":
        return parts
    if parts.scheme == "http" and allow_loopback and _is_loopback_name(host):
        return parts
    if parts.scheme == "http":
        raise Refused(
            "only https:// urls are accepted"
            + (" (plain http:// only to loopback)" if allow_loopback else "")
        )
    raise Refused("only https:// urls are accepted")


def _is_loopback_name(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def resolve(url: str, *, allow_loopback: bool) -> Target:
    """The URL's target: every address its host resolves to must be allowed (one refused
    address refuses the URL: which one a client would pick is not ours to know). Raises
    Refused."""
    parts = parse(url, allow_loopback=allow_loopback)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        addresses = await _lookup(host, port)
    for address in addresses:
        why = refusal(address, allow_loopback=allow_loopback)
        if why is not None:
            raise Refused(why if literal is not None else f"{host} resolves to {address}: {why}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(
        parts.scheme, host, port, tuple(addresses), path, parts.netloc, literal is not None
    )


async def _lookup(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS_MAX
        )
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise Refused(f"{host} does not resolve ({exc})") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # An IPv6 sockaddr may carry a scope ("fe80::1%eth0"): the address is before it.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Refused(f"{host} does not resolve")
    return addresses
