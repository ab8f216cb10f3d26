"""Exact near-duplicate search over 64-bit SimHash pairs: multi-index hashing, compiled.

A match of a query ``(q1, q2)`` is an entry ``(h1, h2)`` with ``d1 = popcount(h1 ^ q1) <= r``
and ``d1 + popcount(h2 ^ q2) <= 2 r`` (:mod:`pipeline.dedup.index`). The search returns
*exactly* the matches a brute-force scan returns, in index order.

**Method** (Norouzi, Punjani and Fleet, "Fast exact search in Hamming space with multi-index
hashing", 2014; the block idea of Manku, Jain and Das Sarma, WWW 2007). The 64 bits of ``h1``
are cut into ``m`` blocks with radii ``rho_i`` such that ``sum(rho_i + 1) >= r + 1``: an entry
within ``r`` bits of the query is then within ``rho_i`` bits of it in at least one block
(pigeonhole). Each block has a table: the entries sorted by the block's key, with a dense offset
array (bucket start per key value) and a copy of ``h1`` in that order, so a bucket's
fingerprints are contiguous. A query probes every key within ``rho_i`` bits of its own key in
each table and checks the bucket's fingerprints exactly. An entry found by several tables is
kept by the first only (the later tables recompute, bit-exactly, whether an earlier one covers
it), so nothing is reported twice and nothing depends on the probe order.

**How the tables are read** (:mod:`pipeline.dedup.nearsweep`): a batch of queries is answered
*bucket by bucket*. For each table, every bucket (its fingerprints contiguous) is read once and
checked against every query whose key is within the block radius of the bucket's key; the check
is a vectorized ``POPCNT`` minimum over the bucket, four queries per read, and only a query with
a fingerprint within the radius is checked entry by entry. The same sweep also answers the
batch against itself (:meth:`MultiIndexHash.search_batch`), since the queries grouped by key
are a table of the same layout.

**Why this and not the alternatives, by measurement** (``benchmarks/dedup_index.py``, radius
11; docs/benchmarks.md). The radius that meets the quality goals is 11 bits of 64, not Manku's
3, so four exact 16-bit blocks are not enough and the blocks must be probed: 4 blocks of 16 bits
within 2 (pigeonhole: 4 x 3 > 11), 548 probes a query. With 30M entries a probed bucket holds
about 460 fingerprints, so the work is the candidates (250,000 a query), not the probes:

- one query at a time (numpy, then compiled): a cache miss per probe, about 850/s and 8,800/s
  at 1M;
- a batch per table and probe mask in the order of the queries' keys (the version before this
  one): the buckets of one mask are swept nearly in order, 50,000-100,000/s at 1M, but every
  mask reads the table again from memory: 12,500/s at 10M and about 4,000/s at 30M;
- the bucket-by-bucket sweep: each table is read from memory once per batch, a bucket stays in
  the L1 cache for its ~200 queries, and the check is compute-bound (vectorized ``POPCNT``,
  ~0.1 ns a candidate): 4x faster at 10M and 7x at 30M, the same at 1M;
- wider keys (3 tables of 21-22 bits within 3: 3.5x fewer candidates) need 1,562 probes a table
  and 2M buckets: 4-10 times slower one query at a time (cache misses on the offsets), and the
  sweep would visit 2M x 1,562 bucket/mask pairs a table;
- MinHash LSH (datasketch) is neither exact nor the fingerprint the archive stores (it would need
  shingle sets, a new index format and a new quality calibration); permuted tables (Manku) for
  ``r = 11`` need hundreds of tables.

The number of blocks is chosen per index size from a cost model (probes plus expected
candidates) under a memory bound of :data:`MAX_BYTES_PER_DOC`.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.nearsweep import sweep

logger = logging.getLogger(__name__)

MAX_BYTES_PER_DOC = 64
"""Memory bound of the lookup tables per indexed entry (tables, offsets and ``h2``)."""
_MAX_KEY_BITS = 16
"""Widest table key: 2**16 offsets (256 KiB) stay in the CPU cache, and the sweep visits
2**16 buckets x their probe masks per table. Wider keys mean fewer candidates but many more
probes: 3 blocks of 20-22 bits measured 4-10 times slower than 4 of 16 at 1M and 10M."""
_CANDIDATE_COST = 0.25
"""Cost of checking one candidate relative to one probe (contiguous vs a bucket jump)."""


@dataclass(frozen=True)
class Block:
    """One table: ``width`` bits from ``shift`` keyed, probed within ``radius`` bits."""

    shift: int
    width: int
    radius: int


def plan_blocks(n: int, radius: int) -> tuple[Block, ...]:
    """The cheapest block layout for ``n`` entries and ``radius`` bits within the memory bound.

    Args:
        n: Number of entries.
        radius: The search radius on the first SimHash.

    Returns:
        Blocks covering the 64 bits whose radii satisfy the pigeonhole condition.
    """
    best: tuple[float, tuple[Block, ...]] | None = None
    budget = max(MAX_BYTES_PER_DOC * max(n, 1), 1 << 22)
    for m in range(1, min(radius + 1, 8) + 1):
        base, extra = divmod(radius, m)  # Norouzi et al.: radius = m * base + extra
        radii = [base] * (extra + 1) + [base - 1] * (m - extra - 1)
        if min(radii) < 0:
            continue
        widths = [64 // m + (1 if i < 64 % m else 0) for i in range(m)]
        key_bits = max(8, min(_MAX_KEY_BITS, math.ceil(math.log2(max(n, 2))) + 1))
        for cap in range(key_bits, 7, -1):
            keys = [min(w, cap) for w in widths]
            memory = (12 * m + 8) * n + 4 * sum((1 << k) + 1 for k in keys)
            if memory <= budget:
                break
        else:
            continue
        cost = sum(_ball(k, r) * (1 + _CANDIDATE_COST * n / (1 << k))
                   for k, r in zip(keys, radii, strict=True))
        shifts = list(itertools.accumulate([0, *widths[:-1]]))
        blocks = tuple(Block(s, k, r) for s, k, r in zip(shifts, keys, radii, strict=True))
        if best is None or cost < best[0]:
            best = (cost, blocks)
    if best is None:
        raise ValueError(f"no block layout for radius {radius}")
    return best[1]


def _ball(bits: int, radius: int) -> int:
    return sum(math.comb(bits, k) for k in range(radius + 1))


def _probe_masks(bits: int, radius: int) -> np.ndarray:
    masks = [0]
    for k in range(1, radius + 1):
        masks.extend(sum(1 << b for b in c) for c in itertools.combinations(range(bits), k))
    return np.array(masks, dtype=np.uint64)


class MultiIndexHash:
    """Immutable multi-index hash tables over ``(h1, h2)`` for one radius.

    Args:
        h1: First SimHashes (uint64), entry ``i`` at position ``i``.
        h2: Second SimHashes.
        radius: Maximal ``d1``; the pair's sum is bounded by ``2 * radius``.
    """

    def __init__(self, h1: np.ndarray, h2: np.ndarray, radius: int) -> None:
        self.radius = radius
        self.size = n = len(h1)
        self.blocks = plan_blocks(n, radius)
        self._h2 = np.ascontiguousarray(h2, dtype=np.uint64)
        h1 = np.ascontiguousarray(h1, dtype=np.uint64)
        m = len(self.blocks)
        self._shifts = np.array([b.shift for b in self.blocks], dtype=np.int64)
        self._widths = np.array([b.width for b in self.blocks], dtype=np.int64)
        self._radii = np.array([b.radius for b in self.blocks], dtype=np.int64)
        masks = [_probe_masks(b.width, b.radius) for b in self.blocks]
        self._mstart = np.array(list(itertools.accumulate([0] + [len(x) for x in masks])),
                                dtype=np.int64)
        self._masks = np.concatenate(masks)
        self._sorted = np.empty((m, n), dtype=np.uint64)
        self._order = np.empty((m, n), dtype=np.uint32)
        offsets = []
        for t, b in enumerate(self.blocks):
            key = ((h1 >> np.uint64(b.shift)) & np.uint64((1 << b.width) - 1)).astype(np.int64)
            order = np.argsort(key, kind="stable")
            self._order[t] = order
            self._sorted[t] = h1[order]
            off = np.zeros((1 << b.width) + 1, dtype=np.uint32)
            np.cumsum(np.bincount(key, minlength=1 << b.width), out=off[1:])
            offsets.append(off)
        self._ostart = np.array(list(itertools.accumulate([0] + [len(o) for o in offsets[:-1]])),
                                dtype=np.int64)
        self._offsets = np.concatenate(offsets)

    @property
    def nbytes(self) -> int:
        """Memory of the tables, offsets and second SimHashes."""
        return int(self._sorted.nbytes + self._order.nbytes + self._offsets.nbytes
                   + self._h2.nbytes + self._masks.nbytes)

    def search(self, q1: np.ndarray, q2: np.ndarray | None = None,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every match of every query.

        Args:
            q1: First SimHashes of the queries (uint64).
            q2: Their second SimHashes; ``None`` returns every entry within the radius on the
                first SimHash alone (the caller checks the second).

        Returns:
            ``(indptr, index, distance)`` in CSR form: query ``i``'s matches are
            ``index[indptr[i]:indptr[i + 1]]`` (entry positions, ascending) with their ``d1``.
        """
        return self._run(q1, q2, self_join=False)[0]

    def search_batch(self, q1: np.ndarray) -> tuple[CSR, CSR]:
        """The matches of a batch among the entries and among the batch itself, in one sweep.

        Args:
            q1: First SimHashes of the batch (uint64).

        Returns:
            ``(entries, batch)``: CSR matches (as :meth:`search` without ``q2``) of each query
            among the entries, and among the batch's queries (positions in the batch, the
            query itself included), each within the radius on the first SimHash.
        """
        return self._run(q1, None, self_join=True)

    def _run(self, q1: np.ndarray, q2: np.ndarray | None, *, self_join: bool,
             ) -> tuple[CSR, CSR]:
        q1 = np.ascontiguousarray(q1, dtype=np.uint64)
        check_h2 = q2 is not None
        q2 = np.ascontiguousarray(q1 if q2 is None else q2, dtype=np.uint64)
        nq = len(q1)
        if not nq:
            return _csr(_EMPTY, _EMPTY, _EMPTY, 0), _csr(_EMPTY, _EMPTY, _EMPTY, 0)
        qkeys = np.empty((len(self.blocks), nq), dtype=np.int64)
        for t, b in enumerate(self.blocks):
            qkeys[t] = (q1 >> np.uint64(b.shift)) & np.uint64((1 << b.width) - 1)
        qs, idx, dist, oqs, oidx, odist = sweep(
            q1, q2, qkeys, self._shifts, self._widths, self._radii, self._mstart, self._masks,
            self._offsets, self._ostart, self._sorted, self._order, self._h2, self.radius,
            check_h2, self_join)
        return _csr(qs, idx, dist, nq), _csr(oqs, oidx, odist, nq)


CSR = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Matches of queries: ``(indptr, index, distance)``; query ``i``'s are at
``indptr[i]:indptr[i + 1]``, positions ascending."""
_EMPTY = np.zeros(0, dtype=np.int64)


def _csr(qs: np.ndarray, idx: np.ndarray, dist: np.ndarray, nq: int) -> CSR:
    ranked = np.lexsort((idx, qs))
    indptr = np.zeros(nq + 1, dtype=np.int64)
    np.cumsum(np.bincount(qs, minlength=nq), out=indptr[1:])
    return indptr, idx[ranked], dist[ranked]


def brute_force(h1: np.ndarray, h2: np.ndarray, q1: int, q2: int,
                radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference scan: positions (ascending) and ``d1`` of every match of one query."""
    d1 = np.bitwise_count(h1 ^ np.uint64(q1)).astype(np.int64)
    d2 = np.bitwise_count(h2 ^ np.uint64(q2)).astype(np.int64)
    hit = np.flatnonzero((d1 <= radius) & (d1 + d2 <= 2 * radius))
    return hit, d1[hit]
