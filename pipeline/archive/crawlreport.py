"""The crawl report: what one site's crawl did, saved with the run for the next task.

The crawl process (:mod:`spiders.extensions.crawl_report`) writes it to
``staging/<run id>/crawl/<site>-<partition>.json``
(:func:`pipeline.archive.layout.crawl_report_key`), one per day partition of the crawl's window
(each with that day's articles and the window's shared discovery evidence); the crawl step
(:mod:`pipeline.run.crawl_step`) reads it back and passes its JSON form on through XCom, and the
extraction step records its counts in the partition manifest. Example (shortened)::

    {"report_version": 1, "site": "daily-courier", "partition": "2026-03-14",
     "run_id": "scheduled__2026-03-15T00:00:00+00:00",
     "window": {"start": "2026-03-14", "end": "2026-03-14", "today": "2026-03-15",
                "nightly": true},
     "finish_reason": "finished", "discovered": 41, "discovered_by_source": {"feed": 41},
     "fetched": {"articles": 12, "discovery_pages": 3, "responses": 16},
     "articles": ["https://courier.example/news/..."], "skipped": {"out_of_window": 29},
     "errors": {}, "warnings": {}, "refused": {"offsite": 0},
     "sources": [{"kind": "feed", "url": "https://courier.example/feed.xml", "pages": 3,
                  "links": 41, "failures": {}}],
     "article_fetches": {"ok": 12, "failed": 0, "blocked": 0, "skipped": 0},
     "warc_keys": ["raw/site=daily-courier/date=2026-03-14/....warc.gz"],
     "payload_index_key": "index/payloads/site=daily-courier/2026-03-14.json",
     "stats": {"downloader/response_count": 16, ...}}
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.archive.layout import crawl_report_key
from pipeline.archive.store import ArchiveStore
from pipeline.errors import CorruptObject

REPORT_VERSION = 2
"""Version of the JSON layout; a reader refuses reports of a newer one. Version 2 added
``sources`` and ``article_fetches`` (the evidence of :mod:`pipeline.run.verdict`)."""


@dataclass(frozen=True)
class CrawlWindow:
    """The date window the crawl covered (inclusive days, UTC)."""

    start: dt.date
    end: dt.date
    today: dt.date
    nightly: bool


@dataclass(frozen=True)
class SourceReport:
    """What one discovery source of the site gave (a ``sites.yaml`` discovery entry).

    Attributes:
        kind: ``sitemap``, ``news_sitemap``, ``robots``, ``feed``, ``listing``,
            ``date_archive``.
        url: The source's URL (the template of a ``date_archive``).
        pages: Documents of the source read (its child sitemaps and next pages included).
        links: Article links those documents listed (before the date window).
        failures: Documents of the source that could not be read, by kind
            (``connection_refused``, ``dns``, ``forbidden_address``, ``http_503``,
            ``blocked``, ``bad_feed``, ...), counted after retries.
    """

    kind: str
    url: str
    pages: int = 0
    links: int = 0
    failures: Mapping[str, int] = field(default_factory=dict)

    @property
    def read(self) -> bool:
        """Whether at least one document of the source was read."""
        return self.pages > 0

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {"kind": self.kind, "url": self.url, "pages": self.pages, "links": self.links,
                "failures": dict(sorted(self.failures.items()))}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> SourceReport:
        """Read the JSON form back."""
        return cls(str(doc["kind"]), str(doc["url"]), int(doc.get("pages") or 0),
                   int(doc.get("links") or 0), _counts(doc.get("failures")))


@dataclass(frozen=True)
class CrawlReport:
    """What the crawl of one site for one partition did.

    Attributes:
        site: Site id.
        partition: The partition date.
        run_id: The run.
        window: The date window, if the spider had one.
        finish_reason: Scrapy's reason for closing the spider (``finished``,
            ``closespider_pagecount``, ``warc_write_failed``, ...).
        discovered: Article links found by discovery.
        discovered_by_source: The same, by discovery source.
        fetched: Responses by kind: ``articles``, ``discovery_pages``, ``responses`` (all).
        articles: URLs of the articles fetched, sorted.
        skipped: Links and pages skipped, by reason (``out_of_window``, ``duplicate_url``,
            the caps: ``page_cap``, ``listing_page_cap``, ``sitemap_depth_cap``,
            ``sitemap_count_cap``, ...).
        errors: Failed requests, by kind.
        warnings: Oddities noted on fetched pages (``charset_mismatch``).
        refused: Requests refused: ``offsite``, ``netguard_<why>``, ``resolver_<why>``.
        sources: Each discovery source: documents read, links found, failures by kind.
        article_fetches: Article requests by outcome, after retries: ``ok`` (an HTML page),
            ``failed`` (an error), ``blocked`` (a challenge or CAPTCHA page,
            :mod:`pipeline.extract.blockpage`), ``skipped`` (refused for a reason: robots.txt, a
            forbidden address, not HTML, gone with 404 or 410).
        warc_keys: The WARC files written.
        payload_index_key: Key of the payload digests saved, if any.
        stats: Every plain Scrapy stat (numbers and strings; times in ISO 8601).
    """

    site: str
    partition: dt.date
    run_id: str
    window: CrawlWindow | None = None
    finish_reason: str | None = None
    discovered: int = 0
    discovered_by_source: Mapping[str, int] = field(default_factory=dict)
    fetched: Mapping[str, int] = field(default_factory=dict)
    articles: tuple[str, ...] = ()
    skipped: Mapping[str, int] = field(default_factory=dict)
    errors: Mapping[str, int] = field(default_factory=dict)
    warnings: Mapping[str, int] = field(default_factory=dict)
    refused: Mapping[str, int] = field(default_factory=dict)
    sources: tuple[SourceReport, ...] = ()
    article_fetches: Mapping[str, int] = field(default_factory=dict)
    warc_keys: tuple[str, ...] = ()
    payload_index_key: str | None = None
    stats: Mapping[str, int | float | str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON document: what the archive stores and what XCom carries."""
        window = self.window
        return {
            "report_version": REPORT_VERSION,
            "site": self.site,
            "partition": self.partition.isoformat(),
            "run_id": self.run_id,
            "window": {"start": window.start.isoformat(), "end": window.end.isoformat(),
                       "today": window.today.isoformat(), "nightly": window.nightly}
            if window else None,
            "finish_reason": self.finish_reason,
            "discovered": self.discovered,
            "discovered_by_source": dict(self.discovered_by_source),
            "fetched": dict(self.fetched),
            "articles": list(self.articles),
            "skipped": dict(self.skipped),
            "errors": dict(self.errors),
            "warnings": dict(self.warnings),
            "refused": dict(self.refused),
            "sources": [source.to_json() for source in self.sources],
            "article_fetches": dict(self.article_fetches),
            "warc_keys": list(self.warc_keys),
            "payload_index_key": self.payload_index_key,
            "stats": dict(self.stats),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> CrawlReport:
        """Read the JSON document back (from the archive or from XCom).

        Raises:
            CorruptObject: It is not a crawl report, or one of a newer layout.
        """
        try:
            version = int(doc.get("report_version", REPORT_VERSION))
            if version > REPORT_VERSION:
                raise CorruptObject(f"crawl report version {version} is newer than this "
                                    f"reader's ({REPORT_VERSION})")
            window = doc.get("window")
            return cls(
                site=str(doc["site"]),
                partition=dt.date.fromisoformat(doc["partition"]),
                run_id=str(doc.get("run_id", "")),
                window=CrawlWindow(dt.date.fromisoformat(window["start"]),
                                   dt.date.fromisoformat(window["end"]),
                                   dt.date.fromisoformat(window["today"]),
                                   bool(window["nightly"])) if window else None,
                finish_reason=doc.get("finish_reason"),
                discovered=int(doc.get("discovered") or 0),
                discovered_by_source=_counts(doc.get("discovered_by_source")),
                fetched=_counts(doc.get("fetched")),
                articles=tuple(doc.get("articles") or ()),
                skipped=_counts(doc.get("skipped")),
                errors=_counts(doc.get("errors")),
                warnings=_counts(doc.get("warnings")),
                refused=_counts(doc.get("refused")),
                sources=tuple(SourceReport.from_json(s) for s in doc.get("sources") or ()),
                article_fetches=_counts(doc.get("article_fetches")),
                warc_keys=tuple(doc.get("warc_keys") or ()),
                payload_index_key=doc.get("payload_index_key"),
                stats=dict(doc.get("stats") or {}),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CorruptObject(f"not a crawl report: {exc!r}") from exc


def _counts(value: Mapping[str, Any] | None) -> dict[str, int]:
    return {str(k): int(v) for k, v in (value or {}).items()}


def write_crawl_report(store: ArchiveStore, report: CrawlReport) -> str:
    """Save a crawl report under its key in the run's staging area; returns the key."""
    key = crawl_report_key(report.run_id, report.site, report.partition)
    store.put(key, json.dumps(report.to_json(), indent=1, sort_keys=False).encode())
    return key


def read_crawl_report(store: ArchiveStore, run_id: str, site: str,
                      partition: dt.date) -> CrawlReport | None:
    """The crawl report of ``site`` in run ``run_id``, or ``None`` if the crawl wrote none.

    Raises:
        CorruptObject: The stored file is not a readable crawl report.
    """
    data = store.get_or_none(crawl_report_key(run_id, site, partition))
    if data is None:
        return None
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptObject(f"crawl report of {site} in {run_id} is not JSON: {exc}") from exc
    return CrawlReport.from_json(doc)
