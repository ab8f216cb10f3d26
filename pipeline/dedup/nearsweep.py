"""Compiled kernels of the near-duplicate search (:mod:`pipeline.dedup.nearindex`).

:func:`sweep` answers a batch of queries from the multi-index hash tables *bucket by bucket*:
for each table, every bucket is read once (its fingerprints are contiguous, so it is read from
memory once and stays in the CPU cache), and checked against every query whose key lies within
the block radius of the bucket's key (the queries grouped by key, as a small table of their
own). The cost per check is a vectorized ``POPCNT`` (:func:`_scan`), and memory traffic is one
pass over each table instead of one cache miss per probe. A handful of queries (one lookup)
visit only the buckets they probe, in the same order. Both are deterministic: the matches are
sorted by the caller.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import intrinsic


def _ctpop(typingctx: Any, x: Any) -> Any:
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


_popcount: Any = intrinsic(_ctpop)
"""Population count of a uint64 in compiled code (LLVM ``ctpop``: one POPCNT instruction)."""


@njit(cache=True, nogil=True)
def _sorted_probes(keys, masks):  # type: ignore[no-untyped-def]
    """Every (bucket, query) probe of a few queries, ordered by bucket, then query."""
    nk, nm = keys.shape[0], masks.shape[0]
    packed = np.empty(nk * nm, dtype=np.int64)
    for i in range(nk):
        for mi in range(nm):
            packed[i * nm + mi] = ((keys[i] ^ masks[mi]) << 32) | i
    packed.sort()
    return packed >> 32, packed & 0xFFFFFFFF


@njit(cache=True, nogil=True)
def sweep(q1s, q2s, qkeys, shifts, widths, radii, mstart, masks, offsets,  # type: ignore[no-untyped-def]  # noqa: PLR0917
          ostart, sorted_h1, order, h2, radius, check_h2, self_join):
    """Every match of every query in the tables, and (``self_join``) among the queries.

    The arguments are :class:`~pipeline.dedup.nearindex.MultiIndexHash`'s arrays (per table:
    key shift and width, block radius, probe masks from ``mstart[t]``, offsets from
    ``ostart[t]``, fingerprints and entry positions in key order) and the queries' SimHashes
    and keys. Returns the matches as ``(query, entry, d1)`` arrays, then the self-join's as
    ``(query, query, d1)``, unordered.
    """
    out = (np.empty(1024, dtype=np.int64), np.empty(1024, dtype=np.int64),
           np.empty(1024, dtype=np.int64))
    own = (np.empty(1024, dtype=np.int64), np.empty(1024, dtype=np.int64),
           np.empty(1024, dtype=np.int64))
    found = owned = 0
    nq = q1s.shape[0]
    group = np.empty(nq, dtype=np.int64)  # the queries probing one bucket, and their SimHashes
    values = np.empty(nq, dtype=np.uint64)
    for t in range(shifts.shape[0]):
        base, nb = ostart[t], np.int64(1) << widths[t]
        tmasks = masks[mstart[t]:mstart[t + 1]].astype(np.int64)
        keys = qkeys[t]
        toff, tab, tord = offsets[base:base + nb + 1], sorted_h1[t], order[t]
        few = nq * tmasks.shape[0] * 8 < nb
        if few and not self_join:
            qstart = np.zeros(1, dtype=np.int64)
            qidx = np.zeros(1, dtype=np.int64)
        else:  # the queries as a table keyed like this one: the self-join's, and the sweep's
            qstart = np.zeros(nb + 1, dtype=np.int64)
            for i in range(nq):
                qstart[keys[i] + 1] += 1
            for b in range(nb):
                qstart[b + 1] += qstart[b]
            qidx = np.empty(nq, dtype=np.int64)
            fill = qstart[:nb].copy()
            for i in range(nq):
                qidx[fill[keys[i]]] = i
                fill[keys[i]] += 1
        qsorted = q1s[qidx] if self_join else q1s[:1]
        if few:  # few queries: visit only the buckets they probe
            pb, pq = _sorted_probes(keys, tmasks)
            buckets = np.unique(pb)
        else:  # many: sweep the table bucket by bucket, each bucket (contiguous) in cache
            buckets = np.arange(nb)
            pq = pb = np.zeros(0, dtype=np.int64)
        p = 0
        for b in buckets:
            loaded = toff[b + 1] > toff[b]
            mine = self_join and qstart[b + 1] > qstart[b]
            n = 0
            if few:  # the queries whose key is within the block radius of the bucket's
                while p < pb.shape[0] and pb[p] == b:
                    group[n] = pq[p]
                    n += 1
                    p += 1
            elif loaded or mine:
                for mi in range(tmasks.shape[0]):
                    kb = b ^ tmasks[mi]
                    for s in range(qstart[kb], qstart[kb + 1]):
                        group[n] = qidx[s]
                        n += 1
            if not n:
                continue
            for k in range(n):
                values[k] = q1s[group[k]]
            if loaded:
                out, found = _scan(t, b, group[:n], values[:n], q2s, shifts, widths, radii,
                                   toff, tab, tord, h2, radius, check_h2, out, found)
            if mine:
                own, owned = _scan(t, b, group[:n], values[:n], q2s, shifts, widths, radii,
                                   qstart, qsorted, qidx, q2s, radius, False, own, owned)
    return (out[0][:found], out[1][:found], out[2][:found],
            own[0][:owned], own[1][:owned], own[2][:owned])


@njit(cache=True, nogil=True)
def _scan(t, b, queries, values, q2s, shifts, widths, radii, offsets, table, order, h2,  # type: ignore[no-untyped-def]  # noqa: PLR0917
          radius, check_h2, out, found):
    """Check bucket ``b`` of table ``t`` against ``queries``; append the matches to ``out``.

    A first pass finds each query's closest fingerprint in the bucket, four queries per read
    of the bucket (a branch-free minimum of ``POPCNT``, which the compiler vectorizes); only
    a query with one within the radius is checked entry by entry (and every query, when the
    bucket holds four fingerprints or fewer).
    """
    lo, hi = np.int64(offsets[b]), np.int64(offsets[b + 1])
    closest = np.empty(4, dtype=np.uint64)
    one = np.uint64(1)
    for k0 in range(0, queries.shape[0], 4):
        closest[:] = 0  # a bucket of a few: every query goes straight to the exact check
        if hi - lo > 4:
            if k0 + 4 <= queries.shape[0]:
                a0, a1, a2, a3 = values[k0], values[k0 + 1], values[k0 + 2], values[k0 + 3]
                c0 = c1 = c2 = c3 = np.uint64(64)
                for j in range(lo, hi):
                    x = table[j]
                    c0 = min(c0, _popcount(x ^ a0))
                    c1 = min(c1, _popcount(x ^ a1))
                    c2 = min(c2, _popcount(x ^ a2))
                    c3 = min(c3, _popcount(x ^ a3))
                closest[0], closest[1], closest[2], closest[3] = c0, c1, c2, c3
            else:
                for k in range(k0, queries.shape[0]):
                    c = np.uint64(64)
                    for j in range(lo, hi):
                        c = min(c, _popcount(table[j] ^ values[k]))
                    closest[k - k0] = c
        for k in range(k0, min(k0 + 4, queries.shape[0])):
            if np.int64(closest[k - k0]) > radius:
                continue
            qi, q1 = queries[k], values[k]
            for j in range(lo, hi):
                x = table[j] ^ q1
                d = np.int64(_popcount(x))
                if d > radius:
                    continue
                earlier = False
                for u in range(t):  # found by an earlier table already
                    ub = (x >> np.uint64(shifts[u])) & ((one << np.uint64(widths[u])) - one)
                    if np.int64(_popcount(ub)) <= radii[u]:
                        earlier = True
                        break
                if earlier:
                    continue
                i = np.int64(order[j])
                if check_h2 and d + np.int64(_popcount(h2[i] ^ q2s[qi])) > 2 * radius:
                    continue
                if found == out[0].shape[0]:
                    out = (_grow(out[0]), _grow(out[1]), _grow(out[2]))
                out[0][found] = qi
                out[1][found] = i
                out[2][found] = d
                found += 1
    return out, found


@njit(cache=True, nogil=True)
def _grow(a):  # type: ignore[no-untyped-def]
    b = np.empty(2 * a.shape[0], dtype=a.dtype)
    b[: a.shape[0]] = a
    return b
