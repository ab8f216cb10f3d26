"""Revisits without --force: the nightly run re-fetches recently archived articles, conditionally.

A real loopback site and two real ``newsarchive run`` calls, one a day. On day 2 (no
``--force``) the crawl re-fetches day 1's articles with the validators of their archived
responses: one answers ``304`` to its ``If-None-Match`` (a WARC ``revisit`` record, profile
server-not-modified, and no row), one changed its text (a new row, version 2, pointing at day 1),
and one has no validators and serves the same bytes (a ``revisit`` record, profile
identical-payload-digest, and no row). Backfills and crawls with a page cap do not revisit.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipeline.archive.partition import read_manifest
from pipeline.archive.reader import iter_articles
from pipeline.archive.runreport import read_report
from pipeline.archive.schema import article_id_for
from pipeline.archive.store import LocalStore
from pipeline.archive.warc import PROFILE_IDENTICAL_PAYLOAD, PROFILE_NOT_MODIFIED, warc_date
from pipeline.cli import main
from pipeline.crawl.revisits import RevisitTarget, pick_revisits, revisit_days
from pipeline.urls import canonicalize_url
from tests.builders import serving
from tests.demo_fixtures import FAST
from tests.test_verdicts import article_html, feed_xml

DAY1 = dt.date(2026, 3, 10)
DAY2 = DAY1 + dt.timedelta(days=1)


class ValidatingSite:
    """A loopback site whose pages may carry an ETag and honour ``If-None-Match``.

    ``pages``: path -> (body, etag or None). Every request's path and conditional header is
    recorded in ``hits``.
    """

    def __init__(self) -> None:
        self.pages: dict[str, tuple[bytes, str | None]] = {}
        self.feed = b""
        self.hits: list[tuple[str, str | None]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                condition = self.headers.get("If-None-Match")
                site.hits.append((self.path, condition))
                if self.path == "/feed.xml":
                    self._send(200, "application/rss+xml", site.feed, None)
                elif self.path in site.pages:
                    body, etag = site.pages[self.path]
                    if etag is not None and condition == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.end_headers()
                    else:
                        self._send(200, "text/html; charset=utf-8", body, etag)
                else:
                    self._send(404, "text/html", b"gone", None)

            def _send(self, status: int, kind: str, body: bytes, etag: str | None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                if etag is not None:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.base = f"http://127.0.0.1:{self.port}"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ValidatingSite]:
    served = ValidatingSite()
    monkeypatch.setenv("NEWSARCHIVE_ALLOWED_NETWORKS", f"127.0.0.1/32:{served.port}")
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_SETTINGS",
                       ",".join(f"{k}={v}" for k, v in FAST.items()))
    monkeypatch.setenv("NEWSARCHIVE_EXTRACT_WORKERS", "1")
    (tmp_path / "sites.yaml").write_text(
        f"version: 1\nsites:\n  - id: revisit-times\n    base_url: {served.base}\n"
        f"    article_patterns: ['/story/']\n    discovery:\n"
        f"      - {{kind: feed, url: /feed.xml}}\n")
    with serving(served.server):
        yield served


def nightly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, day: dt.date, run_id: str) -> int:
    """``newsarchive run`` as the nightly run of ``day`` (today is the day after), no --force."""
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_TODAY", str(day + dt.timedelta(days=1)))
    return main(["run", "--since", str(day), "--sites-file", str(tmp_path / "sites.yaml"),
                 "--archive", str(tmp_path / "archive"), "--run-id", run_id,
                 "--site", "revisit-times"])


def warc_records(store: LocalStore, day: dt.date) -> list[Any]:
    """(type, target URI, WARC headers, HTTP headers) of every record of the day's WARCs."""
    out = []
    for info in store.list(f"raw/site=revisit-times/date={day}/"):
        for record in ArchiveIterator(io.BytesIO(store.get(info.key))):
            http = record.http_headers
            out.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"),
                        dict(record.rec_headers.headers), http))
    return out


