"""Archive coverage: which site-days are committed, complete or partial, and which are missing.

Read from the manifests alone (one listing, one small GET per committed partition), the view
behind ``newsarchive status``. A day is *missing* for a site when the site has manifests but none
for that day; a site with no manifest at all has no coverage to speak of and is not listed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.archive.layout import manifest_listing, parse_manifest_key
from pipeline.archive.partition import COMPLETE, PARTIAL, read_manifest
from pipeline.archive.store import ArchiveStore
from pipeline.errors import CorruptObject

log = logging.getLogger(__name__)

MISSING = "missing"
"""A day in the range with no manifest, for a site that has manifests."""
CORRUPT = "corrupt"
"""A manifest that cannot be parsed (readers skip nothing silently: it is shown, with why)."""
STATES = (COMPLETE, PARTIAL, MISSING, CORRUPT)


@dataclass(frozen=True)
class DayCoverage:
    """The coverage of one site-day.

    Attributes:
        site: Site id.
        date: The partition date.
        state: :data:`~pipeline.archive.partition.COMPLETE`,
            :data:`~pipeline.archive.partition.PARTIAL`, :data:`MISSING` or :data:`CORRUPT`.
        articles: Rows of the partition (duplicates included); ``None`` when not committed.
        unique: Rows that are no duplicate; ``None`` when not committed or not recorded.
        notes: The manifest's coverage notes (why partial), or why a manifest is corrupt.
        run_id: The run that committed the partition.
        anomaly: Why a complete day looks too small next to the site's recent days (set by
            the caller: :func:`pipeline.run.anomaly.check`), else ``None``.
    """

    site: str
    date: dt.date
    state: str
    articles: int | None = None
    unique: int | None = None
    notes: tuple[str, ...] = ()
    run_id: str | None = None
    anomaly: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``newsarchive status --json``)."""
        return {"site": self.site, "date": self.date.isoformat(), "state": self.state,
                "articles": self.articles, "unique": self.unique, "notes": list(self.notes),
                "run_id": self.run_id, "anomaly": self.anomaly}


def archived_days(store: ArchiveStore, sites: Iterable[str] | None = None,
                  ) -> dict[str, list[dt.date]]:
    """The committed dates of every site (or of ``sites``), sorted; sites without any left out."""
    wanted = sorted(set(sites)) if sites else None
    prefixes = [manifest_listing(s) for s in wanted] if wanted else [manifest_listing()]
    found: dict[str, set[dt.date]] = {}
    for prefix in prefixes:
        for info in store.list(prefix):
            part = parse_manifest_key(info.key)
            if part is not None and (wanted is None or part.site in wanted):
                found.setdefault(part.site, set()).add(part.date)
    return {site: sorted(days) for site, days in sorted(found.items())}


def _day_coverage(store: ArchiveStore, site: str, day: dt.date) -> DayCoverage:
    try:
        manifest = read_manifest(store, site, day)
    except CorruptObject as exc:
        log.warning("status: %s", exc)
        return DayCoverage(site, day, CORRUPT, notes=(str(exc),))
    if manifest is None:  # removed between the listing and the read
        return DayCoverage(site, day, MISSING)
    articles = int(manifest.counts.get("records", sum(o.rows or 0 for o in manifest.normalized)))
    unique = manifest.counts.get("unique")
    return DayCoverage(site, day, manifest.coverage.coverage, articles,
                       None if unique is None else int(unique), manifest.coverage.notes,
                       manifest.run_id)


def archive_coverage(
    store: ArchiveStore,
    sites: Sequence[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[DayCoverage]:
    """Per site and day, what the archive holds.

    Args:
        store: The archive.
        sites: Only these sites (default: every site with a manifest).
        since: First day (default: each site's first committed day, or ``until`` if earlier).
        until: Last day (default: each site's last committed day, or ``since`` if later).

    Returns:
        One entry per site and day of the range, sorted by site then date; a day without a
        manifest is :data:`MISSING`. Sites with no manifest at all are left out (the caller
        names them: see :func:`archived_days`).
    """
    rows: list[DayCoverage] = []
    for site, days in archived_days(store, sites).items():
        first = since or min(days[0], until or days[0])
        last = until or max(days[-1], since or days[-1])
        committed = set(days)
        day = first
        while day <= last:
            rows.append(_day_coverage(store, site, day) if day in committed
                        else DayCoverage(site, day, MISSING))
            day += dt.timedelta(days=1)
    return rows


def coverage_totals(rows: Iterable[DayCoverage]) -> dict[str, Any]:
    """Site-days by state and the article total (``status`` footer and JSON)."""
    listed = list(rows)
    states = Counter(r.state for r in listed)
    return {"site_days": len(listed),
            "by_state": {s: states[s] for s in STATES if states[s]},
            "articles": sum(r.articles or 0 for r in listed),
            "anomalies": sum(1 for r in listed if r.anomaly),
            "unique": sum(r.unique or 0 for r in listed)}
