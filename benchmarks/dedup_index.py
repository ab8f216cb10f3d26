"""Dedup index at scale: lookups per second and bytes per document.

Usage: ``.venv/bin/python benchmarks/dedup_index.py [--docs 1000000] [--queries 2000]``

Builds an index of ``--docs`` synthetic entries (random 64-bit fingerprints), serializes it as
index objects, and times near-duplicate lookups (half of the queries are perturbed copies of
indexed fingerprints, half random) against a brute-force numpy scan over the same entries in the
same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

import numpy as np

from pipeline.config.settings import Settings
from pipeline.dedup.index import FingerprintIndex, IndexEntry, entries_to_parquet


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    radius = Settings().simhash_max_distance
    rng = np.random.default_rng(7)
    h1 = rng.integers(0, 2**64, size=args.docs, dtype=np.uint64)
    h2 = rng.integers(0, 2**64, size=args.docs, dtype=np.uint64)
    ids = rng.integers(0, 2**63, size=(args.docs, 4), dtype=np.int64)
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    start = time.perf_counter()
    entries = [IndexEntry(f"{ids[i, 0]:016x}{ids[i, 1]:016x}", f"{ids[i, 2]:016x}"
                          f"{ids[i, 3]:016x}", int(h1[i]), int(h2[i]),
                          t0 + dt.timedelta(seconds=i), 1, None) for i in range(args.docs)]
    made = time.perf_counter() - start
    start = time.perf_counter()
    index = FingerprintIndex(entries, radius)
    built = time.perf_counter() - start
    day = args.docs // 30
    blob = entries_to_parquet(entries[:day])
    per_doc = len(blob) / day

    picks = rng.integers(0, args.docs, size=args.queries // 2)
    queries = []
    for p in picks:
        flip = np.uint64(0)
        for bit in rng.choice(64, size=int(rng.integers(0, radius + 1)), replace=False):
            flip |= np.uint64(1) << np.uint64(bit)
        queries.append((int(h1[p] ^ flip), int(h2[p])))
    queries += [(int(a), int(b)) for a, b in rng.integers(0, 2**64, size=(args.queries // 2, 2),
                                                          dtype=np.uint64)]
    start = time.perf_counter()
    hits = sum(bool(index.near(a, b)) for a, b in queries)
    near_rate = len(queries) / (time.perf_counter() - start)

    start = time.perf_counter()
    brute_hits = 0
    for a, b in queries[:200]:
        d1 = np.bitwise_count(h1 ^ np.uint64(a))
        d2 = np.bitwise_count(h2 ^ np.uint64(b))
        brute_hits += bool(((d1 <= radius) & (d1.astype(np.int32) + d2 <= 2 * radius)).any())
    brute_rate = 200 / (time.perf_counter() - start)

    start = time.perf_counter()
    for e in entries[: args.queries]:
        index.by_content(e.content_hash)
    exact_rate = args.queries / (time.perf_counter() - start)

    print(f"index of {args.docs:,} documents, radius {radius} bits "
          f"(4 blocks x 16 bits, probes within {radius // 4} bits per block)")
    print(f"  build: {built:.1f}s (entries created in {made:.1f}s)")
    print(f"  near lookups: {near_rate:,.0f}/s  vs brute-force numpy scan {brute_rate:,.0f}/s "
          f"(x{near_rate / brute_rate:.1f}); {hits} of {len(queries)} queries matched "
          f"({args.queries // 2} planted)")
    print(f"  exact-text lookups: {exact_rate:,.0f}/s")
    print(f"  stored: {per_doc:.1f} bytes/document in Parquet (one day's object of {day:,} "
          f"entries, zstd); {per_doc * args.docs / 2**20:.0f} MiB for the whole window")
    return 0


if __name__ == "__main__":
    sys.exit(main())
