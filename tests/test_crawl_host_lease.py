"""Two crawls of two sites on one host, run in parallel, keep the host within its limit.

Two threads call the crawl step at once, for ``alpha`` and ``beta`` of :mod:`tests.hostsites`
(both on 127.0.0.1, each allowing 2 requests in flight). Every response of the server takes a
while, so requests overlap; the server records the most it served at once. Without host leases
each crawl applied its own per-domain limit, so the host saw up to twice its limit.

The download delay is small but not 0: with Scrapy 2.19 on the asyncio reactor, a zero delay
lets one crawl start every queued request of a slot at once (the slot counts a request as
transferring only once its download task runs), so the per-domain limit needs some delay.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from pipeline.archive.layout import host_lease_key, lock_listing
from pipeline.archive.lease import HostLeases
from pipeline.archive.store import LocalStore
from pipeline.config.settings import Settings
from pipeline.run.crawl_step import crawl
from tests.builders import serving
from tests.hostsites import ARTICLES, DAY, HostSites, sites_yaml

LIMIT = 2
"""Requests in flight each site allows (``politeness: {concurrency: 2}``)."""


def test_parallel_crawls_of_one_host_take_turns(tmp_path: Path) -> None:
    with serving(HostSites(delay=0.25)) as server:
        sites_file = tmp_path / "sites.yaml"
        sites_file.write_text(sites_yaml(server, f"    politeness: {{concurrency: {LIMIT}}}\n"))
        store = LocalStore(str(tmp_path / "archive"))
        settings = Settings(
            archive_url=store.url, sites_file=str(sites_file),
            allowed_networks=(f"127.0.0.1/32:{server.server_address[1]}",),
            crawl_today=str(DAY + dt.timedelta(days=1)),
            crawl_settings=("AUTOTHROTTLE_ENABLED=0", "DOWNLOAD_DELAY=0.05", "RETRY_TIMES=1",
                            "DOWNLOAD_TIMEOUT=10", "LOG_LEVEL=INFO"),
            host_lease_ttl=30.0, host_lease_wait=300.0)
        results: dict[str, dict[str, Any]] = {}
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def work(site: str) -> None:
            start.wait()
            try:
                results[site] = crawl({"site": site, "date": DAY.isoformat()}, "nightly-par",
                                      settings=settings, timeout=180)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(s,)) for s in ("alpha", "beta")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors
        # the server's log: never more requests in flight than one crawl's limit
        assert sum(server.requests.values()) >= 20
        assert 1 <= server.max_in_flight <= LIMIT, server.max_in_flight
    assert {s: r["status"] for s, r in results.items()} == {"alpha": "crawled", "beta": "crawled"}
    fetched = {s: {"/" + u.split("/", 3)[3] for u in r["stats"]["articles"]}
               for s, r in results.items()}
    assert fetched["alpha"] == {p for c in ARTICLES["/"].values() for p in c}
    assert fetched["beta"] == {p for c in ARTICLES["/site-b/"].values() for p in c}
    # one of them found the host taken and waited for it: logged and counted in its stats
    waits = {s: r["stats"]["host_wait"] for s, r in results.items()}
    assert sorted(w["waited_for"] for w in waits.values()) == [[], ["127.0.0.1"]], waits
    waited = next(w for w in waits.values() if w["waited_for"])
    assert waited["hosts"] == ["127.0.0.1"] and waited["seconds"] > 0.5
    # two generations of the host's lease in the archive, both given back
    assert store.exists(host_lease_key("127.0.0.1", 1, "released"))
    assert store.exists(host_lease_key("127.0.0.1", 2, "released"))
    assert not store.exists(host_lease_key("127.0.0.1", 3))
    assert lock_listing("hosts/127.0.0.1") == "locks/hosts/127.0.0.1/"


def test_newsarchive_crawl_waits_for_a_held_host_then_gives_up(tmp_path: Path) -> None:
    """``newsarchive crawl`` takes the same lease: a host held elsewhere is not crawled."""
    with serving(HostSites()) as server:
        sites_file = tmp_path / "sites.yaml"
        sites_file.write_text(sites_yaml(server))
        store = LocalStore(str(tmp_path / "archive"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
        env.update(NEWSARCHIVE_HOST_LEASE_WAIT="3", NEWSARCHIVE_ALLOWED_NETWORKS=(
            f"127.0.0.1/32:{server.server_address[1]}"))
        cmd = [sys.executable, "-m", "pipeline", "crawl", "--site", "beta", "--since", str(DAY),
               "--sites-file", str(sites_file), "--archive", store.url]
        with HostLeases(store, ["127.0.0.1"], owner="backfill-1/alpha", ttl=60):
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                                  check=False)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "held by backfill-1/alpha" in proc.stderr
        assert sum(server.requests.values()) == 0  # not one request reached the host
