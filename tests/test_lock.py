"""The archive lock: exclusive creates, waiting, expired leases, heartbeats, the dedup step."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest

from pipeline.archive.lock import ArchiveLock, LockLost, LockTimeout
from pipeline.archive.parquet import write_records
from pipeline.archive.store import ArchiveStore, LocalStore
from pipeline.config.settings import Settings
from pipeline.run import tasks
from tests.builders import make_record


def test_put_if_absent_creates_once(store: ArchiveStore) -> None:
    assert store.put_if_absent("locks/x/1.json", b"first") is True
    assert store.put_if_absent("locks/x/1.json", b"second") is False
    assert store.get("locks/x/1.json") == b"first"


def test_put_if_absent_has_one_winner_among_threads(store: ArchiveStore) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def race(n: int) -> None:
        barrier.wait()
        results.append(store.put_if_absent("locks/race/1.json", str(n).encode()))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]
    assert store.get("locks/race/1.json").decode() in {str(n) for n in range(6)}


def test_a_held_lock_makes_others_wait_then_fail_naming_the_holder(store: ArchiveStore) -> None:
    with ArchiveLock(store, "dedup", owner="scheduled__night", ttl=60):
        other = ArchiveLock(store, "dedup", owner="manual__cli", ttl=60, wait=0.6, poll=0.2)
        started = time.monotonic()
        with pytest.raises(LockTimeout, match="held by scheduled__night"):
            other.acquire()
        assert time.monotonic() - started >= 0.5
    # released: the next one takes it at once
    with ArchiveLock(store, "dedup", owner="manual__cli", ttl=60, wait=0) as taken:
        assert taken.generation == 2


def test_holders_take_turns(local_store: LocalStore) -> None:
    inside: list[str] = []
    overlaps: list[str] = []

    def work(n: int) -> None:
        with ArchiveLock(local_store, "dedup", owner=f"run{n}", ttl=30, wait=30, poll=0.02):
            if inside:
                overlaps.append(f"run{n} while {inside}")
            inside.append(f"run{n}")
            time.sleep(0.05)
            inside.remove(f"run{n}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert overlaps == []
    generations = [i.key for i in local_store.list("locks/dedup/") if i.key.endswith(".json")]
    assert len(generations) == 4


def test_an_expired_lease_is_taken_over_and_the_old_holder_finds_out(
        store: ArchiveStore) -> None:
    now = [1000.0]
    crashed = ArchiveLock(store, "dedup", owner="crashed", ttl=10, heartbeat=False,
                          clock=lambda: now[0])
    crashed.acquire()  # never released: the process "died"
    waiting = ArchiveLock(store, "dedup", owner="next", ttl=10, wait=0, heartbeat=False,
                          clock=lambda: now[0])
    with pytest.raises(LockTimeout):
        waiting.acquire()
    now[0] += 11  # the lease ran out
    waiting.acquire()
    assert waiting.generation == 2
    with pytest.raises(LockLost, match="crashed"):
        crashed.check()
    waiting.check()
    waiting.release()


def test_renewals_keep_a_lease_alive(store: ArchiveStore) -> None:
    now = [1000.0]
    holder = ArchiveLock(store, "dedup", owner="long", ttl=10, heartbeat=False,
                         clock=lambda: now[0])
    holder.acquire()
    for _ in range(3):
        now[0] += 8
        holder.renew()  # what the heartbeat thread does every ttl/3
    holder.check()
    other = ArchiveLock(store, "dedup", owner="other", ttl=10, wait=0, clock=lambda: now[0])
    with pytest.raises(LockTimeout):
        other.acquire()
    holder.release()


def test_the_heartbeat_thread_renews(local_store: LocalStore) -> None:
    with ArchiveLock(local_store, "dedup", owner="beating", ttl=0.3) as lock:
        time.sleep(0.8)  # more than two time-to-lives
        lock.check()
        renewed = json.loads(local_store.get("locks/dedup/000000000001.renewed"))
        assert lock.lease is not None and renewed["token"] == lock.lease.token


def test_old_generations_are_pruned(local_store: LocalStore) -> None:
    for n in range(12):
        with ArchiveLock(local_store, "dedup", owner=f"r{n}", ttl=30, heartbeat=False):
            pass
    stems = {i.key.rsplit("/", 1)[-1].split(".")[0] for i in local_store.list("locks/dedup/")}
    assert len(stems) <= 8 and f"{12:012d}" in stems


def test_dedup_step_waits_for_the_lock_and_commits_nothing_without_it(
        local_store: LocalStore) -> None:
    settings = Settings(archive_url=local_store.url, dedup_lock_wait=1)
    run = "manual__2024-03-02T000000Z"
    key = tasks.staged_key(run, "a", dt.date(2024, 3, 1), "parquet")
    local_store.put(key, write_records([make_record(1, "a")]))
    item = {"site": "a", "date": "2024-03-01", "status": "extracted", "staged": key}
    with (ArchiveLock(local_store, "dedup", owner="scheduled__other", ttl=60),
          pytest.raises(LockTimeout, match="scheduled__other")):
        tasks.deduplicate_and_publish([item], run, settings=settings)
    assert not list(local_store.list("normalized/"))
    summaries = tasks.deduplicate_and_publish([item], run, settings=settings)
    assert [s["status"] for s in summaries] == ["published"]


def test_a_retry_of_the_same_run_takes_over_its_own_lease(store: ArchiveStore) -> None:
    first_try = ArchiveLock(store, "dedup", owner="scheduled__night", ttl=600, heartbeat=False)
    first_try.acquire()  # the attempt died without releasing
    with ArchiveLock(store, "dedup", owner="scheduled__night", ttl=600, wait=0) as retry:
        assert retry.generation == 2
        with pytest.raises(LockLost):
            first_try.check()  # a zombie first attempt would stop before committing
    # another run still waits for a live holder
    with (ArchiveLock(store, "dedup", owner="scheduled__night", ttl=600),
          pytest.raises(LockTimeout)):
        ArchiveLock(store, "dedup", owner="other", wait=0).acquire()
