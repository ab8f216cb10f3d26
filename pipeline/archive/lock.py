"""An archive-wide lease lock: one holder at a time, whatever runs the pipeline.

The dedup step must be serialized across concurrent runs (docs/DESIGN.md section 4): the Airflow
DAGs use a pool with one slot, but ``newsarchive run`` on another machine, a second Airflow
deployment or a manual ``tasks`` call know nothing of that pool. The lock lives in the archive
itself, so every writer of the archive sees it.

Protocol (only :meth:`ArchiveStore.put_if_absent` is needed, which local disks and S3 servers
with conditional writes offer):

- The lock ``name`` is a series of generations ``locks/<name>/<generation>.json``
  (:func:`pipeline.archive.layout.lock_key`). Taking the lock means creating the next
  generation; creation is exclusive, so of several contenders exactly one wins.
- The next generation may be created only when the latest one is released
  (``<generation>.released`` exists) or its lease has expired. The holder renews its lease
  from a heartbeat thread (``<generation>.renewed``, written only by the holder) every third
  of the time to live, so a holder that crashed blocks the others for at most ``ttl`` seconds.
- Before it commits, the holder calls :meth:`ArchiveLock.check`: when its lease expired and
  another run took over, it stops instead of writing over the newer holder's work.
- A retry of the same run (same owner) takes the lock over from its own earlier attempt at
  once instead of waiting for that attempt's lease to run out.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from pipeline.archive.layout import lock_key, lock_listing, parse_lock_key
from pipeline.archive.store import ArchiveStore
from pipeline.errors import NewsArchiveError

log = logging.getLogger(__name__)

KEEP_GENERATIONS = 8
"""Older generations than this many are deleted by the next holder (kept for forensics)."""


class LockTimeout(NewsArchiveError):
    """The lock stayed held by another run for longer than the caller would wait."""


class LockLost(NewsArchiveError):
    """The holder's lease expired and another run took the lock over."""


@dataclass(frozen=True)
class Lease:
    """What a generation of the lock records about its holder."""

    owner: str
    token: str
    host: str
    pid: int
    acquired_at: float
    expires_at: float

    def describe(self) -> str:
        """Who holds the lock and until when, for error messages."""
        since = dt.datetime.fromtimestamp(self.acquired_at, dt.UTC).isoformat(timespec="seconds")
        until = dt.datetime.fromtimestamp(self.expires_at, dt.UTC).isoformat(timespec="seconds")
        return f"{self.owner} (host {self.host}, pid {self.pid}) since {since}, lease until {until}"


