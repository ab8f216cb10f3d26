"""Read the metadata evidence a page states about itself, without deciding anything yet.

JSON-LD (``@graph``, lists, ``@id`` references), ``<meta>`` tags (name, property, itemprop,
http-equiv), microdata dates, the ``<title>``, visible ``<h1>`` headlines, byline elements, the
canonical link and the document language. :mod:`pipeline.metadata` combines this evidence.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNews", "AnalysisNewsArticle", "OpinionNewsArticle",
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

_WS = re.compile(r"\s+")
_MAX_JSONLD_BYTES = 2_000_000
_BYLINE_XPATH = (
    "//*[@itemprop='author' or @rel='author' or contains(@class, 'author') "
    "or contains(@class, 'Author') or contains(@class, 'byline') or contains(@class, 'writer') "
    "or contains(@href, '/author') or contains(@href, '/writer') "
    "or contains(@href, '/contributor') or contains(@href, '/byline')]"
)
"""Candidate author elements in one pass, filtered by :func:`_is_byline`."""
_AUTHOR_CLASS = re.compile(
    r"^(?:[\w-]*[-_])?(?<!has-)(?<!has_)(?:author|byline|writer)(?:[-_]+(?:name|link))?$",
    re.IGNORECASE)
"""A class naming an author element (``author``, ``post-author``, ``byline__name``)."""
_AUTHOR_HREF = re.compile(r"/(?:authors?|writers?|contributors?|byline)/[^/?#]+/?(?:[?#]|$)",
                          re.IGNORECASE)
"""A link to an author's profile page (``/author/jane-doe/``)."""
_NOT_BYLINE = re.compile(r"comment|avatar|image|img|photo|bio|social|share|follow|related|"
                         r"footer|nav|menu|widget", re.IGNORECASE)
_ASIDE_CLASS = re.compile(r"related|recommend|suggest|popular|trending|sidebar|comment|"
                         r"footer|widget|more-stories|read-next", re.IGNORECASE)
"""Classes of containers whose bylines belong to other articles or to readers."""
_BY_LABEL = re.compile(
    r"^(?:(?:written|posted|authored|reported|published)\s+)?by\b\s*:?\s*(.*)$|"
    r"^(?:authors?|writers?|contributors?|words)\s*:?\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)
"""Text labelling a byline: "By", "Written by:", "Author:", "Contributors:"."""
_LIST_JOINERS = frozenset({",", "&", "and", ", and", ";", "und", "et", "y"})
"""Text between two author links that makes them one list of co-authors."""
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "button", "nav",
                           "select"})
_MENU_CLASS = re.compile(r"\b(?:sub-?)?menu\b|\bnav(?:bar)?\b|dropdown", re.IGNORECASE)
HEADER_NODES = 40
"""Text nodes after the headline ``<h1>`` searched for a "By ..." byline, at most."""
HEADER_CHARS = 1000
"""Characters of text after the headline ``<h1>`` searched for a "By ..." byline, at most
(a long standfirst and share buttons may come first)."""


