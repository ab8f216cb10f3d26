"""The task-level functions of a run: what each Airflow task (and ``newsarchive run``) calls.

Every function takes and returns JSON-serialisable values (they travel through XCom) and hands
data to the next task only through the archive (``staging/<run id>/...``), never a local disk,
so each task may run on another worker. Each is idempotent for its (run, site, date):

- :func:`plan` lists the (site, date) items of a run;
- :func:`crawl` runs the Scrapy spider in its own process, WARCs straight into ``raw/``;
- :func:`extract` reads the partition's WARCs back and stages normalized records;
- :func:`deduplicate_and_publish` decides duplicates over the whole run and commits partitions,
  holding the archive's ``dedup`` lock (:mod:`pipeline.lock`); the DAGs also queue it in a
  pool with one slot, so that runs wait in Airflow rather than in a worker slot;
- :func:`report` writes ``runs/<run id>.json``.

A partition that already has a manifest is complete: without ``force`` the crawl, extraction and
publish of that item do nothing, so running an interval again leaves a complete archive as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.crawlproc import spider_command, spider_env
from pipeline.errors import ConfigError, NewsArchiveError
from pipeline.layout import check_run_id, raw_prefix, staging_prefix
from pipeline.lock import ArchiveLock
from pipeline.partition import read_manifest
from pipeline.payloads import crawl_report_key
from pipeline.runreport import build_report, write_report
from pipeline.settings import Settings
from pipeline.sites import load_sites
from pipeline.store import ArchiveStore, open_store

log = logging.getLogger(__name__)

COMPLETE = "complete"
"""Status of an item whose partition was already committed (nothing to do)."""


class CrawlFailed(NewsArchiveError):
    """The crawl process failed as a whole (Airflow retries the task)."""


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{value!r} is not a date (expected YYYY-MM-DD)") from None


def _days(start: str, end: str) -> list[dt.date]:
    first, last = _day(start), _day(end)
    if last < first:
        raise ConfigError(f"end date {last} is before start date {first}")
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _store(settings: Settings | None = None) -> tuple[ArchiveStore, Settings]:
    settings = settings or Settings.from_env()
    return open_store(settings.archive_url, settings), settings


def plan(
    start: str,
    end: str,
    sites: Sequence[str] | None = None,
    sites_file: str | None = None,
) -> list[dict[str, Any]]:
    """The (site, date) items of a run.

    Args:
        start: First date (``YYYY-MM-DD``).
        end: Last date, inclusive.
        sites: Only these site ids (default: every valid site of the file).
        sites_file: ``sites.yaml`` path (default: the ``sites_file`` setting, else the bundled
            demo file).

    Returns:
        ``[{"site": ..., "date": ...}, ...]`` ordered by date then site. Invalid site entries are
        left out (they are reported by :func:`invalid_sites`), so one bad site never stops the
        others.

    Raises:
        ConfigError: The file cannot be used at all, the dates are wrong, or a requested site is
            unknown.
    """
    config = load_sites(sites_file or Settings.from_env().sites_file or None)
    valid = [s.id for s in config.sites]
    if not valid:
        problems = "; ".join(str(e) for e in config.errors[:5]) or "it lists no sites"
        raise ConfigError(f"{config.path}: no valid site to crawl: {problems}")
    chosen = valid
    if sites:
        bad = [s for s in sites if s not in valid]
        if bad and not any(e.site in bad for e in config.errors):
            raise ConfigError(
                f"{config.path}: unknown site(s) {', '.join(bad)} (valid: {', '.join(valid)})"
            )
        chosen = [s for s in sites if s in valid]
    return [{"site": site, "date": day.isoformat()}
            for day in _days(start, end) for site in chosen]


def invalid_sites(sites_file: str | None = None) -> list[dict[str, str]]:
    """The sites of the file dropped because their entry is invalid, with the problems."""
    config = load_sites(sites_file or Settings.from_env().sites_file or None)
    problems: dict[str, list[str]] = {}
    for error in config.errors:
        problems.setdefault(error.site, []).append(f"{error.field}: {error.message}")
    return [{"site": site, "error": "; ".join(msgs)} for site, msgs in sorted(problems.items())]


def crawl(
    item: Mapping[str, Any],
    run_id: str,
    page_cap: int | None = None,
    force: bool = False,
    *,
    settings: Settings | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Crawl one site for one day with the news spider, in its own process.

    Args:
        item: ``{"site", "date"}`` from :func:`plan`.
        run_id: The run (names the staging area).
        page_cap: At most this many pages (default: the site's limits).
        force: Crawl even when the partition is already committed.
        settings: Settings (default: from the environment); passed to the crawl process through
            its environment.
        timeout: Seconds before the crawl process is stopped (default: none).

    Returns:
        ``{"site", "date", "status", "warc_keys", "stats"}``; status ``complete`` when the
        partition was already committed and nothing was done.

    Raises:
        CrawlFailed: The spider process failed or wrote no report.
    """
    check_run_id(run_id)
    store, settings = _store(settings)
    site, day = str(item["site"]), _day(str(item["date"]))
    result: dict[str, Any] = {"site": site, "date": day.isoformat()}
    if not force and read_manifest(store, site, day) is not None:
        log.info("%s %s already committed: nothing to crawl", site, day)
        return {**result, "status": COMPLETE, "warc_keys": [], "stats": {}}
    overrides = list(settings.crawl_settings)
    if page_cap:
        overrides.append(f"CLOSESPIDER_PAGECOUNT={int(page_cap)}")
    args = spider_command(site, day, day, run_id=run_id, partition=day,
                          today=settings.crawl_today or None,
                          sites_file=settings.sites_file or None, overrides=overrides)
    env = spider_env(settings)
    timeout = timeout or settings.crawl_timeout
    log.info("crawling %s for %s: %s", site, day, " ".join(args[2:]))
    try:
        proc = subprocess.run(args, env=env, timeout=timeout, check=False,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except subprocess.TimeoutExpired as exc:
        raise CrawlFailed(f"crawl of {site} for {day} did not finish in {timeout} s") from exc
    tail = "\n".join(proc.stdout.splitlines()[-15:])
    if proc.returncode != 0:
        raise CrawlFailed(f"crawl of {site} for {day} exited with {proc.returncode}:\n{tail}")
    key = crawl_report_key(run_id, site, day)
    data = store.get_or_none(key)
    if data is None:
        raise CrawlFailed(f"crawl of {site} for {day} wrote no report ({key}):\n{tail}")
    stats = json.loads(data)
    return {**result, "status": "crawled", "warc_keys": list(stats.get("warc_keys", [])),
            "stats": stats}


def reprocess_plan(
    start: str, end: str, sites: Sequence[str] | None = None,
    *, settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Items for every partition in range that has raw WARCs (reprocessing needs no crawl)."""
    store, _ = _store(settings)
    wanted = set(sites) if sites else None
    days = {day.isoformat() for day in _days(start, end)}
    # one listing of raw/ for the whole range, grouped by partition
    found: dict[tuple[str, str], list[str]] = {}
    for info in store.list("raw/site="):
        parts = info.key.split("/")
        if len(parts) < 4 or not parts[2].startswith("date="):
            continue
        site, day = parts[1].removeprefix("site="), parts[2].removeprefix("date=")
        if day in days and (wanted is None or site in wanted):
            keys = found.setdefault((day, site), [])
            if info.key.endswith(".warc.gz"):
                keys.append(info.key)
    return [{"site": site, "date": day, "status": "reprocess", "warc_keys": keys}
            for (day, site), keys in sorted(found.items())]


def _raw_keys(store: ArchiveStore, site: str, day: dt.date) -> list[str]:
    return [o.key for o in store.list(raw_prefix(site, day) + "/") if o.key.endswith(".warc.gz")]


def report(
    run_id: str,
    plan_items: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any] | None],
    failures: Sequence[Mapping[str, Any]] | None = None,
    *,
    kind: str = "nightly",
    sites_file: str | None = None,
    settings: Settings | None = None,
) -> str:
    """Write the run report ``runs/<run id>.json``; returns its key."""
    store, settings = _store(settings)
    try:
        dropped = invalid_sites(sites_file or settings.sites_file or None)
    except ConfigError as exc:
        dropped = [{"site": "*", "error": str(exc)}]
    doc = build_report(run_id, plan_items, results, failures or (), kind=kind,
                       invalid_sites=dropped)
    key = write_report(store, doc, finished_at=dt.datetime.now(dt.UTC))
    log.info("run report %s: %s", key, doc["partitions_by_status"])
    return key


def crawl_counts(report: Mapping[str, Any]) -> Counter[str]:
    """Flat ``crawl:*`` counters from a crawl report (what the partition manifest records)."""
    counts: Counter[str] = Counter()
    if not report:
        return counts
    counts["crawl:discovered"] = int(report.get("discovered") or 0)
    for name, value in (report.get("fetched") or {}).items():
        counts[f"crawl:fetched_{name}"] = int(value)
    for group in ("skipped", "errors", "refused"):
        for name, value in (report.get(group) or {}).items():
            if value:
                counts[f"crawl:{group}:{name}"] = int(value)
    return counts


def _counts(counter: Counter[str]) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(counter.items())}


def staged_key(run_id: str, site: str, day: dt.date, suffix: str) -> str:
    """Key of what extraction stages for the dedup step."""
    return f"{staging_prefix(run_id)}/extracted/site={site}/date={day.isoformat()}.{suffix}"


def extract(
    crawl_result: Mapping[str, Any],
    run_id: str,
    *,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Extract every capture of a partition's WARCs and stage the records for dedup.

    All WARC files of the partition are read, not only this crawl's: a crawl attempt that died
    after uploading some files loses nothing, and the dedup step folds re-fetches of the same
    page into one row.

    Args:
        crawl_result: What :func:`crawl` (or :func:`reprocess_plan`) returned for the item.
        run_id: The run.
        settings: Settings (default: from the environment).

    Returns:
        ``{"site", "date", "status", "staged", "counts"}``; ``staged`` is the key of the
        staged Parquet file (``None`` when the partition was already complete).
    """
    from pipeline.extract_pool import extract_captures
    from pipeline.parquet import write_records
    from pipeline.warc_reader import iter_captures

    check_run_id(run_id)
    store, settings = _store(settings)
    site, day = str(crawl_result["site"]), _day(str(crawl_result["date"]))
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
    if crawl_result.get("stats"):
        counts.update(crawl_counts(crawl_result["stats"]))
    else:  # reprocessing: the crawl happened before, keep what its manifest recorded
        previous = read_manifest(store, site, day)
        if previous is not None:
            counts.update({k: v for k, v in previous.counts.items() if k.startswith("crawl:")})
    meta = {"site": site, "date": day.isoformat(), "counts": _counts(counts)}
    store.put(staged_key(run_id, site, day, "json"), json.dumps(meta).encode(),
              content_type="application/json")
    log.info("extracted %s %s: %s", site, day, dict(counts))
    return {**result, "status": "extracted", "staged": data_key, "counts": _counts(counts)}


def deduplicate_and_publish(
    extract_results: Sequence[Mapping[str, Any] | None],
    run_id: str,
    *,
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Decide duplicates over all of a run's staged records and commit each partition.

    Runs day by day in date order; within a day all sites are decided together (dedup is global
    across sites). Committed later days that depend on the decided days (a backfill finishing
    after the nightly run of a later day) are revised (:mod:`pipeline.publish`). The step holds
    the archive's ``dedup`` lock, so concurrent runs of any kind take turns.
    Failed items (``None`` results) are skipped: their partitions stay as they were.

    Args:
        extract_results: What :func:`extract` returned for each item.
        run_id: The run.
        settings: Settings (default: from the environment).

    Returns:
        One summary per item: ``{"site", "date", "status", "manifest", "counts"}``.

    Raises:
        LockTimeout: Another run held the dedup lock for ``dedup_lock_wait`` seconds.
        LockLost: This run's lease expired and another run took over (nothing more is
            committed).
    """
    from pipeline.parquet import read_records
    from pipeline.publish import SiteBatch, publish_day, revise_later_days

    check_run_id(run_id)
    store, settings = _store(settings)
    summaries: list[dict[str, Any]] = []
    by_day: dict[dt.date, list[Mapping[str, Any]]] = {}
    for result in extract_results:
        if not result:
            continue
        if result.get("status") == COMPLETE or not result.get("staged"):
            summaries.append({"site": result["site"], "date": result["date"],
                              "status": COMPLETE, "counts": {}})
            continue
        by_day.setdefault(_day(str(result["date"])), []).append(result)
    decided = {}
    with dedup_lock(store, settings, run_id) as lock:
        for day in sorted(by_day):
            batches = []
            for item in sorted(by_day[day], key=lambda r: str(r["site"])):
                site, key = str(item["site"]), str(item["staged"])
                staged_meta = store.get_or_none(staged_key(run_id, site, day, "json"))
                meta = json.loads(staged_meta) if staged_meta else {}
                batches.append(SiteBatch(site, read_records(store.get(key), key),
                                         meta.get("counts") or {}))
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
    keys = [staged_key(run_id, str(s["site"]), _day(str(s["date"])), suffix)
            for s in done for suffix in ("parquet", "json")]
    if keys:
        store.delete_many(keys)
