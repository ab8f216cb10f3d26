"""Run reports: what one run did, per site and per stage, and what failed and why.

``runs/<run id>.json`` is written by the last task of every run (the nightly DAG, a backfill run,
a reprocess run or ``newsarchive run``). Ops read it with ``newsarchive report``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pipeline import __version__
from pipeline.archive.layout import parse_run_report_key, run_report_key, run_report_listing
from pipeline.archive.store import ArchiveStore
from pipeline.errors import CorruptObject

REPORT_VERSION = 3
"""Version 2 added ``plan_error``, each partition's ``coverage``, ``coverage_notes``,
``discovery`` and ``anomaly``, a failed partition's ``reason``, and ``anomalies``. Version 3
added each partition's ``timings`` and ``duration_s``, the run's ``stages``, ``started_at`` and
``duration_s``."""

ENTRY_FIELDS = ("counts", "manifest", "crawl", "coverage", "coverage_notes", "discovery",
                "anomaly", "timings")
"""Fields of a partition's result copied into its report entry."""

STAGES = ("crawl", "extract", "dedup", "publish")
"""The stages of a run, in pipeline order (``stages`` of the report; stored keys are sorted)."""

SHARED_STAGES = ("dedup", "publish")
"""Stages run once for the whole run (their timing is the step's, copied into every summary):
counted once in the run's ``stages``, left out of a site-day's ``duration_s``."""


def _item_key(item: Mapping[str, Any]) -> tuple[str, str]:
    return (str(item.get("site")), str(item.get("date")))


def build_report(
    run_id: str,
    plan_items: Iterable[Mapping[str, Any]],
    results: Iterable[Mapping[str, Any] | None],
    failures: Iterable[Mapping[str, Any]] = (),
    *,
    kind: str = "nightly",
    invalid_sites: Iterable[Mapping[str, Any]] = (),
    plan_error: str | None = None,
) -> dict[str, Any]:
    """Assemble the report of a run.

    Args:
        run_id: The run.
        plan_items: Every (site, date) the run was meant to cover.
        results: Per-partition summaries of the stages that succeeded (``None`` entries are
            failed mapped tasks and are ignored).
        failures: Known failures: ``{"site", "date", "stage", "error"}``, with the verdict's
            ``reason`` (``discovery_failed``, ``fetches_failed``, ``blocked``) for a site-day
            whose crawl could not read the site; a ``status`` of ``interrupted`` marks a
            site-day a signal stopped (the report is then not ``ok`` either).
        kind: ``nightly``, ``backfill``, ``manual`` or ``reprocess``.
        invalid_sites: Sites dropped at planning because their ``sites.yaml`` entry is invalid.
        plan_error: Why planning failed, if it did: the report then says ``ok: false``.

    Returns:
        The report document. A planned partition with no result and no recorded failure is
        reported as failed with stage ``unknown``.
    """
    planned = [dict(i) for i in plan_items]
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for result in results:
        if result:
            by_key.setdefault(_item_key(result), {}).update(result)
    failed: dict[tuple[str, str], dict[str, Any]] = {_item_key(f): dict(f) for f in failures}
    partitions = []
    totals: Counter[str] = Counter()
    for item in planned:
        key = _item_key(item)
        result = by_key.get(key)
        if result is not None and key not in failed:
            status = str(result.get("status", "published"))
            entry: dict[str, Any] = {"site": key[0], "date": key[1], "status": status}
            for name in ENTRY_FIELDS:
                if name in result:
                    entry[name] = result[name]
            if entry.get("timings"):
                entry["duration_s"] = site_day_seconds(entry["timings"])
            totals.update({k: int(v) for k, v in (result.get("counts") or {}).items()
                           if isinstance(v, int | float)})
        else:
            failure = failed.get(key, {"stage": "unknown",
                                       "error": "no result (task failed or was skipped)"})
            # a run stopped by a signal reports its unfinished site-days as "interrupted"
            entry = {"site": key[0], "date": key[1], "status": failure.get("status", "failed"),
                     "stage": failure.get("stage"), "error": failure.get("error")}
            if failure.get("reason"):
                entry["reason"] = failure["reason"]
        partitions.append(entry)
    statuses = Counter(p["status"] for p in partitions)
    invalid = [dict(s) for s in invalid_sites]
    stages = stage_totals(p.get("timings") or {} for p in partitions)
    return {
        "report_version": REPORT_VERSION,
        "run_id": run_id,
        "kind": kind,
        "software": f"newsarchive/{__version__}",
        "ok": not statuses.get("failed") and not statuses.get("interrupted") and not invalid
        and not plan_error,
        "plan_error": plan_error,
        "partitions_by_status": dict(sorted(statuses.items())),
        "anomalies": [{"site": p["site"], "date": p["date"], **p["anomaly"]}
                      for p in partitions if p.get("anomaly")],
        "totals": dict(sorted(totals.items())),
        "stages": stages,
        "started_at": min((s["started_at"] for s in stages.values()), default=None),
        "invalid_sites": invalid,
        "partitions": sorted(partitions, key=lambda p: (p["date"], p["site"])),
    }


