"""Finding article links and their date evidence (pure parsing, no Scrapy).

Sources: XML sitemaps and sitemap indexes (plain or gzip-compressed), Google News sitemaps,
``Sitemap:`` lines of robots.txt, RSS 2.0 and Atom feeds (with ``rel=next`` pages), listing
pages (article links, ``<time datetime>`` in the teaser, pagination links) and date-archive
templates. Each link becomes a :class:`pipeline.crawl.candidates.Candidate` carrying whatever date
evidence the source gave; :class:`pipeline.crawl.candidates.Window` decides whether a candidate
belongs to the crawl's date window.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urljoin

import lxml.etree
import lxml.html
from protego import Protego

from pipeline.crawl.candidates import Candidate, parse_datetime

MAX_SITEMAP_BYTES = 50 * 1024 * 1024
"""Largest decompressed sitemap accepted (the sitemaps.org limit is 50 MB)."""

MAX_SITEMAP_DEPTH = 3
"""Levels of sitemap documents followed: the sitemap named by sites.yaml or robots.txt is level
1, the children of an index one level deeper; an index at level 3 has its children skipped."""

BOILERPLATE_TAGS = ("nav", "aside", "header", "footer")
"""Article links inside these elements of a listing page are navigation, not the listing (its
``rel="next"`` pagination link is followed wherever it sits)."""

_XML_PARSER = lxml.etree.XMLParser(resolve_entities=False, no_network=True, recover=True,
                                   huge_tree=False, remove_comments=True)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: lxml.etree._Element, name: str) -> str:
    for child in element.iter():
        if _local(child.tag) == name and child.text:
            return str(child.text).strip()
    return ""


def _maybe_gunzip(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = decoder.decompress(body, MAX_SITEMAP_BYTES + 1)
    if len(data) > MAX_SITEMAP_BYTES:
        raise ValueError("sitemap larger than MAX_SITEMAP_BYTES after decompression")
    return data


@dataclass(frozen=True)
class SitemapDoc:
    """A parsed sitemap: page URLs (``urlset``) and child sitemaps (``sitemapindex``)."""

    urls: tuple[Candidate, ...]
    sitemaps: tuple[Candidate, ...]


def parse_sitemap(body: bytes, base_url: str, source: str = "sitemap") -> SitemapDoc:
    """Parse a sitemap, sitemap index or Google News sitemap.

    Args:
        body: The document (gzip-compressed files are decompressed, at most 50 MB).
        base_url: URL of the document, for relative locations.
        source: The source name recorded on the candidates.

    Returns:
        The URLs with ``news:publication_date`` as published and ``lastmod`` as modified time.

    Raises:
        ValueError: The body is not a sitemap.
    """
    try:
        root = lxml.etree.fromstring(_maybe_gunzip(body), _XML_PARSER)
    except (lxml.etree.XMLSyntaxError, OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"not a sitemap: {exc}") from None
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        raise ValueError("not a sitemap: root element is not urlset or sitemapindex")
    urls: list[Candidate] = []
    children: list[Candidate] = []
    for entry in root:
        kind = _local(entry.tag)
        if kind not in ("url", "sitemap"):
            continue
        loc = ""
        lastmod = ""
        news_date = ""
        title = ""
        for child in entry:
            name = _local(child.tag)
            if name == "loc":
                loc = (child.text or "").strip()
            elif name == "lastmod":
                lastmod = (child.text or "").strip()
            elif name == "news":
                news_date = _child_text(child, "publication_date")
                title = _child_text(child, "title")
        if not loc:
            continue
        published = parse_datetime(news_date)
        item = Candidate(urljoin(base_url, loc), source, published, parse_datetime(lastmod),
                         "news_publication_date" if published else "", title)
        (urls if kind == "url" else children).append(item)
    return SitemapDoc(tuple(urls), tuple(children))


class SitemapBudget:
    """How far one crawl follows sitemap indexes: a depth limit and a count of child sitemaps.

    Args:
        max_children: Child sitemaps (listed by an index) fetched per crawl at most.
        max_depth: Levels of sitemap documents (:data:`MAX_SITEMAP_DEPTH`).
    """

    def __init__(self, max_children: int, max_depth: int = MAX_SITEMAP_DEPTH) -> None:
        self.max_children = max_children
        self.max_depth = max_depth
        self.seen: set[str] = set()
        self.children = 0

    def read(self, url: str) -> None:
        """Note a sitemap document read, so that an index listing it again is not followed."""
        self.seen.add(url)

    def admit(self, url: str, parent_depth: int) -> str | None:
        """Take one child sitemap ``url`` listed by an index at level ``parent_depth``.

        Returns:
            ``None`` when it may be fetched (and counted), else the skip reason:
            ``sitemap_duplicate`` (already taken: a self-referencing or looping index),
            ``sitemap_depth_cap`` or ``sitemap_count_cap``.
        """
        if url in self.seen:
            return "sitemap_duplicate"
        if parent_depth >= self.max_depth:
            return "sitemap_depth_cap"
        if self.children >= self.max_children:
            return "sitemap_count_cap"
        self.seen.add(url)
        self.children += 1
        return None


@dataclass(frozen=True)
class FeedDoc:
    """A parsed RSS/Atom feed page: its items and the next (older) page, if announced."""

    items: tuple[Candidate, ...]
    next_url: str | None


def parse_feed(body: bytes, base_url: str) -> FeedDoc:
    """Parse an RSS 2.0 or Atom feed.

    Args:
        body: The feed document.
        base_url: URL of the feed, for relative links.

    Returns:
        Items with ``pubDate``/``published`` as published and Atom ``updated`` as modified.

    Raises:
        ValueError: The body is not a feed.
    """
    try:
        root = lxml.etree.fromstring(body, _XML_PARSER)
    except lxml.etree.XMLSyntaxError as exc:
        raise ValueError(f"not a feed: {exc}") from None
    if root is None or _local(root.tag) not in ("rss", "feed", "RDF"):
        raise ValueError("not a feed: root element is not rss, feed or RDF")
    items: list[Candidate] = []
    next_url: str | None = None
    for element in root.iter():
        name = _local(element.tag)
        if name == "link" and element.get("rel") == "next" and element.get("href"):
            next_url = urljoin(base_url, element.get("href", ""))
        if name not in ("item", "entry"):
            continue
        link = ""
        fields: dict[str, str] = {}
        for child in element:
            cname = _local(child.tag)
            if cname == "link":
                href = child.get("href")
                if href and child.get("rel", "alternate") == "alternate":
                    link = href
                elif not href and child.text:
                    link = child.text.strip()
            elif cname in ("pubDate", "published", "date", "updated", "title"):
                fields[cname] = (child.text or "").strip()
        if not link:
            continue
        published = parse_datetime(fields.get("pubDate") or fields.get("published")
                                   or fields.get("date"))
        items.append(Candidate(urljoin(base_url, link), "feed", published,
                               parse_datetime(fields.get("updated")),
                               "pubdate" if published else "", fields.get("title", "")))
    return FeedDoc(tuple(items), next_url)


def robots_sitemaps(body: bytes) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt file."""
    return list(Protego.parse(body.decode("utf-8", "replace")).sitemaps)


