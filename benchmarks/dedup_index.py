"""Dedup index at scale: near-duplicate lookups per second and bytes per document.

Usage: ``.venv/bin/python benchmarks/dedup_index.py [--docs 1000000] [--queries 100000]
[--scale 3000000,10000000,30000000] [--target 30000000]``

Builds a :class:`~pipeline.dedup.index.FingerprintIndex` of ``--docs`` synthetic entries
(random 64-bit fingerprint pairs) and looks up ``--queries`` records as the dedup decision
does: one batch (``near_batch``), then one ``near`` per record. Half of the queries are
perturbed copies of indexed fingerprints (0 to radius bits flipped), half random. The baseline
is the lookup used before (``benchmarks/support/legacy_blocks.py``: four 16-bit blocks, numpy
``searchsorted`` per query) on the same index and queries in the same run, on
``--baseline-queries`` of them, and it must return the same matches. Then the lookup tables
alone are built and timed at each ``--scale`` size (30M fit in about 3 GB); the decision's rate
at ``--target`` documents is the tables' rate measured there (or extrapolated from the measured
sizes, time per lookup linear in the index size, if not measured) plus the decision's own time
per record measured at ``--docs``: the decision at 30M cannot be built here, since 30M
``IndexEntry`` objects take about 30 GB. The goals (docs/benchmarks.md): >= 50,000 lookups/s
at 1M, >= 20,000/s at 30M, <= 64 bytes a document. One core: the lookup is single-threaded, and
rates are per CPU second of this process (``time.process_time``), so that other jobs sharing
the machine do not count; wall-clock rates are printed beside them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from pipeline.config.settings import Settings
from pipeline.dedup.index import FingerprintIndex, IndexEntry, NearBatch, entries_to_parquet
from pipeline.dedup.nearindex import MultiIndexHash

from support.legacy_blocks import LegacyBlockIndex


def _fingerprints(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return (rng.integers(0, 2**64, size=n, dtype=np.uint64),
            rng.integers(0, 2**64, size=n, dtype=np.uint64))


def _queries(rng: np.random.Generator, h1: np.ndarray, h2: np.ndarray, count: int,
             radius: int) -> tuple[np.ndarray, np.ndarray]:
    picks = rng.integers(0, len(h1), size=count // 2)
    flips = np.zeros(len(picks), dtype=np.uint64)
    for k, bits in enumerate(rng.integers(0, radius + 1, size=len(picks))):
        for bit in rng.choice(64, size=int(bits), replace=False):
            flips[k] |= np.uint64(1) << np.uint64(bit)
    r1, r2 = _fingerprints(rng, count - len(picks))
    return np.concatenate([h1[picks] ^ flips, r1]), np.concatenate([h2[picks], r2])


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``fn()``, its CPU seconds (this process) and its wall-clock seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def _decide_all(batch: NearBatch, q2: np.ndarray) -> list[list[tuple[int, IndexEntry]]]:
    return [batch.near(i, int(b)) for i, b in enumerate(q2.tolist())]


def _legacy_all(legacy: LegacyBlockIndex, q1: np.ndarray, q2: np.ndarray) -> list[Any]:
    return [legacy.near(int(a), int(b)) for a, b in zip(q1, q2, strict=True)]


def _entries(rng: np.random.Generator, h1: np.ndarray, h2: np.ndarray) -> list[IndexEntry]:
    ids = rng.integers(0, 2**63, size=(len(h1), 4), dtype=np.int64)
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    return [IndexEntry(f"{ids[i, 0]:016x}{ids[i, 1]:016x}", f"{ids[i, 2]:016x}{ids[i, 3]:016x}",
                       int(h1[i]), int(h2[i]), t0 + dt.timedelta(seconds=i), 1, None)
            for i in range(len(h1))]


def _table_rate(rng: np.random.Generator, n: int, queries: int,
                radius: int) -> tuple[float, float, float, float]:
    h1, h2 = _fingerprints(rng, n)
    q1, q2 = _queries(rng, h1, h2, queries, radius)
    tables, _, built = _timed(lambda: MultiIndexHash(h1, h2, radius))
    _, cpu, wall = _timed(lambda: tables.search(q1, q2))
    return queries / cpu, queries / wall, tables.nbytes / n, built


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100_000, help="records looked up")
    parser.add_argument("--baseline-queries", type=int, default=2000)
    parser.add_argument("--scale", default="3000000,10000000,30000000",
                        help="further index sizes, tables alone (comma-separated; '' for none)")
    parser.add_argument("--target", type=int, default=30_000_000)
    args = parser.parse_args()
    radius = Settings().simhash_max_distance
    rng = np.random.default_rng(7)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    h1, h2 = _fingerprints(rng, args.docs)
    start = time.perf_counter()
    entries = _entries(rng, h1, h2)
    made = time.perf_counter() - start
    start = time.perf_counter()
    index = FingerprintIndex(entries, radius)
    built = time.perf_counter() - start
    day = max(1, args.docs // 30)
    per_doc = len(entries_to_parquet(entries[:day])) / day
    q1, q2 = _queries(rng, h1, h2, args.queries, radius)
    index.near_batch(q1[:10].tolist())  # compiles (or loads the compiled cache)

    _, cpu, wall = _timed(partial(index._tables.search, q1, q2))
    table_rate, table_wall = args.queries / cpu, args.queries / wall
    batch, searched, searched_wall = _timed(partial(index.near_batch, q1.tolist()))
    found, cpu, wall = _timed(partial(_decide_all, batch, q2))
    near_rate = args.queries / (searched + cpu)
    near_wall = args.queries / (wall + searched_wall)
    hits = sum(bool(f) for f in found)

    legacy = LegacyBlockIndex(h1, h2, radius)
    nb = min(args.baseline_queries, args.queries)
    old, cpu, _ = _timed(partial(_legacy_all, legacy, q1[:nb], q2[:nb]))
    base_rate = nb / cpu
    id_of = {e.article_id: k for k, e in enumerate(entries)}
    same = all(sorted(o) == [id_of[e.article_id] for _, e in f]
               for o, f in zip(old, found, strict=False))

    start = time.process_time()
    for a, b in zip(q1[:200], q2[:200], strict=True):
        d1 = np.bitwise_count(h1 ^ a)
        d2 = np.bitwise_count(h2 ^ b)
        bool(((d1 <= radius) & (d1.astype(np.int32) + d2 <= 2 * radius)).any())
    brute_rate = 200 / (time.process_time() - start)

    start = time.process_time()
    for e in entries[: args.baseline_queries]:
        index.by_content(e.content_hash)
    exact_rate = args.baseline_queries / (time.process_time() - start)
    table_bytes = index._tables.nbytes / args.docs
    blocks = ", ".join(f"{b.width} bits within {b.radius}" for b in index._tables.blocks)
    del index, legacy, entries, batch, found, old

    print(f"index of {args.docs:,} documents, radius {radius} bits; multi-index hashing, "
          f"{len(blocks.split(','))} tables ({blocks})")
    print(f"  build: {built:.1f}s (entries created in {made:.1f}s)")
    print(f"  near lookups, batch of {args.queries:,} as the decision does them: "
          f"{near_rate:,.0f}/s per CPU second ({near_wall:,.0f}/s wall; the batch search "
          f"{searched:.2f}s of it); {hits:,} matched ({args.queries // 2:,} planted); the "
          f"tables alone {table_rate:,.0f}/s ({table_wall:,.0f}/s wall)")
    print(f"  baseline (the lookup before, same index, first {nb:,} queries): {base_rate:,.0f}/s"
          f" -> x{near_rate / base_rate:.1f}; same matches: {'yes' if same else 'NO'}")
    print(f"  brute-force numpy scan: {brute_rate:,.0f}/s; exact-text lookups: "
          f"{exact_rate:,.0f}/s")
    print(f"  memory of the lookup tables: {table_bytes:.1f} bytes/document "
          f"(goal <= 64); stored: {per_doc:.1f} bytes/document in Parquet (zstd, unchanged)")

    sizes, rates = [args.docs], [table_rate]
    overhead = max(1 / near_rate - 1 / table_rate, 0.0)  # the decision's per-record part
    for n in [int(x) for x in args.scale.split(",") if x.strip()]:
        rate, wall_rate, nbytes, took = _table_rate(rng, n, args.queries, radius)
        sizes.append(n)
        rates.append(rate)
        table_bytes = max(table_bytes, nbytes)
        print(f"  {n:>12,} documents (tables alone, built in {took:.1f}s): {rate:,.0f} "
              f"lookups/s per CPU second ({wall_rate:,.0f}/s wall), {nbytes:.1f} bytes/document;"
              f" with the decision's {overhead * 1e6:.1f} us per record: "
              f"{1 / (1 / rate + overhead):,.0f}/s")
    how = "measured"
    if args.target in sizes:
        target = 1 / (1 / rates[sizes.index(args.target)] + overhead)
    elif len(sizes) > 1:
        slope, intercept = np.polyfit(np.array(sizes, float), 1 / np.array(rates), 1)
        target, how = 1 / (intercept + slope * args.target + overhead), "extrapolated"
        print(f"  scaling (tables): time per lookup = {intercept * 1e6:.1f} us + "
              f"{slope * 1e12:.2f} us per million documents")
    else:
        target, how = float("nan"), "not measured"
    print(f"goals: >= 50,000/s at 1M: {'met' if near_rate >= 50_000 else 'NOT met'} "
          f"({near_rate:,.0f}); >= 20,000/s at {args.target:,}: "
          f"{'met' if target >= 20_000 else 'NOT met'} ({target:,.0f}, {how}: tables at "
          f"{args.target:,} + the decision's per-record time at {args.docs:,}); "
          f"<= 64 bytes/document: {'met' if table_bytes <= 64 else 'NOT met'} "
          f"({table_bytes:.1f}, the largest)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
