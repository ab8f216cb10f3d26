"""The dedup decision over one run's new records (docs/DESIGN.md section 4).

Records are decided in a deterministic order, (published_at or fetched_at, fetched_at,
article_id, url), against the
persistent index (:mod:`pipeline.dedup.index`) and the records decided before them:

1. **Same article** (same ``article_id``, i.e. same canonical URL) already indexed with the
   same text: a re-fetch, *no new row* (counted ``unchanged_refetch``). With other text: a new
   version, ``version`` = highest earlier version + 1, ``previous_version_date`` = the partition
   day of that earlier version (so a reader finds the row it replaces).
2. **Exact text** under another article id: ``duplicate_kind='exact'``, ``duplicate_of`` = the
   root (first original) of the earliest such entry.
3. **Near-duplicate text**: SimHash within ``simhash_max_distance`` bits (and the second
   SimHash agreeing): ``duplicate_kind='near'``, ``duplicate_of`` = the root of the earliest
   match by (fetched_at, article_id).

Nothing else is dropped: duplicates keep their row. Entries from the index always count as
earlier than the batch. The caller serializes dedup runs (one Airflow pool slot,
``dedup_pool``): two concurrent runs would not see each other's entries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.archive.layout import fingerprint_index_key
from pipeline.archive.schema import ArticleRecord
from pipeline.archive.store import ArchiveStore
from pipeline.config.settings import Settings
from pipeline.dedup.index import (
    FingerprintIndex,
    IndexEntry,
    load_index,
    save_entries,
)
from pipeline.fingerprint import simhash

logger = logging.getLogger(__name__)

UNCHANGED_REFETCH = "unchanged_refetch"


@dataclass(frozen=True)
class DedupOutcome:
    """The decided rows of a batch.

    Attributes:
        records: Rows to publish, with ``version``, ``duplicate_of`` and ``duplicate_kind``
            set, in decision order.
        entries: New index entries per site.
        counts: ``new``, ``new_version``, ``exact``, ``near`` and ``unchanged_refetch``.
    """

    records: tuple[ArticleRecord, ...]
    entries: dict[str, list[IndexEntry]]
    counts: Counter[str]


def entry_for(record: ArticleRecord, simhash2: int | None = None,
              day: dt.date | None = None) -> IndexEntry:
    """The index entry of a decided record.

    Args:
        record: The decided record.
        simhash2: Its second SimHash (seed 1), computed from the text when not given.
        day: Its partition day (default: the record's ``date``).
    """
    return IndexEntry(
        article_id=record.article_id, content_hash=record.content_hash[:32],
        simhash=record.simhash,
        simhash2=simhash(record.text, seed=1) if simhash2 is None else simhash2,
        fetched_at=record.fetched_at, version=record.version,
        duplicate_of=record.duplicate_of, day=day or record.date,
    )


def _decision_order(record: ArticleRecord) -> tuple[dt.datetime, dt.datetime, str, str]:
    """Who came first, as a sort key.

    The earliest publication wins over crawl order (a syndicating site may be crawled before
    the original), then fetch time, then ids for a total order that reruns reproduce. A
    publication date known only to the day sorts at the end of that day.
    """
    published = record.published_at
    if published is not None and published.timetz().replace(tzinfo=None) == dt.time():
        # a date without a time (date archives, URLs): some time that day, so any copy with
        # an exact time on the same day counts as earlier
        published = published + dt.timedelta(days=1, microseconds=-1)
    return (published or record.fetched_at, record.fetched_at, record.article_id, record.url)


def decide(records: Iterable[ArticleRecord], index: FingerprintIndex,
           day: dt.date | None = None) -> DedupOutcome:
    """Decide versions and duplicates of a batch against ``index`` (which is extended).

    Args:
        records: The run's new records (any order; several sites).
        index: Entries of the window (see :func:`pipeline.dedup.index.load_index`).
        day: The batch's partition day (what ``previous_version_date`` of a later version in
            the same batch names).

    Returns:
        The :class:`DedupOutcome`.
    """
    counts: Counter[str] = Counter()
    out: list[ArticleRecord] = []
    entries: dict[str, list[IndexEntry]] = {}
    ordered = sorted(records, key=_decision_order)
    # the whole batch is looked up at once (the index's fast path); the answers are filtered
    # to what the index holds when each record is decided, so the decisions are the same
    lookups = index.near_batch([r.simhash for r in ordered])
    for i, record in enumerate(ordered):
        entries.setdefault(record.site, [])
        same_article = index.by_article(record.article_id)
        if any(e.content_hash[:32] == record.content_hash[:32] for e in same_article):
            counts[UNCHANGED_REFETCH] += 1
            continue
        previous = max(same_article, key=lambda e: (e.version, e.fetched_at), default=None)
        version = previous.version + 1 if previous is not None else 1
        previous_day = previous.day if previous is not None else None
        kind, original = "none", None
        # the second SimHash serves the near lookup and the index entry: the costliest step
        # of the decision, computed once
        second = simhash(record.text, seed=1)
        exact = [e for e in index.by_content(record.content_hash)
                 if e.article_id != record.article_id]
        if exact:
            kind, original = "exact", min(exact, key=lambda e: e.order_key).root
        else:
            near = [e for _, e in lookups.near(i, second)
                    if record.article_id not in (e.article_id, e.root)]
            if near:
                kind, original = "near", min(near, key=lambda e: e.order_key).root
        decided = dataclasses.replace(record, version=version, duplicate_kind=kind,
                                      duplicate_of=original, previous_version_date=previous_day)
        counts["new" if version == 1 else "new_version"] += 1
        if kind != "none":
            counts[kind] += 1
        entry = entry_for(decided, second, day)
        lookups.add(i, entry)
        entries[record.site].append(entry)
        out.append(decided)
    return DedupOutcome(tuple(out), entries, counts)


def deduplicate(store: ArchiveStore, day: dt.date, records: Iterable[ArticleRecord],
                settings: Settings) -> DedupOutcome:
    """Load the index window, decide the batch and store its index entries.

    The batch's partitions (its sites on ``day``) are rebuilt: their earlier index objects
    are ignored and replaced, so a rerun decides the same. Run one at a time (the caller's
    Airflow pool has one slot).

    Args:
        store: The archive.
        day: The run's logical date.
        records: Every new record of the run, all sites.
        settings: ``dedup_window_days`` and ``simhash_max_distance``.

    Returns:
        The :class:`DedupOutcome`.
    """
    batch = list(records)
    sites = sorted({r.site for r in batch})
    index = load_index(store, day, window=settings.dedup_window_days,
                       max_distance=settings.simhash_max_distance, exclude_sites=sites)
    outcome = decide(batch, index, day)
    for site in sites:
        site_entries = outcome.entries.get(site, [])
        if site_entries:
            save_entries(store, day, site, site_entries)
        else:
            store.delete(fingerprint_index_key(day, site))
    logger.info("dedup %s: %s", day, dict(outcome.counts))
    return outcome
