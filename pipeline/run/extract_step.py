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
from pipeline.run.progress import Ticker
from pipeline.run.verdict import Verdict, judge

NO_VERDICT = "rebuilt from raw WARCs of a crawl that was never committed: no crawl verdict"
"""Coverage note of a reprocessed partition that had no manifest (the next run crawls it)."""

SMALL_PARTITION_BYTES = 2 * 1024 * 1024
"""WARC bytes (compressed) below which a partition is extracted without the process pool: about
75 news pages of 125 KB, where the pool's start-up (1-3 s) outweighs what a second worker saves
(measured with ``benchmarks/backfill.py``)."""
CHUNK_PAGES = 4
"""Pages per task of the extraction pool: a day partition holds tens of pages, so small chunks
keep every worker busy (with the pool's default of 16, a day of 15 articles used one worker)."""

log = logging.getLogger(__name__)


def _raw_keys(store: ArchiveStore, site: str, day: dt.date) -> tuple[list[str], int]:
    """The partition's WARC keys and their total size in bytes."""
    found = [o for o in store.list(raw_prefix(site, day) + "/") if is_warc_key(o.key)]
    return [o.key for o in found], sum(o.size for o in found)


def _errors(counts: Counter[str]) -> int:
    """Captures that could not be read or extracted (WARC errors and failed extractions)."""
    return sum(v for k, v in counts.items() if k.startswith("warc:") or "error" in k)


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
    keys, size = _raw_keys(store, site, day)
    # a small day (a window's day of a few dozen pages) is extracted in this process: starting the
    # pool (its processes and their imports) would cost more than the second core saves
    workers = 1 if size < SMALL_PARTITION_BYTES else settings.extract_workers
    counts["warc_files"] = len(keys)

    def captures() -> Any:
        for key in keys:
            errors: Counter[str] = Counter()
            for capture in iter_captures(store, key, errors=errors):
                counts["captures"] += 1
                if capture.revisit_reason:  # never an article: counted by why (docs/archive.md)
                    counts[f"revisit:{capture.revisit_reason}"] += 1
                yield capture
            counts.update({f"warc:{k}": v for k, v in errors.items()})

    ticker = Ticker(f"extract {site} {day}", "captures")  # a progress line every few seconds
    records = []
    for record in extract_captures(captures(), site, workers=workers,
                                   counts=counts, chunk_size=CHUNK_PAGES):
        records.append(record)
        ticker.tick(counts["captures"], articles=len(records), errors=_errors(counts))
    ticker.finish(counts["captures"], articles=len(records), errors=_errors(counts))
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