class ArchiveLock:
    """A lease lock named ``name`` in an archive (a context manager).

    Args:
        store: The archive.
        name: Lock name (``dedup``).
        owner: Who takes it (a run id), shown to those who wait.
        ttl: Seconds a lease lasts without a heartbeat.
        wait: Seconds :meth:`acquire` waits for another holder before :class:`LockTimeout`.
        poll: Seconds between attempts while waiting.
        heartbeat: Renew the lease from a background thread while held.
        clock: Wall clock (seconds since the epoch); tests pass their own.
    """

    def __init__(self, store: ArchiveStore, name: str, *, owner: str, ttl: float = 300,
                 wait: float = 3600, poll: float = 2.0, heartbeat: bool = True,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.name = name
        self.prefix = lock_listing(name)
        self.owner = owner
        self.ttl = ttl
        self.wait = wait
        self.poll = poll
        self.heartbeat = heartbeat
        self.clock = clock
        self.generation: int | None = None
        self.lease: Lease | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- reading the state ----------------------------------------------------------------------
    def _key(self, generation: int, suffix: str = "json") -> str:
        return lock_key(self.name, generation, suffix)

    def _generations(self) -> dict[int, set[str]]:
        """Every generation in the archive with the suffixes present for it (one listing)."""
        found: dict[int, set[str]] = {}
        for info in self.store.list(self.prefix):
            parsed = parse_lock_key(info.key)
            if parsed is not None:
                found.setdefault(parsed[0], set()).add(parsed[1])
        return found

    def _latest(self) -> tuple[int, set[str]]:
        """The latest generation and the suffixes present for it (``0`` when none)."""
        found = self._generations()
        latest = max(found, default=0)
        return latest, found.get(latest, set())

    def _read(self, key: str) -> dict[str, Any] | None:
        data = self.store.get_or_none(key)
        return json.loads(data) if data else None

    def _holder(self, generation: int, suffixes: set[str]) -> Lease | None:
        """The lease of ``generation``, renewed expiry included; ``None`` when free."""
        if "released" in suffixes:
            return None
        record = self._read(self._key(generation))
        if record is None:  # being created right now, or deleted: look again later
            return Lease("?", "", "?", 0, self.clock(), self.clock() + self.poll)
        lease = Lease(**record)
        renewed = self._read(self._key(generation, "renewed")) if "renewed" in suffixes else None
        if renewed and renewed.get("token") == lease.token:
            lease = Lease(**{**record, "expires_at": float(renewed["expires_at"])})
        return lease if lease.expires_at > self.clock() else None

    # -- taking and giving back -----------------------------------------------------------------
    def acquire(self) -> None:
        """Take the lock, waiting up to ``wait`` seconds for the current holder.

        Raises:
            LockTimeout: Another run held it all that time (the message names it).
        """
        deadline = time.monotonic() + self.wait
        while True:
            latest, suffixes = self._latest()
            holder = self._holder(latest, suffixes) if latest else None
            if holder is not None and holder.owner == self.owner:
                # an earlier attempt of this same run (Airflow retries a task only once the
                # previous try has ended) died holding it; if it still lives, check() stops it
                log.warning("taking over %s from an earlier attempt of %s", self.prefix,
                            self.owner)
                holder = None
            if holder is None:
                if self._create(latest + 1):
                    return
            elif time.monotonic() >= deadline:
                raise LockTimeout(f"{self.store.url}/{self.prefix}: held by {holder.describe()}; "
                                  f"waited {self.wait:.0f} s")
            else:
                log.info("waiting for %s: held by %s", self.prefix, holder.describe())
            time.sleep(min(self.poll, max(0.0, deadline - time.monotonic())) or 0.01)

    def _create(self, generation: int) -> bool:
        now = self.clock()
        lease = Lease(self.owner, uuid.uuid4().hex, socket.gethostname(), os.getpid(), now,
                      now + self.ttl)
        body = json.dumps(asdict(lease)).encode()
        created = self.store.put_if_absent(self._key(generation), body)
        # read back: a retried request may have created it for us before reporting "exists"
        record = self._read(self._key(generation))
        if not (record and record.get("token") == lease.token):
            if created:
                log.warning("%s ignored the exclusive create of %s", self.store.url,
                            self._key(generation))
            return False
        self.generation, self.lease = generation, lease
        log.info("took %s generation %d as %s", self.prefix, generation, self.owner)
        self._forget_old(generation)
        if self.heartbeat:
            self._stop.clear()
            self._thread = threading.Thread(target=self._beat, name="lock-heartbeat",
                                            daemon=True)
            self._thread.start()
        return True

    def _forget_old(self, generation: int) -> None:
        old = [self._key(number, suffix) for number, suffixes in self._generations().items()
               if number <= generation - KEEP_GENERATIONS for suffix in suffixes]
        if old:
            self.store.delete_many(old)

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.renew()
            except Exception:  # the next beat tries again; check() reports a lost lease
                log.warning("could not renew %s", self.prefix, exc_info=True)

    def renew(self) -> None:
        """Extend the lease by ``ttl`` from now."""
        if self.generation is None or self.lease is None:
            return
        body = {"token": self.lease.token, "expires_at": self.clock() + self.ttl}
        self.store.put(self._key(self.generation, "renewed"), json.dumps(body).encode())

    def check(self) -> None:
        """Make sure the lock is still ours (call before committing).

        Raises:
            LockLost: The lease expired, or a later generation exists.
        """
        if self.generation is None or self.lease is None:
            raise LockLost(f"{self.prefix}: not held")
        latest, suffixes = self._latest()
        holder = self._holder(self.generation, suffixes) if latest == self.generation else None
        if holder is None or holder.token != self.lease.token:
            raise LockLost(f"{self.store.url}/{self.prefix}: the lease of {self.owner} "
                           f"(generation {self.generation}) expired and was taken over")

    def release(self) -> None:
        """Give the lock back (a no-op when not held)."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if self.generation is not None:
            self.store.put(self._key(self.generation, "released"), b"{}")
            log.info("released %s generation %d", self.prefix, self.generation)
        self.generation = self.lease = None

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        try:
            self.release()
        except Exception:
            if exc is None:
                raise
            # the lease runs out on its own; the error that got us here is the one to report
            log.warning("could not release %s", self.prefix, exc_info=True)
