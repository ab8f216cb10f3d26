"""The report step: ``runs/<run id>.json``, what a run did per site and stage."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.archive.runreport import build_report, write_report
from pipeline.config.settings import Settings
from pipeline.errors import ConfigError
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
) -> str:
    """Write the run report ``runs/<run id>.json``; returns its key."""
    store = archive_for(settings)
    try:
        dropped = invalid_sites(sites_file or settings.sites_file or None)
    except ConfigError as exc:
        dropped = [{"site": "*", "error": str(exc)}]
    doc = build_report(run_id, plan_items, results, failures or (), kind=kind,
                       invalid_sites=dropped)
    key = write_report(store, doc, finished_at=dt.datetime.now(dt.UTC))
    log.info("run report %s: %s", key, doc["partitions_by_status"])
    return key
