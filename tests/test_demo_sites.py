"""The demo news sites: deterministic worlds, ground truth, realistic differences, the CLI."""

from __future__ import annotations

import datetime as dt
import gzip
import threading
import urllib.error
import urllib.request

import pytest

from pipeline.cli import build_parser
from pipeline.cli.demo_sites import run_serve
from pipeline.crawl.discovery import parse_feed, parse_sitemap
from pipeline.demo import DemoServer, DemoWorld
from tests.demo_fixtures import TODAY, Demo


def get(url: str, gz: bool = False) -> tuple[int, dict[str, str], bytes]:
    headers = {"Accept-Encoding": "gzip"} if gz else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_world_is_deterministic_and_scales() -> None:
    a = DemoWorld(seed=3, today=TODAY, days=10, articles_per_day=4)
    b = DemoWorld(seed=3, today=TODAY, days=10, articles_per_day=4)
    c = DemoWorld(seed=4, today=TODAY, days=10, articles_per_day=4)
    assert [x.path for x in a.articles("metro-wire")] == [x.path for x in b.articles("metro-wire")]
    assert [x.path for x in a.articles("metro-wire")] != [x.path for x in c.articles("metro-wire")]
    big = DemoWorld(seed=1, today=TODAY, days=100, articles_per_day=40)
    assert sum(len(big.articles(s.id)) for s in big.sites) == 12_000
    assert all(a.published.date() <= TODAY for a in big.articles("city-ledger"))


def test_stories_differ_and_syndication_is_light_editing() -> None:
    world = DemoWorld(seed=5, today=TODAY, days=3, articles_per_day=8)
    texts = {" ".join(world.story(a).paragraphs) for a in world.articles("daily-courier")}
    assert len(texts) == 24
    copies = [a for a in world.articles("daily-courier") if a.syndicated_from]
    assert copies
    copy = copies[0]
    original = next(a for a in world.articles("metro-wire") if a.story_id == copy.story_id)
    assert original.published < copy.published and original.published.date() == \
        copy.published.date()
    orig_words = set(" ".join(world.story(original).paragraphs).split())
    copy_words = set(" ".join(world.story(copy).paragraphs).split())
    assert len(orig_words & copy_words) / len(orig_words | copy_words) > 0.6
    assert world.story(copy).paragraphs != world.story(original).paragraphs
    assert any(a.updated for a in world.articles("daily-courier"))


def test_expected_window() -> None:
    world = DemoWorld(seed=5, today=TODAY, days=10, articles_per_day=5)
    day = TODAY - dt.timedelta(days=2)
    plain = world.expected("metro-wire", day, day)
    assert len(plain) == 5 and all(a.published.date() == day for a in plain)
    with_updates = world.expected("daily-courier", day, day)
    assert len(with_updates) > 5  # articles updated that day count too
    assert len(world.expected("daily-courier", day, day, with_updates=False)) == 5


def test_sites_differ_like_real_ones(demo: Demo) -> None:
    world, server = demo.world, demo.server
    courier = world.articles("daily-courier")[3]
    status, headers, body = get(server.url("daily-courier", courier.path), gz=True)
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(body).decode()
    assert "application/ld+json" in html and 'property="og:title"' in html
    assert "cookie" in html.lower() and "Latest News" in html and "Share this" in html
    wire = world.articles("metro-wire")[0]
    html = get(server.url("metro-wire", wire.path), gz=True)[2].decode()
    assert "ld+json" not in html and "og:title" in html
    ledger = world.articles("city-ledger")[0]
    html = gzip.decompress(get(server.url("city-ledger", ledger.path), gz=True)[2]).decode()
    assert "ld+json" not in html and "og:" not in html and "Published" in html
    news = parse_sitemap(get(server.url("daily-courier", "/news-sitemap.xml"))[2],
                         server.url("daily-courier", "/"))
    assert news.urls and all(u.published for u in news.urls)
    feed = parse_feed(get(server.url("metro-wire", "/feed.xml"))[2], server.url("metro-wire", "/"))
    assert feed.next_url and len(feed.items) == 30
    assert get(server.url("metro-wire", "/sitemap.xml"))[0] == 404
    assert get(server.url("city-ledger", "/archive/2026/03/01/"))[0] == 200
    assert b"Disallow: /private/" in get(server.url("faulty-gazette", "/robots.txt"))[2]


