"""Candidate article links with their date evidence, and the crawl's date window.

A :class:`Candidate` is a link found by discovery (:mod:`pipeline.crawl.discovery`) with whatever
date evidence its source gave (news sitemap, feed, teaser time, a date in the URL);
:class:`Window` decides whether it belongs to the crawl's days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.dates import day_from_url, month_from_url


@dataclass(frozen=True)
class Candidate:
    """A link found during discovery, with its date evidence.

    Attributes:
        url: Absolute URL.
        source: Where the link was found (``news_sitemap``, ``sitemap``, ``feed``,
            ``listing``, ``date_archive``, ``robots``).
        published: Publication time stated by the source (news sitemap, feed, teaser, archive
            day, or the date in the URL).
        modified: Last modification stated by the source (sitemap ``lastmod``, Atom updated).
        evidence: Which evidence gave ``published``: ``news_publication_date``, ``pubdate``,
            ``teaser_time``, ``archive_day``, ``url_date`` or ``''``.
        title: Title announced by the source, if any.
    """

    url: str
    source: str
    published: datetime | None = None
    modified: datetime | None = None
    evidence: str = ""
    title: str = ""

    def capture_metadata(self, found_on: str, found_as: str = "") -> CaptureMetadata:
        """The discovery evidence for the article's WARC metadata record (extraction's hint).

        The crawler adds the site and the request's role.

        Args:
            found_on: URL of the page that listed the link.
            found_as: The link as found, when it differs from the URL fetched.
        """
        return CaptureMetadata(
            source=self.source, published=self.published,
            evidence=self.evidence if self.published is not None else "",
            modified=self.modified, title=self.title, discovered_on=found_on,
            discovered_url=found_as)


@dataclass(frozen=True)
class Window:
    """The crawl's date window, inclusive, in UTC days; ``today`` tells nightly from backfill."""

    start: date
    end: date
    today: date

    @property
    def nightly(self) -> bool:
        """Whether this is the current nightly window (it reaches yesterday or later)."""
        return self.end >= self.today - timedelta(days=1)

    def contains(self, when: datetime | date) -> bool:
        """Whether a time (UTC) or a day falls in the window."""
        day = when.astimezone(UTC).date() if isinstance(when, datetime) else when
        return self.start <= day <= self.end

    def days(self) -> Iterator[date]:
        """Every day of the window, oldest first."""
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)

    def judge(self, candidate: Candidate) -> str:
        """Decide about a candidate.

        Published in the window, or modified in the window, keeps it. A candidate with no date
        evidence at all is kept only for the current nightly window (listing pages show what
        is new), never for a backfill.

        Returns:
            ``''`` to keep it, else the reason to skip: ``out_of_window`` or
            ``undated_in_backfill``.
        """
        if candidate.published is None and candidate.modified is None:
            return "" if self.nightly else "undated_in_backfill"
        for when in (candidate.published, candidate.modified):
            if when is not None and self.contains(when):
                return ""
        return "out_of_window"

    def day_of(self, published: datetime | None, modified: datetime | None = None) -> date:
        """The partition day of a capture of a window crawl, from its date evidence.

        The publication day when it falls in the window, else the modification day when that
        does (an update announced in the window), else the window's last day (undated pages,
        pages dated outside the window, and discovery documents).
        """
        for when in (published, modified):
            if when is not None and self.contains(when):
                return when.astimezone(UTC).date()
        return self.end

    def may_hold(self, first: date, last: date) -> bool:
        """Whether a span of days (a monthly sitemap, an archive page) overlaps the window."""
        return first <= self.end and last >= self.start


def parse_datetime(text: str | None) -> datetime | None:
    """Parse W3C/ISO 8601 or RFC 822 dates into aware UTC datetimes (``None`` if unparsable).

    A date without time means midnight UTC; a time without zone is taken as UTC.
    """
    if not text or not text.strip():
        return None
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def span_from_url(url: str) -> tuple[date, date] | None:
    """The days a dated URL covers: one day (``2024-01-05``) or a month (``2024-01``).

    The day is read strictly (:func:`pipeline.dates.day_from_url`): a link is skipped on it.
    """
    day = day_from_url(url, strict=True)
    if day:
        return day, day
    first = month_from_url(url)
    if first is None:
        return None
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def with_url_date(candidate: Candidate) -> Candidate:
    """Add the URL's date as publication evidence when the source gave none."""
    if candidate.published is not None:
        return candidate
    day = day_from_url(candidate.url, strict=True)
    if day is None:
        return candidate
    return Candidate(candidate.url, candidate.source,
                     datetime(day.year, day.month, day.day, tzinfo=UTC), candidate.modified,
                     "url_date", candidate.title)