def site_day_seconds(timings: Mapping[str, Any]) -> float | None:
    """A site-day's own time: the sum of its stages but :data:`SHARED_STAGES` (``None``: none)."""
    own = [float(t["seconds"]) for stage, t in timings.items()
           if stage not in SHARED_STAGES and isinstance(t, Mapping) and "seconds" in t]
    return round(sum(own), 3) if own else None


def stage_totals(all_timings: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per stage, in pipeline order: the earliest start and the seconds spent.

    Summed over site-days; a shared stage's one timing is counted once.
    """
    order = STAGES
    totals: dict[str, dict[str, Any]] = {}
    seen: set[tuple[str, str]] = set()
    for timings in all_timings:
        for stage, t in timings.items():
            if not isinstance(t, Mapping) or "seconds" not in t:
                continue
            if stage in SHARED_STAGES:
                if (stage, str(t.get("started_at"))) in seen:
                    continue
                seen.add((stage, str(t.get("started_at"))))
            total = totals.setdefault(stage, {"started_at": t.get("started_at"), "seconds": 0.0})
            total["seconds"] = round(total["seconds"] + float(t["seconds"]), 3)
            if t.get("started_at") and str(t["started_at"]) < str(total["started_at"]):
                total["started_at"] = t["started_at"]
    return dict(sorted(totals.items(),
                       key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0])))


def write_report(store: ArchiveStore, report: Mapping[str, Any],
                 finished_at: dt.datetime | None = None) -> str:
    """Store a report under ``runs/<run id>.json``; returns the key."""
    doc = dict(report)
    if finished_at is not None:
        doc["finished_at"] = finished_at.astimezone(dt.UTC).isoformat()
        if doc.get("started_at"):
            started = dt.datetime.fromisoformat(str(doc["started_at"]))
            doc["duration_s"] = round((finished_at - started).total_seconds(), 3)
    key = run_report_key(str(report["run_id"]))
    store.put(key, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode(),
              content_type="application/json")
    return key


def read_report(store: ArchiveStore, run_id: str) -> dict[str, Any]:
    """Load the report of ``run_id``."""
    key = run_report_key(run_id)
    try:
        doc = json.loads(store.get(key))
    except ValueError as exc:
        raise CorruptObject(f"{store.url}/{key}: not a run report ({exc})") from None
    if not isinstance(doc, dict):
        raise CorruptObject(f"{store.url}/{key}: not a run report")
    return doc


def list_runs(store: ArchiveStore) -> list[str]:
    """Run ids with a report, oldest key first."""
    found = (parse_run_report_key(o.key) for o in store.list(run_report_listing()))
    return [run_id for run_id in found if run_id is not None]


def format_report(report: Mapping[str, Any]) -> str:
    """A human-readable summary of a report (for ``newsarchive report`` and the demo)."""
    lines = [f"run {report['run_id']} ({report.get('kind', '?')}): "
             f"{'OK' if report.get('ok') else 'FAILURES'}"]
    statuses = ", ".join(f"{k} {v}" for k, v in report.get("partitions_by_status", {}).items())
    lines.append(f"  partitions: {statuses or 'none'}")
    if report.get("plan_error"):
        lines.append(f"  planning failed: {report['plan_error']}")
    totals = report.get("totals", {})
    if totals:
        lines.append("  totals: " + ", ".join(f"{k}={v}" for k, v in totals.items()))
    for bad in report.get("invalid_sites", []):
        lines.append(f"  invalid site {bad.get('site')}: {bad.get('error')}")
    for part in report.get("partitions", []):
        counts = part.get("counts") or {}
        shown = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        line = f"  {part['date']} {part['site']:<16} {part['status']:<10} {shown}"
        if part["status"] == "failed":
            reason = f" {part['reason']}" if part.get("reason") else ""
            line += f" [{part.get('stage')}{reason}] {part.get('error')}"
        elif part.get("coverage"):
            line += f" coverage={part['coverage']}"
        lines.append(line.rstrip())
        lines += [f"      note: {note}" for note in part.get("coverage_notes") or ()]
        if part.get("anomaly"):
            lines.append(f"      ANOMALY: {part['anomaly'].get('message')}")
    return "\n".join(lines)
