"""Which network addresses the crawler may talk to (SSRF protection, pure logic).

A news crawler follows links and redirects chosen by other people, so it must never be turned
into a tool that reaches the operator's own network: private ranges, loopback, link-local,
carrier-grade NAT, multicast and the cloud metadata services are refused. The check runs on the
*resolved* address (see ``spiders/resolver.py``), so a public name pointing at 10.0.0.1 is
refused as well, and it runs again for every redirect target.

Tests and the embedded demo need loopback servers: :class:`NetGuard` takes an allowlist of
``CIDR`` or ``CIDR:port`` entries (``127.0.0.1/32:8123``) that are allowed even though they are
not public.

Example:
    >>> guard = NetGuard.from_strings(["127.0.0.1/32:8123"])
    >>> guard.check("127.0.0.1", 8123).allowed
    True
    >>> guard.check("127.0.0.1", 8124).reason
    'loopback'
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.errors import ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IPv6 metadata
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
"""Cloud instance metadata endpoints, refused even when an allowlist entry covers them."""


@dataclass(frozen=True)
class AllowRule:
    """One allowlist entry: a network and optionally a single port."""

    network: IPNetwork
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> AllowRule:
        """Parse ``CIDR``, ``CIDR:port`` or ``[v6CIDR]:port``.

        Args:
            text: For example ``127.0.0.1/32:8123``, ``192.0.2.0/24`` or ``[::1]/128:80``.

        Returns:
            The rule.

        Raises:
            ConfigError: The entry is not a network or the port is out of range.
        """
        raw = text.strip()
        net_part, port_part = raw, ""
        if raw.startswith("["):
            net_part, _, rest = raw[1:].partition("]")
            if rest.startswith("/"):  # [::1/128]:80 or [::1]/128:80
                mask, _, port_part = rest[1:].partition(":")
                net_part = f"{net_part}/{mask}"
            else:
                port_part = rest.removeprefix(":")
        elif raw.count(":") == 1:
            net_part, _, port_part = raw.partition(":")
        try:
            network = ipaddress.ip_network(net_part, strict=False)
            port = int(port_part) if port_part else None
        except ValueError:
            raise ConfigError(
                f"allowed_networks entry {text!r} is not CIDR[:port] (e.g. 127.0.0.1/32:8123)"
            ) from None
        if port is not None and not 0 < port < 65536:
            raise ConfigError(f"allowed_networks entry {text!r}: port out of range")
        return cls(network, port)

    def matches(self, address: IPAddress, port: int | None) -> bool:
        """Whether the rule covers ``address`` (and ``port``, when the rule names one)."""
        if address.version != self.network.version or address not in self.network:
            return False
        return self.port is None or self.port == port


@dataclass(frozen=True)
class Verdict:
    """The decision about one address; ``reason`` says why it is refused ('' when allowed)."""

    allowed: bool
    reason: str = ""


def classify(address: IPAddress) -> str:
    """Name the kind of non-public range ``address`` is in, or ``''`` for a public address.

    Args:
        address: The address (IPv4-mapped IPv6 addresses are judged as IPv4).

    Returns:
        One of ``metadata``, ``loopback``, ``private``, ``link_local``, ``multicast``,
        ``unspecified``, ``reserved`` or ``''``.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("metadata", address in METADATA_ADDRESSES),
        ("loopback", address.is_loopback),
        ("link_local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("reserved", address.is_reserved or not address.is_global),
    )
    return next((name for name, hit in checks if hit), "")


class NetGuard:
    """Decides whether the crawler may connect to an address and port."""

    def __init__(self, rules: Iterable[AllowRule] = ()) -> None:
        self.rules: tuple[AllowRule, ...] = tuple(rules)

    @classmethod
    def from_strings(cls, entries: Iterable[str]) -> NetGuard:
        """Build a guard from allowlist strings (see :meth:`AllowRule.parse`).

        Raises:
            ConfigError: An entry cannot be parsed.
        """
        return cls(AllowRule.parse(e) for e in entries if e.strip())

    def check(self, host: str | IPAddress, port: int | None = None) -> Verdict:
        """Judge one resolved address.

        Args:
            host: An IP address (text or object). Host names are refused: resolve first.
            port: The TCP port the connection would go to.

        Returns:
            The verdict; refused addresses carry the kind of range as reason.
        """
        try:
            address = ipaddress.ip_address(host) if isinstance(host, str) else host
        except ValueError:
            return Verdict(False, "not_an_address")
        kind = classify(address)
        if kind == "metadata":
            return Verdict(False, kind)
        if not kind or any(rule.matches(address, port) for rule in self.rules):
            return Verdict(True)
        return Verdict(False, kind)


def host_is_ip_literal(host: str) -> bool:
    """Whether a URL host is an IP literal (``[::1]`` brackets allowed)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
