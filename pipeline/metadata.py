"""Combine a page's metadata evidence into values users can trust.

Order of precedence, first usable value wins:

- **published / modified**: first the declared date: JSON-LD article object
  (``datePublished``/``dateCreated``) -> meta tags (``article:published_time``, Dublin Core,
  ``sailthru.date``, Parse.ly, ...) and microdata ``<time itemprop>`` -> JSON-LD ``WebPage``
  object -> the discovery hint (news sitemap, feed) -> a full date in the URL (``/2024/03/15/``,
  ``/2024/march/15/``) -> htmldate. Weak evidence (JSON-LD ``WebPage``, generic
  ``date``/``dc.date`` meta, htmldate) is only used when the byline area shows that date.
  Then the dates the page shows its readers (visible text, labelled by the words before them):
  a date labelled "Published"/"Posted" in the byline area (near the ``<h1>``) wins over a
  declared date of another day (one day apart: the same moment in another time zone, the
  declared value stays); a date labelled "Published" anywhere wins over a declared date the
  page never shows. A declared date otherwise stands ("Updated" dates are modifications).
  Without a declared date: the first byline date (unlabelled or "Updated", the page's only
  dating; not when the page gives its publication as a month alone), else a date labelled
  "Published" anywhere. Dates labelled "valid through", "©", "active" and the like are never
  used; free text outside the byline area only counts when labelled. A numeric date that
  reads two ways counts in the reading other evidence confirms, else by the page locale.
  Dates after the fetch time or before 1995 are refused; a modification before the
  publication is dropped.
- **title**: the visible ``<h1>`` headline when it agrees with a declared title (JSON-LD
  ``headline``, ``og:title``, ``twitter:title``, ``<title>``; HTML entities decoded), or a
  declared title it contains when the rest is a date or byline; else the page's only ``<h1>``
  of three words or more (several ``<h1>`` are sections); a headline whose characters a bad
  encoding turned into "?" gives way to the declared title it matches; otherwise the first
  declared title
  with the site name removed (``og:site_name``, JSON-LD publisher, the host name); then
  trafilatura's title.
- **authors**: JSON-LD article ``author`` -> author meta tags -> byline elements
  (``itemprop=author``, ``rel=author``, author/byline classes, links to ``/author/<name>``;
  not in sidebars, comments or related stories; links joined by "," or "&" are one list) ->
  a "By"/"Written by"/"Author:" label in the text after the headline, the first source
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
import html
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from pipeline.dates import (
    DateValue,
    ShownDate,
    ShownDates,
    date_from_url,
    date_value,
    dates_in_text,
    plausible,
    shown_dates,
)
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
    r"^(?:(?:written|posted|reported|text|story|words|reviewed|edited|photos?|article|"
    r"post)\s+)?"
    r"(?:by|von|par|por|di|door|av|autor(?:in)?|author|authors|auteur)\s*[:\-]?\s+",
    re.IGNORECASE,
)
_GROUP_SPLIT = re.compile(r"\s*[;|]\s*")
"""Separators between authors that never occur inside one author's description."""
_COMMA_SPLIT = re.compile(r"\s*,\s*")
_NAME_SPLIT = re.compile(r"\s*(?:/|&|\band\b|\bund\b|\bet\b|\by\b)\s*", re.IGNORECASE)
_CREDIT_LABEL = re.compile(r"(?:^|,\s*)(?!by\b|author\b|written\b)[a-z]+\s*:\s", re.IGNORECASE)
"""A credit label other than the author's ("design: ", "code: ")."""
_ROLE_START = re.compile(r"(?:head|vp|vice president|director|editor|member)\s+(?:of|for|at)\b",
                         re.IGNORECASE)
