"""The fast near-duplicate lookup returns exactly what a brute-force Hamming scan returns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pipeline.dedup.index import FingerprintIndex, IndexEntry
from pipeline.dedup.nearindex import MultiIndexHash, brute_force, plan_blocks

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _flip(rng: np.random.Generator, value: np.uint64, bits: int) -> np.uint64:
    for b in rng.choice(64, size=bits, replace=False):
        value ^= np.uint64(1) << np.uint64(b)
    return value


def _fingerprints(seed: int, n: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Random fingerprints plus clusters planted around some of them, at every distance."""
    rng = np.random.default_rng(seed)
    h1 = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    h2 = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    for i in range(n // 2, n):  # half the entries are near copies of the first quarter
        j = int(rng.integers(0, n // 4))
        h1[i] = _flip(rng, h1[j], int(rng.integers(0, radius + 3)))
        h2[i] = _flip(rng, h2[j], int(rng.integers(0, 2 * radius + 2)))
    h1[-10:] = h1[0]  # exact repeats
    return h1, h2


def _queries(seed: int, h1: np.ndarray, h2: np.ndarray, radius: int,
             n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 1)
    picks = rng.integers(0, len(h1), size=n // 2)
    q1 = [_flip(rng, h1[p], int(rng.integers(0, radius + 3))) for p in picks]
    q2 = [_flip(rng, h2[p], int(rng.integers(0, radius + 3))) for p in picks]
    q1 += list(rng.integers(0, 2**64, size=n - n // 2, dtype=np.uint64))
    q2 += list(rng.integers(0, 2**64, size=n - n // 2, dtype=np.uint64))
    return np.array(q1, dtype=np.uint64), np.array(q2, dtype=np.uint64)


@pytest.mark.parametrize("radius", [3, 7, 11, 15])
def test_search_equals_brute_force(radius: int) -> None:
    h1, h2 = _fingerprints(radius, 4000, radius)
    q1, q2 = _queries(radius, h1, h2, radius, 1500)
    tables = MultiIndexHash(h1, h2, radius)
    indptr, idx, dist = tables.search(q1, q2)
    only1 = tables.search(q1)
    matched = 0
    for i in range(len(q1)):
        want, want_d = brute_force(h1, h2, int(q1[i]), int(q2[i]), radius)
        assert idx[indptr[i]:indptr[i + 1]].tolist() == want.tolist(), i
        assert dist[indptr[i]:indptr[i + 1]].tolist() == want_d.tolist(), i
        d1 = np.bitwise_count(h1 ^ q1[i])
        assert only1[1][only1[0][i]:only1[0][i + 1]].tolist() == \
            np.flatnonzero(d1 <= radius).tolist(), i
        matched += bool(len(want))
    assert matched > 300  # the planted queries really exercise the matching path


@pytest.mark.parametrize(("n", "nq"), [(4000, 1500), (4000, 3), (300, 1500), (0, 50)])
def test_batch_search_equals_brute_force(n: int, nq: int) -> None:
    """One sweep answers the batch among the entries and among itself, exactly.

    Covers both ways through the tables: a sweep of every bucket (many queries) and a visit of
    the probed buckets only (a few), and a batch larger than the index.
    """
    radius = 11
    h1, h2 = _fingerprints(17, max(n, 40), radius)
    h1, h2 = h1[:n], h2[:n]
    q1, _ = _queries(18, h1 if n else _fingerprints(19, 40, radius)[0], h2 if n else
                     _fingerprints(19, 40, radius)[1], radius, nq)
    q1[nq // 3:nq // 3 + 5] = q1[0]  # repeats within the batch
    loaded, own = MultiIndexHash(h1, h2, radius).search_batch(q1)
    pairs = 0
    for i in range(nq):
        for (indptr, idx, dist), ref in ((loaded, h1), (own, q1)):
            d1 = np.bitwise_count(ref ^ q1[i]).astype(np.int64)
            want = np.flatnonzero(d1 <= radius)
            assert idx[indptr[i]:indptr[i + 1]].tolist() == want.tolist(), i
            assert dist[indptr[i]:indptr[i + 1]].tolist() == d1[want].tolist(), i
            pairs += len(want)
    assert pairs > nq  # beyond each query finding itself


def test_blocks_cover_the_radius() -> None:
    for radius in range(0, 20):
        for n in (0, 10, 5000, 1_000_000, 30_000_000):
            blocks = plan_blocks(n, radius)
            assert sum(b.radius + 1 for b in blocks) >= radius + 1
            assert all(b.width <= 16 for b in blocks)
            edges = [b.shift for b in blocks] + [64]
            assert all(b.width <= edges[k + 1] - b.shift for k, b in enumerate(blocks))
    assert [(b.width, b.radius) for b in plan_blocks(1_000_000, 11)] == [(16, 2)] * 4


def _entry(k: int, h1: int, h2: int) -> IndexEntry:
    return IndexEntry(f"{k:032x}", f"{k + 10**6:032x}", h1, h2,
                      T0 + dt.timedelta(seconds=k), 1, None)


@pytest.mark.parametrize("size", [2000, 200])
def test_batch_lookup_equals_one_lookup_at_a_time(size: int) -> None:
    """NearBatch answers what a scan of the index answers at each step, as entries are added.

    With an index larger than the batch (one sweep answers both) and smaller (the batch gets
    tables of its own).
    """
    radius = 11
    h1, h2 = _fingerprints(5, 3000, radius)
    loaded = [_entry(k, int(h1[k]), int(h2[k])) for k in range(size)]
    index = FingerprintIndex(loaded, radius)
    reference = [*loaded]
    before = _entry(5000, int(h1[2000]), int(h2[2000]))  # added before the batch
    index.add(before)
    reference.append(before)
    batch = [(int(h1[k]), int(h2[k])) for k in range(2001, 3000)]
    batch += [(int(h1[k]), int(h2[k])) for k in range(0, 300)]  # copies of loaded entries
    lookups = index.near_batch([a for a, _ in batch])
    rng = np.random.default_rng(3)
    hits = 0
    for i, (a, b) in enumerate(batch):
        got = [(d, e.article_id) for d, e in lookups.near(i, b)]
        r1 = np.array([e.simhash for e in reference], dtype=np.uint64)
        r2 = np.array([e.simhash2 for e in reference], dtype=np.uint64)
        pos, dist = brute_force(r1, r2, a, b, radius)
        want = [(int(d), reference[p].article_id) for p, d in zip(pos, dist, strict=True)]
        assert [(d, e.article_id) for d, e in index.near(a, b)] == want, i
        assert got == want, i
        hits += bool(want)
        if rng.random() < 0.7:  # some records are skipped (re-fetches), the others added
            entry = _entry(10_000 + i, a, b)
            lookups.add(i, entry)
            reference.append(entry)
    assert hits > 300
    assert len(index) == len(reference)