@dataclass(frozen=True)
class ListingDoc:
    """Article links and pagination links of a listing page."""

    links: tuple[Candidate, ...]
    next_urls: tuple[str, ...]


def parse_listing(body: bytes, base_url: str, link_pattern: str = "",
                  next_pattern: str = "", *, source: str = "listing",
                  archive_day: date | None = None) -> ListingDoc:
    """Parse a listing, section or date-archive page.

    Args:
        body: The HTML page.
        base_url: URL of the page.
        link_pattern: Regex an article link must match (empty: every link).
        next_pattern: Regex that marks more pagination links (``rel="next"`` on a ``<link>``
            or ``<a>``, inside ``<nav>`` too, is followed in any case).
        source: The source name recorded on the candidates.
        archive_day: For date-archive pages, the day every link was published on.

    Returns:
        Links in page order, each once (article links in navigation, asides, headers and
        footers left out), with the teaser's ``<time datetime>`` (or the archive
        day) as publication evidence.
    """
    if not body.strip():
        return ListingDoc((), ())
    try:
        tree = lxml.html.fromstring(body, base_url=base_url)
    except (lxml.etree.ParserError, ValueError):
        return ListingDoc((), ())
    links: dict[str, Candidate] = {}
    nexts: dict[str, None] = {}
    article_re = re.compile(link_pattern) if link_pattern else None
    next_re = re.compile(next_pattern) if next_pattern else None
    for element in tree.iter("link"):
        if _is_next(element) and element.get("href", "").strip():
            nexts.setdefault(urljoin(base_url, element.get("href", "").strip()).split("#", 1)[0])
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        url = urljoin(base_url, href.strip()).split("#", 1)[0]
        if _is_next(anchor) or (next_re is not None and next_re.search(url)):
            nexts.setdefault(url)
            continue
        if any(True for _ in anchor.iterancestors(*BOILERPLATE_TAGS)):
            continue
        if (article_re is not None and not article_re.search(url)) or url in links:
            continue
        published, evidence = _teaser_time(anchor), "teaser_time"
        if archive_day is not None and published is None:
            published = datetime(archive_day.year, archive_day.month, archive_day.day,
                                 tzinfo=UTC)
            evidence = "archive_day"
        links[url] = Candidate(url, source, published, None,
                               evidence if published else "",
                               anchor.text_content().strip()[:300])
    return ListingDoc(tuple(links.values()), tuple(nexts))


def _is_next(element: lxml.html.HtmlElement) -> bool:
    """Whether ``rel`` (a space-separated token list) holds ``next``."""
    return "next" in (element.get("rel") or "").lower().split()


def _teaser_time(anchor: lxml.html.HtmlElement) -> datetime | None:
    for ancestor in anchor.iterancestors("article", "li"):
        for stamp in ancestor.iter("time"):
            value = parse_datetime(stamp.get("datetime"))
            if value:
                return value
        break
    return None

