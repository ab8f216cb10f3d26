"""Raw capture: valid WARCs, bytes as sent by the server, evidence kept, revisits, reports."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import urllib.request
from collections import Counter
from pathlib import Path

from pipeline.archive.crawlreport import CrawlReport, read_crawl_report
from pipeline.archive.layout import payload_index_key
from pipeline.archive.store import LocalStore
from pipeline.archive.warc_reader import iter_captures
from tests.demo_fixtures import ROOT, TODAY, Demo, crawl
from tests.pywb_tool import cdx_index

YESTERDAY = TODAY - dt.timedelta(days=1)


def fetch_as_sent(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return bytes(response.read())


def test_warcs_hold_every_exchange_as_received(demo: Demo, tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text(f"""sites:
  - id: daily-courier
    base_url: {demo.server.base_urls['daily-courier']}
    article_patterns: ['/news/']
    discovery:
      - {{kind: news_sitemap, url: /news-sitemap.xml}}
      - {{kind: listing, url: /no-such-page/}}
""")
    result = crawl(demo, tmp_path, "daily-courier", YESTERDAY, sites_file=sites)
    assert result.returncode == 0, result.output[-3000:]
    report = result.report
    keys = report["warc_keys"]
    assert keys and all(k.startswith(f"raw/site=daily-courier/date={YESTERDAY}/") for k in keys)
    for key in keys:
        check = subprocess.run([str(ROOT / ".venv/bin/warcio"), "check", str(tmp_path / key)],
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    indexed = {(r["url"], r["status"]) for r in cdx_index(*(tmp_path / k for k in keys))}
    assert {(url, "200") for url in report["articles"]} <= indexed  # pywb reads them too
    store = LocalStore(tmp_path)
    captures = [c for key in keys for c in iter_captures(store, key)]
    by_url = {c.url: c for c in captures}
    base = demo.server.base_urls["daily-courier"]
    assert f"{base}/robots.txt" in by_url  # fetched by the robots.txt middleware
    assert by_url[f"{base}/no-such-page/"].status == 404  # error responses are kept
    assert report["errors"] == {"http_404": 1}
    articles = [c for c in captures if c.url in report["articles"]]
    assert len(articles) == len(report["articles"]) > 0
    for capture in articles:
        assert capture.header("Content-Encoding") == "gzip"
        assert capture.raw_body == fetch_as_sent(capture.url)  # gzip bytes, as on the wire
        assert b"<h1>" in capture.body
        meta = capture.metadata
        assert meta is not None and meta.role == "article" and meta.source == "news_sitemap"
        assert meta.published is not None and meta.published.date() == YESTERDAY
        assert meta.site == "daily-courier"
    assert report["stats"]["warc/records"] == len(captures)
    assert (tmp_path / payload_index_key("daily-courier", YESTERDAY)).exists()
    typed = read_crawl_report(store, f"test-daily-courier-{YESTERDAY}", "daily-courier",
                              YESTERDAY)
    assert typed is not None and typed.partition == YESTERDAY and typed.window is not None
    assert typed.to_json() == report and CrawlReport.from_json(report) == typed


def test_known_payloads_become_revisits(demo: Demo, tmp_path: Path) -> None:
    first = crawl(demo, tmp_path, "metro-wire", YESTERDAY)
    assert first.returncode == 0, first.output[-3000:]
    second = crawl(demo, tmp_path, "metro-wire", YESTERDAY,
                   extra_args=["-a", f"partition={TODAY}", "-a", "run_id=again"])
    report = json.loads(next(tmp_path.glob("staging/again/crawl/*.json")).read_text())
    assert report["stats"]["warc/revisits"] >= len(first.report["articles"])
    store = LocalStore(tmp_path)
    kinds = Counter(c.record_type for key in report["warc_keys"]
                    for c in iter_captures(store, key))
    assert kinds["revisit"] >= len(first.report["articles"])
    assert second.returncode == 0
