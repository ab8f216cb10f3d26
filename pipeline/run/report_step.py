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
