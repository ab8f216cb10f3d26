"""Fixtures of the crawl tests: the demo sites (once per session) and a crawl runner."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.demo import DemoServer, DemoWorld, FaultOptions, sites_yaml

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 3, 15)
"""The demo world's today; crawls pass the same ``today`` so windows are reproducible."""
FORBIDDEN_PORT_FILE = "forbidden_port"

# fast, impolite settings for loopback tests (defaults are tested separately)
FAST = {
    "AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_TIMEOUT": "2", "DOWNLOAD_MAXSIZE": str(1024 * 1024), "RETRY_TIMES": "1",
    "RETRY_BACKOFF_BASE": "0.05", "RETRY_BACKOFF_MAX": "5", "LOG_LEVEL": "INFO",
}


@dataclass
class Demo:
    """The running demo sites and what a crawl needs to reach them."""

    world: DemoWorld
    server: DemoServer
    sites_file: Path
    forbidden_sockets: list[Any]  # listeners where the redirect faults point (never reached)

    def forbidden_connections(self) -> int:
        """Connections the forbidden listeners received (accepted and closed here)."""
        count = 0
        for listener in self.forbidden_sockets:
            while True:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    break
                conn.close()
                count += 1
        return count

    @property
    def allow(self) -> str:
        return ",".join(self.server.allowed_networks())


@dataclass
class CrawlResult:
    """A finished crawl: its report, archive and output."""

    returncode: int
    report: dict[str, Any]
    archive: Path
    output: str
    reports: dict[str, dict[str, Any]] | None = None
    """Each day partition's own report (a window crawl writes one per day)."""

    def article_paths(self) -> set[str]:
        return {"/" + url.split("/", 3)[3] for url in self.report["articles"]}


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo sites with faults, on ephemeral loopback ports."""
    import socket

    listeners = []
    for host in ("127.0.0.2", "127.0.0.1"):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((host, 0))
        listener.listen(8)
        listener.setblocking(False)
        listeners.append(listener)
    forbidden, forbidden_port = (f"http://{s.getsockname()[0]}:{s.getsockname()[1]}/internal"
                                 for s in listeners)
    world = DemoWorld(seed=11, today=TODAY, days=120, articles_per_day=5, faults=True)
    server = DemoServer(world, fault_options=FaultOptions(
        slow_seconds=4.0, bomb_bytes=8 * 1024 * 1024, oversized_bytes=3 * 1024 * 1024,
        forbidden_url=forbidden, forbidden_port_url=forbidden_port)).start()
    sites_file = tmp_path_factory.mktemp("demo") / "sites.yaml"
    sites_file.write_text(sites_yaml(server.base_urls), encoding="utf-8")
    try:
        yield Demo(world, server, sites_file, listeners)
    finally:
        server.stop()
        for listener in listeners:
            listener.close()


def crawl(demo: Demo, archive: Path, site: str, start: dt.date, end: dt.date | None = None,
          *, sites_file: Path | None = None, settings: dict[str, str] | None = None,
          env: dict[str, str] | None = None, extra_args: list[str] | None = None,
          timeout: float = 60) -> CrawlResult:
    """Run ``python -m scrapy crawl news`` against the demo sites and load the report."""
    run_id = f"test-{site}-{start}"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"site={site}",
           "-a", f"start={start}", "-a", f"end={end or start}", "-a", f"today={TODAY}",
           "-a", f"run_id={run_id}", "-a", f"sites_file={sites_file or demo.sites_file}",
           "-s", f"ARCHIVE_URL={archive}"]
    for key, value in {**FAST, **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    cmd += extra_args or []
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    full_env["NEWSARCHIVE_ALLOWED_NETWORKS"] = demo.allow
    full_env.update(env or {})
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    found = {}
    for path in sorted(archive.glob(f"staging/{run_id}/crawl/*.json")):
        doc = json.loads(path.read_text())
        found[doc["partition"]] = doc
    return CrawlResult(proc.returncode, merged_report(found), archive, proc.stdout + proc.stderr,
                       found)


def merged_report(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The window's view of its day reports: the last day's, with the per-day parts summed.

    Discovery evidence (sources, discovery pages, caps) is shared by every day's report; the
    articles, their links by source and their fetch outcomes are each day's own.
    """
    if not reports:
        return {}
    days = [reports[d] for d in sorted(reports)]
    merged = dict(days[-1])
    merged["articles"] = sorted({a for r in days for a in r["articles"]})
    merged["warc_keys"] = [k for r in days for k in r["warc_keys"]]
    merged["discovered"] = sum(r["discovered"] for r in days)
    for field in ("discovered_by_source", "article_fetches"):
        total: dict[str, int] = {}
        for r in days:
            for name, value in r[field].items():
                total[name] = total.get(name, 0) + value
        merged[field] = total
    merged["fetched"] = {**merged["fetched"],
                         "articles": sum(r["fetched"]["articles"] for r in days)}
    return merged
