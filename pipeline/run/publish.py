"""Deciding duplicates for a day and committing its partitions, in arrival order or not.

:func:`publish_day` runs the dedup decision over every new record of one day (all sites) and
commits each (site, day) partition. Runs do not always arrive in date order: a backfill of day D
may finish after the nightly run of D+1 already decided D+1 without D's articles. So after a
day is decided, :func:`revise_later_days` re-decides the committed later days (within the dedup
window) that share articles or texts with it, from their published rows, and re-commits the
partitions whose rows change (an article updated on D+1 becomes version 2 of D's article, a
syndicated copy points at the earlier original, an unchanged re-fetch is folded away). The
archive then ends as if the days had been decided in date order.

Both run inside the serialized dedup step (one Airflow pool slot).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.archive.layout import fingerprint_index_day, fingerprint_listing, manifest_key
from pipeline.archive.partition import Coverage, publish_partition, read_manifest
from pipeline.archive.reader import iter_partition_records, iter_partitions
from pipeline.archive.schema import ArticleRecord
from pipeline.archive.store import ArchiveStore
from pipeline.config.settings import Settings
from pipeline.dedup.decision import DedupOutcome, deduplicate
from pipeline.dedup.index import FingerprintIndex, IndexEntry, entries_from_parquet

log = logging.getLogger(__name__)

DEDUP_PREFIX = "dedup:"


@dataclass(frozen=True)
class SiteBatch:
    """One (site, day) partition to decide: new records, earlier counters, the crawl's verdict."""

    site: str
    records: Sequence[ArticleRecord]
    counts: Mapping[str, int]
    coverage: Coverage = field(default_factory=Coverage)


def dedup_counts(before: Sequence[ArticleRecord],
                 after: Sequence[ArticleRecord]) -> dict[str, Counter[str]]:
    """Per-site dedup counters: rows kept by kind, new versions, re-fetches folded away."""
    counts: dict[str, Counter[str]] = {}
    for record in after:
        counts.setdefault(record.site, Counter())[f"{DEDUP_PREFIX}{record.duplicate_kind}"] += 1
        if record.version > 1:
            counts[record.site][f"{DEDUP_PREFIX}new_version"] += 1
    kept = Counter(r.site for r in after)
    for site, total in Counter(r.site for r in before).items():
        counts.setdefault(site, Counter())[f"{DEDUP_PREFIX}unchanged_refetch"] = (
            total - kept.get(site, 0))
    return counts


def coverage_summary(coverage: Coverage) -> dict[str, Any]:
    """A partition's coverage as run report fields."""
    return {"coverage": coverage.coverage, "coverage_notes": list(coverage.notes),
            "discovery": [dict(d) for d in coverage.discovery]}


def _entries(outcome: DedupOutcome) -> list[IndexEntry]:
    return [e for site_entries in outcome.entries.values() for e in site_entries]


def publish_day(
    store: ArchiveStore, settings: Settings, day: dt.date, batches: Sequence[SiteBatch],
    run_id: str,
) -> tuple[list[dict[str, Any]], list[IndexEntry]]:
    """Decide one day's new records together and commit each site's partition.

    Returns:
        One summary per partition, and the day's new index entries.
    """
    records = [r for batch in batches for r in batch.records]
    clock = time.monotonic()
    outcome = deduplicate(store, day, records, settings)
    dedup_s = round(time.monotonic() - clock, 3)  # the run report's dedup stage
    by_site: dict[str, list[ArticleRecord]] = {}
    for record in outcome.records:
        by_site.setdefault(record.site, []).append(record)
    site_counts = dedup_counts(records, outcome.records)
    summaries = []
    for batch in sorted(batches, key=lambda b: b.site):
        counts = Counter({k: int(v) for k, v in batch.counts.items()
                          if not k.startswith(DEDUP_PREFIX)})
        counts.update(site_counts.get(batch.site, Counter()))
        # a revision starts from published rows: keep the re-fetches folded the first time
        counts[f"{DEDUP_PREFIX}unchanged_refetch"] += int(
            batch.counts.get(f"{DEDUP_PREFIX}unchanged_refetch", 0))
        manifest, changed = publish_partition(
            store, batch.site, day, by_site.get(batch.site, []), run_id=run_id,
            counts=dict(sorted(counts.items())), coverage=batch.coverage)
        summaries.append({"site": batch.site, "date": day.isoformat(),
                          "status": "published" if changed else "unchanged",
                          "manifest": manifest_key(batch.site, day),
                          "counts": dict(manifest.counts), "dedup_s": dedup_s,
                          **coverage_summary(manifest.coverage)})
    return summaries, _entries(outcome)


def _index_days(store: ArchiveStore, after: dt.date, until: dt.date) -> list[dt.date]:
    days = set()
    for info in store.list(fingerprint_listing()):
        day = fingerprint_index_day(info.key)
        if day is not None and after < day <= until:
            days.add(day)
    return sorted(days)


def _shares_with(store: ArchiveStore, day: dt.date, changed: FingerprintIndex) -> bool:
    """Whether any index entry of ``day`` has the same article, text or a near text."""
    for info in store.list(fingerprint_listing(day)):
        for entry in entries_from_parquet(store.get(info.key), info.key):
            if (changed.by_article(entry.article_id) or changed.by_content(entry.content_hash)
                    or changed.near(entry.simhash, entry.simhash2)):
                return True
    return False


def revise_later_days(
    store: ArchiveStore, settings: Settings, decided: Mapping[dt.date, Sequence[IndexEntry]],
    run_id: str,
) -> list[dict[str, Any]]:
    """Re-decide committed days after the ones just decided, where their rows depend on them.

    Args:
        store: The archive.
        settings: Dedup window and radius.
        decided: Day -> the index entries this run just wrote for it.
        run_id: The run (recorded in the manifests it changes).

    Returns:
        Summaries of the partitions re-committed with changed rows.
    """
    window = dt.timedelta(days=settings.dedup_window_days)
    changed: dict[dt.date, list[IndexEntry]] = {d: list(e) for d, e in decided.items() if e}
    if not changed:
        return []
    revised: list[dict[str, Any]] = []
    indexed = _index_days(store, min(changed), dt.date.max)  # one listing for the whole walk
    later = [d for d in indexed if d <= max(changed) + window]
    while later:
        day = later.pop(0)
        if day in decided:
            continue
        recent = [e for d, entries in changed.items() if day - window <= d < day
                  for e in entries]
        if not recent or not _shares_with(
                store, day, FingerprintIndex(recent, settings.simhash_max_distance)):
            continue
        batches = []
        for part in iter_partitions(store, day, day):
            manifest = read_manifest(store, part.site, day)
            assert manifest is not None
            rows = list(iter_partition_records(store, manifest))
            batches.append(SiteBatch(part.site, rows, manifest.counts, manifest.coverage))
        if not batches:
            continue
        log.info("revising %s: earlier days decided after it share articles with it", day)
        summaries, entries = publish_day(store, settings, day, batches, run_id)
        revised += [s for s in summaries if s["status"] == "published"]
        changed[day] = entries
        # a revision can change what still later days depend on
        later = sorted(set(later) | {d for d in indexed if day < d <= day + window})
    for summary in revised:
        summary["status"] = "revised"
    return revised
