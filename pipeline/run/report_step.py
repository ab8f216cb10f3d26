"""The report step: ``runs/<run id>.json``, what a run did per site and stage."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.archive.partition import COMPLETE
from pipeline.archive.runreport import build_report, write_report
from pipeline.config.settings import Settings
from pipeline.dates import parse_day
from pipeline.errors import ConfigError
from pipeline.run import anomaly
from pipeline.run.plan import archive_for, invalid_sites

log = logging.getLogger(__name__)


def report(
    run_id: str,
    plan_items: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any] | None],
    failures: Sequence[Mapping[str, Any]] | None = None,
    *,
    kind: str = "nightly",
    sites_file: str | None = None,
    settings: Settings,
    plan_error: str | None = None,
) -> str:
    """Write the run report ``runs/<run id>.json``; returns its key.

    Each committed complete partition is checked for an anomaly (:mod:`pipeline.run.anomaly`):
    a flag in its entry and a warning in the log, not a failure.

    Args:
        run_id: The run.
        plan_items: The planned (site, date) items.
        results: The publish step's summaries.
        failures: Failed items: ``{"site", "date", "stage", "error"[, "reason"]}``.
        kind: ``nightly``, ``backfill``, ``manual`` or ``reprocess``.
        sites_file: ``sites.yaml`` (for the invalid sites it lists).
        settings: The settings.
        plan_error: Why planning failed, if it did (the report then says ``ok: false``).
    """
    store = archive_for(settings)
    try:
        dropped = invalid_sites(sites_file or settings.sites_file or None)
    except ConfigError as exc:
        dropped = [{"site": "*", "error": str(exc)}]
    history = anomaly.History(store)
    flagged = [_with_anomaly(history, dict(r), settings) if r else r for r in results]
    doc = build_report(run_id, plan_items, flagged, failures or (), kind=kind,
                       invalid_sites=dropped, plan_error=plan_error)
    key = write_report(store, doc, finished_at=dt.datetime.now(dt.UTC))
    log.info("run report %s: %s", key, doc["partitions_by_status"])
    for part in doc["partitions"]:
        if part["status"] == "failed":
            log.error("%s %s failed at %s (%s): %s", part["site"], part["date"],
                      part.get("stage"), part.get("reason") or "error", part.get("error"))
    return key


def _with_anomaly(history: anomaly.History, result: dict[str, Any],
                  settings: Settings) -> dict[str, Any]:
    """Add the ``anomaly`` flag to a freshly committed complete partition's summary."""
    if result.get("status") not in ("published", "unchanged", "revised") or \
            result.get("coverage", COMPLETE) != COMPLETE:
        return result
    flag = anomaly.check(history, str(result["site"]), parse_day(str(result["date"])),
                         share=settings.anomaly_share, days=settings.anomaly_history_days)
    if flag is not None:
        result["anomaly"] = flag
    return result


INTERRUPTED = "interrupted"
"""Status of a site-day a signal stopped before it was committed (``runs/<run id>.json``)."""


def report_interrupted(
    run_id: str,
    plan_items: Sequence[Mapping[str, Any]],
    *,
    kind: str,
    force: bool,
    signal_name: str,
    settings: Settings,
) -> str:
    """Write the report of a run a signal stopped: each site-day as the archive now holds it.

    Nothing is assumed from the run's own progress: a site-day is ``published`` only when its
    committed manifest names this run, ``complete`` only when an earlier run committed it
    complete and this run was not asked to crawl it again (no ``--force``); every other planned
    site-day is ``interrupted`` (not committed by this run; a partial partition an earlier run
    left stays partial and the next run crawls it again). The report is not ``ok``.

    Args:
        run_id: The run.
        plan_items: The planned (site, date) items.
        kind: ``manual``, ``backfill``...
        force: Whether the run was to crawl committed partitions again.
        signal_name: ``SIGINT`` or ``SIGTERM``, for the entries' error text.
        settings: The settings.

    Returns:
        The report's key.
    """
    from pipeline.archive.partition import read_manifest
    from pipeline.run.publish import coverage_summary

    store = archive_for(settings)
    results: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for item in plan_items:
        site, day = str(item["site"]), parse_day(str(item["date"]))
        manifest = read_manifest(store, site, day)
        ours = manifest is not None and manifest.run_id == run_id
        kept = (manifest is not None and not force and manifest.coverage.coverage == COMPLETE)
        if manifest is not None and (ours or kept):
            results.append({"site": site, "date": day.isoformat(),
                            "status": "published" if ours else COMPLETE,
                            "counts": dict(manifest.counts),
                            **coverage_summary(manifest.coverage)})
            continue
        left = ("; the archive keeps the partial partition of run "
                f"{manifest.run_id}") if manifest is not None else ""
        failures.append({"site": site, "date": day.isoformat(), "status": INTERRUPTED,
                         "stage": INTERRUPTED, "reason": INTERRUPTED,
                         "error": f"interrupted ({signal_name}) before it was committed{left}"})
    key = report(run_id, plan_items, results, failures, kind=kind, settings=settings)
    log.warning("run %s interrupted (%s): %d site-days not committed", run_id, signal_name,
                len(failures))
    return key
