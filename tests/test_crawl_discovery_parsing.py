"""Discovery parsing and the date window (pure, no crawl)."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from pipeline.crawl.candidates import (
    Candidate,
    Window,
    parse_datetime,
    span_from_url,
    with_url_date,
)
from pipeline.crawl.discovery import (
    MAX_SITEMAP_DEPTH,
    SitemapBudget,
    parse_feed,
    parse_listing,
    parse_sitemap,
    robots_sitemaps,
)
from pipeline.dates import day_from_url

UTC = dt.UTC
NEWS = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
 <url><loc>https://n.example/a</loc><lastmod>2024-01-06</lastmod>
  <news:news><news:publication_date>2024-01-05T10:00:00+02:00</news:publication_date>
  <news:title>A &amp; B</news:title></news:news></url>
 <url><loc>/b</loc></url>
</urlset>"""
INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
 <sitemap><loc>https://n.example/s-2024-01.xml</loc><lastmod>2024-01-31T00:00:00Z</lastmod></sitemap>
</sitemapindex>"""


def test_news_sitemap() -> None:
    doc = parse_sitemap(NEWS, "https://n.example/news.xml", "news_sitemap")
    first, second = doc.urls
    assert first.published == dt.datetime(2024, 1, 5, 8, tzinfo=UTC)
    assert first.modified == dt.datetime(2024, 1, 6, tzinfo=UTC)
    assert first.title == "A & B" and first.evidence == "news_publication_date"
    assert second.url == "https://n.example/b" and second.published is None
    assert parse_sitemap(gzip.compress(NEWS), "https://n.example/x.xml.gz").urls[0].url == \
        "https://n.example/a"


def test_sitemap_index_and_junk() -> None:
    doc = parse_sitemap(INDEX, "https://n.example/sitemap.xml")
    assert doc.sitemaps[0].url == "https://n.example/s-2024-01.xml" and not doc.urls
    with pytest.raises(ValueError):
        parse_sitemap(b"<html><body>hi</body></html>", "https://n.example/")
    with pytest.raises(ValueError):
        parse_sitemap(b"", "https://n.example/")


def test_xml_entities_are_not_expanded() -> None:
    evil = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&e;</loc></url></urlset>"""
    assert all("root:" not in u.url for u in parse_sitemap(evil, "https://n.example/").urls)


