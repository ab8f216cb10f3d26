"""Recursive sitemap indexes are bounded in depth and count (real crawls of a loopback server).

The server's indexes never end: ``/chain/N.xml`` lists ``/chain/N+1.xml``, itself and the first
index; ``/fan/P.xml`` lists five deeper indexes and itself. Its request log shows how many
sitemaps the crawl asked for; before the caps it followed them until ``DEPTH_LIMIT`` or the
site's page cap.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.archive.crawlreport import CrawlReport
from pipeline.run.verdict import judge
from tests.builders import serving
from tests.demo_fixtures import TODAY, Demo, crawl

DAY = TODAY - dt.timedelta(days=1)


def index(children: list[str]) -> bytes:
    """A sitemap index listing ``children`` (paths)."""
    entries = "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
    return (f'<?xml version="1.0"?><sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
            ).encode()


class TrapServer(ThreadingHTTPServer):
    """Endless sitemap indexes; counts every request by path."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TrapHandler)
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class TrapHandler(BaseHTTPRequestHandler):
    server: TrapServer

    def do_GET(self) -> None:
        path = self.path
        with self.server.lock:
            self.server.requests[path] = self.server.requests[path] + 1
        body = None
        if path.startswith("/chain/") and path.endswith(".xml"):
            n = int(path[len("/chain/"):-len(".xml")])
            body = index([f"/chain/{n + 1}.xml", path, "/chain/1.xml"])
        elif path.startswith("/fan/") and path.endswith(".xml"):
            name = path[len("/fan/"):-len(".xml")]
            body = index([f"/fan/{name}-{k}.xml" for k in range(1, 6)] + [path])
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def traps() -> Iterator[TrapServer]:
    with serving(TrapServer()) as server:
        yield server


def sites(tmp_path: Path, server: TrapServer, start: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(f"sites:\n  - id: traps\n    base_url: {server.base}/\n"
                    "    article_patterns: ['/story/']\n"
                    f"    discovery:\n      - {{kind: sitemap, url: {start}}}\n")
    return path


def run(demo: Demo, tmp_path: Path, server: TrapServer, start: str,
        **settings: str) -> CrawlReport:
    port = server.server_address[1]
    result = crawl(demo, tmp_path / "archive", "traps", DAY,
                   sites_file=sites(tmp_path, server, start), settings=settings,
                   env={"NEWSARCHIVE_ALLOWED_NETWORKS": f"127.0.0.1/32:{port}"}, timeout=60)
    assert result.returncode == 0, result.output[-3000:]
    return CrawlReport.from_json(result.report)


def sitemap_requests(server: TrapServer) -> Counter[str]:
    return Counter({p: n for p, n in server.requests.items() if p.endswith(".xml")})


def test_recursive_self_referencing_index_stops_at_depth_3(demo: Demo, tmp_path: Path,
                                                           traps: TrapServer) -> None:
    report = run(demo, tmp_path, traps, "/chain/1.xml")
    # levels 1, 2, 3, each asked once (the self and back references are not followed)
    assert sitemap_requests(traps) == Counter({"/chain/1.xml": 1, "/chain/2.xml": 1,
                                               "/chain/3.xml": 1})
    assert report.skipped["sitemap_depth_cap"] == 1  # /chain/4.xml
    assert report.skipped["sitemap_duplicate"] == 6  # itself and /chain/1.xml, on each level
    verdict = judge(report)
    assert verdict.coverage == "partial"
    assert any("nested deeper than 3 levels: 1 child" in note for note in verdict.notes)


def test_fanning_index_stops_at_the_child_count_cap(demo: Demo, tmp_path: Path,
                                                    traps: TrapServer) -> None:
    report = run(demo, tmp_path, traps, "/fan/r.xml", SITEMAP_MAX_CHILDREN="4")
    asked = sitemap_requests(traps)
    assert sum(asked.values()) == 5 and max(asked.values()) == 1  # the index and 4 children
    assert asked["/fan/r.xml"] == 1
    # the 5th child of the index and the 5 children of each of the 4 read
    assert report.skipped["sitemap_count_cap"] == 1 + 4 * 5
    assert "sitemap_depth_cap" not in report.skipped
    verdict = judge(report)
    assert verdict.coverage == "partial"
    assert any("child sitemap cap (sitemap_max_children) reached: 21" in note
               for note in verdict.notes)


def test_default_cap_bounds_a_wide_and_deep_index(demo: Demo, tmp_path: Path,
                                                  traps: TrapServer) -> None:
    report = run(demo, tmp_path, traps, "/fan/r.xml")
    # 3 levels: 1 + 5 + 25 sitemaps, whatever the fan-out below
    assert sum(sitemap_requests(traps).values()) == 31
    assert report.skipped["sitemap_depth_cap"] == 25 * 5
    assert "sitemap_count_cap" not in report.skipped
