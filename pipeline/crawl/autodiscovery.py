"""Discovery from a site's home page (``{kind: auto}``, the default of a site without sources).

A site given as nothing but ``id`` and ``base_url`` is discovered the way a person would look
for its feeds and sitemaps:

- the ``Sitemap:`` lines of the host's ``/robots.txt``;
- the usual sitemap and news-sitemap locations under the base URL (:data:`SITEMAP_GUESSES`);
  a guess that is not there (404, 410) is counted as ``skipped/auto_probe_absent``, not as a
  failed source;
- the feeds the home page announces with ``<link rel="alternate"
  type="application/rss+xml|atom+xml">`` (:data:`FEED_TYPES`);
- the home page's section links (its ``<nav>`` and ``<header>``, or short undated paths) as
  listings, and the home page itself as a listing.

Whatever is found stays within the site (:class:`SiteScope`): on the base URL's host, under its
path, and outside the paths of other sites of ``sites.yaml`` nested under it (a site at the root
of a host does not take the pages of a site at ``/site-b/`` on the same host). This module
decides; the spider (``spiders/autodiscovery.py``) makes the requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from pipeline.config.sites import Site
from pipeline.crawl.candidates import Candidate, span_from_url
from pipeline.crawl.discovery import parse_listing
from pipeline.urls import same_site

SITEMAP_GUESSES = ("sitemap.xml", "sitemap_index.xml", "news-sitemap.xml", "sitemap-news.xml",
                   "news_sitemap.xml")
"""Sitemap locations tried under the base URL, besides those robots.txt names."""

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
"""``type`` of the ``<link rel="alternate">`` elements taken as feeds."""

MAX_FEEDS = 5
"""Feeds taken from one home page at most (the first announced)."""

MAX_SECTIONS = 20
"""Section links taken from one home page at most (in page order); more are counted."""

MAX_SECTION_DEPTH = 2
"""Path segments below the base URL a section link may have (``/world/`` or ``/world/asia/``)."""

_UTILITY = re.compile(
    r"^(log-?in|log-?out|sign-?in|sign-?up|register|subscribe|subscription|account|profile|"
    r"contact|about(-us)?|impressum|imprint|privacy|terms|cookies?|legal|search|help|faq|"
    r"advertis\w*|careers|jobs|newsletters?|shop|donate|feeds?|rss|sitemap)$", re.I)
"""Last path segments of links that are site furniture, never sections."""
_PAGE_EXT = re.compile(r"\.(html?|php|aspx?)$")
_SECTION_CONTAINERS = ("nav", "header")


@dataclass(frozen=True)
class SiteScope:
    """Where a site's pages are: its base URL's host and path, less nested sites' paths.

    Attributes:
        base_url: The site's base URL (ends with ``/``).
        excluded: Base URLs of other sites on the same host under this one's path.
        domains: The site's allowed domains: for a site at the root of its host, their pages
            belong to it too (``www.`` and the bare domain, a redirect to either).
    """

    base_url: str
    excluded: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()

    def contains(self, url: str) -> bool:
        """Whether ``url`` belongs to the site (scheme aside: http and https are one site)."""
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        if parts.netloc.lower() != base.netloc.lower():
            return base.path in ("", "/") and same_site(url, self.domains)
        path = parts.path or "/"
        if not _under(path, urlsplit(self.base_url).path or "/"):
            return False
        return not any(_under(path, urlsplit(other).path) for other in self.excluded)

    def is_home(self, url: str) -> bool:
        """Whether ``url`` is the base URL itself."""
        return urlsplit(url).path.rstrip("/") == urlsplit(self.base_url).path.rstrip("/") \
            and not urlsplit(url).query


def _under(path: str, prefix: str) -> bool:
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    return path == prefix.rstrip("/") or path.startswith(prefix)


def site_scope(site: Site, sites: Iterable[Site] = ()) -> SiteScope:
    """The scope of ``site``, excluding the sites of ``sites`` nested under its base URL."""
    mine = urlsplit(site.base_url)
    nested = tuple(other.base_url for other in sites if other.id != site.id
                   and urlsplit(other.base_url).netloc.lower() == mine.netloc.lower()
                   and len(urlsplit(other.base_url).path) > len(mine.path)
                   and _under(urlsplit(other.base_url).path, mine.path))
    return SiteScope(site.base_url, nested, site.allowed_domains)


def robots_url(base_url: str) -> str:
    """The robots.txt of the base URL's host (robots.txt lives at the root of a host)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def sitemap_guesses(base_url: str) -> list[str]:
    """The usual sitemap locations under the base URL (:data:`SITEMAP_GUESSES`)."""
    return [urljoin(base_url, name) for name in SITEMAP_GUESSES]