def test_rss_and_atom() -> None:
    rss = b"""<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
    <atom:link rel="next" href="/feed?page=2"/>
    <item><title>T</title><link>https://n.example/s/1</link>
    <pubDate>Fri, 05 Jan 2024 10:00:00 GMT</pubDate></item></channel></rss>"""
    doc = parse_feed(rss, "https://n.example/feed")
    assert doc.next_url == "https://n.example/feed?page=2"
    assert doc.items[0].published == dt.datetime(2024, 1, 5, 10, tzinfo=UTC)
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>
    <link rel="alternate" href="/e/1"/><link rel="enclosure" href="/x.mp3"/>
    <published>2024-01-04T00:00:00Z</published><updated>2024-01-05T00:00:00Z</updated></entry>
    </feed>"""
    entry = parse_feed(atom, "https://n.example/atom").items[0]
    assert entry.url == "https://n.example/e/1" and entry.modified is not None


def test_listing_teasers_pagination_and_boilerplate() -> None:
    html = b"""<html><body><nav><a href="/politics/nav-link">Nav</a></nav>
    <ul><li><time datetime="2024-01-05T09:00:00Z">5 Jan</time><a href="/politics/one">One</a></li>
    <li><a href="/politics/two#comments">Two</a></li></ul>
    <a rel="next" href="?page=2">Next</a><a href="/about">About</a>
    <aside><ul><li><a href="/politics/latest">Latest</a></li></ul></aside></body></html>"""
    doc = parse_listing(html, "https://n.example/section/politics/", r"/politics/",
                        r"[?&]page=\d+")
    assert [c.url for c in doc.links] == ["https://n.example/politics/one",
                                          "https://n.example/politics/two"]
    assert doc.links[0].published == dt.datetime(2024, 1, 5, 9, tzinfo=UTC)
    assert doc.links[1].published is None
    assert doc.next_urls == ("https://n.example/section/politics/?page=2",)
    day = dt.date(2023, 12, 31)
    archive = parse_listing(html, "https://n.example/archive/", r"/politics/", "",
                            source="date_archive", archive_day=day)
    assert archive.links[1].published == dt.datetime(2023, 12, 31, tzinfo=UTC)
    assert archive.links[1].evidence == "archive_day"


def test_rel_next_is_followed_wherever_it_is() -> None:
    # the pagination of many themes: a <nav> block (boilerplate for article links)
    nav = b"""<html><body><ul><li><a href="/politics/one">One</a></li></ul>
    <nav class="pagination"><a href="/politics/nav-link">Politics</a>
    <a rel="next nofollow" href="/section/politics/page/2/">Older</a></nav></body></html>"""
    doc = parse_listing(nav, "https://n.example/section/politics/", r"/politics/")
    assert doc.next_urls == ("https://n.example/section/politics/page/2/",)
    assert [c.url for c in doc.links] == ["https://n.example/politics/one"]
    # <link rel="next"> in the head, no next_pattern, and a footer's rel=next
    head = b"""<html><head><link rel="next" href="/section/politics/page/3/"></head><body>
    <footer><a rel="Next" href="/section/politics/page/3/#top">3</a></footer>
    <header><a rel="next" href="/section/politics/page/4/">4</a></header></body></html>"""
    doc = parse_listing(head, "https://n.example/section/politics/page/2/", r"/politics/")
    assert doc.next_urls == ("https://n.example/section/politics/page/3/",
                             "https://n.example/section/politics/page/4/")
    assert doc.links == ()
    plain = parse_listing(b"<html><body><a rel='prev' href='/p/1'>1</a></body></html>",
                          "https://n.example/", "")
    assert plain.next_urls == () and len(plain.links) == 1


def test_sitemap_budget_caps_depth_count_and_repeats() -> None:
    budget = SitemapBudget(max_children=3)
    assert MAX_SITEMAP_DEPTH == 3
    budget.read("https://n.example/index.xml")
    assert budget.admit("https://n.example/index.xml", 1) == "sitemap_duplicate"
    assert budget.admit("https://n.example/a.xml", 1) is None
    assert budget.admit("https://n.example/a.xml", 2) == "sitemap_duplicate"
    assert budget.admit("https://n.example/b.xml", 2) is None
    assert budget.admit("https://n.example/c.xml", 3) == "sitemap_depth_cap"
    assert budget.admit("https://n.example/d.xml", 1) is None
    assert budget.admit("https://n.example/e.xml", 1) == "sitemap_count_cap"
    assert budget.children == 3


def test_robots_sitemaps() -> None:
    body = b"User-agent: *\nDisallow: /x\nSitemap: https://n.example/a.xml\nsitemap: /b.xml\n"
    assert robots_sitemaps(body)[0] == "https://n.example/a.xml"


def test_dates_in_urls() -> None:
    assert day_from_url("https://n.example/2024/01/05/story", strict=True) == dt.date(2024, 1, 5)
    assert day_from_url("https://n.example/story-2024-01-05.html", strict=True) == \
        dt.date(2024, 1, 5)
    assert day_from_url("https://n.example/2024/13/05/x", strict=True) is None
    assert day_from_url("https://n.example/story/120240105", strict=True) is None
    assert span_from_url("https://n.example/sitemaps/2024-02.xml") == \
        (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    dated = with_url_date(Candidate("https://n.example/2024/01/05/x", "sitemap"))
    assert dated.evidence == "url_date" and dated.published is not None
    assert parse_datetime("not a date") is None
    assert parse_datetime("2024-01-05") == dt.datetime(2024, 1, 5, tzinfo=UTC)


def test_window_judgement() -> None:
    today = dt.date(2024, 3, 10)
    nightly = Window(dt.date(2024, 3, 9), dt.date(2024, 3, 9), today)
    backfill = Window(dt.date(2024, 1, 1), dt.date(2024, 1, 31), today)
    assert nightly.nightly and not backfill.nightly
    inside = dt.datetime(2024, 1, 15, 12, tzinfo=UTC)
    outside = dt.datetime(2024, 2, 15, tzinfo=UTC)
    assert backfill.judge(Candidate("u", "feed", inside)) == ""
    assert backfill.judge(Candidate("u", "feed", outside)) == "out_of_window"
    assert backfill.judge(Candidate("u", "sitemap", outside, inside)) == ""  # updated inside
    assert backfill.judge(Candidate("u", "listing")) == "undated_in_backfill"
    assert nightly.judge(Candidate("u", "listing")) == ""
    assert backfill.may_hold(dt.date(2023, 12, 1), dt.date(2024, 1, 1))
    assert not backfill.may_hold(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert len(list(backfill.days())) == 31
