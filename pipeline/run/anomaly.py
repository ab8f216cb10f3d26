"""Anomalies: a complete site-day with far fewer articles than the site's recent days.

A crawl can read discovery, fetch every link it found and still miss most of a day: a sitemap
that stopped listing a section, a feed cut to five items, a redesign the article patterns no
longer match. The verdict (:mod:`pipeline.run.verdict`) cannot see that; a comparison with the
site's own history can. The run report flags a complete site-day whose article count (rows of the
partition) is below ``anomaly_share`` of the median of the site's last ``anomaly_history_days``
complete partitions before it. A flag, not a failure: the partition stays committed, the Airflow
report task logs a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from typing import Any

from pipeline.archive.layout import manifest_listing, parse_manifest_key
from pipeline.archive.partition import Manifest, read_manifest
from pipeline.archive.store import ArchiveStore

log = logging.getLogger(__name__)

MIN_HISTORY = 3
"""Fewer complete earlier days than this: no median worth comparing with, no flag."""


def article_count(manifest: Manifest) -> int:
    """Articles of a partition: its rows (duplicates of other sites' articles included)."""
    return int(manifest.counts.get("records", sum(o.rows or 0 for o in manifest.normalized)))


class History:
    """The archive's committed days and manifests, each listed or read once per run report.

    A backfill's report checks many days of one site; their histories overlap, so the site's
    manifests are listed once and each manifest is read once.
    """

    def __init__(self, store: ArchiveStore) -> None:
        self.store = store
        self._days: dict[str, list[dt.date]] = {}
        self._manifests: dict[tuple[str, dt.date], Manifest | None] = {}

    def manifest(self, site: str, day: dt.date) -> Manifest | None:
        """The manifest of ``site`` on ``day`` (``None``: not committed)."""
        if (site, day) not in self._manifests:
            self._manifests[site, day] = read_manifest(self.store, site, day)
        return self._manifests[site, day]

    def committed_days(self, site: str) -> list[dt.date]:
        """Every day of ``site`` with a manifest, latest first."""
        if site not in self._days:
            self._days[site] = sorted(
                (part.date for info in self.store.list(manifest_listing(site))
                 if (part := parse_manifest_key(info.key)) is not None and part.site == site),
                reverse=True)
        return self._days[site]

    def counts_before(self, site: str, day: dt.date, days: int) -> list[int]:
        """Article counts of the ``days`` latest complete partitions of ``site`` before ``day``."""
        counts: list[int] = []
        for date in self.committed_days(site):
            if date >= day:
                continue
            manifest = self.manifest(site, date)
            if manifest is not None and manifest.coverage.complete:
                counts.append(article_count(manifest))
                if len(counts) >= days:
                    break
        return counts


def check(history: History, site: str, day: dt.date, *, share: float,
          days: int) -> dict[str, Any] | None:
    """The anomaly flag of one committed complete partition, or ``None``.

    Args:
        history: The archive's manifests, read once per report.
        site: Site id.
        day: The partition date.
        share: Flag below this share of the median (setting ``anomaly_share``).
        days: How many earlier complete days make the median (``anomaly_history_days``).

    Returns:
        ``{"articles", "median", "days", "share", "message"}`` when the partition's article
        count is below ``share`` of the median; ``None`` otherwise, for a partial or missing
        partition, and when fewer than :data:`MIN_HISTORY` earlier complete days exist.
    """
    manifest = history.manifest(site, day)
    if manifest is None or not manifest.coverage.complete or share <= 0:
        return None
    counts = history.counts_before(site, day, days)
    if len(counts) < MIN_HISTORY:
        return None
    median = float(statistics.median(counts))
    articles = article_count(manifest)
    if median <= 0 or articles >= share * median:
        return None
    message = (f"{articles} articles, below {share:.0%} of the median {median:g} of the "
               f"{len(counts)} previous complete days")
    log.warning("anomaly: %s %s: %s", site, day, message)
    return {"articles": articles, "median": median, "days": len(counts), "share": share,
            "message": message}
