"""Host leases: at most one crawl per host at a time, across every run and every worker.

Within one crawl, Scrapy's per-domain delay and concurrency keep a host's load within the
site's politeness; two crawls running side by side (a backfill next to the nightly run, mapped
Airflow tasks on several Celery or Kubernetes workers) would each apply those limits on their own
and so double the load on a host they share. Before a crawl starts, it takes a lease on each
host it may fetch from; a crawl of another site on the same host waits until the lease is given
back (or expires), for a bounded time.

A host lease is an :class:`pipeline.archive.lock.ArchiveLock` named ``hosts/<host>``
(:func:`pipeline.archive.layout.host_lease_name`): the same exclusive-create protocol, heartbeat
and expiry, so it works wherever the archive does (a local directory, or S3 with conditional
writes) and a crashed crawl blocks a host for at most the lease's time to live.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pipeline.archive.layout import host_lease_name
from pipeline.archive.lock import ArchiveLock, LockTimeout
from pipeline.archive.store import ArchiveStore

log = logging.getLogger(__name__)


class HostBusy(LockTimeout):
    """Another crawl held a host for longer than this crawl would wait (retry later)."""


def lease_hosts(base_url: str, domains: Iterable[str] = ()) -> tuple[str, ...]:
    """The hosts a crawl of a site leases: its base URL's host and its allowed domains.

    Ports are dropped (Scrapy's per-domain slots, and a server's capacity, ignore them), so two
    sites at ``127.0.0.1:8001`` and ``127.0.0.1:8002`` share one lease.

    Args:
        base_url: The site's base URL.
        domains: Its ``allowed_domains`` (host names, possibly with a port).

    Returns:
        The host names, lowercased, each once, sorted (the order leases are taken in, so two
        crawls that need the same hosts never hold one each while waiting for the other).
    """
    hosts = {(urlsplit(base_url).hostname or "").lower()}
    for domain in domains:
        hosts.add((urlsplit(f"//{domain}").hostname or "").lower())
    return tuple(sorted(h for h in hosts if h))


@dataclass(frozen=True)
class HostWait:
    """How long a crawl waited for its hosts.

    Attributes:
        hosts: The hosts leased.
        waited_for: The hosts that were held by another crawl when this one asked.
        seconds: Seconds spent waiting, all hosts together.
    """

    hosts: tuple[str, ...]
    waited_for: tuple[str, ...] = ()
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The JSON form (in the crawl step's stats)."""
        return {"hosts": list(self.hosts), "waited_for": list(self.waited_for),
                "seconds": round(self.seconds, 3)}


class HostLeases:
    """The leases of a crawl on its hosts (a context manager holding them all).

    Args:
        store: The archive (shared by every worker).
        hosts: Hosts to lease (:func:`lease_hosts`).
        owner: Who crawls (``<run id>/<site>``): shown to those who wait; a retry of the same
            crawl takes its own earlier lease over at once.
        ttl: Seconds a lease lasts without a heartbeat (renewed every third of it).
        wait: Seconds to wait for all hosts together before :class:`HostBusy`.
        poll: Seconds between attempts while waiting.
        heartbeat: Renew the leases from background threads while held.
        clock: Wall clock (seconds since the epoch); tests pass their own.
    """

    def __init__(self, store: ArchiveStore, hosts: Iterable[str], *, owner: str,
                 ttl: float = 120.0, wait: float = 7200.0, poll: float = 2.0,
                 heartbeat: bool = True, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.hosts = tuple(sorted(set(hosts)))
        self.owner = owner
        self.ttl = ttl
        self.wait = wait
        self.poll = poll
        self.heartbeat = heartbeat
        self.clock = clock
        self.held: list[ArchiveLock] = []
        self.result = HostWait(self.hosts)

    def _lock(self, host: str, wait: float) -> ArchiveLock:
        return ArchiveLock(self.store, host_lease_name(host), owner=self.owner, ttl=self.ttl,
                           wait=wait, poll=self.poll, heartbeat=self.heartbeat,
                           clock=self.clock)

    def acquire(self) -> HostWait:
        """Take every host's lease, waiting (bounded) for other crawls of the same hosts.

        Returns:
            What was waited for, and how long.

        Raises:
            HostBusy: A host stayed held past ``wait`` seconds (the leases taken are given back).
        """
        started = time.monotonic()
        waited: list[str] = []
        try:
            for host in self.hosts:
                lock = self._lock(host, wait=0)
                try:
                    lock.acquire()
                except LockTimeout as busy:
                    waited.append(host)
                    log.info("host %s is being crawled by another run (%s): waiting up to "
                             "%.0f s", host, busy, self.wait)
                    lock = self._lock(host, max(0.0, self.wait - (time.monotonic() - started)))
                    try:
                        lock.acquire()
                    except LockTimeout as exc:
                        raise HostBusy(f"{exc} (host {host} of crawl {self.owner})") from None
                self.held.append(lock)
        except BaseException:
            self.release()
            raise
        self.result = HostWait(self.hosts, tuple(waited), time.monotonic() - started)
        if waited:
            log.warning("%s waited %.1f s for host(s) %s crawled by another run", self.owner,
                        self.result.seconds, ", ".join(waited))
        return self.result

    def release(self) -> None:
        """Give every lease back (a failure to is logged: the lease then expires by itself)."""
        while self.held:
            lock = self.held.pop()
            try:
                lock.release()
            except Exception:
                log.warning("could not release %s; it expires in %.0f s", lock.prefix, self.ttl,
                            exc_info=True)

    def __enter__(self) -> HostLeases:
        self.acquire()
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.release()