"""A job title of the form "Head of ...", whose words ("Sales and Marketing") are no names."""
_BYLINE_TAIL = re.compile(
    r"\s+(?:on|am|le|el|updated|published)\s+\w*\s*\d|\s\|\s|\s[-\u2013\u2014]\s|"
    r"\s+(?:(?:medically\s+)?reviewed|fact[- ]checked|edited|last\s+updated|updated|published|"
    r"posted)\b|"
    r"\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|"
    r"\s+(?:january|february|september|october|november|december|jan|feb|mar|apr|jun|jul|"
    r"aug|sep|sept|oct|nov|dec)\.?\s*$",
    re.IGNORECASE,
)
_ROLE_WORDS = frozenset({
    "former", "senior", "junior", "staff", "writer", "writers", "editor", "editors",
    "contributor", "contributing", "consultant", "founder", "co-founder", "cofounder", "ceo",
    "cto", "head", "director", "manager", "reporter", "correspondent", "columnist",
    "dietitian", "specialist", "certified", "chief", "lead", "author", "journalist",
    "producer", "analyst",
})
"""Words that start a job title after a name ("Jane Roe Senior Editor")."""
_CREDENTIALS = frozenset({
    "md", "m.d.", "phd", "ph.d.", "dvm", "vmd", "rn", "bsn", "msn", "np", "dds", "mph", "mba",
    "cpa", "rd", "rdn", "ld", "cdces", "facp", "faclm", "dacvb", "lvt", "vts", "cscs", "foma",
    "dabom", "jd", "esq", "msc", "bsc", "cfp",
})
"""Degrees and post-nominal letters written after a name ("Ann Lee, MD")."""
_PLACEHOLDERS = frozenset({
    "admin", "administrator", "webmaster", "staff", "editor", "author", "by", "unknown",
    "none", "guest", "null", "undefined",
})
_HONORIFICS = frozenset({"dr", "prof", "mr", "mrs", "ms", "sir", "dame"})
_ACCOUNT_WORDS = frozenset({"admin", "administrator", "webmaster"})
_MONTHS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
})
_PARTICLES = frozenset({
    "van", "der", "den", "de", "da", "di", "del", "della", "des", "du", "dos", "das", "von",
    "zu", "la", "le", "bin", "binti", "al", "el", "ter", "ten", "y", "e", "of", "the",
})
"""Lower-case words inside names ("Marna van der Merwe") and team names ("The Web Team")."""
_ORG_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation",
                        "EducationalOrganization", "GovernmentOrganization", "WebSite",
                        "LocalBusiness", "NGO"})
_BY_WORD = re.compile(r"\b(?:by|posted|published|updated)\b", re.IGNORECASE)
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
    declared: DateValue | None = None
    for candidate, strong in _published_candidates(ev, articles, pages, url, fetched_at, hint,
                                                   fallback):
        if strong or candidate.value.date() in {d.date for d in shown().header}:
            declared = candidate
            break
    modified = _modified(ev, articles, pages, fetched_at)
    known = {c.value.date() for c in (declared, modified, date_from_url(url, fetched_at)) if c}
    return _as_shown(declared, shown(), known, fetched_at, _month_first(ev.html_lang))