def test_fault_endpoints(demo: Demo) -> None:
    server = demo.server
    assert get(server.url("faulty-gazette", "/news/server-error"))[0] == 500
    _, headers, _ = get(server.url("faulty-gazette", "/news/not-html"))
    assert headers["Content-Type"] == "application/pdf"
    _status, headers, body = get(server.url("faulty-gazette", "/news/gzip-bomb"), gz=True)
    assert len(body) < 100_000 and len(gzip.decompress(body)) == 8 * 1024 * 1024
    with pytest.raises(UnicodeDecodeError):
        get(server.url("faulty-gazette", "/news/wrong-charset"))[2].decode("utf-8")


def test_cli_serve_prints_urls_and_sites_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["demo-sites", "serve", "--port", "0", "--days", "2",
                                      "--articles-per-day", "2", "--seed", "9"])
    stop = threading.Event()
    thread = threading.Thread(target=run_serve, args=(args, stop))
    thread.start()
    try:
        for _ in range(100):
            out = capsys.readouterr().out
            if "sites:" in out:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert "daily-courier: http://127.0.0.1:" in out
    assert "NEWSARCHIVE_ALLOWED_NETWORKS=127.0.0.1/32:" in out
    assert "- id: city-ledger" in out


def test_server_context_manager() -> None:
    with DemoServer(DemoWorld(seed=1, today=TODAY, days=1, articles_per_day=1)) as server:
        assert get(server.url("metro-wire", "/"))[0] == 200


def test_article_pages_weigh_what_real_news_pages_weigh() -> None:
    """Real article pages are mostly chrome (devset median: 125 KB, ~940 elements); so are ours,
    and extraction still finds exactly the story in them."""
    from lxml.html import fromstring

    from pipeline.demo.pages import article_page
    from pipeline.extract.extraction import extract_page

    world = DemoWorld(seed=3, today=TODAY, days=2, articles_per_day=12)
    fetched = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    for site in world.sites:
        for article in world.articles(site.id)[:4]:
            html = article_page(world, article, "http://127.0.0.1:8000")
            elements = sum(1 for _ in fromstring(html).iter())
            assert 90_000 <= len(html.encode()) <= 200_000, (site.id, len(html))
            assert 700 <= elements <= 1600, (site.id, elements)
            story = world.story(article)
            record = extract_page(html, "http://127.0.0.1:8000" + article.path,
                                  fetched_at=fetched)
            assert getattr(record, "title", None) == story.title, record
            text = getattr(record, "text", "")
            assert all(paragraph in text for paragraph in story.paragraphs)
            # none of the teaser cards, menus or most-read lists leaks into the text
            assert len(text.split()) - len(" ".join(story.paragraphs).split()) < 40


def test_prerendered_pages_are_the_pages_served_live() -> None:
    world = DemoWorld(seed=3, today=TODAY, days=2, articles_per_day=3)
    urls = [(s.id, a.path) for s in world.sites for a in world.articles(s.id)]
    with DemoServer(world) as demo:
        live = {u: get(demo.url(*u), gz=True) for u in urls}
        count = demo.prerender(TODAY, TODAY)
        cached = {u: get(demo.url(*u), gz=True) for u in urls}
    assert count == 3 * len(world.sites)
    assert {u: r[2] for u, r in cached.items()} == {u: r[2] for u, r in live.items()}
    assert [r[1].get("Content-Encoding") for r in cached.values()] == [
        r[1].get("Content-Encoding") for r in live.values()]
    assert all(len(r[2]) > 10_000 for r in live.values())


def test_visible_datelines_give_the_minute_of_publication() -> None:
    """City Ledger states its dates only in the visible dateline, with the time in UTC."""
    from pipeline.demo.pages import article_page
    from pipeline.extract.extraction import extract_page

    world = DemoWorld(seed=3, today=TODAY, days=2, articles_per_day=4)
    fetched = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    for article in world.articles("city-ledger")[:4]:
        record = extract_page(article_page(world, article, "http://127.0.0.1:8000"),
                              "http://127.0.0.1:8000" + article.path, fetched_at=fetched)
        assert getattr(record, "published_source", None) == "page_text", record
        assert getattr(record, "published_at", None) == article.published.replace(second=0)
