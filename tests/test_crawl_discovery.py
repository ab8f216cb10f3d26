"""Each discovery kind finds exactly the articles of the window (real crawls, demo sites)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.demo_fixtures import TODAY, Demo, crawl

YESTERDAY = TODAY - dt.timedelta(days=1)


def expected_paths(demo: Demo, site: str, start: dt.date, end: dt.date) -> set[str]:
    return {a.path for a in demo.world.expected(site, start, end)}


def custom_sites(demo: Demo, tmp_path: Path, site: str, body: str) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text(f"sites:\n  - id: {site}\n    base_url: {demo.server.base_urls[site]}\n"
                    + body)
    return path


def test_news_sitemap_and_robots_nightly(demo: Demo, tmp_path: Path) -> None:
    result = crawl(demo, tmp_path, "daily-courier", YESTERDAY)
    assert result.returncode == 0, result.output[-3000:]
    want = expected_paths(demo, "daily-courier", YESTERDAY, YESTERDAY)
    assert any(a.updated and a.updated.date() == YESTERDAY
               for a in demo.world.expected("daily-courier", YESTERDAY, YESTERDAY))
    assert result.article_paths() == want
    assert result.report["discovered_by_source"]["news_sitemap"] > 0
    assert result.report["discovered_by_source"]["robots"] > 0
    assert result.report["skipped"]["out_of_window"] > 0
    assert result.report["errors"] == {}


def test_dated_sitemap_index_90_day_backfill(demo: Demo, tmp_path: Path) -> None:
    sites = custom_sites(demo, tmp_path, "daily-courier",
                         "    discovery:\n      - {kind: sitemap, url: /sitemap.xml}\n")
    start, end = TODAY - dt.timedelta(days=110), TODAY - dt.timedelta(days=21)
    result = crawl(demo, tmp_path, "daily-courier", start, end, sites_file=sites, timeout=120)
    assert result.returncode == 0, result.output[-3000:]
    want = expected_paths(demo, "daily-courier", start, end)
    assert len(want) > 400
    assert result.article_paths() == want
    # today's articles are not in a past window
    assert not any(p.startswith(f"/news/{TODAY:%Y/%m/%d}") for p in result.article_paths())


def test_feed_nightly_and_backfill_through_feed_pages(demo: Demo, tmp_path: Path) -> None:
    nightly = crawl(demo, tmp_path / "n", "metro-wire", YESTERDAY)
    assert nightly.article_paths() == expected_paths(demo, "metro-wire", YESTERDAY, YESTERDAY)
    start, end = TODAY - dt.timedelta(days=14), TODAY - dt.timedelta(days=10)
    past = crawl(demo, tmp_path / "b", "metro-wire", start, end)
    assert past.returncode == 0, past.output[-3000:]
    assert past.article_paths() == expected_paths(demo, "metro-wire", start, end)
    assert past.report["fetched"]["discovery_pages"] >= 3  # followed rel=next pages


def test_date_archive_backfill(demo: Demo, tmp_path: Path) -> None:
    sites = custom_sites(demo, tmp_path, "city-ledger", """\
    article_patterns: ['^https?://[^/]+/(politics|business|science|sport|world|culture)/[^/]+$']
    discovery:
      - {kind: date_archive, template: '/archive/{date:%Y/%m/%d}/', next_pattern: 'page=\\d+'}
""")
    start, end = TODAY - dt.timedelta(days=100), TODAY - dt.timedelta(days=91)
    result = crawl(demo, tmp_path, "city-ledger", start, end, sites_file=sites)
    assert result.returncode == 0, result.output[-3000:]
    assert result.article_paths() == expected_paths(demo, "city-ledger", start, end)
    assert result.report["discovered_by_source"] == {"date_archive": len(result.article_paths())}


def test_section_pages_with_pagination(demo: Demo, tmp_path: Path) -> None:
    sections = "".join(f"      - {{kind: listing, url: /section/{s}/, next_pattern: 'page=\\d+'}}\n"
                       for s in ("politics", "business", "science", "sport", "world",
                                 "culture"))
    sites = custom_sites(demo, tmp_path, "city-ledger",
                         "    article_patterns: ['/(politics|business|science|sport|world"
                         "|culture)/[^/]+$']\n    discovery:\n" + sections)
    start, end = TODAY - dt.timedelta(days=34), TODAY - dt.timedelta(days=30)
    result = crawl(demo, tmp_path, "city-ledger", start, end, sites_file=sites)
    assert result.returncode == 0, result.output[-3000:]
    assert result.article_paths() == expected_paths(demo, "city-ledger", start, end)
    assert result.report["fetched"]["discovery_pages"] > 6  # pagination followed


def test_undated_listing_links_only_count_for_the_nightly_window(demo: Demo,
                                                                 tmp_path: Path) -> None:
    sites = custom_sites(demo, tmp_path, "faulty-gazette", """\
    discovery:
      - {kind: listing, url: /latest/, link_pattern: '/news/[a-z-]+-\\d+$', max_pages: 1}
""")
    nightly = crawl(demo, tmp_path / "n", "faulty-gazette", YESTERDAY, sites_file=sites)
    newest = [a.path for a in demo.world.articles("faulty-gazette")[:20] if a.crawlable]
    assert nightly.article_paths() == set(newest)
    past = YESTERDAY - dt.timedelta(days=30)
    backfill = crawl(demo, tmp_path / "b", "faulty-gazette", past, sites_file=sites)
    assert backfill.article_paths() == set()
    assert backfill.report["skipped"]["undated_in_backfill"] == len(newest)
