"""Combine a page's metadata evidence into values users can trust.

Order of precedence, first usable value wins:

- **published / modified**: JSON-LD article object (``datePublished``/``dateModified``) ->
  meta tags (``article:published_time``, ``og:updated_time``, Dublin Core, Parse.ly, ...) and
  microdata ``<time itemprop>`` -> JSON-LD ``WebPage`` object -> the discovery hint (news
  sitemap, feed) -> a full date in the URL -> htmldate. Weak evidence (JSON-LD ``WebPage``,
  generic ``date``/``dc.date`` meta, htmldate) is only used when the page shows that date in its
  visible text; otherwise no date is better than an invented one. Dates after the fetch time or
  before 1995 are refused; a modification before the publication is dropped.
- **title**: the visible ``<h1>`` headline when it agrees with a declared title (JSON-LD
  ``headline``, ``og:title``, ``twitter:title``, ``<title>``); otherwise the first declared title
  with the site name removed (``og:site_name``, JSON-LD publisher, the host name); then the only
  ``<h1>``; then trafilatura's title.
- **authors**: JSON-LD article ``author`` -> author meta tags -> byline elements -> trafilatura;
  "By", roles, e-mail addresses, dates and URLs are removed, several names are split.
- **description, image, tags, language**: OpenGraph, then meta tags, then JSON-LD, then
  trafilatura.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from pipeline.dates import DateValue, ShownDates, date_from_url, date_value, shown_dates
from pipeline.evidence import ARTICLE_TYPES, Evidence, clean_space, names_of, text_of

logger = logging.getLogger(__name__)

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

AUTHOR_META = (
    "author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
    "dcterms.creator", "byl", "cxenseparse:author",
)
"""Meta keys naming the authors, in order of trust."""

WEAK_META = frozenset({"date", "dc.date", "dcterms.created", "dc.date.created"})
"""Generic meta keys that often carry a template or build date: confirmed like weak evidence."""

WEBPAGE_TYPES = frozenset({"WebPage", "ItemPage", "AboutPage", "FAQPage", "QAPage"})

_SEPARATORS = re.compile(r"\s+[|\-\u2013\u2014:\u00b7\u2022\u00bb/]\s+|\s*[|\u00b7\u2022\u00bb]\s*")
_BY = re.compile(
    r"^(?:(?:written|posted|reported|text|story|words|reviewed|edited|photos?)\s+)?"
    r"(?:by|von|par|por|di|door|av|autor(?:in)?|author|authors|auteur)\s*[:\-]?\s+",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\||/|&|\band\b|\bund\b|\bet\b|\by\b)\s*", re.IGNORECASE)
_BYLINE_TAIL = re.compile(
    r"\s+(?:on|am|le|el|updated|published)\s+\w*\s*\d|\s\|\s|\s[-\u2013\u2014]\s", re.IGNORECASE
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_DIGITS = re.compile(r"\d")
_WORDS = re.compile(r"\w+")
Fallback = Callable[[str], str | None]
"""Lazily computed last-resort values by field name (``title``, ``author``, ``date``, ...)."""


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
    hint: Mapping[str, str] | None = None,
    fallback: Fallback | None = None,
    visible_text: Callable[[], str] | None = None,
) -> PageMetadata:
    """Decide every metadata field from the evidence, in the documented order of precedence.

    Args:
        evidence: What the page states (:func:`pipeline.evidence.collect_evidence`).
        url: The page URL (host name, dates in the path, relative links).
        fetched_at: The fetch time: later dates are refused.
        hint: Date evidence kept from discovery, e.g. ``{"published": "2024-03-01T10:00Z",
            "source": "news_sitemap"}``.
        fallback: Last-resort values (trafilatura, htmldate) computed on demand.
        visible_text: The page's visible text, computed on demand: weak date evidence is only
            accepted when the page shows that date to readers.

    Returns:
        The :class:`PageMetadata`.
    """
    fallback = fallback or (lambda _name: None)
    articles = evidence.objects_of(ARTICLE_TYPES)
    pages = evidence.objects_of(WEBPAGE_TYPES)
    site_names = _site_names(evidence, articles, url)
    title = _title(evidence, articles, site_names, fallback)
    shown = _lazy_dates(visible_text, [*evidence.headlines, *([title] if title else [])])
    published = _published(evidence, articles, pages, url, fetched_at, hint, fallback, shown)
    modified = _modified(evidence, articles, pages, fetched_at)
    if modified and published and modified.value < published.value:
        modified = None
    return PageMetadata(
        title=title,
        authors=_authors(evidence, articles, site_names, fallback),
        published=published,
        modified=modified,
        language=_language(evidence, articles, fallback),
        description=_first_text(
            [_meta(evidence, "og:description", "description", "twitter:description")]
            + [text_of(a.get("description")) for a in articles] + [fallback("description")]),
        tags=_tags(evidence, articles),
        image=_absolute(url, _first_text(
            [_meta(evidence, "og:image", "og:image:url", "twitter:image", "twitter:image:src")]
            + [text_of(a.get("image")) for a in articles] + [fallback("image")])),
        site_name=site_names[0] if site_names else None,
        canonical_url=_absolute(url, evidence.canonical),
        types=evidence.types,
    )


# --- dates -------------------------------------------------------------------------------------

def _published(  # noqa: PLR0917 - internal helper of resolve_metadata
    ev: Evidence, articles: list[Mapping[str, object]], pages: list[Mapping[str, object]],
    url: str, fetched_at: dt.datetime | None, hint: Mapping[str, str] | None,
    fallback: Fallback, shown: Callable[[], ShownDates],
) -> DateValue | None:
    for candidate, strong in _published_candidates(ev, articles, pages, url, fetched_at, hint,
                                                   fallback):
        if strong or candidate.value.date() in shown().header:
            return candidate
    header = shown().header
    if header:
        first = dt.datetime.combine(header[0], dt.time(), tzinfo=dt.UTC)
        if fetched_at is None or first <= fetched_at:
            return DateValue(first, "page_text", has_time=False)
    return None


def _published_candidates(  # noqa: PLR0917 - internal helper of resolve_metadata
    ev: Evidence, articles: list[Mapping[str, object]], pages: list[Mapping[str, object]],
    url: str, fetched_at: dt.datetime | None, hint: Mapping[str, str] | None,
    fallback: Fallback,
) -> Iterator[tuple[DateValue, bool]]:
    """Date candidates in order of precedence, each with whether it is strong evidence."""
    for obj in articles:
        for key in ("datePublished", "dateCreated"):
            found = date_value(_str(obj.get(key)), "jsonld", fetched_at)
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
    for obj in pages:
        found = date_value(_str(obj.get("datePublished")), "jsonld:webpage", fetched_at)
        if found:
            yield found, False
    if hint:
        hinted = hint.get("published") or hint.get("published_at") or hint.get("date")
        found = date_value(hinted, "discovery:" + (hint.get("source") or "hint"), fetched_at)
        if found:
            yield found, True
    found = date_from_url(url, fetched_at)
    if found:
        yield found, True
    found = date_value(fallback("date"), "htmldate", fetched_at)
    if found:
        yield found, False


def _modified(
    ev: Evidence, articles: list[Mapping[str, object]], pages: list[Mapping[str, object]],
    fetched_at: dt.datetime | None,
) -> DateValue | None:
    for obj in articles:
        found = date_value(_str(obj.get("dateModified")), "jsonld", fetched_at)
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
        found = date_value(_str(obj.get("dateModified")), "jsonld:webpage", fetched_at)
        if found:
            return found
    return None


def _lazy_dates(visible_text: Callable[[], str] | None,
                headlines: list[str]) -> Callable[[], ShownDates]:
    cache: list[ShownDates] = []

    def get() -> ShownDates:
        if not cache:
            text = clean_space(visible_text()) if visible_text else ""
            cache.append(shown_dates(text, headlines))
        return cache[0]

    return get


# --- title -------------------------------------------------------------------------------------

def _title(
    ev: Evidence, articles: list[Mapping[str, object]], site_names: list[str],
    fallback: Fallback,
) -> str | None:
    declared = [_str(a.get("headline")) or _str(a.get("name")) for a in articles]
    declared += [_meta(ev, "og:title"), _meta(ev, "twitter:title"), ev.title_tag]
    titles = [strip_site_name(clean_space(t), site_names) for t in declared if t]
    titles = [t for t in titles if t]
    headlines = [h for h in ev.headlines
                 if len(h) <= 300 and not _is_site_name(h, site_names)]
    for headline in headlines:
        if any(_agrees(headline, t) for t in titles):
            return headline
    if titles:
        return titles[0]
    if headlines:
        return headlines[0]
    title = fallback("title")
    return strip_site_name(clean_space(title), site_names) or None if title else None


def strip_site_name(title: str, site_names: list[str]) -> str:
    """Remove a leading or trailing site-name segment (``Headline | Site``, ``Site - Headline``).

    A segment is removed when it names the site (``og:site_name``, publisher, host name), or
    when it is a short trailing segment after a ``|`` (a separator headlines rarely use).

    Args:
        title: A declared title.
        site_names: Names of the site, most trusted first.

    Returns:
        The title without site-name segments.
    """
    for _ in range(2):
        parts = _SEPARATORS.split(title)
        seps = _SEPARATORS.findall(title)
        if len(parts) < 2:
            break
        if _is_site_name(parts[-1], site_names) and _words(title[: -len(parts[-1])]):
            title = title[: title.rfind(seps[-1])].strip()
        elif _is_site_name(parts[0], site_names) and _words(title[len(parts[0]):]):
            title = title[title.find(seps[0]) + len(seps[0]):].strip()
        elif ("|" in seps[-1] and len(_words(parts[-1])) <= 4
              and len(_words(title)) - len(_words(parts[-1])) >= 3):
            title = title[: title.rfind(seps[-1])].strip()
        else:
            break
    return title


def _agrees(headline: str, title: str) -> bool:
    a, b = _words(headline), _words(title)
    if not a or not b:
        return False
    if a == b:
        return True
    sa, sb = set(a), set(b)
    if len(a) >= 3 and (" ".join(a) in " ".join(b) or " ".join(b) in " ".join(a)):
        return True
    return len(sa & sb) / len(sa | sb) >= 0.6


def _site_names(ev: Evidence, articles: list[Mapping[str, object]], url: str) -> list[str]:
    names = [_meta(ev, "og:site_name"), _meta(ev, "application-name"),
             _meta(ev, "al:android:app_name"), _meta(ev, "twitter:site")]
    for obj in articles:
        names.extend(names_of(obj.get("publisher")))
    for item in ev.jsonld:
        if {"WebSite", "Organization", "NewsMediaOrganization"}.intersection(item["@types"]):
            names.extend(names_of(item))
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    names.append(host)
    return [clean_space(n).lstrip("@") for n in names if n and clean_space(n)]


def _compact(text: str) -> str:
    return "".join(_words(unicodedata.normalize("NFKC", text)))


def _is_site_name(segment: str, site_names: list[str]) -> bool:
    seg = _compact(segment)
    if not seg:
        return False
    for name in site_names:
        full = _compact(name)
        label = _compact(name.split(".")[-2]) if "." in name and " " not in name else full
        for cand in {full, label}:
            if not cand:
                continue
            if seg == cand or (len(seg) >= 4 and len(cand) >= 4
                               and (cand.startswith(seg) or seg.startswith(cand))):
                return True
    return False


# --- authors -----------------------------------------------------------------------------------

def _authors(
    ev: Evidence, articles: list[Mapping[str, object]], site_names: list[str],
    fallback: Fallback,
) -> tuple[str, ...]:
    candidates: list[list[str]] = [names_of(a.get("author")) for a in articles]
    candidates += [[v] for key in AUTHOR_META for v in ev.meta.get(key, ())]
    candidates += [[b] for b in ev.bylines]
    candidates.append([fallback("author") or ""])
    for raw in candidates:
        names = clean_authors(raw)
        if names:
            return names
    return ()


def clean_authors(values: list[str]) -> tuple[str, ...]:
    """Turn raw author strings into a list of names.

    Removes "By"-style prefixes, e-mail addresses, URLs, dates and handles, splits lists of
    names ("A, B and C") and drops values that cannot be names (too long, digits).

    Args:
        values: Raw strings as found in JSON-LD, meta tags or byline elements.

    Returns:
        Distinct names in their original order.
    """
    names: list[str] = []
    for raw in values:
        value = clean_space(raw)
        if not value or value.startswith(("http://", "https://", "www.")):
            continue
        value = _BYLINE_TAIL.split(_EMAIL.sub("", value), maxsplit=1)[0]
        value = _BY.sub("", value.strip())
        for part in _NAME_SPLIT.split(value):
            name = _BY.sub("", part.strip(" .:-\u2013\u2014'\"()[]")).strip()
            if not name or _DIGITS.search(name) or name.startswith("@"):
                continue
            if len(name.split()) > 5 or len(name) > 60 or not any(c.isalpha() for c in name):
                continue
            if name.lower() in {"admin", "staff", "editor", "author", "by", "unknown", "none"}:
                continue
            if name not in names:
                names.append(name)
    return tuple(names)


# --- the rest ----------------------------------------------------------------------------------

def _language(ev: Evidence, articles: list[Mapping[str, object]], fallback: Fallback) -> str | None:
    for value in (ev.html_lang, _meta(ev, "content-language", "og:locale", "dc.language"),
                  *(_str(a.get("inLanguage")) for a in articles), fallback("language")):
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


def _meta(ev: Evidence, *keys: str) -> str | None:
    found = ev.first_meta(*keys)
    return found[1] if found else None


def _str(value: object) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return value if isinstance(value, str) else None


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


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.casefold())
