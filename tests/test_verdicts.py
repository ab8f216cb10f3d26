"""Every site-day gets a verdict from evidence: failed (not committed, exit 1), partial, complete.

Real crawls of real loopback servers through ``newsarchive run`` / ``newsarchive crawl``: a site
that is down (a closed port), a start URL on a loopback address outside the allowlist
(127.0.0.2: the network guard refuses it, nothing is ever connected), a page cap, a site behind
a challenge page, a site whose discovery lists nothing in the window, and a good site beside a
dead one. Each server answers a bounded number of requests (RETRY_TIMES=1, a few URLs).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from collections.abc import Iterator
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pipeline.archive.partition import Coverage, publish_partition, read_manifest
from pipeline.archive.reader import iter_articles
from pipeline.archive.runreport import build_report, format_report, read_report
from pipeline.archive.store import LocalStore
from pipeline.cli import main
from pipeline.config.settings import Settings
from pipeline.extract.blockpage import block_reason
from pipeline.run.report_step import report as write_run_report
from tests.builders import make_record, serving
from tests.demo_fixtures import FAST, TODAY, Demo

DAY = TODAY - dt.timedelta(days=1)

CHALLENGE = (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
             b"<div id='cf-chl-widget'></div><script src='/cdn-cgi/challenge-platform/h/b/orch"
             b"estrate/chl_page/v1'></script><noscript>Enable JavaScript and cookies to continue"
             b"</noscript></body></html>")
CAPTCHA_FORM = (b"<html><head><title>Please verify</title></head><body><h1>One more step</h1>"
                b"<form action='/verify' method='post'><div class='g-recaptcha' data-sitekey='x'>"
                b"</div><button>Continue</button></form></body></html>")


def article_html(n: int, day: dt.date) -> bytes:
    """A plain article page that extraction keeps as a row."""
    words = " ".join(f"Paragraph {n} tells the council story in plain words number {i}."
                     for i in range(60))
    return (f"<html><head><title>Story {n}</title><meta property='og:type' content='article'>"
            f"<meta property='article:published_time' content='{day}T08:00:00+00:00'></head>"
            f"<body><article><h1>Story {n}</h1><p>{words}</p><p>{words}</p></article>"
            f"</body></html>").encode()


def feed_xml(base: str, items: list[tuple[str, dt.date]]) -> bytes:
    """An RSS feed listing ``(path, day)`` items."""
    entries = "".join(
        f"<item><title>{path}</title><link>{base}{path}</link><pubDate>"
        f"{format_datetime(dt.datetime.combine(day, dt.time(8), dt.UTC))}</pubDate></item>"
        for path, day in items)
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
            f"<link>{base}/</link>{entries}</channel></rss>").encode()


class StaticSite:
    """A loopback site serving fixed answers: path -> (status, content type, body)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits.append(self.path)
                status, kind, body = site.pages.get(self.path, (404, "text/html", b"no"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.base = f"http://127.0.0.1:{self.port}"


@pytest.fixture
def static_site() -> Iterator[StaticSite]:
    site = StaticSite()
    with serving(site.server):
        yield site


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("NEWSARCHIVE_ALLOWED_NETWORKS", demo.allow)
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_TODAY", str(TODAY))
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_SETTINGS", ",".join(f"{k}={v}" for k, v in FAST.items()))
    monkeypatch.setenv("NEWSARCHIVE_EXTRACT_WORKERS", "1")
    return monkeypatch


def allow(monkeypatch: pytest.MonkeyPatch, demo: Demo, *ports: int) -> None:
    entries = [demo.allow, *(f"127.0.0.1/32:{p}" for p in ports)]
    monkeypatch.setenv("NEWSARCHIVE_ALLOWED_NETWORKS", ",".join(entries))


def sites_file(tmp_path: Path, demo: Demo, *extra: tuple[str, str]) -> Path:
    """The demo sites plus ``(id, base_url)`` sites discovered by a feed at /feed.xml."""
    text = demo.sites_file.read_text()
    for site_id, base in extra:
        text += (f"  - id: {site_id}\n    base_url: {base}\n    article_patterns: ['/story/']\n"
                 f"    discovery:\n      - {{kind: feed, url: /feed.xml}}\n")
    path = tmp_path / "sites.yaml"
    path.write_text(text)
    return path


def run(tmp_path: Path, sites: Path, run_id: str, *site_ids: str, extra: tuple[str, ...] = ()
        ) -> int:
    args = ["run", "--since", str(DAY), "--sites-file", str(sites), "--archive",
            str(tmp_path / "archive"), "--run-id", run_id, *extra]
    for site_id in site_ids:
        args += ["--site", site_id]
    return main(args)


def entry(tmp_path: Path, run_id: str, site: str) -> dict[str, Any]:
    report = read_report(LocalStore(tmp_path / "archive"), run_id)
    return next(p for p in report["partitions"] if p["site"] == site)


# -- failed: nothing could be read -------------------------------------------------------------

def test_site_down_fails_is_not_committed_and_exits_1(
        demo: Demo, env: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    allow(env, demo, port)
    sites = sites_file(tmp_path, demo, ("dead-herald", f"http://127.0.0.1:{port}"))
    assert run(tmp_path, sites, "down1", "dead-herald") == 1
    out = capsys.readouterr()
    assert "FAILURES" in out.out and "discovery_failed" in out.out
    assert "connection_refused" in out.out + out.err
    store = LocalStore(tmp_path / "archive")
    assert read_manifest(store, "dead-herald", DAY) is None  # not committed
    part = entry(tmp_path, "down1", "dead-herald")
    assert part["status"] == "failed" and part["reason"] == "discovery_failed"
    assert part["stage"] == "crawl"
    assert read_report(store, "down1")["ok"] is False
    # the crawl command alone says so too
    assert main(["crawl", "--site", "dead-herald", "--since", str(DAY), "--today", str(TODAY),
                 "--sites-file", str(sites), "--archive", str(tmp_path / "archive"),
                 "--run-id", "down2"]) == 1
    assert "failed (discovery_failed)" in capsys.readouterr().err


def test_start_url_refused_by_the_guard_fails(demo: Demo, env: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    # 127.0.0.2 is loopback but not allowlisted: the guard refuses it before any connection
    port = demo.forbidden_sockets[0].getsockname()[1]
    sites = sites_file(tmp_path, demo, ("walled-post", f"http://127.0.0.2:{port}"))
    demo.forbidden_connections()
    assert run(tmp_path, sites, "guard1", "walled-post") == 1
    part = entry(tmp_path, "guard1", "walled-post")
    assert part["status"] == "failed" and part["reason"] == "discovery_failed"
    assert "forbidden_address" in part["error"]
    assert read_manifest(LocalStore(tmp_path / "archive"), "walled-post", DAY) is None
    assert demo.forbidden_connections() == 0


def challenge_site(site: StaticSite, blocked: list[int], good: list[int],
                   gone: tuple[int, ...] = ()) -> None:
    stories = sorted(blocked + good + list(gone))  # a gone story is listed but answers 404
    site.pages["/feed.xml"] = (200, "application/rss+xml",
                               feed_xml(site.base, [(f"/story/{n}", DAY) for n in stories]))
    for n in good:
        site.pages[f"/story/{n}"] = (200, "text/html; charset=utf-8", article_html(n, DAY))
    for i, n in enumerate(blocked):  # a Cloudflare 403 challenge, or a 200 CAPTCHA form
        site.pages[f"/story/{n}"] = ((403, "text/html", CHALLENGE) if i % 2 == 0 else
                                     (200, "text/html; charset=utf-8", CAPTCHA_FORM))


def test_challenge_pages_fail_the_day_as_blocked(demo: Demo, env: pytest.MonkeyPatch,
                                                 tmp_path: Path,
                                                 static_site: StaticSite) -> None:
    challenge_site(static_site, blocked=[2, 3, 4], good=[1])
    allow(env, demo, static_site.port)
    sites = sites_file(tmp_path, demo, ("guarded-gazette", static_site.base))
    assert run(tmp_path, sites, "block1", "guarded-gazette") == 1
    part = entry(tmp_path, "block1", "guarded-gazette")
    assert part["status"] == "failed" and part["reason"] == "blocked"
    assert "3 of 4 article fetches were blocked" in part["error"]
    store = LocalStore(tmp_path / "archive")
    assert read_manifest(store, "guarded-gazette", DAY) is None
    assert list(store.list(f"raw/site=guarded-gazette/date={DAY}/"))  # the WARCs stay


def test_a_few_blocked_pages_make_a_partial_day_without_block_rows(
        demo: Demo, env: pytest.MonkeyPatch, tmp_path: Path, static_site: StaticSite) -> None:
    challenge_site(static_site, blocked=[4], good=[1, 2, 3], gone=(5,))
    static_site.pages["/story/4"] = (200, "text/html; charset=utf-8", CAPTCHA_FORM)
    allow(env, demo, static_site.port)
    sites = sites_file(tmp_path, demo, ("guarded-gazette", static_site.base))
    assert run(tmp_path, sites, "block2", "guarded-gazette") == 0
    store = LocalStore(tmp_path / "archive")
    manifest = read_manifest(store, "guarded-gazette", DAY)
    assert manifest is not None and manifest.coverage.coverage == "partial"
    assert any("1 responses blocked" in n for n in manifest.coverage.notes)
    assert not any("failed" in n for n in manifest.coverage.notes)  # a 404 is gone, not missed
    urls = {r.url for r in iter_articles(store, DAY, DAY, include_duplicates=True)}
    assert urls == {f"{static_site.base}/story/{n}" for n in (1, 2, 3)}  # no CAPTCHA row
    raw = b"".join(store.get(o.key) for o in manifest.raw)
    assert raw  # the blocked exchange is archived as received, like every other


# -- partial, then complete ----------------------------------------------------------------------

def test_page_cap_gives_a_partial_day_that_a_rerun_completes(
        demo: Demo, env: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    sites = demo.sites_file
    # one request at a time, so that nothing already queued arrives after the cap
    serial = {**FAST, "CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    env.setenv("NEWSARCHIVE_CRAWL_SETTINGS", ",".join(f"{k}={v}" for k, v in serial.items()))
    assert run(tmp_path, sites, "cap1", "metro-wire", extra=("--page-cap", "3")) == 0
    out = capsys.readouterr().out
    assert re.search(rf"{DAY} +metro-wire +partial ", out) and "page cap reached" in out
    store = LocalStore(tmp_path / "archive")
    first = read_manifest(store, "metro-wire", DAY)
    assert first is not None and first.coverage.coverage == "partial"
    assert any("closespider_pagecount" in n for n in first.coverage.notes)
    expected = len(demo.world.expected("metro-wire", DAY, DAY))
    assert first.counts["records"] < expected
    # no --force: the partial day is crawled again and, nothing stopping it, becomes complete
    assert run(tmp_path, sites, "cap2", "metro-wire") == 0
    assert "published 1" in capsys.readouterr().out
    second = read_manifest(store, "metro-wire", DAY)
    assert second is not None and second.coverage.complete and not second.coverage.notes
    assert second.counts["records"] == expected
    assert [d["kind"] for d in second.coverage.discovery] == ["feed"]
    # and a complete day is left alone
    assert run(tmp_path, sites, "cap3", "metro-wire") == 0
    assert "complete 1" in capsys.readouterr().out


def test_discovery_with_nothing_in_the_window_is_a_complete_empty_day(
        demo: Demo, env: pytest.MonkeyPatch, tmp_path: Path, static_site: StaticSite) -> None:
    old = DAY - dt.timedelta(days=30)
    static_site.pages["/feed.xml"] = (200, "application/rss+xml", feed_xml(
        static_site.base, [(f"/story/{n}", old) for n in range(3)]))
    allow(env, demo, static_site.port)
    sites = sites_file(tmp_path, demo, ("quiet-courier", static_site.base))
    assert run(tmp_path, sites, "quiet1", "quiet-courier") == 0
    manifest = read_manifest(LocalStore(tmp_path / "archive"), "quiet-courier", DAY)
    assert manifest is not None and manifest.coverage.complete
    assert manifest.counts["records"] == 0
    assert manifest.coverage.discovery == (
        {"kind": "feed", "url": f"{static_site.base}/feed.xml", "pages": 1, "links": 3},)
    assert not [h for h in static_site.hits if h.startswith("/story/")]
    doc = json.loads(LocalStore(tmp_path / "archive").get(
        f"manifests/site=quiet-courier/date={DAY}.json"))
    assert doc["coverage"] == "complete" and doc["discovery"][0]["links"] == 3


def test_good_and_dead_site_in_one_run(demo: Demo, env: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    port = closed_port()
    allow(env, demo, port)
    sites = sites_file(tmp_path, demo, ("dead-herald", f"http://127.0.0.1:{port}"))
    assert run(tmp_path, sites, "mixed1", "metro-wire", "dead-herald") == 1
    store = LocalStore(tmp_path / "archive")
    good = read_manifest(store, "metro-wire", DAY)
    assert good is not None and good.coverage.complete and good.counts["records"] > 0
    assert read_manifest(store, "dead-herald", DAY) is None
    report = read_report(store, "mixed1")
    assert report["ok"] is False
    assert report["partitions_by_status"] == {"failed": 1, "published": 1}


# -- the evidence's building blocks --------------------------------------------------------------

def test_block_pages_are_recognised_and_articles_are_not() -> None:
    assert block_reason(403, CHALLENGE) == "challenge"
    assert block_reason(503, CHALLENGE) == "challenge"
    assert block_reason(200, CAPTCHA_FORM) == "captcha"
    assert block_reason(403, b"<title>Access Denied</title>You don't have permission to "
                             b"access this server") == "access_denied"
    assert block_reason(403, b"<h1>Forbidden</h1>") is None  # an error, not a challenge
    long_article = article_html(1, DAY) + b"<form><p>solve the captcha puzzle</p></form>" * 3
    assert block_reason(200, long_article * 20) is None  # large: content, whatever it says
    assert block_reason(200, article_html(1, DAY)) is None


def test_anomaly_flags_a_thin_complete_day_and_planning_failure_is_not_ok(
        tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "archive")
    settings = Settings(archive_url=str(tmp_path / "archive"))
    for back in range(1, 8):  # seven complete days of ten articles
        day = DAY - dt.timedelta(days=back)
        publish_partition(store, "a", day, [make_record(i) for i in range(10)], run_id="old")
    publish_partition(store, "a", DAY, [make_record(1)], run_id="new")
    publish_partition(store, "b", DAY, [make_record(1, "b")], run_id="new",
                      coverage=Coverage("partial", ("page cap reached",)))
    results = [{"site": s, "date": str(DAY), "status": "published", "counts": {"records": 1},
                "coverage": c} for s, c in (("a", "complete"), ("b", "partial"))]
    key = write_run_report("thin", [{"site": s, "date": str(DAY)} for s in "ab"], results,
                           settings=settings)
    doc = json.loads(store.get(key))
    flagged = {p["site"]: p.get("anomaly") for p in doc["partitions"]}
    assert flagged["a"]["median"] == 10 and flagged["a"]["articles"] == 1
    assert flagged["b"] is None  # partial days are not compared
    assert doc["ok"] is True  # a flag, not a failure
    assert "ANOMALY" in format_report(doc)
    failed_plan = build_report("p1", [], [], plan_error="sites.yaml: no valid site")
    assert failed_plan["ok"] is False
    assert "planning failed" in format_report(failed_plan)
