"""Decide a page's publication and modification dates from its evidence.

The order of precedence is documented in :mod:`pipeline.extract.metadata.resolve`;
the parsing and sanity
checks of single values live in :mod:`pipeline.dates`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.dates import DateValue, date_from_url, date_value, plausible
from pipeline.extract.metadata.evidence import Evidence
from pipeline.extract.metadata.shown_dates import ShownDate, ShownDates, shown_dates
from pipeline.extract.text import clean_space

Fallback = Callable[[str], str | None]
"""Lazily computed last-resort values by field name (``title``, ``author``, ``date``, ...)."""

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "article.published",
    "datepublished", "published_time", "publishdate", "publish-date", "publish_date",
    "pubdate", "date.publication", "dc.date.issued", "dcterms.issued", "dc.date",
    "dcterms.created", "dc.date.created", "sailthru.date", "parsely-pub-date",
    "cxenseparse:recs:publishtime", "og:published_time", "article:published", "date",
)
"""Meta keys holding the publication date, in order of trust."""

MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "modified_time",
    "dcterms.modified", "dc.date.modified", "last-modified", "article:modified",
)
"""Meta keys holding the last modification date, in order of trust."""

WEAK_META = frozenset({"date", "dc.date", "dcterms.created", "dc.date.created"})
"""Generic meta keys that often carry a template or build date: confirmed like weak evidence."""

WEBPAGE_TYPES = frozenset({"WebPage", "ItemPage", "AboutPage", "FAQPage", "QAPage"})
"""JSON-LD types of the page as a whole (their dates are weak evidence: often the template's)."""


def published_date(  # noqa: PLR0917 - internal helper of resolve_metadata
    ev: Evidence, articles: list[Mapping[str, object]], pages: list[Mapping[str, object]],
    url: str, fetched_at: dt.datetime | None, hint: CaptureMetadata | None,
    fallback: Fallback, shown: Callable[[], ShownDates],
) -> DateValue | None:
    """The publication date, in the documented order of precedence.

    See :mod:`pipeline.extract.metadata.resolve`.

    Args:
        ev: The page's evidence.
        articles: Its JSON-LD article objects.
        pages: Its JSON-LD ``WebPage`` objects.
        url: The page URL (a date in its path).
        fetched_at: The fetch time: later dates are refused.
        hint: What the crawl recorded about the page: the date its discovery source
            announced (``published``) is evidence.
        fallback: Last-resort values (``date``: htmldate).
        shown: The dates the page shows its readers, computed on demand.

    Returns:
        The date with its source, or ``None``.
    """
    candidates = list(published_candidates(ev, articles, pages, url, fetched_at, hint))
    own = [(c, strong) for c, strong in candidates if not _is_discovery(c)]
    header_days = {d.date for d in shown().header if d.label != "other"}
    declared = next((c for c, strong in own if strong or c.value.date() in header_days), None)
    found = None
    if declared is None:  # htmldate after the page's own statements: it costs a walk
        found = _htmldate(fallback, fetched_at)
        declared = found if found and found.value.date() in header_days else None
    elif not _is_shown(declared, shown()):
        # declared publication dates that disagree (a template's stale JSON-LD against the
        # meta tags): the one the byline shows is the page's
        declared = next((c for c, strong in own
                         if strong and c.value.date() in header_days), declared)
    modified = modified_date(ev, articles, pages, fetched_at)
    if declared is not None:
        declared = _with_offset(declared, [c for c, _ in candidates] + ([modified] if modified
                                                                       else []))
    known = {c.value.date() for c in (declared, modified, date_from_url(url, fetched_at)) if c}
    decided = _as_shown(declared, modified, shown(), known, fetched_at,
                        _month_first(ev.html_lang))
    if decided is None and found is not None and _is_article(ev, articles):
        decided = found  # the page dates itself nowhere else: htmldate's reading of its markup
    if decided is None:  # discovery evidence (sitemap, feed, URL) only as the last resort
        decided = next((c for c, _strong in candidates if _is_discovery(c)), None)
    return decided


def _as_shown(  # noqa: PLR0917 - internal helper of published_date
    declared: DateValue | None, modified: DateValue | None, shown: ShownDates,
    known: set[dt.date], fetched_at: dt.datetime | None, month_first: bool,
) -> DateValue | None:
    """Reconcile the declared publication date with the dates the page shows its readers.

    A date labelled "Published"/"Posted" in the byline area wins over a declared date of
    another day (one day apart is the same moment in another time zone: the declared value
    stays); so does a date labelled "Published" anywhere when the declared date is not shown
    at all, and an unlabelled byline date when the page shows neither the declared
    publication nor the declared modification (a migrated archive's import date, a
    template's). A declared date otherwise stands ("Updated" dates are modifications). Without a
    declared date: a byline date labelled "Published"; else one labelled "Originally
    published" when no date is labelled "Published"; else the first byline date (unlabelled
    or "Updated": the page's only dating), else a date labelled "Published" anywhere. An
    ambiguous numeric date is read the way other evidence confirms, else by the page's
    locale (month first for US English).
    """
    confirmed = known | shown.certain

    def usable(d: ShownDate) -> bool:
        if d.label == "other":
            return False
        if not d.ambiguous:
            return True
        other = dt.date(d.date.year, d.date.day, d.date.month)
        if d.date in confirmed or other in confirmed:
            return d.date in confirmed
        return (d.reading == "month_first") == month_first

    header = [d for d in shown.header if usable(d)]
    labelled = [d for d in shown.published if usable(d)]
    choice = next((d for d in header if d.label in ("original", "published")), None)
    if declared is not None:
        day = declared.value.date()
        # the same day (a day off for a moment: time zones) stands, unless the declared value
        # is a bare day and the byline gives that day to the minute
        if choice is not None and (choice.date == day or (
                declared.has_time and abs((choice.date - day).days) <= 1)) and (
                declared.has_time or choice.moment is None):
            return declared
        if choice is None and labelled and day not in shown.anywhere:
            choice = labelled[0]
        if choice is None and not _is_shown(declared, shown) and not (
                modified and _is_shown(modified, shown)):
            choice = next((d for d in header if not d.label), None)
        if choice is None:
            return declared
    elif choice is None:
        posted = [d for d in labelled if d.label == "published"]
        # "originally published on ..." dates the article before a re-publication: it beats
        # unlabelled and "Updated" dates, not the page's own "Posted on"
        choice = next((d for d in labelled if d.label == "original" and not posted), None)
        if choice is None and not shown.month_only:
            choice = next((d for d in header if d.label in ("", "updated")), None) or next(
                iter(posted or labelled), None)
    if choice is None:
        return None
    when = choice.moment or dt.datetime.combine(choice.date, dt.time(), tzinfo=dt.UTC)
    if not plausible(when, fetched_at):
        return declared
    return DateValue(when, "page_text", has_time=choice.moment is not None)


def _is_discovery(value: DateValue) -> bool:
    return value.source == "url" or value.source.startswith("discovery:")


def _is_article(ev: Evidence, articles: list[Mapping[str, object]]) -> bool:
    """Whether the page declares itself one article (JSON-LD article type, og:type article)."""
    return bool(articles) or "og:article" in ev.types


def _htmldate(fallback: Fallback, fetched_at: dt.datetime | None) -> DateValue | None:
    """The date htmldate reads (markup only): midnight alone is a day; never the fetch day."""
    text = fallback("date")
    if text and text.endswith("T00:00:00"):
        text = text[:10]
    found = date_value(text, "htmldate", fetched_at)
    if found and fetched_at and found.value.date() == fetched_at.date():
        return None
    if found and len(text or "") == 10:
        found = DateValue(found.value, found.source, has_time=False, has_offset=False)
    return found


def _with_offset(value: DateValue, others: list[DateValue]) -> DateValue:
    """A value stated without offset takes that of another statement of the same wall clock."""
    if value.has_offset or not value.has_time:
        return value
    wall = value.value.replace(tzinfo=None, second=0, microsecond=0)
    for other in others:
        if other.has_offset and other.has_time and other.value.replace(
                tzinfo=None, second=0, microsecond=0) == wall:
            return DateValue(value.value.replace(tzinfo=other.value.tzinfo), value.source,
                             True, True)
    return value


def _is_shown(value: DateValue, shown: ShownDates) -> bool:
    """Whether the page shows the day of ``value`` (a day off for a moment: time zones)."""
    day = value.value.date()
    slack = dt.timedelta(days=1 if value.has_time else 0)
    return any(day - slack <= d <= day + slack for d in shown.anywhere)


def _month_first(lang: str | None) -> bool:
    """Whether the page's locale writes numeric dates month first (US English)."""
    parts = re.split(r"[-_]", (lang or "en").strip().lower())
    return parts[0] == "en" and (len(parts) == 1 or parts[1] in ("us", "ph"))


def published_candidates(  # noqa: PLR0917 - the inputs of published_date
    ev: Evidence, articles: list[Mapping[str, object]], pages: list[Mapping[str, object]],
    url: str, fetched_at: dt.datetime | None, hint: CaptureMetadata | None,
) -> Iterator[tuple[DateValue, bool]]:
    """Declared publication dates in order of precedence, each with whether it is strong.

    htmldate, the last resort, is not among them (:func:`published_date` asks it lazily).
    The arguments are those of :func:`published_date`.

    Yields:
        ``(date, strong)``: weak dates (JSON-LD ``WebPage``, generic ``date`` meta) only
        count when the page shows them.
    """
    for obj in articles:
        for key in ("datePublished", "dateCreated"):
            found = date_value(str_value(obj.get(key)), "jsonld", fetched_at)
            if found:
                yield found, True
    for key in PUBLISHED_META:
        for value in ev.meta.get(key, ()):
            found = date_value(value, "meta:" + key, fetched_at)
            if found:
                yield found, key not in WEAK_META
    for value in ev.itemprop_dates.get("datePublished", ()):
        found = date_value(value, "microdata", fetched_at)
        if found:
            yield found, True
    for value in ev.header_times[:1]:
        found = date_value(value, "time", fetched_at)
        if found:
            yield found, True
    for obj in pages:
        found = date_value(str_value(obj.get("datePublished")), "jsonld:webpage", fetched_at)
        if found:
            yield found, False
    if hint is not None and hint.published is not None and plausible(hint.published, fetched_at):
        # the crawl wrote it with its time of day (ISO 8601), so it is a full timestamp
        yield DateValue(hint.published, "discovery:" + (hint.source or "discovery")), True
    found = date_from_url(url, fetched_at)
    if found:
        yield found, True


def modified_date(
    ev: Evidence, articles: list[Mapping[str, object]], pages: list[Mapping[str, object]],
    fetched_at: dt.datetime | None,
) -> DateValue | None:
    """The declared last modification date: JSON-LD article, meta tags, microdata, WebPage."""
    for obj in articles:
        found = date_value(str_value(obj.get("dateModified")), "jsonld", fetched_at)
        if found:
            return found
    for key in MODIFIED_META:
        for value in ev.meta.get(key, ()):
            found = date_value(value, "meta:" + key, fetched_at)
            if found:
                return found
    for value in ev.itemprop_dates.get("dateModified", ()):
        found = date_value(value, "microdata", fetched_at)
        if found:
            return found
    for obj in pages:
        found = date_value(str_value(obj.get("dateModified")), "jsonld:webpage", fetched_at)
        if found:
            return found
    return None


def lazy_dates(visible_text: Callable[[], str] | None,
                headlines: list[str]) -> Callable[[], ShownDates]:
    """The shown dates of the visible text, computed once and only when first asked for."""
    cache: list[ShownDates] = []

    def get() -> ShownDates:
        if not cache:
            text = clean_space(visible_text()) if visible_text else ""
            cache.append(shown_dates(text, headlines))
        return cache[0]

    return get


def meta_value(ev: Evidence, *keys: str) -> str | None:
    """The first non-empty value of the meta ``keys``, in that order."""
    found = ev.first_meta(*keys)
    return found[1] if found else None


def str_value(value: object) -> str | None:
    """A JSON-LD value as a string (the first string of a list), else ``None``."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return value if isinstance(value, str) else None
