"""Host leases (one crawl per host at a time) on the local store and on the real S3 server."""

from __future__ import annotations

import json
import threading
import time

import pytest

from pipeline.archive.layout import host_lease_key, host_lease_name
from pipeline.archive.lease import HostBusy, HostLeases, lease_hosts
from pipeline.archive.lock import LockLost
from pipeline.archive.store import ArchiveStore
from pipeline.errors import ConfigError


def test_hosts_of_a_site_ignore_ports_and_case() -> None:
    assert lease_hosts("http://127.0.0.1:8701/", ["127.0.0.1:8701"]) == ("127.0.0.1",)
    assert lease_hosts("https://News.Example/site-b/", ["news.example", "cdn.example:443"]) == \
        ("cdn.example", "news.example")
    assert host_lease_name("127.0.0.1") == "hosts/127.0.0.1"
    assert host_lease_key("News.Example", 3) == "locks/hosts/news.example/000000000003.json"
    with pytest.raises(ConfigError):
        host_lease_name("../etc")


def test_a_held_host_makes_another_crawl_wait_then_fail_naming_the_holder(
        store: ArchiveStore) -> None:
    with HostLeases(store, ["127.0.0.1"], owner="nightly/alpha", ttl=60) as first:
        assert first.result.waited_for == ()
        other = HostLeases(store, ["127.0.0.1"], owner="backfill/beta", ttl=60, wait=0.5,
                           poll=0.1)
        with pytest.raises(HostBusy, match="held by nightly/alpha"):
            other.acquire()
        assert other.held == []
    # released: the next crawl takes it at once, without waiting
    with HostLeases(store, ["127.0.0.1"], owner="backfill/beta", ttl=60, wait=0) as taken:
        assert taken.result.waited_for == ()
        assert taken.held[0].generation == 2
    assert store.exists(host_lease_key("127.0.0.1", 2, "released"))


def test_the_second_crawl_waits_for_the_first_and_the_wait_is_counted(
        store: ArchiveStore) -> None:
    first = HostLeases(store, ["127.0.0.1", "news.example"], owner="run/alpha", ttl=60)
    first.acquire()
    releaser = threading.Timer(1.0, first.release)
    releaser.start()
    try:
        second = HostLeases(store, ["news.example", "127.0.0.1"], owner="run/beta", ttl=60,
                            wait=60, poll=0.1)
        result = second.acquire()
        second.release()
    finally:
        releaser.join()
    assert result.hosts == ("127.0.0.1", "news.example")
    assert result.waited_for == ("127.0.0.1",)  # the second host was free by then
    assert result.seconds >= 0.5
    assert result.to_json()["waited_for"] == ["127.0.0.1"]


def test_an_expired_lease_is_stolen_and_its_holder_finds_out(store: ArchiveStore) -> None:
    now = [1000.0]
    crashed = HostLeases(store, ["127.0.0.1"], owner="run1/alpha", ttl=30, heartbeat=False,
                         clock=lambda: now[0])
    crashed.acquire()  # and never released nor renewed: its worker died
    late = HostLeases(store, ["127.0.0.1"], owner="run2/beta", ttl=30, wait=0,
                      heartbeat=False, clock=lambda: now[0])
    now[0] += 29
    with pytest.raises(HostBusy):
        late.acquire()
    now[0] += 2  # past the lease's expiry
    result = late.acquire()
    assert result.waited_for == ()
    assert late.held[0].generation == 2
    with pytest.raises(LockLost):
        crashed.held[0].check()
    late.release()


def test_the_heartbeat_keeps_a_long_crawl_s_lease(store: ArchiveStore) -> None:
    ttl = 3.0
    with HostLeases(store, ["127.0.0.1"], owner="run/long", ttl=ttl) as holder:
        time.sleep(ttl + 1.5)  # longer than the lease lasts without a heartbeat
        lock = holder.held[0]
        renewed = json.loads(store.get(host_lease_key("127.0.0.1", 1, "renewed")))
        assert renewed["token"] == lock.lease.token  # type: ignore[union-attr]
        assert renewed["expires_at"] > lock.lease.expires_at  # type: ignore[union-attr]
        lock.check()  # still ours
        with pytest.raises(HostBusy):
            HostLeases(store, ["127.0.0.1"], owner="run/other", ttl=ttl, wait=0).acquire()
    with HostLeases(store, ["127.0.0.1"], owner="run/other", ttl=ttl, wait=0) as after:
        assert after.held[0].generation == 2


def test_a_failure_on_a_later_host_gives_the_earlier_ones_back(store: ArchiveStore) -> None:
    with HostLeases(store, ["b.example"], owner="run/holder", ttl=60):
        both = HostLeases(store, ["a.example", "b.example"], owner="run/both", ttl=60,
                          wait=0.2, poll=0.1)
        with pytest.raises(HostBusy):
            both.acquire()
    # a.example was taken then given back: free at once
    with HostLeases(store, ["a.example"], owner="run/next", ttl=60, wait=0) as free:
        assert free.held[0].generation == 2
