"""Address classification and the allowlist (pure; no packet is sent anywhere)."""

from __future__ import annotations

import pytest

from pipeline.crawl.netguard import AllowRule, NetGuard, classify, host_is_ip_literal
from pipeline.errors import ConfigError


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.0.0.2", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
    ("192.168.1.1", "private"), ("169.254.1.1", "link_local"), ("fe80::1", "link_local"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"), ("100.100.100.200", "metadata"),
    ("100.64.0.1", "reserved"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
    ("::ffff:10.0.0.1", "private"), ("fc00::1", "private"),
    ("93.184.216.34", ""), ("2606:4700::1111", ""),
])
def test_classify(address: str, kind: str) -> None:
    import ipaddress

    assert classify(ipaddress.ip_address(address)) == kind


def test_public_addresses_allowed_private_refused() -> None:
    guard = NetGuard()
    assert guard.check("93.184.216.34", 443).allowed
    verdict = guard.check("192.168.0.10", 80)
    assert not verdict.allowed and verdict.reason == "private"
    assert guard.check("example.com", 80).reason == "not_an_address"


def test_allowlist_with_port() -> None:
    guard = NetGuard.from_strings(["127.0.0.1/32:8123"])
    assert guard.check("127.0.0.1", 8123).allowed
    assert not guard.check("127.0.0.1", 8124).allowed
    assert not guard.check("127.0.0.2", 8123).allowed


def test_allowlist_without_port_and_ipv6() -> None:
    guard = NetGuard.from_strings(["127.0.0.0/30", "[::1]/128:8080"])
    assert guard.check("127.0.0.3", 1).allowed
    assert not guard.check("127.0.0.4", 1).allowed
    assert guard.check("::1", 8080).allowed
    assert not guard.check("::1", 8081).allowed


def test_metadata_refused_even_when_allowlisted() -> None:
    guard = NetGuard.from_strings(["169.254.0.0/16"])
    assert guard.check("169.254.1.1", 80).allowed
    assert guard.check("169.254.169.254", 80).reason == "metadata"


@pytest.mark.parametrize("entry", ["nonsense", "127.0.0.1/33", "127.0.0.1/32:0",
                                   "127.0.0.1/32:70000", "127.0.0.1/32:x"])
def test_bad_allowlist_entries(entry: str) -> None:
    with pytest.raises(ConfigError, match="allowed_networks"):
        AllowRule.parse(entry)


def test_ip_literal() -> None:
    assert host_is_ip_literal("127.0.0.1") and host_is_ip_literal("[::1]")
    assert not host_is_ip_literal("example.com")
