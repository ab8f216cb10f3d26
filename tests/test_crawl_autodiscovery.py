"""Sites given as nothing but ``id`` and ``base_url``, discovered from their home page.

Real Scrapy crawls of two sites on one loopback host (:mod:`tests.hostsites`): ``alpha`` at the
root, ``beta`` under ``/site-b/``. Each article is reachable from one channel only (sitemap,
feed, home page, section page), so the fetched set shows that every channel was found, and the
server's request log shows that neither site strayed into the other's pages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.archive.crawlreport import CrawlReport
from pipeline.archive.partition import COMPLETE
from pipeline.config.sites import load_sites
from pipeline.crawl.autodiscovery import SiteScope, parse_home, site_scope
from pipeline.run.verdict import judge
from tests.builders import serving
from tests.demo_fixtures import FAST, ROOT
from tests.hostsites import ARTICLES, DAY, HostSites, page, sites_yaml


@pytest.fixture
def host() -> Iterator[HostSites]:
    with serving(HostSites()) as server:
        yield server


def run_crawl(server: HostSites, tmp_path: Path, site: str) -> CrawlReport:
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(sites_yaml(server))
    archive = tmp_path / f"archive-{site}"
    run_id = f"auto-{site}"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"site={site}",
           "-a", f"start={DAY}", "-a", f"end={DAY}", "-a", f"partition={DAY}",
           "-a", f"today={DAY + dt.timedelta(days=1)}", "-a", f"run_id={run_id}",
           "-a", f"sites_file={sites_file}", "-s", f"ARCHIVE_URL={archive}"]
    for key, value in FAST.items():
        cmd += ["-s", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    env["NEWSARCHIVE_ALLOWED_NETWORKS"] = f"127.0.0.1/32:{server.server_address[1]}"
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    reports = list(archive.glob(f"staging/{run_id}/crawl/*.json"))
    assert len(reports) == 1, (proc.stdout + proc.stderr)[-3000:]
    return CrawlReport.from_json(json.loads(reports[0].read_text()))


def paths(report: CrawlReport) -> set[str]:
    return {"/" + url.split("/", 3)[3] for url in report.articles}


def everything(prefix: str) -> set[str]:
    return {p for channel in ARTICLES[prefix].values() for p in channel}


def test_minimal_sites_load_with_auto_discovery(host: HostSites, tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(sites_yaml(host))
    config = load_sites(str(path))
    assert config.errors == ()
    alpha, beta = config.get("alpha"), config.get("beta")
    assert [(s.kind, s.url) for s in alpha.discovery] == [("auto", f"{host.base}/")]
    assert [(s.kind, s.url) for s in beta.discovery] == [("auto", f"{host.base}/site-b/")]
    alpha_scope = site_scope(alpha, config.sites)
    assert alpha_scope.excluded == (f"{host.base}/site-b/",)
    assert alpha_scope.contains(f"{host.base}/world/x.html")
    assert not alpha_scope.contains(f"{host.base}/site-b/local/x.html")
    beta_scope = site_scope(beta, config.sites)
    assert beta_scope.excluded == ()
    assert beta_scope.contains(f"{host.base}/site-b/local/x.html")
    assert not beta_scope.contains(f"{host.base}/world/x.html")
    assert not beta_scope.contains(f"{host.base}/site-bee/x.html")
    # a root site takes the pages of its allowed domains (www. and bare); a path site does not
    www = SiteScope("https://news.example/", (), ("news.example",))
    assert www.contains("https://www.news.example/world/") and not www.contains("https://x.test/")
    assert not SiteScope("https://news.example/b/", (), ("news.example",)).contains(
        "https://www.news.example/b/x")


def test_home_page_parsing_keeps_to_the_site() -> None:
    scope = SiteScope("http://h.test/site-b/", ())
    body = page("home", '<nav><a href="/site-b/local/">Local</a><a href="/site-b/about/">About'
                        '</a><a href="/world/">Other site</a><a href="/site-b/rss">RSS</a>'
                        '</nav><main><a href="/site-b/local/2026/03/14/x.html">x</a>'
                        '<a href="/elsewhere/y.html">y</a><a href="/site-b/politics/">P</a>'
                        '<a href="/site-b/a/b/c/">deep</a></main>',
                '<link rel="alternate" type="application/atom+xml" href="atom.xml">'
                '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
                '<link rel="alternate" hreflang="fr" href="/fr/">'
                '<link rel="stylesheet" type="text/css" href="/site-b/s.css">')
    doc = parse_home(body, "http://h.test/site-b/", scope)
    assert doc.feeds == ("http://h.test/site-b/atom.xml",)
    assert doc.sections == ("http://h.test/site-b/local/", "http://h.test/site-b/politics/")
    assert [c.url for c in doc.articles] == ["http://h.test/site-b/local/2026/03/14/x.html",
                                             "http://h.test/site-b/a/b/c/"]
    assert {c.source for c in doc.articles} == {"home"}
    assert doc.out_of_scope == 2  # the root site's feed and its /world/ section


def test_a_root_site_is_discovered_from_its_home_page(host: HostSites, tmp_path: Path) -> None:
    report = run_crawl(host, tmp_path, "alpha")
    # one article per channel: the usual /sitemap.xml, the announced RSS feed, the home page,
    # a section page; nothing of beta, which lives under /site-b/ on the same host
    assert paths(report) == everything("/")
    assert report.discovered_by_source["sitemap"] == 3
    assert report.discovered_by_source["feed"] == 1
    assert report.discovered_by_source["home"] == 1
    assert report.discovered_by_source["listing"] >= 1
    asked = set(host.requests)
    assert {"/robots.txt", "/", "/sitemap.xml", "/feed.xml", "/world/", "/sport/"} <= asked
    assert not {p for p in asked if p.startswith("/site-b/")}
    assert "/about/" not in asked and "/login" not in asked
    assert max(n for p, n in host.requests.items() if p != "/robots.txt") == 1
    # the guessed locations that are not there are counted, and are not failures
    assert report.skipped["auto_probe_absent"] == 4
    assert report.skipped["out_of_site_path"] >= 1  # beta's section, the foreign feed
    verdict = judge(report)
    assert verdict.coverage == COMPLETE, verdict.notes
    assert [s.kind for s in report.sources] == ["auto"]


def test_a_site_under_a_path_stays_within_it(host: HostSites, tmp_path: Path) -> None:
    report = run_crawl(host, tmp_path, "beta")
    assert paths(report) == everything("/site-b/")
    # the sitemap only robots.txt names, the Atom feed the home page announces
    assert report.discovered_by_source["robots"] == 2
    assert report.discovered_by_source["feed"] == 1
    assert report.discovered_by_source["home"] == 1
    asked = set(host.requests)
    assert {"/robots.txt", "/site-b/", "/site-b/sitemaps/news.xml", "/site-b/atom.xml",
            "/site-b/local/"} <= asked
    outside = {p for p in asked if not p.startswith("/site-b/")}
    assert outside == {"/robots.txt"}  # robots.txt lives at the host's root
    assert report.skipped["auto_probe_absent"] == 5  # none of the usual names exists
    assert report.skipped["out_of_site_path"] >= 2  # alpha's home link, the foreign feed
    verdict = judge(report)
    assert verdict.coverage == COMPLETE, verdict.notes
