"""One crawl per site per window: each discovery document fetched once, each capture to its day.

Real crawls of the demo sites on loopback; the demo server's request log counts what was fetched
and the demo world's ground truth says which day each article belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from pipeline.archive.crawlreport import CrawlReport
from pipeline.archive.local import LocalStore
from pipeline.archive.warc_reader import iter_captures
from pipeline.crawl.candidates import Window
from pipeline.run.plan import crawl_units
from pipeline.run.verdict import judge
from tests.demo_fixtures import TODAY, Demo, crawl

SITE = "daily-courier"
START, END = TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=5)
DAYS = [START + dt.timedelta(days=n) for n in range((END - START).days + 1)]


def day_of(published: dt.datetime, updated: dt.datetime | None) -> dt.date:
    """The ground truth's day: published in the window, else updated in it."""
    if START <= published.date() <= END or updated is None:
        return published.date()
    return updated.date()


def requests_since(demo: Demo, before: Counter[tuple[str, str]], site: str) -> dict[str, int]:
    """Requests per path the site received since ``before`` (the demo server's log)."""
    now = Counter(demo.server.hits)
    now.subtract(before)
    return {path: n for (sid, path), n in now.items() if sid == site and n > 0}


def test_one_window_crawl_fetches_discovery_once_and_fills_each_day(demo: Demo,
                                                                   tmp_path: Path) -> None:
    before = Counter(demo.server.hits)
    result = crawl(demo, tmp_path, SITE, START, END, timeout=120)
    assert result.returncode == 0, result.output[-3000:]
    hits = requests_since(demo, before, SITE)
    discovery = {p: n for p, n in hits.items() if demo.world.article_at(SITE, p) is None}
    # robots.txt, the news sitemap, the sitemap index and the month sitemaps of the window
    assert {"/robots.txt", "/news-sitemap.xml", "/sitemap.xml"} <= set(discovery), discovery
    assert any(p.startswith("/sitemaps/") for p in discovery), discovery
    # each fetched once for the window, not once per day; robots.txt is read twice: by Scrapy's
    # robots.txt rules (RobotsTxtMiddleware) and by the robots discovery source
    assert discovery.pop("/robots.txt") == 2
    assert all(n == 1 for n in discovery.values()), discovery
    assert sum(n for p, n in hits.items() if demo.world.article_at(SITE, p)) == sum(
        len(r["articles"]) for r in (result.reports or {}).values())  # each article once

    reports = result.reports or {}
    assert sorted(reports) == [d.isoformat() for d in DAYS]  # one report per day partition
    truth: dict[dt.date, set[str]] = {}
    for article in demo.world.expected(SITE, START, END):
        truth.setdefault(day_of(article.published, article.updated), set()).add(article.path)
    store = LocalStore(str(tmp_path))
    for day in DAYS:
        doc = reports[day.isoformat()]
        got = {"/" + url.split("/", 3)[3] for url in doc["articles"]}
        assert got == truth[day] and got, day  # the day's own articles, and only them
        assert doc["article_fetches"]["ok"] == len(got)
        report = CrawlReport.from_json(doc)
        assert judge(report).coverage == "complete", (day, judge(report).notes)
        # the day's WARCs hold its articles; discovery documents only in the last day's
        roles: Counter[str] = Counter()
        captured: set[str] = set()
        for key in report.warc_keys:
            assert f"/date={day.isoformat()}/" in key
            for capture in iter_captures(store, key):
                role = capture.metadata.role if capture.metadata else ""
                roles[role] += 1
                if role == "article":
                    captured.add("/" + capture.url.split("/", 3)[3])
        assert captured == truth[day]
        discovery_roles = {r for r in roles if r != "article"}
        # "": robots.txt as read for its rules (no discovery metadata)
        want = {"", "robots", "sitemap"} if day == END else set()
        assert discovery_roles == want, (day, roles)


def test_crawl_units_cut_a_range_into_windows_per_site() -> None:
    items = [{"site": s, "date": f"2026-03-{d:02d}"} for d in range(1, 8) for s in ("b", "a")]
    items.append({"site": "a", "date": "2026-03-20"})  # a gap starts a new window
    units = crawl_units(items, 3)
    assert [(u["site"], u["start"], u["end"]) for u in units] == [
        ("a", "2026-03-01", "2026-03-03"), ("a", "2026-03-04", "2026-03-06"),
        ("a", "2026-03-07", "2026-03-07"), ("a", "2026-03-20", "2026-03-20"),
        ("b", "2026-03-01", "2026-03-03"), ("b", "2026-03-04", "2026-03-06"),
        ("b", "2026-03-07", "2026-03-07")]
    assert units[0]["days"] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    # the nightly run: one window of one day per site
    assert crawl_units([{"site": "a", "date": "2026-03-14"}]) == [
        {"site": "a", "start": "2026-03-14", "end": "2026-03-14", "days": ["2026-03-14"]}]


def test_window_day_of_a_capture() -> None:
    window = Window(START, END, TODAY)
    inside = dt.datetime(START.year, START.month, START.day + 1, 23, 30, tzinfo=dt.UTC)
    before = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert window.day_of(inside) == inside.date()
    assert window.day_of(before, inside) == inside.date()  # an update announced in the window
    assert window.day_of(before) == END and window.day_of(None) == END