def clean_space(text: str | None) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) and strip the ends."""
    return _WS.sub(" ", text or "").strip()


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
            after the headline ``<h1>`` first.
        header_bylines: Bylines labelled in the text after the headline ``<h1>`` ("By Jane
            Doe", "Written by: Jane Doe", "Author Jane Doe"), label removed, in text order.
        canonical: ``<link rel=canonical>`` href, as written.
        article_headline: The text of the only ``<h1>`` inside an ``<article>`` element, when
            exactly one is (the story's own headline among logo, widget and teaser ``<h1>``).
        html_lang: The ``lang`` attribute of ``<html>``.
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
    headline = next((h for h, text in h1s if len(text.split()) >= 3 and not _in_menu(h)),
                    next((h for h, text in h1s if text), None))
    bylines = _byline_elements(tree, headline)
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
        bylines=tuple(b for b in bylines if b and len(b) < 200),
        header_bylines=tuple(_labelled_bylines(headline)) if headline is not None else (),
        canonical=str(canonical[0]).strip() if canonical else None,
        html_lang=(html.get("lang") or html.get("xml:lang") or None),
        article_headline=in_article[0] if len(in_article) == 1 else None,
    )


def _byline_elements(tree: HtmlElement, headline: HtmlElement | None) -> list[str]:
    """Texts of the author elements, those after the headline first, at most 12."""
    found = [el for el in tree.xpath(_BYLINE_XPATH) if _is_byline(el) and not _in_aside(el)]
    texts: list[str] = []
    previous: HtmlElement | None = None
    for el in found[:12]:
        text = clean_space(el.get("content") or el.text_content())
        if text and previous is not None and previous.getnext() is el and (
                clean_space(previous.tail).casefold() in _LIST_JOINERS):
            texts[-1] += ", " + text  # co-authors linked one after another ("A, B & C")
        elif text:
            texts.append(text)
        previous = el
    return texts


def _is_byline(el: HtmlElement) -> bool:
    if el.get("itemprop") == "author" or el.get("rel") == "author":
        return True
    classes = (el.get("class") or "").split()
    if classes and any(_AUTHOR_CLASS.match(c) for c in classes):
        return not any(_NOT_BYLINE.search(c) for c in classes)
    return el.tag == "a" and bool(_AUTHOR_HREF.search(el.get("href") or ""))


def _in_aside(el: HtmlElement) -> bool:
    """Whether an element belongs to a sidebar, footer, comment or related-stories block."""
    for parent in el.iterancestors():
        if parent.tag in ("main", "body"):
            return False  # page-level classes ("has-sidebar") say nothing about the element
        if parent.tag in ("aside", "footer", "nav"):
            return True
        if _ASIDE_CLASS.search(parent.get("class") or "") or _ASIDE_CLASS.search(
                parent.get("id") or ""):
            return True
    return False


def _in_menu(el: HtmlElement) -> bool:
    return any(parent.tag == "nav" or _MENU_CLASS.search(parent.get("class") or "")
               for parent in el.iterancestors())


def _labelled_bylines(headline: HtmlElement) -> Iterator[str]:
    """Names labelled "By"/"Written by"/"Author:" in the text nodes after the headline.

    The name is the rest of the labelled text, else the next text node ("By" and the name in
    two elements); a list continues over nodes that end with "," or "and".
    """
    texts = _texts_after(headline, HEADER_NODES)
    for i, text in enumerate(texts):
        found = _BY_LABEL.match(text)
        if not found:
            continue
        rest = (found.group(1) if found.group(1) is not None else found.group(2)) or ""
        j = i + 1
        if not rest.strip() and j < len(texts):
            rest, j = texts[j], j + 1
        while j < len(texts) and (re.search(r"(?:,|&|\band)$", rest)
                                  or texts[j] in (",", "&", "and")):
            rest, j = f"{rest} {texts[j]}", j + 1
        if rest.strip() and len(rest) <= 120:
            yield rest


def _texts_after(start: HtmlElement, limit: int) -> list[str]:
    """Up to ``limit`` non-empty visible text nodes after ``start`` (not inside it).

    Menus are skipped; the walk stops after :data:`HEADER_CHARS` characters of text.
    """
    out: list[str] = []
    size = 0

    def add(text: str | None) -> bool:
        nonlocal size
        if text and text.strip():
            out.append(clean_space(text))
            size += len(out[-1])
        return len(out) >= limit or size >= HEADER_CHARS

    node: HtmlElement | None = start
    while node is not None:
        if add(node.tail):
            return out
        for sibling in node.itersiblings():
            if not isinstance(sibling.tag, str):  # a comment or processing instruction
                if add(sibling.tail):
                    return out
                continue
            walker = etree.iterwalk(sibling, events=("start", "end"))
            for event, el in walker:
                if event == "end":
                    if add(el.tail):
                        return out
                elif (not isinstance(el.tag, str) or el.tag in _SKIPPED_TAGS
                      or _MENU_CLASS.search(el.get("class") or "")):
                    walker.skip_subtree()
                elif add(el.text):
                    return out
        node = node.getparent()
    return out


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
