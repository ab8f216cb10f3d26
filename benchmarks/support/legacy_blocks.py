"""The near-duplicate lookup before multi-index hashing, kept as the benchmark's baseline.

Four blocks of 16 bits in sorted ``uint16`` arrays, ``np.searchsorted`` per probe, one query at
a time in numpy (the code of ``pipeline/dedup/index.py`` up to 2026-11-24). Only
``benchmarks/dedup_index.py`` uses it.
"""

from __future__ import annotations

import itertools

import numpy as np

BLOCKS = 4
BLOCK_BITS = 16


class LegacyBlockIndex:
    """Block index over ``(h1, h2)``; :meth:`near` returns the matching positions."""

    def __init__(self, h1: np.ndarray, h2: np.ndarray, radius: int) -> None:
        self.radius = radius
        self._h1, self._h2 = h1, h2
        masks = [0]
        for k in range(1, radius // BLOCKS + 1):
            masks += [sum(1 << b for b in c) for c in itertools.combinations(range(BLOCK_BITS), k)]
        self._masks = np.array(masks, dtype=np.uint64)
        self._blocks = []
        for b in range(BLOCKS):
            values = ((h1 >> np.uint64(b * BLOCK_BITS)) & np.uint64(0xFFFF)).astype(np.uint16)
            order = np.argsort(values, kind="stable").astype(np.uint32)
            self._blocks.append((values[order], order))

    def near(self, simhash: int, simhash2: int) -> list[int]:
        """Positions within the radius (first-found order, no repeats)."""
        q1, q2 = np.uint64(simhash), np.uint64(simhash2)
        cands = []
        for b, (values, order) in enumerate(self._blocks):
            block = (q1 >> np.uint64(b * BLOCK_BITS)) & np.uint64(0xFFFF)
            probes = (self._masks ^ block).astype(np.uint16)
            lo = np.searchsorted(values, probes, "left")
            lens = np.searchsorted(values, probes, "right") - lo
            total = int(lens.sum())
            if total:
                starts = np.repeat(lo - np.cumsum(lens) + lens, lens)
                cands.append(order[starts + np.arange(total)])
        if not cands:
            return []
        idx = np.concatenate(cands)
        d1 = np.bitwise_count(self._h1[idx] ^ q1)
        d2 = np.bitwise_count(self._h2[idx] ^ q2)
        ok = (d1 <= self.radius) & (d1.astype(np.int32) + d2 <= 2 * self.radius)
        return list(dict.fromkeys(int(i) for i in idx[ok]))
