"""Which archived articles a nightly crawl fetches again, and with which validators.

An article is updated after it was archived (corrections, live pages). So the nightly crawl of a
site also re-fetches the articles archived in the ``Settings.revisit_days`` days before its
window, newest first, at most ``Settings.revisit_max_per_site``, with a conditional request built
from the archived response (``If-None-Match`` from its ``ETag``, ``If-Modified-Since`` from its
``Last-Modified``). What comes back decides what is kept (docs/archive.md, "Revisits"):

- ``304 Not Modified``: a WARC ``revisit`` record (profile server-not-modified), no row;
- the same payload bytes: a ``revisit`` record (profile identical-payload-digest), no row;
- other bytes with the same text: a response record, and dedup folds it (no row);
- changed text: a new version row (``version`` + 1, ``previous_version_date`` naming the
  partition of the version before).

The list comes from the site's committed partitions (their manifests and Parquet rows) and one
ranged read of each article's archived response for its validators. Scrapy only schedules the
requests (``spiders/middlewares/revisits.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from pipeline.archive.reader import (
    fetch_raw,
    iter_partition_records,
    iter_partitions,
    load_manifest,
)
from pipeline.archive.schema import ArticleRecord
from pipeline.archive.store import ArchiveStore
from pipeline.archive.warc import RefersTo, warc_date
from pipeline.errors import CorruptObject, ObjectNotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevisitTarget:
    """One archived article to fetch again.

    Attributes:
        url: The URL fetched before (the archived response's target URI).
        article_id: Its article id.
        day: The partition of its newest row.
        version: The version of that row.
        etag: The archived response's ``ETag``, if it had one.
        last_modified: The archived response's ``Last-Modified``, if it had one.
        warc_date: WARC-Date of the archived response.
        record_id: WARC-Record-ID of the archived response.
    """

    url: str
    article_id: str
    day: dt.date
    version: int
    etag: str | None
    last_modified: str | None
    warc_date: str
    record_id: str = ""

    def conditional_headers(self) -> dict[str, str]:
        """The validators to send: ``If-None-Match`` and/or ``If-Modified-Since`` (maybe none)."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def refers_to(self) -> RefersTo:
        """The ``WARC-Refers-To-*`` fields of a revisit record of this target."""
        return RefersTo(self.url, self.warc_date, self.record_id)

    def to_json(self) -> dict[str, Any]:
        """A JSON value (``day`` as ISO text)."""
        return {**asdict(self), "day": self.day.isoformat()}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> RevisitTarget:
        """The inverse of :meth:`to_json`."""
        return cls(**{**value, "day": dt.date.fromisoformat(value["day"])})


def revisit_days(window_start: dt.date, days: int) -> tuple[dt.date, dt.date] | None:
    """The partitions whose articles a crawl starting at ``window_start`` revisits.

    Returns:
        ``(first, last)`` inclusive, or ``None`` when ``days`` < 1 (revisits off).
    """
    if days < 1:
        return None
    return window_start - dt.timedelta(days=days), window_start - dt.timedelta(days=1)


def _newest_rows(store: ArchiveStore, site: str, first: dt.date,
                 last: dt.date) -> Iterator[ArticleRecord]:
    """The newest row (highest version, then latest partition) of each article of the days."""
    newest: dict[str, ArticleRecord] = {}
    for part in iter_partitions(store, first, last, [site]):
        for row in iter_partition_records(store, load_manifest(store, part)):
            held = newest.get(row.article_id)
            if held is None or (row.version, row.date or first) >= (held.version,
                                                                     held.date or first):
                newest[row.article_id] = row
    yield from sorted(newest.values(),
                      key=lambda r: (r.date or first, r.fetched_at, r.article_id), reverse=True)


def pick_revisits(store: ArchiveStore, site: str, window_start: dt.date, *, days: int,
                  cap: int, counts: Counter[str] | None = None) -> list[RevisitTarget]:
    """The articles of ``site`` to fetch again, newest first, with their validators.

    Args:
        store: The archive.
        site: The site id.
        window_start: First day of the crawl's window: the days before it are revisited.
        days: How many days before the window (``Settings.revisit_days``).
        cap: At most this many targets (``Settings.revisit_max_per_site``).
        counts: Receives ``candidates``, ``with_etag``, ``with_last_modified``,
            ``no_validators``, ``skipped/cap`` and ``skipped/raw_unreadable``.

    Returns:
        The targets (an empty list when revisits are off or nothing was archived).
    """
    counts = counts if counts is not None else Counter()
    span = revisit_days(window_start, days)
    if span is None:
        return []
    targets: list[RevisitTarget] = []
    for row in _newest_rows(store, site, *span):
        counts["candidates"] += 1
        if len(targets) >= max(0, cap):
            counts["skipped/cap"] += 1
            continue
        try:
            capture = fetch_raw(store, row)
        except (CorruptObject, ObjectNotFound) as exc:
            # without the archived response there is nothing to refer to: count, go on
            counts["skipped/raw_unreadable"] += 1
            log.warning("revisit of %s skipped: its raw record is unreadable (%s)", row.url, exc)
            continue
        target = RevisitTarget(
            url=capture.url or row.url, article_id=row.article_id,
            day=row.date or span[1], version=row.version, etag=capture.header("ETag"),
            last_modified=capture.header("Last-Modified"),
            warc_date=warc_date(capture.fetched_at), record_id=row.raw.record_id)
        counts["with_etag" if target.etag else "no_etag"] += 1
        if target.last_modified:
            counts["with_last_modified"] += 1
        if not target.conditional_headers():
            counts["no_validators"] += 1
        targets.append(target)
    log.info("revisits of %s (%s..%s): %d of %d articles", site, span[0], span[1],
             len(targets), counts["candidates"])
    return targets
