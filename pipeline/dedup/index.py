"""The persistent fingerprint index of the dedup stage, kept in the archive.

Layout: one Parquet object per normalized partition and day,
``index/fingerprints/date=<YYYY-MM-DD>/site=<site>.parquet``
(:func:`pipeline.archive.layout.fingerprint_index_key`), holding one row per new row of
that partition: (simhash, simhash2 uint64, article_id 16 bytes, content_hash 16 bytes, root
16 bytes or null, version, fetched_at). A dedup run loads the objects of the last
``dedup_window_days`` days *except those of the partitions it is rebuilding*, so a rerun of a
partition never sees its own earlier entries as originals and decides the same.

Near-duplicate lookup is exact multi-index hashing (:mod:`pipeline.dedup.nearindex`): the
64 bits are split into blocks (4 of 16 for ``r = 11``), each with a table probed within a
per-block radius such that every fingerprint within ``r`` bits is found (pigeonhole).
Candidates are checked exactly, and also against the second, independently seeded SimHash (sum
of both distances at most ``2 r``), which removes chance matches in a large index. A dedup run
looks up its whole batch at once (:meth:`FingerprintIndex.near_batch`): one sweep of the tables,
bucket by bucket, answers it against the loaded entries and against itself, which is what makes
the lookup fast; the result is the same as one lookup per record (tests/test_dedup_nearindex.py).
The lookup tables live only in memory, built from the stored entries at load time: the stored
format is unchanged by the lookup (version 1 objects load as they are).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.archive.layout import (
    fingerprint_index_day,
    fingerprint_index_key,
    fingerprint_listing,
)
from pipeline.archive.store import ArchiveStore
from pipeline.dedup.nearindex import MultiIndexHash
from pipeline.errors import CorruptObject

logger = logging.getLogger(__name__)

INDEX_SCHEMA = pa.schema([
    pa.field("simhash", pa.uint64(), nullable=False),
    pa.field("simhash2", pa.uint64(), nullable=False),
    pa.field("article_id", pa.binary(16), nullable=False),
    pa.field("content_hash", pa.binary(16), nullable=False),
    pa.field("root", pa.binary(16)),
    pa.field("version", pa.int32(), nullable=False),
    pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
])
"""Columns of one index object (content hash truncated to 128 bits)."""


@dataclass(frozen=True)
class IndexEntry:
    """One fingerprinted row.

    Attributes:
        article_id: 32 hex characters.
        content_hash: The first 32 hex characters (128 bits) of the record's content hash.
        simhash: The record's 64-bit SimHash.
        simhash2: The second, index-only SimHash (seed 1).
        fetched_at: Fetch time (UTC).
        version: The row's version.
        duplicate_of: The original this row duplicates (already resolved to the root), or
            ``None`` for an original.
        day: The partition day of the row, when known.
    """

    article_id: str
    content_hash: str
    simhash: int
    simhash2: int
    fetched_at: dt.datetime
    version: int = 1
    duplicate_of: str | None = None
    day: dt.date | None = field(default=None, compare=False)
    """The partition day of the row (from the index object's key; not stored in it)."""

    @property
    def root(self) -> str:
        """The article id a later duplicate of this entry points to."""
        return self.duplicate_of or self.article_id

    @property
    def order_key(self) -> tuple[dt.datetime, str]:
        """Deterministic "first" order: (fetched_at, article_id)."""
        return self.fetched_at, self.article_id


class FingerprintIndex:
    """Entries of the window in memory, with exact-text, article and near-duplicate lookups.

    Entries added during a batch (:meth:`add`) are searched by a vectorized scan (or, for a
    batch looked up with :meth:`near_batch`, by a table of the batch itself); the loaded
    entries through the multi-index hash tables.
    """

    def __init__(self, entries: Iterable[IndexEntry], max_distance: int) -> None:
        self.max_distance = max_distance
        self.entries: list[IndexEntry] = list(entries)
        self._by_hash: dict[str, list[int]] = {}
        self._by_article: dict[str, list[int]] = {}
        for i, entry in enumerate(self.entries):
            self._remember(i, entry)
        n = len(self.entries)
        self._base = n
        self._h1 = np.fromiter((e.simhash for e in self.entries), dtype=np.uint64, count=n)
        self._h2 = np.fromiter((e.simhash2 for e in self.entries), dtype=np.uint64, count=n)
        self._tables = MultiIndexHash(self._h1, self._h2, max_distance)
        self._new1 = np.zeros(64, dtype=np.uint64)
        self._new2 = np.zeros(64, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.entries)

    def _remember(self, i: int, entry: IndexEntry) -> None:
        self._by_hash.setdefault(entry.content_hash[:32], []).append(i)
        self._by_article.setdefault(entry.article_id, []).append(i)

    def add(self, entry: IndexEntry) -> None:
        """Add an entry decided in the current batch (visible to later lookups)."""
        i = len(self.entries)
        self.entries.append(entry)
        self._remember(i, entry)
        k = i - self._base
        if k >= len(self._new1):
            self._new1 = np.concatenate([self._new1, np.zeros_like(self._new1)])
            self._new2 = np.concatenate([self._new2, np.zeros_like(self._new2)])
        self._new1[k] = entry.simhash
        self._new2[k] = entry.simhash2

    def by_article(self, article_id: str) -> list[IndexEntry]:
        """Earlier entries of the same article (other versions, re-fetches)."""
        return [self.entries[i] for i in self._by_article.get(article_id, ())]

    def by_content(self, content_hash: str) -> list[IndexEntry]:
        """Entries with the same normalized text."""
        return [self.entries[i] for i in self._by_hash.get(content_hash[:32], ())]

    def near(self, simhash: int, simhash2: int) -> list[tuple[int, IndexEntry]]:
        """Entries within the radius, as (distance of the first SimHash, entry).

        Args:
            simhash: The query's record SimHash.
            simhash2: The query's second SimHash.

        Returns:
            Matches in index order.
        """
        q1, q2 = np.uint64(simhash), np.uint64(simhash2)
        _, idx, dist = self._tables.search(np.array([q1]), np.array([q2]))
        found = [(int(d), self.entries[i]) for d, i in zip(dist, idx, strict=True)]
        return found + self._near_added(q1, q2, len(self.entries) - self._base)

    def _near_added(self, q1: np.uint64, q2: np.uint64, k: int) -> list[tuple[int, IndexEntry]]:
        if not k:
            return []
        return [(d, self.entries[i]) for d, i in self._check(
            np.arange(k), self._new1[:k], self._new2[:k], q1, q2, self._base)]

    def near_batch(self, simhashes: Sequence[int]) -> NearBatch:
        """Look up a batch of records at once; see :class:`NearBatch`.

        Args:
            simhashes: The records' SimHashes, in decision order.
        """
        return NearBatch(self, simhashes)

    def _check(  # noqa: PLR0917 - internal vectorized helper
        self, idx: np.ndarray, h1: np.ndarray, h2: np.ndarray, q1: np.uint64,
               q2: np.uint64, offset: int) -> list[tuple[int, int]]:
        d1 = np.bitwise_count(h1 ^ q1)
        d2 = np.bitwise_count(h2 ^ q2)
        ok = (d1 <= self.max_distance) & (d1.astype(np.int32) + d2 <= 2 * self.max_distance)
        return [(int(d), int(i) + offset) for i, d in zip(idx[ok], d1[ok], strict=True)]


class NearBatch:
    """The near-duplicate lookups of a batch of records decided in order.

    Built once per batch: the loaded entries are searched for every record in one call, and
    the batch against itself. Record ``i``'s matches (:meth:`near`) are then restricted to the
    entries the index holds when ``i`` is decided: the loaded ones, those added before the
    batch, and the batch's records before ``i`` that were added (:meth:`add`). That is exactly
    what :meth:`FingerprintIndex.near` returns at that moment, in the same (index) order.

    Args:
        index: The index (extended by :meth:`add`).
        simhashes: The records' SimHashes, in decision order.
    """

    def __init__(self, index: FingerprintIndex, simhashes: Sequence[int]) -> None:
        self._index = index
        self._prior = len(index.entries) - index._base
        self._q1 = np.fromiter(simhashes, dtype=np.uint64, count=len(simhashes))
        # CSR answers as Python lists: most records match nothing, and those cost one compare
        if index._tables.size >= len(self._q1):  # one sweep of the tables answers both
            loaded, own = index._tables.search_batch(self._q1)
        else:  # a small index: the batch gets tables laid out for its own size
            loaded = index._tables.search(self._q1)
            own = MultiIndexHash(self._q1, np.zeros_like(self._q1),
                                 index.max_distance).search(self._q1)
        own = _earlier_only(*own)  # a record sees the batch's records before it, not itself
        self._loaded = [a.tolist() for a in loaded]
        self._own = [a.tolist() for a in own]
        self._some = ((np.diff(loaded[0]) + np.diff(own[0])) > 0).tolist()
        self._added: dict[int, tuple[int, int]] = {}  # batch position -> (index position, h2)

    def near(self, i: int, simhash2: int) -> list[tuple[int, IndexEntry]]:
        """Matches of batch record ``i`` with second SimHash ``simhash2``, in index order."""
        if not self._some[i] and not self._prior:  # most records: nothing within the radius
            return []
        index, limit = self._index, 2 * self._index.max_distance
        found: list[tuple[int, IndexEntry]] = []
        indptr, idx, dist = self._loaded
        for k in range(indptr[i], indptr[i + 1]):
            j = idx[k]
            if dist[k] + (int(index._h2[j]) ^ simhash2).bit_count() <= limit:
                found.append((dist[k], index.entries[j]))
        if self._prior:
            found += index._near_added(self._q1[i], np.uint64(simhash2), self._prior)
        indptr, idx, dist = self._own
        for k in range(indptr[i], indptr[i + 1]):
            added = self._added.get(idx[k]) if idx[k] < i else None
            if added and dist[k] + (added[1] ^ simhash2).bit_count() <= limit:
                found.append((dist[k], index.entries[added[0]]))
        return found

    def add(self, i: int, entry: IndexEntry) -> None:
        """Add batch record ``i``'s entry to the index (visible to the records after it)."""
        if entry.simhash != int(self._q1[i]):
            raise ValueError(f"batch record {i}: entry has another SimHash")
        self._added[i] = (len(self._index.entries), entry.simhash2)
        self._index.add(entry)


def _earlier_only(indptr: np.ndarray, idx: np.ndarray,
                  dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The batch's matches among itself, restricted to the records before each one (CSR)."""
    query = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    keep = idx < query
    counts = np.bincount(query[keep], minlength=len(indptr) - 1)
    return np.concatenate([[0], np.cumsum(counts)]), idx[keep], dist[keep]


# --- storage -----------------------------------------------------------------------------------

def entries_to_parquet(entries: Iterable[IndexEntry]) -> bytes:
    """Serialize entries as one index object."""
    rows = list(entries)
    table = pa.table({
        "simhash": pa.array([e.simhash for e in rows], pa.uint64()),
        "simhash2": pa.array([e.simhash2 for e in rows], pa.uint64()),
        "article_id": pa.array([bytes.fromhex(e.article_id) for e in rows], pa.binary(16)),
        "content_hash": pa.array([bytes.fromhex(e.content_hash[:32]) for e in rows],
                                 pa.binary(16)),
        "root": pa.array([bytes.fromhex(e.duplicate_of) if e.duplicate_of else None
                          for e in rows], pa.binary(16)),
        "version": pa.array([e.version for e in rows], pa.int32()),
        "fetched_at": pa.array([e.fetched_at for e in rows], pa.timestamp("us", tz="UTC")),
    }, schema=INDEX_SCHEMA)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", use_dictionary=["version"])
    return sink.getvalue()


def entries_from_parquet(data: bytes, where: str = "index object") -> list[IndexEntry]:
    """Read the entries of one index object."""
    try:
        table = pq.read_table(io.BytesIO(data), use_threads=False)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CorruptObject(f"{where}: not a readable index object: {exc}") from exc
    cols = table.to_pydict()
    day = fingerprint_index_day(where)
    return [
        IndexEntry(
            article_id=aid.hex(), content_hash=ch.hex(), simhash=h1, simhash2=h2,
            fetched_at=fa if fa.tzinfo else fa.replace(tzinfo=dt.UTC), version=v,
            duplicate_of=root.hex() if root else None, day=day,
        )
        for h1, h2, aid, ch, root, v, fa in zip(
            cols["simhash"], cols["simhash2"], cols["article_id"], cols["content_hash"],
            cols["root"], cols["version"], cols["fetched_at"], strict=True)
    ]


def window_days(day: dt.date, days: int) -> list[dt.date]:
    """The logical dates a dedup run of ``day`` looks at: ``day`` and the ``days`` before."""
    return [day - dt.timedelta(days=n) for n in range(days, -1, -1)]


def _keys_in_window(store: ArchiveStore, day: dt.date, days: int,
                    exclude_sites: Collection[str]) -> Iterator[str]:
    for d in window_days(day, days):
        for info in store.list(fingerprint_listing(d)):
            if d == day and info.key in {fingerprint_index_key(day, s) for s in exclude_sites}:
                continue  # our own partitions' earlier entries (a rerun)
            if info.key.endswith(".parquet"):
                yield info.key


def load_index(store: ArchiveStore, day: dt.date, *, window: int, max_distance: int,
               exclude_sites: Collection[str] = (), threads: int = 8) -> FingerprintIndex:
    """Load the index entries of the window, leaving out the partitions being rebuilt.

    Args:
        store: The archive.
        day: The run's logical date.
        window: Days to look back (``Settings.dedup_window_days``).
        max_distance: Near-duplicate radius (``Settings.simhash_max_distance``).
        exclude_sites: Sites whose ``day`` partitions this run rebuilds.
        threads: Parallel object reads (S3 latency).

    Returns:
        The index, entries in (date, key) order.
    """
    keys = sorted(_keys_in_window(store, day, window, exclude_sites))
    with ThreadPoolExecutor(max(1, threads)) as pool:
        blobs = list(pool.map(store.get, keys))
    entries = [e for key, blob in zip(keys, blobs, strict=True)
               for e in entries_from_parquet(blob, key)]
    logger.info("dedup index: %d entries from %d objects (%s, %d days)", len(entries),
                len(keys), day, window)
    return FingerprintIndex(entries, max_distance)


def save_entries(store: ArchiveStore, day: dt.date, site: str,
                 entries: Iterable[IndexEntry]) -> str:
    """Write (replace) the index object of one partition; returns its key."""
    key = fingerprint_index_key(day, site)
    store.put(key, entries_to_parquet(entries))
    return key
