"""Which day partition each capture of a window crawl goes to, and the counts of each day.

A crawl covers a window of days. Every capture is written to exactly one day partition
(``raw/site=S/date=D``): an article's day is decided by its date evidence
(:meth:`pipeline.crawl.candidates.Window.day_of`); undated captures, captures dated outside the
window and discovery documents (robots.txt, sitemaps, feeds, listings) go to the window's last
day. The spider counts what concerns one article for that article's day and the rest (discovery,
caps) for every day, so each day gets its own crawl report
(:mod:`spiders.extensions.crawl_report`) and its own verdict.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.crawl.candidates import Window
from pipeline.dates import parse_day
from pipeline.errors import ConfigError


def date_arg(name: str, value: str) -> dt.date:
    """A spider argument's date (``YYYY-MM-DD``).

    Raises:
        ConfigError: The value is not a date.
    """
    try:
        return parse_day(value)
    except ConfigError:
        raise ConfigError(f"spider argument {name}={value!r} is not a YYYY-MM-DD date") from None


class DayPartitions:
    """Spider mixin: the day partitions of the crawl and the ``news/*`` counts of each.

    Attributes:
        window: The crawl's date window.
        by_day: Whether each capture goes to its own day (else all to :attr:`partition`).
        partition: The fixed partition, or in a window crawl the window's last day (the day of
            discovery documents).
        skip_days: Days already committed complete: their articles are not fetched and they get
            no report.
    """

    window: Window
    by_day: bool
    partition: dt.date
    skip_days: frozenset[dt.date]
    crawler: Any

    def _init_days(self, partition: str, skip_days: str) -> None:
        """Set up from the spider arguments ``partition`` and ``skip_days`` (after the window)."""
        self.by_day = not partition
        self.partition = date_arg("partition", partition) if partition else self.window.end
        self.skip_days = frozenset(date_arg("skip_days", d) for d in skip_days.split(",") if d)
        self.day_counts: dict[dt.date | None, Counter[str]] = {}
        self.fetched_articles: set[str] = set()
        self.fetched_by_day: dict[dt.date, set[str]] = {}

    def count(self, key: str, value: int = 1, day: dt.date | None = None) -> None:
        """Increment ``news/<key>`` in the crawl stats, and in ``day``'s counts (else shared)."""
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"news/{key}", value)
        self.day_counts.setdefault(day if self.by_day else None, Counter())[key] += value

    def partitions(self) -> list[dt.date]:
        """The day partitions this crawl writes (and reports), oldest first."""
        if not self.by_day:
            return [self.partition]
        return [d for d in self.window.days() if d not in self.skip_days]

    def partition_of(self, capture: CaptureMetadata | None) -> dt.date:
        """The day partition of a capture: its article's date evidence, else the last day."""
        if not self.by_day or capture is None or capture.role != "article":
            return self.partition
        return self.window.day_of(capture.published, capture.modified)

    def day_stats(self, day: dt.date) -> dict[str, int]:
        """``news/*`` counts of one day partition: the shared counts plus the day's own."""
        counts = Counter(self.day_counts.get(None, Counter()))
        if self.by_day:
            counts.update(self.day_counts.get(day, Counter()))
        return {f"news/{k}": v for k, v in counts.items()}

    def fetched(self, url: str, day: dt.date) -> None:
        """Note an article fetched for ``day``."""
        self.fetched_articles.add(url)
        self.fetched_by_day.setdefault(day, set()).add(url)

    def articles_of(self, day: dt.date) -> set[str]:
        """URLs of the articles fetched for one day partition."""
        return self.fetched_by_day.get(day, set()) if self.by_day else self.fetched_articles