@dataclass(frozen=True)
class HomeDoc:
    """What a home page offers: feeds, sections, article links, and what was left out.

    Attributes:
        feeds: Feed URLs announced in the page (in scope, at most :data:`MAX_FEEDS`).
        sections: Section URLs, to read as listings (at most :data:`MAX_SECTIONS`).
        articles: Links of the page's body that are neither sections nor site furniture.
        out_of_scope: Feeds and sections left out because they are outside the site.
        capped: Feeds and sections left out by :data:`MAX_FEEDS` and :data:`MAX_SECTIONS`.
    """

    feeds: tuple[str, ...]
    sections: tuple[str, ...]
    articles: tuple[Candidate, ...]
    out_of_scope: int = 0
    capped: int = 0


def parse_home(body: bytes, url: str, scope: SiteScope,
               is_article_url: Callable[[str], bool] | None = None) -> HomeDoc:
    """Read a home page for announced feeds, section links and article links.

    Args:
        body: The HTML page.
        url: Its URL (after redirects).
        scope: The site's scope; feeds and sections outside it are counted and left out.
        is_article_url: The site's article patterns, when it has any: a link they match is an
            article, never a section.

    Returns:
        The feeds, sections and article links found.
    """
    try:
        tree = lxml.html.fromstring(body, base_url=url) if body.strip() else None
    except (lxml.etree.ParserError, ValueError):
        tree = None
    if tree is None:
        return HomeDoc((), (), ())
    out = capped = 0
    feeds: list[str] = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        feed = urljoin(url, href).split("#", 1)[0]
        if feed in feeds:
            continue
        if not scope.contains(feed):
            out += 1
        elif len(feeds) >= MAX_FEEDS:
            capped += 1
        else:
            feeds.append(feed)
    sections: list[str] = []
    for target, boxed in _anchors(tree, url):
        if not _section_like(target, scope, is_article_url, boxed) or target in sections:
            continue
        if len(sections) >= MAX_SECTIONS:
            capped += 1
        else:
            sections.append(target)
    out += sum(1 for target, boxed in _anchors(tree, url)
               if boxed and not scope.contains(target) and _looks_like_section(target))
    taken = set(sections)
    articles = tuple(
        Candidate(c.url, "home", c.published, c.modified, c.evidence, c.title)
        for c in parse_listing(body, url).links
        if scope.contains(c.url) and c.url not in taken and not scope.is_home(c.url)
        and not _UTILITY.match(_last_segment(c.url)))
    return HomeDoc(tuple(feeds), tuple(sections), articles, out, capped)


def _anchors(tree: lxml.html.HtmlElement, url: str) -> list[tuple[str, bool]]:
    """Every link target of the page, with whether it sits in a ``<nav>`` or ``<header>``."""
    found = []
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        boxed = any(True for _ in anchor.iterancestors(*_SECTION_CONTAINERS))
        found.append((urljoin(url, href).split("#", 1)[0], boxed))
    return found


def _last_segment(url: str) -> str:
    return _PAGE_EXT.sub("", urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _looks_like_section(url: str) -> bool:
    """A short undated path without a file extension (other than a page's) or furniture."""
    path = urlsplit(url).path
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if "." in last and not _PAGE_EXT.search(last):
        return False
    return span_from_url(url) is None and not _UTILITY.match(_last_segment(url))


def _section_like(url: str, scope: SiteScope, is_article_url: Callable[[str], bool] | None,
                  boxed: bool) -> bool:
    if not scope.contains(url) or scope.is_home(url) or not _looks_like_section(url):
        return False
    if is_article_url is not None and is_article_url(url):
        return False
    below = urlsplit(url).path[len(urlsplit(scope.base_url).path):].strip("/")
    depth = len(below.split("/")) if below else 0
    # outside navigation, only a one-segment folder link (``/world/``) is taken for a section
    return 0 < depth <= MAX_SECTION_DEPTH if boxed else (
        depth == 1 and urlsplit(url).path.endswith("/"))


def looks_like_sitemap(body: bytes) -> bool:
    """Whether a guessed sitemap location answered with a sitemap (not a soft-404 page)."""
    head = body[:4096]
    if head[:2] == b"\x1f\x8b":
        return True  # compressed: the sitemap parser decides
    return b"<urlset" in head or b"<sitemapindex" in head or b":urlset" in head \
        or b":sitemapindex" in head