def _as_shown(
    declared: DateValue | None, shown: ShownDates, known: set[dt.date],
    fetched_at: dt.datetime | None, month_first: bool,
) -> DateValue | None:
    """Reconcile the declared publication date with the dates the page shows its readers.

    A date labelled "Published"/"Posted" in the byline area wins over a declared date of
    another day (one day apart is the same moment in another time zone: the declared value
    stays); so does a date labelled "Published" anywhere when the declared date is not shown
    at all. A declared date otherwise stands ("Updated" dates are modifications). Without a
    declared date, the first byline date (unlabelled or "Updated": the page's only dating),
    else a date labelled "Published" anywhere. An ambiguous numeric date is read the way
    other evidence confirms, else by the page's locale (month first for US English).
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
    choice = next((d for d in header if d.label == "published"), None)
    if declared is not None:
        day = declared.value.date()
        if choice is not None and (choice.date == day or (
                declared.has_time and abs((choice.date - day).days) <= 1)):
            return declared
        if choice is None and labelled and day not in shown.anywhere:
            choice = labelled[0]
        if choice is None:
            return declared
    elif choice is None and not shown.month_only:
        choice = next((d for d in header if d.label in ("", "updated")), None) or next(
            iter(labelled), None)
    if choice is None:
        return None
    when = dt.datetime.combine(choice.date, dt.time(), tzinfo=dt.UTC)
    if not plausible(when, fetched_at):
        return declared
    return DateValue(when, "page_text", has_time=False)


def _month_first(lang: str | None) -> bool:
    """Whether the page's locale writes numeric dates month first (US English)."""
    parts = re.split(r"[-_]", (lang or "en").strip().lower())
    return parts[0] == "en" and (len(parts) == 1 or parts[1] in ("us", "ph"))


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
    titles = [strip_site_name(clean_space(html.unescape(t)), site_names) for t in declared if t]
    titles = [t for t in titles if t]
    headlines = [h for h in ev.headlines
                 if len(h) <= 300 and not _is_site_name(h, site_names)]
    for headline in headlines:
        agreeing = [t for t in titles if _agrees(headline, t)]
        if agreeing:
            return _undamaged(_without_dateline(headline, agreeing), agreeing)
    # no agreement: the page's only <h1> is the headline readers see (unless it is a
    # logo or a label: three words at least); several <h1> are sections, not a headline
    if len(headlines) > 1:  # "Subscribe to <site>" and the like are not headlines
        headlines = [h for h in headlines if not _names_site(h, site_names)]
    if len(headlines) == 1 and len(_words(headlines[0])) >= 3:
        return headlines[0]
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


def _undamaged(headline: str, titles: list[str]) -> str:
    """The headline, or the declared title it equals but for characters lost to encoding.

    A bad encoding leaves "?" or U+FFFD for up to three characters ("Beginner? Guide" for
    "Beginner's Guide"); a declared title without "?" that fits is the undamaged text.
    """
    if "?" not in headline and "\ufffd" not in headline:
        return headline
    pattern = re.compile("".join(".{1,3}" if c in "?\ufffd" else re.escape(c) for c in headline))
    return next((t for t in titles if "?" not in t and pattern.fullmatch(t)), headline)


def _without_dateline(headline: str, titles: list[str]) -> str:
    """The headline, or a declared title it contains when the rest is a date or byline.

    Some templates put the date or "Posted on ... by ..." inside the ``<h1>``.
    """
    for title in titles:
        start = headline.find(title)
        if start >= 0 and len(title) < len(headline):
            rest = headline[:start] + headline[start + len(title):]
            if _DIGITS.search(rest) and (dates_in_text(rest) or _BY_WORD.search(rest)):
                return title
    return headline


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


def _names_site(text: str, site_names: list[str]) -> bool:
    compact = _compact(text)
    return any(len(_compact(n)) >= 5 and _compact(n) in compact for n in site_names)


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
    orgs = {_compact(n) for a in articles for n in _organization_names(a.get("author"))}

    def names_someone(names: tuple[str, ...]) -> bool:
        return not all(_is_site_name(n, site_names) or _compact(n) in orgs for n in names)

    declared = [clean_authors(names_of(a.get("author"))) for a in articles]
    declared += [clean_authors([v]) for key in AUTHOR_META for v in ev.meta.get(key, ())]
    declared = [names for names in declared if names]
    shown = [tuple(n for n in clean_authors([b]) if _looks_like_name(n))
             for b in (*ev.bylines, *ev.header_bylines)]
    shown = [names for names in shown if names]
    # a person named by a later source beats the site or publisher named as the author
    chosen = next((names for names in (*declared, *shown) if names_someone(names)), None)
    if chosen is None:
        if declared or shown:
            return (declared or shown)[0]
        return tuple(n for n in clean_authors([fallback("author") or ""]) if _looks_like_name(n))
    byline = next((names for names in shown if names_someone(names)), None)
    if byline is None or chosen is byline:
        return chosen
    if {_name_key(n) for n in chosen} < {_name_key(n) for n in byline}:
        return byline  # the byline names co-authors the metadata leaves out
    if all(_is_login(n) for n in chosen) and any(" " in n for n in byline):
        return byline  # an account name ("janed") against the name readers see
    return chosen