def test_nightly_run_revisits_recent_articles_with_conditional_requests(
        site: ValidatingSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = {n: f"{site.base}/story/{n}" for n in (1, 2, 3, 4)}
    site.pages = {"/story/1": (article_html(1, DAY1), '"one-v1"'),
                  "/story/2": (article_html(2, DAY1), '"two-v1"'),
                  "/story/3": (article_html(3, DAY1), None)}
    site.feed = feed_xml(site.base, [(f"/story/{n}", DAY1) for n in (1, 2, 3)])
    assert nightly(tmp_path, monkeypatch, DAY1, "day1") == 0
    store = LocalStore(tmp_path / "archive")
    day1 = {r.url: r for r in iter_articles(store, DAY1, DAY1, include_duplicates=True)}
    assert set(day1) == {url[1], url[2], url[3]}
    assert {r.version for r in day1.values()} == {1}
    assert all(r.previous_version_date is None for r in day1.values())

    # day 2: story 2 corrected, a new story 4; stories 1 and 3 unchanged
    changed = article_html(2, DAY1).replace(b"council story", b"corrected council story")
    site.pages["/story/2"] = (changed, '"two-v2"')
    site.pages["/story/4"] = (article_html(4, DAY2), '"four-v1"')
    site.feed = feed_xml(site.base, [("/story/4", DAY2)])
    site.hits.clear()
    assert nightly(tmp_path, monkeypatch, DAY2, "day2") == 0  # no --force

    # the re-fetches were conditional where the archived response allowed it
    assert ("/story/1", '"one-v1"') in site.hits
    assert ("/story/2", '"two-v1"') in site.hits
    assert ("/story/3", None) in site.hits

    records = warc_records(store, DAY2)
    revisits = {uri: (headers, http) for kind, uri, headers, http in records
                if kind == "revisit" and "/story/" in uri}
    assert set(revisits) == {url[1], url[3]}
    headers, http = revisits[url[1]]
    assert headers["WARC-Profile"] == PROFILE_NOT_MODIFIED
    assert headers["WARC-Refers-To-Target-URI"] == url[1]
    assert headers["WARC-Refers-To-Date"] == warc_date(day1[url[1]].fetched_at)
    assert headers["WARC-Refers-To"] == day1[url[1]].raw.record_id
    assert http.get_statuscode() == "304"
    headers, _ = revisits[url[3]]
    assert headers["WARC-Profile"] == PROFILE_IDENTICAL_PAYLOAD
    assert headers["WARC-Refers-To-Target-URI"] == url[3]
    requests = [(uri, http) for kind, uri, _, http in records if kind == "request"]
    sent = {uri: http.get_header("If-None-Match") for uri, http in requests}
    assert sent[url[1]] == '"one-v1"' and sent[url[2]] == '"two-v1"' and sent[url[3]] is None

    # rows: the changed article is version 2 pointing at day 1; the unchanged ones add none
    day2 = {r.url: r for r in iter_articles(store, DAY2, DAY2, include_duplicates=True)}
    assert set(day2) == {url[2], url[4]}
    assert (day2[url[2]].version, day2[url[2]].previous_version_date) == (2, DAY1)
    assert day2[url[2]].article_id == day1[url[2]].article_id
    assert "corrected council story" in day2[url[2]].text
    assert (day2[url[4]].version, day2[url[4]].previous_version_date) == (1, None)
    # day 1 is untouched: still three first versions
    assert {r.url: r.version for r in iter_articles(store, DAY1, DAY1,
                                                    include_duplicates=True)} == {
        url[1]: 1, url[2]: 1, url[3]: 1}

    manifest = read_manifest(store, "revisit-times", DAY2)
    assert manifest is not None and manifest.coverage.complete  # revisits cost no verdict
    assert manifest.counts["revisit:not_modified"] == 1
    # story 3, and robots.txt's 404 page (the same bytes as on day 1)
    assert manifest.counts["revisit:identical_payload"] == 2
    assert manifest.counts["dedup:new_version"] == 1
    assert read_report(store, "day2")["ok"] is True


def test_pick_revisits_reads_validators_and_respects_days_and_cap(
        site: ValidatingSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site.pages = {f"/story/{n}": (article_html(n, DAY1), f'"e{n}"' if n % 2 else None)
                  for n in (1, 2, 3)}
    site.feed = feed_xml(site.base, [(f"/story/{n}", DAY1) for n in (1, 2, 3)])
    assert nightly(tmp_path, monkeypatch, DAY1, "pick1") == 0
    store = LocalStore(tmp_path / "archive")
    counts: Counter[str] = Counter()
    targets = pick_revisits(store, "revisit-times", DAY2, days=2, cap=10, counts=counts)
    by_url = {t.url: t for t in targets}
    assert set(by_url) == {f"{site.base}/story/{n}" for n in (1, 2, 3)}
    assert by_url[f"{site.base}/story/1"].conditional_headers() == {"If-None-Match": '"e1"'}
    assert by_url[f"{site.base}/story/2"].conditional_headers() == {}
    one = by_url[f"{site.base}/story/1"]
    assert one.article_id == article_id_for(canonicalize_url(one.url)) and one.day == DAY1
    assert RevisitTarget.from_json(one.to_json()) == one
    assert counts["candidates"] == 3 and counts["no_validators"] == 1
    # a cap leaves the rest counted; days before the span and revisits off give nothing
    capped: Counter[str] = Counter()
    assert len(pick_revisits(store, "revisit-times", DAY2, days=2, cap=1, counts=capped)) == 1
    assert capped["skipped/cap"] == 2
    assert pick_revisits(store, "revisit-times", DAY2 + dt.timedelta(days=2), days=2,
                         cap=10) == []
    assert pick_revisits(store, "revisit-times", DAY2, days=0, cap=10) == []
    assert revisit_days(DAY2, 2) == (DAY2 - dt.timedelta(days=2), DAY1)


def test_backfills_and_capped_crawls_do_not_revisit(
        site: ValidatingSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site.pages = {"/story/1": (article_html(1, DAY1), '"one-v1"')}
    site.feed = feed_xml(site.base, [("/story/1", DAY1)])
    assert nightly(tmp_path, monkeypatch, DAY1, "early1") == 0
    site.pages["/story/4"] = (article_html(4, DAY2), None)
    site.feed = feed_xml(site.base, [("/story/4", DAY2)])
    site.hits.clear()
    # DAY2 as a backfill (today is a week later): nothing of DAY1 is fetched again
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_TODAY", str(DAY2 + dt.timedelta(days=7)))
    args = ["run", "--since", str(DAY2), "--sites-file", str(tmp_path / "sites.yaml"),
            "--archive", str(tmp_path / "archive"), "--site", "revisit-times"]
    assert main([*args, "--run-id", "late2"]) == 0
    assert "/story/1" not in {path for path, _ in site.hits}
    # nor does a nightly crawl with a page cap (revisits would eat its pages)
    site.hits.clear()
    monkeypatch.setenv("NEWSARCHIVE_CRAWL_TODAY", str(DAY2 + dt.timedelta(days=1)))
    assert main([*args, "--run-id", "capped2", "--force", "--page-cap", "50"]) == 0
    assert "/story/4" in {path for path, _ in site.hits}
    assert "/story/1" not in {path for path, _ in site.hits}
