"""An archive that cannot be written fails the crawl at once, naming it, before any fetch.

Real crawl processes against the demo sites: the archive root is a path under a regular file
(fails even for root, unlike a chmod) or an S3 endpoint on a closed loopback port. The crawl
process must exit by itself with a non-zero status; the tests kill nothing (the bound is the
``subprocess`` timeout, which fails the test if it is reached).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.demo_fixtures import ROOT, TODAY, Demo, crawl

DAY = TODAY - dt.timedelta(days=1)
SITE = "metro-wire"
BOUND = 60.0
"""Seconds: the issue's bound for failing on an archive that cannot be used."""


def _site_hits(demo: Demo) -> int:
    with demo.server.lock:
        return sum(n for (site, _), n in demo.server.hits.items() if site == SITE)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unwritable(tmp_path: Path) -> Path:
    blocker = tmp_path / "file"
    blocker.write_text("a regular file: nothing can be created under it, not even by root\n")
    return blocker / "archive"


def test_crawl_process_stops_at_once_on_an_unwritable_root(demo: Demo, tmp_path: Path) -> None:
    archive = _unwritable(tmp_path)
    before = _site_hits(demo)
    started = time.monotonic()
    result = crawl(demo, archive, SITE, DAY, timeout=BOUND)
    took = time.monotonic() - started
    assert result.returncode != 0, result.output[-3000:]
    assert f"cannot use the archive {archive}" in result.output, result.output[-3000:]
    assert "archive_unavailable" in result.output
    assert _site_hits(demo) == before, "the crawl fetched pages it could not archive"
    print(f"unwritable root: exit {result.returncode} after {took:.1f} s")


def test_crawl_process_stops_at_once_on_a_dead_s3_endpoint(demo: Demo, tmp_path: Path) -> None:
    port = _closed_port()
    env = {"NEWSARCHIVE_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
           "NEWSARCHIVE_S3_MAX_ATTEMPTS": "2", "NEWSARCHIVE_S3_CONNECT_TIMEOUT": "1",
           "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
           "AWS_DEFAULT_REGION": "us-east-1"}
    before = _site_hits(demo)
    started = time.monotonic()
    result = crawl(demo, tmp_path, SITE, DAY, extra_args=["-s", "ARCHIVE_URL=s3://dead/archive"],
                   env=env, timeout=BOUND)
    took = time.monotonic() - started
    assert result.returncode != 0, result.output[-3000:]
    assert "cannot use the archive s3://dead/archive" in result.output, result.output[-3000:]
    assert f"127.0.0.1:{port}" in result.output
    assert _site_hits(demo) == before
    print(f"dead S3 endpoint: exit {result.returncode} after {took:.1f} s")


def test_cli_refuses_an_unwritable_archive_before_crawling(demo: Demo, tmp_path: Path) -> None:
    archive = _unwritable(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    env.update(NEWSARCHIVE_ALLOWED_NETWORKS=demo.allow, NEWSARCHIVE_SITES_FILE=str(demo.sites_file),
               NEWSARCHIVE_CRAWL_TODAY=str(TODAY))
    before = _site_hits(demo)
    for command in (["crawl", "--site", SITE, "--since", str(DAY), "--today", str(TODAY)],
                    ["run", "--since", str(DAY), "--site", SITE]):
        proc = subprocess.run([sys.executable, "-m", "pipeline", *command, "--archive",
                               str(archive)], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=BOUND, check=False)
        assert proc.returncode == 1, proc.stderr[-3000:]
        assert f"archive {archive} cannot be written" in proc.stderr, proc.stderr[-3000:]
    assert _site_hits(demo) == before