def _organization_names(value: object) -> list[str]:
    """Names of the JSON-LD ``author`` values typed as organizations."""
    if isinstance(value, list):
        return [name for item in value for name in _organization_names(item)]
    if isinstance(value, dict) and set(_types_of(value)) & _ORG_TYPES:
        return names_of(value)
    return []


def _types_of(value: Mapping[str, object]) -> list[str]:
    types = value.get("@type")
    return [t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)]


def _name_key(name: str) -> str:
    """A name compared without case, punctuation and a leading honorific ("Dr", "Mr")."""
    words = _words(name)
    return " ".join(words[1:] if len(words) > 1 and words[0] in _HONORIFICS else words)


def _looks_like_name(name: str) -> bool:
    """Whether text from the page body is written like a name (capitalized words)."""
    words = name.split()
    if len(words) == 1 and len(name) <= 3 and name.isupper():
        return False  # an avatar's initials ("CM")
    return all(w[0].isupper() or not w[0].isalpha() or w.casefold() in _PARTICLES
               for w in words) and not all(w.casefold() in _PARTICLES for w in words)


def _is_login(name: str) -> bool:
    """Whether a name is an account name ("janed", "KatieS", "j_doe").

    One word, in lower case or with an underscore or capitals inside.
    """
    return " " not in name and (name.islower() or "_" in name or any(
        c.isupper() for c in name[1:]))


def clean_authors(values: list[str]) -> tuple[str, ...]:
    """Turn raw author strings into a list of names.

    Removes "By"-style prefixes, e-mail addresses, URLs, dates and handles, splits lists of
    names ("A, B and C"), drops a job title with the rest of its comma-separated run
    ("A, Head of Sales and Marketing") and values that cannot be names (too long, digits,
    a month, account names like "Site Admin", credit lists like "design: A, code: B").

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
        if len(_CREDIT_LABEL.findall(value)) >= 2:
            continue  # "text: A, design: B, code: C" credits everybody involved
        for group in _GROUP_SPLIT.split(value):
            for part in _COMMA_SPLIT.split(group):
                words = part.strip(" .:-\u2013\u2014'\"()[]").split()
                if words and (words[0].casefold() in _ROLE_WORDS
                              or _ROLE_START.match(" ".join(words))):
                    break  # "A, Head of Marketing and Community": the rest is the job title
                for piece in _NAME_SPLIT.split(part):
                    name = _valid_name(piece)
                    if name and name not in names:
                        names.append(name)
    return tuple(names)


def _valid_name(piece: str) -> str:
    name = _person_name(_BY.sub("", piece.strip(" .:-\u2013\u2014'\"()[]")).strip())
    if not name or _DIGITS.search(name) or name.startswith("@"):
        return ""
    if len(name.split()) > 5 or len(name) > 60 or not any(c.isalpha() for c in name):
        return ""
    words = {w.casefold() for w in name.split()}
    if words & _PLACEHOLDERS and (len(words) == 1 or words & _ACCOUNT_WORDS):
        return ""  # "Admin", "Site Admin"
    if len(words) == 1 and words <= _MONTHS:
        return ""  # the first word of a date ("August 28, 2025")
    if " " not in name and ("." in name or ("-" in name and name.islower())):
        return ""  # template keys (page.author) and user-name slugs (jane-doe)
    return name


def _person_name(name: str) -> str:
    """A name without avatar initials before it and job titles or degrees after it."""
    words = name.split()
    if not words or words[0].casefold() in _ROLE_WORDS or all(
            w.casefold().strip(",") in _CREDENTIALS for w in words):
        return ""  # a part that is only a job title or degrees ("Co-Founder", "MD")
    if (len(words) >= 3 and words[0].isupper() and len(words[0]) == len(words) - 1
            and words[0] == "".join(w[0] for w in words[1:]).upper()):
        words = words[1:]  # "CM Craig McCarthy": an avatar's initials
    for i, word in enumerate(words[2:], start=2):
        if word.casefold() in _ROLE_WORDS or word.casefold() in _CREDENTIALS:
            words = words[:i]
            break
    return " ".join(words)


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
