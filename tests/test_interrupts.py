"""SIGINT and SIGTERM stop ``newsarchive run`` and ``crawl`` within 20 s, crawl process included.

A slow loopback site (every article answers after a delay) keeps the crawl busy; a real signal
goes to the real ``newsarchive`` process once it is fetching. It must exit 130 (SIGINT) or 143
(SIGTERM) by itself within the issue's 20 s, its crawl process must stop fetching, and nothing
may be published for the interrupted day; the run report (``runs/<run id>.json``) is still
written, the day in it ``interrupted`` and the run not ``ok``. The test kills nothing: a
process that outlives the bound fails the test through ``subprocess``'s own timeout.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.archive.runreport import read_report
from pipeline.archive.store import LocalStore
from tests.builders import serving
from tests.demo_fixtures import FAST, ROOT

DAY = dt.date(2026, 3, 14)
ARTICLES = 40
DELAY = 1.5
"""Seconds each article waits before answering: 40 articles, 2 at a time, is a 30 s crawl."""
BOUND = 20.0
"""Seconds from the signal to the exit (the issue's bound)."""


class SlowSite(BaseHTTPRequestHandler):
    """A news site with an RSS feed whose articles answer slowly."""

    articles_served: list[str] = []

    def do_GET(self) -> None:
        if self.path == "/feed.xml":
            when = format_datetime(dt.datetime.combine(DAY, dt.time(12), dt.UTC))
            items = "".join(f"<item><title>Story {n}</title><link>http://{self.headers['Host']}"
                            f"/story/{n}-slow</link><pubDate>{when}</pubDate></item>"
                            for n in range(ARTICLES))
            self._send(200, f"<?xml version='1.0'?><rss version='2.0'><channel><title>Slow"
                            f"</title>{items}</channel></rss>", "application/rss+xml")
        elif self.path.startswith("/story/"):
            type(self).articles_served.append(self.path)
            time.sleep(DELAY)
            body = " ".join(["A sentence of the slow story that goes on for a while."] * 30)
            self._send(200, f"<html><head><title>Story</title></head><body><article><h1>Story"
                            f"</h1><p>{body}</p></article></body></html>", "text/html")
        else:
            self._send(404, "not here", "text/plain")

    def _send(self, status: int, text: str, content_type: str) -> None:
        data = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the crawler went away mid-answer: that is the point of the test
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_site(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """(allowlist entry, sites.yaml, article paths served) of a fresh slow site."""
    handler = type("Slow", (SlowSite,), {"articles_served": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    port = server.server_address[1]
    sites = tmp_path / "sites.yaml"
    sites.write_text(f"version: 1\nsites:\n  - id: slow\n    base_url: http://127.0.0.1:{port}\n"
                     f"    article_patterns: ['/story/\\d+-']\n"
                     f"    discovery:\n      - {{kind: feed, url: /feed.xml}}\n")
    with serving(server):
        yield f"127.0.0.1/32:{port}", sites, handler.articles_served


@pytest.mark.parametrize(("command", "sig"), [
    ("run", signal.SIGINT), ("run", signal.SIGTERM), ("crawl", signal.SIGTERM),
])
def test_signal_stops_the_command_and_publishes_nothing(
        command: str, sig: signal.Signals, slow_site: tuple[str, Path, list[str]],
        tmp_path: Path) -> None:
    allow, sites, served = slow_site
    archive = tmp_path / "archive"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    overrides = {**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": "2", "DOWNLOAD_TIMEOUT": "10",
                 "ROBOTSTXT_OBEY": "0"}
    env.update(NEWSARCHIVE_ALLOWED_NETWORKS=allow, NEWSARCHIVE_SITES_FILE=str(sites),
               NEWSARCHIVE_CRAWL_TODAY=str(DAY + dt.timedelta(days=1)),
               NEWSARCHIVE_EXTRACT_WORKERS="1",
               NEWSARCHIVE_CRAWL_SETTINGS=",".join(f"{k}={v}" for k, v in overrides.items()))
    argv = {"run": ["run", "--since", str(DAY), "--run-id", "interrupted"],
            "crawl": ["crawl", "--site", "slow", "--since", str(DAY), "--today",
                      str(DAY + dt.timedelta(days=1)), "--run-id", "interrupted",
                      *[f"-s{k}={v}" for k, v in overrides.items()]]}[command]
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", *argv, "--archive", str(archive)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 90
    while len(served) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None and len(served) >= 3, "the crawl never got going"
    proc.send_signal(sig)
    signalled = time.monotonic()
    _, err = proc.communicate(timeout=BOUND)  # raises (fails the test) past the bound
    took = time.monotonic() - signalled
    assert proc.returncode == 128 + sig, err[-3000:]
    assert f"interrupted ({sig.name})" in err
    fetched = len(served)
    time.sleep(2 * DELAY)
    assert len(served) == fetched, "the crawl process went on fetching after the exit"
    assert fetched < ARTICLES
    assert not list((archive / "manifests").glob("**/*.json")), "an interrupted day was published"
    if command == "run":  # the run report still says what happened, and nothing is complete
        report = read_report(LocalStore(archive), "interrupted")
        assert report["ok"] is False
        assert report["partitions_by_status"] == {"interrupted": 1}
        [part] = report["partitions"]
        assert (part["site"], part["date"], part["status"]) == ("slow", str(DAY), "interrupted")
        assert f"interrupted ({sig.name}) before it was committed" in part["error"]
    print(f"{command} {sig.name}: exit {proc.returncode} after {took:.1f} s, "
          f"{fetched}/{ARTICLES} articles requested")
