"""What the crawl leaves for extraction about one capture: the WARC ``metadata`` record.

The crawl knows things about a response that the response does not say: which site and request
role it belongs to, and for an article how it was discovered (news sitemap, feed, listing...) with
the date and title the source announced. :class:`CaptureMetadata` carries them from the crawl
(:mod:`spiders.middlewares.raw_capture`) through the WARC file
(:class:`pipeline.archive.warc.WarcWriter`, :func:`pipeline.archive.warc_reader.iter_captures`)
to extraction (:mod:`pipeline.extract.extraction`), whose date rules use them as the discovery
hint. The record is ``application/warc-fields``, one ``name: value`` line per field, for example::

    site: daily-courier
    role: article
    source: news_sitemap
    published: 2026-03-14T06:00:00+00:00
    evidence: news_publication_date
    title: Council approves flood plan
    discovered-on: https://courier.example/sitemap-news.xml
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CaptureMetadata:
    """The crawl's knowledge about one captured exchange.

    Attributes:
        site: Site id from sites.yaml.
        role: Why the crawler fetched it: ``article``, or a discovery page (``sitemap``,
            ``feed``, ``listing``, ``date_archive``, ``robots``).
        archive_day: For a ``date_archive`` page, the day it lists.
        source: For an article, where its link was found (``news_sitemap``, ``sitemap``,
            ``feed``, ``listing``, ``date_archive``, ``robots``).
        published: Publication time the source stated (aware), if any.
        evidence: Which evidence gave ``published`` (``news_publication_date``, ``pubdate``,
            ``teaser_time``, ``archive_day``, ``url_date``).
        modified: Last modification the source stated (sitemap ``lastmod``, Atom updated).
        title: Title the source announced, if any.
        discovered_on: URL of the page that listed the article.
        discovered_url: The link as found, when canonicalization changed it.
    """

    site: str = ""
    role: str = ""
    archive_day: dt.date | None = None
    source: str = ""
    published: dt.datetime | None = None
    evidence: str = ""
    modified: dt.datetime | None = None
    title: str = ""
    discovered_on: str = ""
    discovered_url: str = ""

    def to_warc_fields(self) -> dict[str, str]:
        """The WARC-fields of the metadata record, in writing order; empty fields left out.

        ``evidence`` is written whenever ``published`` is (it says where that came from).
        """
        fields = {"site": self.site, "role": self.role,
                  "archive-day": self.archive_day.isoformat() if self.archive_day else "",
                  "source": self.source}
        if self.published is not None:
            fields["published"] = self.published.isoformat()
            fields["evidence"] = self.evidence
        if self.modified is not None:
            fields["modified"] = self.modified.isoformat()
        fields |= {"title": self.title, "discovered-on": self.discovered_on,
                   "discovered-url": self.discovered_url}
        return {name: value for name, value in fields.items()
                if value or (name == "evidence" and self.published is not None)}

    @classmethod
    def from_warc_fields(cls, fields: Mapping[str, str]) -> CaptureMetadata | None:
        """Read the fields of a metadata record back.

        Every version of the crawl wrote these field names (the reader's older alias names,
        ``published_at``, ``date``, ``lastmod``..., were never written). A date that does not
        parse as ISO 8601 is dropped; one without a zone is read as UTC.

        Args:
            fields: The record's fields (name -> value).

        Returns:
            The metadata, or ``None`` when the record holds none of these fields (no record, or
            one written by another crawler).
        """
        get = fields.get
        found = cls(site=get("site", ""), role=get("role", ""),
                    archive_day=_parse_day(get("archive-day")), source=get("source", ""),
                    published=_parse_time(get("published")), evidence=get("evidence", ""),
                    modified=_parse_time(get("modified")), title=get("title", ""),
                    discovered_on=get("discovered-on", ""),
                    discovered_url=get("discovered-url", ""))
        return None if found == _EMPTY else found


_EMPTY = CaptureMetadata()


def _parse_day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
