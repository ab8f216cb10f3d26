"""The ``sites.yaml`` that describes the demo sites (bundled as ``pipeline/data/sites.yaml``)."""

from __future__ import annotations

from pipeline.demo.world import FAULT_SITE, SITES

_SOURCES = {
    "daily-courier": """\
    article_patterns: ['/news/\\d{4}/\\d{2}/\\d{2}/[^/]+\\.html$']
    discovery:
      - {kind: news_sitemap, url: /news-sitemap.xml}
      - {kind: robots}
""",
    "metro-wire": """\
    article_patterns: ['/story/\\d+-']
    discovery:
      - {kind: feed, url: /feed.xml}
""",
    "city-ledger": """\
    article_patterns: ['^https?://[^/]+/(politics|business|science|sport|world|culture)/[^/]+$']
    discovery:
      - {kind: date_archive, template: '/archive/{date:%Y/%m/%d}/', next_pattern: '[?&]page=\\d+'}
      - {kind: listing, url: /section/politics/, next_pattern: '[?&]page=\\d+'}
      - {kind: listing, url: /section/business/, next_pattern: '[?&]page=\\d+'}
""",
    "faulty-gazette": """\
    article_patterns: ['/(news|private)/']
    discovery:
      - {kind: listing, url: /latest/}
      - {kind: listing, url: /calendar/2026/01/, next_pattern: '/calendar/\\d{4}/\\d{2}/',
         max_pages: 5}
    limits: {max_pages: 200, max_articles: 100, max_listing_pages: 5}
""",
}


def sites_yaml(base_urls: dict[str, str], *, header: str = "") -> str:
    """A sites.yaml for the demo sites served at ``base_urls`` (site id -> base URL).

    Args:
        base_urls: Where each site is served; sites missing here are left out.
        header: Comment lines to put on top.

    Returns:
        The YAML text.
    """
    lines = [header.rstrip() + "\n" if header else "", "version: 1\nsites:\n"]
    for site in (*SITES, FAULT_SITE):
        if site.id not in base_urls:
            continue
        lines.append(f"  - id: {site.id}\n    base_url: {base_urls[site.id]}\n")
        lines.append(_SOURCES[site.id])
    return "".join(lines)
