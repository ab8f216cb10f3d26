"""Plan a run: the (site, date) items, the crawls that cover them, or the partitions to reprocess.

A run's unit of work is the (site, date) partition (:func:`plan`); its unit of crawling is the
window (:func:`crawl_units`): one crawl process per site for up to ``crawl_window_days``
consecutive days, which fetches each discovery document once and writes each capture to its day.
Every function of :mod:`pipeline.run` takes and returns JSON-serialisable values (they travel
through XCom). An item whose partition is committed as complete is left alone: without ``force``
the crawl, extraction and publish of that item do nothing, so running an interval again leaves a
complete archive as it was (a partial partition is crawled again).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.archive.layout import is_warc_key, parse_partition_key, raw_listing
from pipeline.archive.store import ArchiveStore, open_store
from pipeline.config.settings import Settings
from pipeline.config.sites import load_sites
from pipeline.dates import parse_day
from pipeline.errors import ConfigError

COMPLETE = "complete"
"""Status of an item whose partition was already committed as complete (nothing to do)."""


def days_between(start: str, end: str) -> list[dt.date]:
    """Every day from ``start`` to ``end`` inclusive."""
    first, last = parse_day(start), parse_day(end)
    if last < first:
        raise ConfigError(f"end date {last} is before start date {first}")
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def archive_for(settings: Settings) -> ArchiveStore:
    """The archive store of ``settings`` (its ``archive_url``)."""
    return open_store(settings.archive_url, settings)


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
        sites_file: ``sites.yaml`` path (default: the bundled demo file); callers pass the
            ``sites_file`` setting.

    Returns:
        ``[{"site": ..., "date": ...}, ...]`` ordered by date then site. Invalid site entries are
        left out (they are reported by :func:`invalid_sites`), so one bad site never stops the
        others.

    Raises:
        ConfigError: The file cannot be used at all, the dates are wrong, or a requested site is
            unknown.
    """
    config = load_sites(sites_file or None)
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
            for day in days_between(start, end) for site in chosen]


def crawl_units(items: Sequence[Mapping[str, Any]],
                window_days: int = 31) -> list[dict[str, Any]]:
    """Group the (site, date) items of a run into crawls: one per site and window.

    A site's days are cut into runs of consecutive days of at most ``window_days`` each (the
    ``crawl_window_days`` setting), so a 5-year backfill still commits window by window.

    Args:
        items: What :func:`plan` returned.
        window_days: Days one crawl covers at most (>= 1).

    Returns:
        ``[{"site", "start", "end", "days": [...]}, ...]`` ordered by site then start; ``days``
        are the items' dates in the window (every day from ``start`` to ``end``).
    """
    size = max(1, int(window_days))
    by_site: dict[str, set[dt.date]] = {}
    for item in items:
        by_site.setdefault(str(item["site"]), set()).add(parse_day(str(item["date"])))
    units: list[dict[str, Any]] = []
    for site in sorted(by_site):
        chunk: list[dt.date] = []
        for day in sorted(by_site[site]):
            if chunk and (len(chunk) >= size or day - chunk[-1] > dt.timedelta(days=1)):
                units.append(_unit(site, chunk))
                chunk = []
            chunk.append(day)
        units.append(_unit(site, chunk))
    return units


def _unit(site: str, days: Sequence[dt.date]) -> dict[str, Any]:
    return {"site": site, "start": days[0].isoformat(), "end": days[-1].isoformat(),
            "days": [d.isoformat() for d in days]}


def invalid_sites(sites_file: str | None = None) -> list[dict[str, str]]:
    """The sites of the file dropped because their entry is invalid, with the problems.

    Args:
        sites_file: ``sites.yaml`` path (default: the bundled demo file).
    """
    config = load_sites(sites_file or None)
    problems: dict[str, list[str]] = {}
    for error in config.errors:
        problems.setdefault(error.site, []).append(f"{error.field}: {error.message}")
    return [{"site": site, "error": "; ".join(msgs)} for site, msgs in sorted(problems.items())]


def reprocess_plan(
    start: str, end: str, sites: Sequence[str] | None = None,
    *, settings: Settings,
) -> list[dict[str, Any]]:
    """Items for every partition in range that has raw WARCs (reprocessing needs no crawl)."""
    store = archive_for(settings)
    wanted = set(sites) if sites else None
    days = {day.isoformat() for day in days_between(start, end)}
    # one listing of raw/ for the whole range, grouped by partition
    found: dict[tuple[str, str], list[str]] = {}
    for info in store.list(raw_listing()):
        part = parse_partition_key(info.key)
        if part is None:
            continue
        site, day = part.site, part.date.isoformat()
        if day in days and (wanted is None or site in wanted):
            keys = found.setdefault((day, site), [])
            if is_warc_key(info.key):
                keys.append(info.key)
    return [{"site": site, "date": day, "status": "reprocess", "warc_keys": keys}
            for (day, site), keys in sorted(found.items())]


def sorted_counts(counter: Counter[str]) -> dict[str, int]:
    """Counters as a plain, key-sorted dict (JSON and XCom friendly)."""
    return {k: int(v) for k, v in sorted(counter.items())}


