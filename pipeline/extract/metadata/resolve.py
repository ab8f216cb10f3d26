"""Combine a page's metadata evidence into values users can trust.

Order of precedence, first usable value wins:

- **published / modified** (the rule set of ``docs/processing.md``): first the page's own
  declared date: JSON-LD article object (``datePublished``/``dateCreated``) -> meta tags
  (``article:published_time``, Dublin Core, ``sailthru.date``, Parse.ly, ...) and microdata
  ``<time itemprop>`` -> the ``<time datetime>`` of the article header -> JSON-LD ``WebPage``
  object -> htmldate (confirmed by the byline area; unconfirmed only on an article page that
  dates itself nowhere else, after the shown dates below) -> the discovery hint (news sitemap,
  feed) and a full date in the URL (``/2024/03/15/``), only when the page states no date.
  Weak evidence (JSON-LD ``WebPage``, generic ``date``/``dc.date`` meta) is only used when the
  byline area shows that date. A value without offset takes the offset of another statement
  of the same wall clock.
  When declared dates disagree and the page never shows the first, a later declared date the
  byline area shows wins (a stale JSON-LD template against the meta tags). Then the dates
  the page shows its readers (visible text, labelled by the words before them; a date right
  after a "Written by ..." byline counts as labelled "Published"): a date labelled
  "Published"/"Posted" in the byline area (near the ``<h1>``) wins over a
  declared date of another day (one day apart: the same moment in another time zone, the
  declared value stays); a date labelled "Published" anywhere wins over a declared date the
  page never shows; so does an unlabelled byline date when the page shows neither the
  declared publication nor the declared modification date (an import or template date).
  A declared date otherwise stands ("Updated" dates are modifications).
  Without a declared date: a byline date labelled "Published", else a date labelled
  "Originally published" (unless the page labels another date "Published"/"Posted": that is
  its own posting), else the first byline date (unlabelled or "Updated", the page's only
  dating; not when the page gives its publication as a month alone), else a date labelled
  "Published" anywhere. Dates labelled "valid through", "©", "active" and the like are never
  used; free text outside the byline area only counts when labelled. A numeric date that
  reads two ways counts in the reading other evidence confirms, else by the page locale.
  Dates after the fetch time or before 1995 are refused; a modification before the
  publication is dropped.
- **title**: the visible ``<h1>`` headline when it agrees with a declared title (JSON-LD
  ``headline``, ``og:title``, ``twitter:title``, ``<title>``; HTML entities decoded), or a
  declared title it contains when the rest is a date or byline; else the page's only ``<h1>``
  of three words or more (several ``<h1>`` are sections, unless exactly one of them is inside
  an ``<article>``: the story's own); a headline whose characters a bad encoding turned into
  "?", or typed in capitals, gives way to the declared title it matches; otherwise the first
  declared title with the site name removed (``og:site_name``, JSON-LD publisher, the host
  name); then trafilatura's title.
- **authors**: JSON-LD article ``author`` -> author meta tags -> byline elements
  (``itemprop=author``, ``rel=author``, author/byline classes, links to ``/author/<name>``;
  not in sidebars, comments or related stories, but an ``<aside>`` or ``<footer>`` inside the
  ``<article>`` is the article's own; links joined by "," or "&", even in an element of their
  own, are one list; of an author box with a biography, its heading, "About" removed) ->
  a "By"/"Written by"/"Author:" label in the text after the headline -> a "Written by"/
  "Posted by"/"Author:" label anywhere else (an author box after the article; a bare "By"
  there starts sentences and photo credits), the first source
  naming someone other than the site itself or an organization typed as the author (else
  the site name) -> trafilatura. Text from the page body must read as a name (capitalized
  words, not an avatar's initials). The visible byline wins over the declared authors when
  it adds co-authors to them, or when they are only account names ("janed"). "By"/"Article
  by", trailing "Reviewed by"/"Updated"/dates, job titles ("Senior Editor", "Head of ..."
  with the rest of its comma run), degrees ("MD"), avatar initials, e-mail addresses, URLs,
  template keys, account names ("Site Admin"), months, credit lists ("design: A, code: B")
  and user-name slugs are removed, several names are split.
- **description, image, tags, language**: OpenGraph, then meta tags, then JSON-LD, then
  trafilatura.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.dates import DateValue
from pipeline.extract.metadata.authors import AUTHOR_META, clean_authors, decide_authors
from pipeline.extract.metadata.dates import (
    MODIFIED_META,
    PUBLISHED_META,
    WEAK_META,
    WEBPAGE_TYPES,
    Fallback,
    lazy_dates,
    meta_value,
    modified_date,
    published_date,
    str_value,
)
from pipeline.extract.metadata.evidence import ARTICLE_TYPES, Evidence, text_of
from pipeline.extract.metadata.titles import decide_title, site_names_of, strip_site_name
from pipeline.extract.text import clean_space

__all__ = [
    "AUTHOR_META", "MODIFIED_META", "PUBLISHED_META", "WEAK_META", "PageMetadata",
    "clean_authors", "resolve_metadata", "strip_site_name",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageMetadata:
    """The decided metadata of one page.

    Attributes:
        title: The headline without site-name decoration.
        authors: Person (or organization) names, "By" and roles removed.
        published: The publication date and its source, or ``None`` when no evidence is
            strong enough.
        modified: The last modification date and its source.
        language: ISO 639 primary language subtag, lower case.
        description: The page's own summary.
        tags: Keywords and tags the page declares.
        image: The lead image URL (absolute).
        site_name: The publication's name, when declared.
        canonical_url: ``<link rel=canonical>`` (absolute), or ``None``.
        types: JSON-LD types and ``og:type`` of the page (for page classification).
    """

    title: str | None = None
    authors: tuple[str, ...] = ()
    published: DateValue | None = None
    modified: DateValue | None = None
    language: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    image: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    types: frozenset[str] = frozenset()


def resolve_metadata(
    evidence: Evidence,
    *,
    url: str,
    fetched_at: dt.datetime | None,
    hint: CaptureMetadata | None = None,
    fallback: Fallback | None = None,
    visible_text: Callable[[], str] | None = None,
) -> PageMetadata:
    """Decide every metadata field from the evidence, in the documented order of precedence.

    Args:
        evidence: What the page states
            (:func:`pipeline.extract.metadata.evidence.collect_evidence`).
        url: The page URL (host name, dates in the path, relative links).
        fetched_at: The fetch time: later dates are refused.
        hint: What the crawl recorded about the page (its WARC metadata record); the date
            its discovery source announced is evidence.
        fallback: Last-resort values (trafilatura, htmldate) computed on demand.
        visible_text: The page's visible text, computed on demand: weak date evidence is only
            accepted when the page shows that date to readers.

    Returns:
        The :class:`PageMetadata`.
    """
    fallback = fallback or (lambda _name: None)
    articles = evidence.objects_of(ARTICLE_TYPES)
    pages = evidence.objects_of(WEBPAGE_TYPES)
    site_names = site_names_of(evidence, articles, url)
    title = _visible(decide_title(evidence, articles, site_names, fallback))
    shown = lazy_dates(visible_text, [*evidence.headlines, *([title] if title else [])])
    published = published_date(evidence, articles, pages, url, fetched_at, hint, fallback, shown)
    modified = modified_date(evidence, articles, pages, fetched_at)
    if modified and published and modified.value < published.value:
        modified = None
    return PageMetadata(
        title=title,
        authors=decide_authors(evidence, articles, site_names, fallback),
        published=published,
        modified=modified,
        language=_language(evidence, articles, fallback),
        description=_first_text(
            [meta_value(evidence, "og:description", "description", "twitter:description")]
            + [text_of(a.get("description")) for a in articles] + [fallback("description")]),
        tags=_tags(evidence, articles),
        image=_absolute(url, _first_text(
            [meta_value(evidence, "og:image", "og:image:url", "twitter:image", "twitter:image:src")]
            + [text_of(a.get("image")) for a in articles] + [fallback("image")])),
        site_name=site_names[0] if site_names else None,
        canonical_url=_absolute(url, evidence.canonical),
        types=evidence.types,
    )


# --- the rest ----------------------------------------------------------------------------------

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
"""Soft hyphens and zero-width characters: hyphenation hints, not part of the headline."""


def _visible(title: str | None) -> str | None:
    return clean_space(_INVISIBLE.sub("", title)) or None if title else title


def _language(ev: Evidence, articles: list[Mapping[str, object]], fallback: Fallback) -> str | None:
    for value in (ev.html_lang, meta_value(ev, "content-language", "og:locale", "dc.language"),
                  *(str_value(a.get("inLanguage")) for a in articles), fallback("language")):
        if value:
            primary = re.split(r"[-_]", value.strip())[0].lower()
            if re.fullmatch(r"[a-z]{2,3}", primary):
                return primary
    return None


def _tags(ev: Evidence, articles: list[Mapping[str, object]]) -> tuple[str, ...]:
    raw: list[str] = list(ev.meta.get("article:tag", ()))
    if not raw:
        for obj in articles:
            keywords = obj.get("keywords")
            if isinstance(keywords, str):
                raw.extend(keywords.split(","))
            elif isinstance(keywords, list):
                raw.extend(k for k in keywords if isinstance(k, str))
    if not raw:
        for key in ("news_keywords", "keywords"):
            for value in ev.meta.get(key, ()):
                raw.extend(value.split(","))
    tags: list[str] = []
    for value in raw:
        tag = clean_space(value)
        if tag and len(tag) <= 80 and tag not in tags:
            tags.append(tag)
    return tuple(tags[:50])


def _first_text(values: list[str | None]) -> str | None:
    for value in values:
        if value and clean_space(value):
            return clean_space(value)
    return None


def _absolute(base: str, link: str | None) -> str | None:
    if not link:
        return None
    try:
        joined = urljoin(base, link.strip())
    except ValueError:
        return None
    return joined if joined.startswith(("http://", "https://")) else None
