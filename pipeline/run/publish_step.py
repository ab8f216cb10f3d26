"""The dedup-and-publish step: one serialized decision over a run's staged records."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.archive.layout import check_run_id, staged_key
from pipeline.archive.lock import ArchiveLock
from pipeline.archive.store import ArchiveStore
from pipeline.config.settings import Settings
from pipeline.dates import parse_day
from pipeline.run.plan import COMPLETE, archive_for

log = logging.getLogger(__name__)


def deduplicate_and_publish(
    extract_results: Sequence[Mapping[str, Any] | None],
    run_id: str,
    *,
    settings: Settings,
) -> list[dict[str, Any]]:
    """Decide duplicates over all of a run's staged records and commit each partition.

    Runs day by day in date order; within a day all sites are decided together (dedup is global
    across sites). Committed later days that depend on the decided days (a backfill finishing
    after the nightly run of a later day) are revised (:mod:`pipeline.run.publish`). The step holds
    the archive's ``dedup`` lock, so concurrent runs of any kind take turns.
    Failed items (``None`` results) are skipped: their partitions stay as they were.

    Args:
        extract_results: What :func:`extract` returned for each item.
        run_id: The run.
        settings: The settings.

    Returns:
        One summary per item: ``{"site", "date", "status", "manifest", "counts", "coverage",
        "coverage_notes", "discovery"}`` (the coverage as committed in the manifest).

    Raises:
        LockTimeout: Another run held the dedup lock for ``dedup_lock_wait`` seconds.
        LockLost: This run's lease expired and another run took over (nothing more is
            committed).
    """
    from pipeline.archive.parquet import read_records
    from pipeline.archive.partition import Coverage
    from pipeline.run.publish import SiteBatch, publish_day, revise_later_days
    from pipeline.run.verdict import Verdict

    check_run_id(run_id)
    store = archive_for(settings)
    summaries: list[dict[str, Any]] = []
    by_day: dict[dt.date, list[Mapping[str, Any]]] = {}
    for result in extract_results:
        if not result:
            continue
        if result.get("status") == COMPLETE or not result.get("staged"):
            summaries.append({"site": result["site"], "date": result["date"],
                              "status": COMPLETE, "counts": {}, "coverage": COMPLETE})
            continue
        by_day.setdefault(parse_day(str(result["date"])), []).append(result)
    decided = {}
    with dedup_lock(store, settings, run_id) as lock:
        for day in sorted(by_day):
            batches = []
            for item in sorted(by_day[day], key=lambda r: str(r["site"])):
                site, key = str(item["site"]), str(item["staged"])
                staged_meta = store.get_or_none(staged_key(run_id, site, day, "json"))
                meta = json.loads(staged_meta) if staged_meta else {}
                records = read_records(store.get(key), key, site=site, date=day)
                verdict = Verdict.from_json(item.get("verdict") or meta.get("verdict"))
                coverage = Coverage(verdict.coverage, verdict.notes, verdict.sources)
                batches.append(SiteBatch(site, records, meta.get("counts") or {}, coverage))
            lock.check()  # never commit over a run that took an expired lease over
            day_summaries, decided[day] = publish_day(store, settings, day, batches, run_id)
            summaries += day_summaries
        lock.check()
        revised = revise_later_days(store, settings, decided, run_id)
    if revised:
        log.info("revised %d later partitions: %s", len(revised),
                 ", ".join(f"{s['site']}/{s['date']}" for s in revised))
    _clean_staging(store, run_id, summaries)
    return summaries + revised


def dedup_lock(store: ArchiveStore, settings: Settings, run_id: str) -> ArchiveLock:
    """The archive lock that serializes dedup decisions across every kind of run."""
    return ArchiveLock(store, "dedup", owner=run_id, ttl=settings.dedup_lock_ttl,
                       wait=settings.dedup_lock_wait)


def _clean_staging(
    store: ArchiveStore, run_id: str, summaries: Sequence[Mapping[str, Any]]
) -> None:
    """Drop the staged records of partitions that are now committed."""
    done = [s for s in summaries if s.get("status") in ("published", "unchanged")]
    keys = [staged_key(run_id, str(s["site"]), parse_day(str(s["date"])), suffix)
            for s in done for suffix in ("parquet", "json")]
    if keys:
        store.delete_many(keys)
