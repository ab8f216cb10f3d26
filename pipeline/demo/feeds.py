"""Machine-readable discovery documents of the demo sites: robots.txt, sitemaps, RSS."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from html import escape

from pipeline.demo.world import DemoArticle, DemoSite, DemoWorld

FEED_PAGE_SIZE = 30
"""Items per RSS page; older items are on ``?page=N`` pages announced with ``rel=next``."""
NEWS_SITEMAP_DAYS = 2
"""A Google News sitemap lists the articles of the last two days only."""


def robots_txt(site: DemoSite, base_url: str) -> str:
    """robots.txt of a site (the fault site disallows ``/private/``)."""
    lines = ["User-agent: *"]
    if site.discovery == "faults":
        lines.append("Disallow: /private/")
    lines.append("Disallow: /search")
    lines.append("")
    if site.discovery in ("news_sitemap", "all"):
        lines += [f"Sitemap: {base_url}/sitemap.xml", f"Sitemap: {base_url}/news-sitemap.xml"]
    return "\n".join(lines) + "\n"


def _months(world: DemoWorld) -> list[dt.date]:
    months = sorted({d.replace(day=1) for d in world.day_range()}, reverse=True)
    return months


def _lastmod(article: DemoArticle) -> dt.datetime:
    return article.updated or article.published


def sitemap_index(world: DemoWorld, site: DemoSite, base_url: str) -> str:
    """Sitemap index with one child sitemap per month, each with its lastmod."""
    entries = []
    for month in _months(world):
        in_month = [a for a in world.articles(site.id) if a.published.date().replace(day=1)
                    == month]
        lastmod = max((_lastmod(a) for a in in_month), default=None)
        mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        entries.append(f"<sitemap><loc>{base_url}/sitemaps/{month:%Y-%m}.xml</loc>{mod}"
                       f"</sitemap>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(entries) + "</sitemapindex>\n")


def month_sitemap(world: DemoWorld, site: DemoSite, base_url: str, month: dt.date) -> str:
    """The urlset of one month (by publication), with lastmod (the update time if updated)."""
    entries = [f"<url><loc>{base_url}{escape(a.path)}</loc>"
               f"<lastmod>{_lastmod(a).isoformat()}</lastmod></url>"
               for a in world.articles(site.id) if a.published.date().replace(day=1) == month]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(entries) + "</urlset>\n")


def news_sitemap(world: DemoWorld, site: DemoSite, base_url: str) -> str:
    """Google News sitemap: articles published in the last two days."""
    oldest = world.today - dt.timedelta(days=NEWS_SITEMAP_DAYS - 1)
    entries = []
    for article in world.articles(site.id):
        if article.published.date() < oldest:
            continue
        story = world.story(article)
        entries.append(
            f"<url><loc>{base_url}{escape(article.path)}</loc><news:news><news:publication>"
            f"<news:name>{escape(site.name)}</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{article.published.isoformat()}"
            f"</news:publication_date><news:title>{escape(story.title)}</news:title>"
            f"</news:news></url>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            + "".join(entries) + "</urlset>\n")


def rss_feed(world: DemoWorld, site: DemoSite, base_url: str, page: int) -> str:
    """One page of the RSS 2.0 feed, newest first, with an Atom ``rel=next`` link."""
    articles = world.articles(site.id)
    start = (page - 1) * FEED_PAGE_SIZE
    chunk = articles[start:start + FEED_PAGE_SIZE]
    items = []
    for article in chunk:
        story = world.story(article)
        items.append(
            f"<item><title>{escape(story.title)}</title>"
            f"<link>{base_url}{escape(article.path)}?utm_source=rss&amp;utm_medium=feed</link>"
            f"<guid isPermaLink=\"false\">{article.story_id}</guid>"
            f"<pubDate>{format_datetime(article.published)}</pubDate>"
            f"<description>{escape(story.summary)}</description></item>")
    nxt = ""
    if start + FEED_PAGE_SIZE < len(articles):
        nxt = f'<atom:link rel="next" href="{base_url}/feed.xml?page={page + 1}"/>'
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            f"<title>{escape(site.name)}</title><link>{base_url}/</link>"
            f"<description>Latest stories from {escape(site.name)}</description>"
            f'<atom:link rel="self" href="{base_url}/feed.xml?page={page}"/>{nxt}'
            + "".join(items) + "</channel></rss>\n")
