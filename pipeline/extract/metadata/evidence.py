"""Read the metadata evidence a page states about itself, without deciding anything yet.

JSON-LD (``@graph``, lists, ``@id`` references), ``<meta>`` tags (name, property, itemprop,
http-equiv), microdata dates, the ``<title>``, visible ``<h1>`` headlines, bylines (found by
:mod:`pipeline.extract.metadata.bylines`), the canonical link and the document language.
:mod:`pipeline.extract.metadata.resolve` combines this evidence.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lxml.html import HtmlElement

from pipeline.extract.metadata.bylines import (
    MAX_BYLINE,
    body_bylines,
    byline_elements,
    in_menu,
    labelled_bylines,
)
from pipeline.extract.text import clean_space

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNews", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "ReviewNewsArticle", "BackgroundNewsArticle", "AskPublicNewsArticle", "BlogPosting",
    "LiveBlogPosting", "TechArticle", "ScholarlyArticle", "Report", "SocialMediaPosting",
    "DiscussionForumPosting", "SatiricalArticle", "AdvertiserContentArticle", "Review",
    "MedicalWebPage", "HowTo", "Recipe",
})
"""JSON-LD ``@type`` values describing one article (``schema.org`` prefix removed)."""

LISTING_TYPES = frozenset({
    "CollectionPage", "ItemList", "SearchResultsPage", "ProfilePage", "ImageGallery",
    "MediaGallery", "VideoGallery", "Blog",
})
"""JSON-LD ``@type`` values describing a page of many items, not one article."""

_MAX_JSONLD_BYTES = 2_000_000
_PUBLISHED_MARK = re.compile(r"publish|entry-date|posted|created|pubdate|date-pub", re.I)
_NOT_PUBLISHED = re.compile(r"modif|updat|comment|related|teaser|sidebar|widget|reply", re.I)


@dataclass(frozen=True)
class Evidence:
    """Everything a page says about itself, in document order, undecided.

    Attributes:
        jsonld: Flattened JSON-LD objects (each has a normalized ``@type`` tuple under
            ``"@types"``), ``@id`` references already resolved one level deep.
        meta: Lower-cased meta key (name, property, itemprop or http-equiv) to its values.
        itemprop_dates: Microdata ``datePublished``/``dateModified`` values of non-meta
            elements (``<time itemprop=... datetime=...>``), and ``<time pubdate>``.
        title_tag: Text of ``<title>``.
        headlines: Visible ``<h1>`` texts, whitespace-normalized, non-empty.
        bylines: Texts of author/byline elements (``itemprop=author``, ``rel=author``, classes
            such as ``byline`` or ``post-author``, links to ``/author/<name>`` pages), those
            after the headline ``<h1>`` first; of an author box with a biography, its heading.
        header_bylines: Bylines labelled in the text after the headline ``<h1>`` ("By Jane
            Doe", "Written by: Jane Doe", "Author Jane Doe"), label removed, in text order.
        canonical: ``<link rel=canonical>`` href, as written.
        article_headline: The text of the only ``<h1>`` inside an ``<article>`` element, when
            exactly one is (the story's own headline among logo, widget and teaser ``<h1>``).
        html_lang: The ``lang`` attribute of ``<html>``.
        tree: The parsed page, for evidence read only when asked (:attr:`body_bylines`).
    """

    jsonld: tuple[Mapping[str, Any], ...] = ()
    meta: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    itemprop_dates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    title_tag: str | None = None
    headlines: tuple[str, ...] = ()
    bylines: tuple[str, ...] = ()
    header_bylines: tuple[str, ...] = ()
    canonical: str | None = None
    html_lang: str | None = None
    article_headline: str | None = None
    tree: HtmlElement | None = field(default=None, repr=False, compare=False)

    @cached_property
    def body_bylines(self) -> tuple[str, ...]:
        """Bylines labelled "Written by", "Posted by" or "Author:" anywhere else in the body.

        Outside menus, sidebars, comments and related stories (an author box after the
        article); label removed, in text order. Read on first use: it walks the whole body,
        and most pages name their author before it is needed.
        """
        return tuple(body_bylines(self.tree)) if self.tree is not None else ()

    @cached_property
    def header_times(self) -> tuple[str, ...]:
        """``datetime`` values of the article header's ``<time>`` elements, publication first.

        A ``<time datetime>`` counts when a ``<header>`` or ``<article>`` holds it or its class
        names a publication ("published", "entry-date", "posted", "created"); never one of an
        update, a comment, a menu, a sidebar or related stories.
        """
        if self.tree is None:
            return ()
        labelled, placed = [], []
        for el in self.tree.xpath("//time[@datetime]")[:12]:
            value = (el.get("datetime") or "").strip()
            marks = " ".join(filter(None, [el.get("class"), el.getparent().get("class")
                                           if el.getparent() is not None else None])).lower()
            if not value or _NOT_PUBLISHED.search(marks) or el.get("itemprop") or any(
                    a.tag in ("nav", "aside", "footer") or _NOT_PUBLISHED.search(
                        a.get("class") or "") for a in el.iterancestors()):
                continue
            if _PUBLISHED_MARK.search(marks):
                labelled.append(value)
            elif any(a.tag in ("header", "article") for a in el.iterancestors()):
                placed.append(value)
        return tuple(labelled + placed)

    def first_meta(self, *keys: str) -> tuple[str, str] | None:
        """The first non-empty value among ``keys`` (in that order) and the key it came from."""
        for key in keys:
            for value in self.meta.get(key, ()):
                if value.strip():
                    return key, value.strip()
        return None

    def objects_of(self, types: frozenset[str]) -> list[Mapping[str, Any]]:
        """JSON-LD objects with at least one ``@type`` in ``types``, in document order."""
        return [obj for obj in self.jsonld if types.intersection(obj["@types"])]

    @property
    def types(self) -> frozenset[str]:
        """Every JSON-LD ``@type`` on the page plus ``og:type`` (as ``og:<value>``)."""
        found: set[str] = set()
        for obj in self.jsonld:
            found.update(obj["@types"])
        for value in self.meta.get("og:type", ()):
            found.add("og:" + value.strip().lower())
        return frozenset(found)


def collect_evidence(tree: HtmlElement) -> Evidence:
    """Read the metadata evidence of a parsed page.

    Args:
        tree: The page, parsed by lxml (not modified).

    Returns:
        The :class:`Evidence`.
    """
    meta: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        value = el.get("content")
        if value is None:
            value = el.get("value") or el.get("datetime")
        if key and value:
            meta.setdefault(key.strip().lower(), []).append(clean_space(value))
    dates: dict[str, list[str]] = {}
    for el in tree.xpath("//*[@itemprop='datePublished' or @itemprop='dateModified']"
                         "[not(self::meta)]|//time[@pubdate]"):
        prop = el.get("itemprop") or "datePublished"
        value = el.get("datetime") or el.get("content") or clean_space(el.text_content())
        if value:
            dates.setdefault(prop, []).append(value.strip())
    title = tree.find(".//title")
    h1s = [(h, clean_space(h.text_content())) for h in tree.iter("h1")]
    headlines = [text for _h, text in h1s]
    headline = next((h for h, text in h1s if len(text.split()) >= 3 and not in_menu(h)),
                    next((h for h, text in h1s if text), None))
    bylines = byline_elements(tree, headline)
    in_article = [text for h, text in h1s
                  if text and any(a.tag == "article" for a in h.iterancestors())]
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    html = tree.getroottree().getroot()
    return Evidence(
        jsonld=tuple(_jsonld_objects(tree)),
        meta={k: tuple(v) for k, v in meta.items()},
        itemprop_dates={k: tuple(v) for k, v in dates.items()},
        title_tag=clean_space(title.text_content()) if title is not None else None,
        headlines=tuple(h for h in headlines if h),
        bylines=tuple(b for b in bylines if b and len(b) < MAX_BYLINE),
        header_bylines=tuple(labelled_bylines(headline)) if headline is not None else (),
        canonical=str(canonical[0]).strip() if canonical else None,
        html_lang=(html.get("lang") or html.get("xml:lang") or None),
        article_headline=in_article[0] if len(in_article) == 1 else None,
        tree=tree,
    )


def _jsonld_objects(tree: HtmlElement) -> Iterator[Mapping[str, Any]]:
    docs: list[Any] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        text = script.text or ""
        if not text.strip() or len(text) > _MAX_JSONLD_BYTES:
            continue
        data = _loads(text)
        if data is not None:
            docs.append(data)
    flat: list[dict[str, Any]] = []
    for data in docs:
        _flatten(data, flat, depth=0)
    by_id = {obj["@id"]: obj for obj in flat if isinstance(obj.get("@id"), str)}
    for obj in flat:
        resolved = dict(obj)
        for key in ("author", "publisher", "isPartOf", "mainEntityOfPage", "creator"):
            resolved[key] = _resolve(obj.get(key), by_id)
        resolved["@types"] = _types(obj.get("@type"))
        yield resolved


def _loads(text: str) -> Any:
    text = text.strip()
    if text.startswith("<!--") or text.startswith("//<![CDATA["):
        text = re.sub(r"^\s*(<!--|//<!\[CDATA\[)|(-->|//\]\]>)\s*$", "", text)
    for attempt in _repairs(text):
        try:
            return json.loads(attempt, strict=False)
        except json.JSONDecodeError:
            continue
        except RecursionError:  # nested deeper than the interpreter's stack: hostile
            break
    logger.debug("unparsable JSON-LD block (%d chars)", len(text))
    return None


def _repairs(text: str) -> Iterator[str]:
    """The JSON-LD text, then repaired for common breakage (computed only when needed)."""
    yield text
    # trailing commas, a trailing semicolon, several objects back to back
    repaired = re.sub(r",\s*([}\]])", r"\1", text.rstrip().rstrip(";"))
    yield repaired
    yield "[" + re.sub(r"}\s*{", "},{", repaired) + "]"


def _flatten(data: Any, out: list[dict[str, Any]], depth: int) -> None:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            _flatten(item, out, depth + 1)
    elif isinstance(data, dict):
        if "@type" in data:
            out.append(data)
        if "@graph" in data:
            _flatten(data["@graph"], out, depth + 1)
        main = data.get("mainEntity")
        if isinstance(main, dict | list):
            _flatten(main, out, depth + 1)


def _resolve(value: Any, by_id: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(value, list):
        return [_resolve(v, by_id) for v in value]
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in by_id:
        return by_id[value["@id"]]
    return value


def _types(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(v.rsplit("/", 1)[-1] for v in values if isinstance(v, str))


def names_of(value: Any) -> list[str]:
    """Names in a JSON-LD person/organization value (string, object or list of either)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [name for item in value for name in names_of(item)]
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            return [name]
        if isinstance(name, list):
            return [n for n in name if isinstance(n, str)]
        given, family = value.get("givenName"), value.get("familyName")
        if isinstance(given, str) and isinstance(family, str):
            return [f"{given} {family}"]
    return []


def text_of(value: Any) -> str | None:
    """A plain string from a JSON-LD value (string, list of strings, object with ``url``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            text = text_of(item)
            if text:
                return text
    if isinstance(value, dict):
        for key in ("url", "contentUrl", "@id", "name"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return None
