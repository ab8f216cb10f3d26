"""The extraction step: a partition's WARCs read back, records staged for the dedup step."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pipeline.archive.crawlreport import CrawlReport
from pipeline.archive.layout import check_run_id, is_warc_key, raw_prefix, staged_key
from pipeline.archive.partition import PARTIAL, read_manifest
from pipeline.archive.store import ArchiveStore
from pipeline.config.settings import Settings
from pipeline.dates import parse_day
from pipeline.run.crawl_step import crawl_counts
from pipeline.run.plan import COMPLETE, archive_for, sorted_counts
from pipeline.run.verdict import Verdict, judge

NO_VERDICT = "rebuilt from raw WARCs of a crawl that was never committed: no crawl verdict"
"""Coverage note of a reprocessed partition that had no manifest (the next run crawls it)."""

log = logging.getLogger(__name__)


def _raw_keys(store: ArchiveStore, site: str, day: dt.date) -> list[str]:
    return [o.key for o in store.list(raw_prefix(site, day) + "/") if is_warc_key(o.key)]


def extract(
    crawl_result: Mapping[str, Any],
    run_id: str,
    *,
    settings: Settings,
) -> dict[str, Any]:
    """Extract every capture of a partition's WARCs and stage the records for dedup.

    All WARC files of the partition are read, not only this crawl's: a crawl attempt that died
    after uploading some files loses nothing, and the dedup step folds re-fetches of the same
    page into one row.

    Args:
        crawl_result: What :func:`crawl` (or :func:`reprocess_plan`) returned for the item.
        run_id: The run.
        settings: The settings.

    Returns:
        ``{"site", "date", "status", "staged", "counts", "verdict"}``; ``staged`` is the key of
        the staged Parquet file (``None`` when the partition was already complete); ``verdict``
        is the crawl's (:mod:`pipeline.run.verdict`), or for reprocessing the coverage the
        partition's manifest recorded.
    """
    from pipeline.archive.parquet import write_records
    from pipeline.archive.warc_reader import iter_captures
    from pipeline.extract.pool import extract_captures

    check_run_id(run_id)
    store = archive_for(settings)
    site, day = str(crawl_result["site"]), parse_day(str(crawl_result["date"]))
    result: dict[str, Any] = {"site": site, "date": day.isoformat()}
    if crawl_result.get("status") == COMPLETE:
        return {**result, "status": COMPLETE, "staged": None, "counts": {}}
    counts: Counter[str] = Counter()
    keys = _raw_keys(store, site, day)
    counts["warc_files"] = len(keys)

    def captures() -> Any:
        for key in keys:
            errors: Counter[str] = Counter()
            for capture in iter_captures(store, key, errors=errors):
                counts["captures"] += 1
                yield capture
            counts.update({f"warc:{k}": v for k, v in errors.items()})

    records = list(extract_captures(captures(), site, workers=settings.extract_workers,
                                    counts=counts))
    data_key = staged_key(run_id, site, day, "parquet")
    store.put(data_key, write_records(records), content_type="application/vnd.apache.parquet")
    verdict = crawl_result.get("verdict")
    if crawl_result.get("stats"):
        report = CrawlReport.from_json(crawl_result["stats"])
        counts.update(crawl_counts(report))
        verdict = verdict or judge(report).to_json()
    else:  # reprocessing: the crawl happened before, keep what its manifest recorded
        previous = read_manifest(store, site, day)
        if previous is not None:
            counts.update({k: v for k, v in previous.counts.items() if k.startswith("crawl:")})
            verdict = verdict or Verdict(previous.coverage.coverage, previous.coverage.notes,
                                         None, previous.coverage.discovery).to_json()
        else:  # raw WARCs of a crawl never committed (it failed, or died before publishing)
            verdict = verdict or Verdict(PARTIAL, (NO_VERDICT,)).to_json()
    verdict = Verdict.from_json(verdict).to_json()
    meta = {"site": site, "date": day.isoformat(), "counts": sorted_counts(counts),
            "verdict": verdict}
    store.put(staged_key(run_id, site, day, "json"), json.dumps(meta).encode(),
              content_type="application/json")
    log.info("extracted %s %s: %s", site, day, dict(counts))
    return {**result, "status": "extracted", "staged": data_key, "counts": sorted_counts(counts),
            "verdict": verdict}
