"""The crawl's output reaches the log as it happens, with progress lines (issue 14).

Under Airflow the crawl task's log is the library's log: ``run_spider`` must hand each line of
the crawl process over while the crawl is still fetching, not a tail at the end. A slow loopback
site (each article answers after a delay) keeps the crawl busy; each log record notes how many
articles the site had served when it arrived, so "arrived before the end" is a fact about the
crawl, not about a clock. The CLI shows the same progress lines (plain lines when stderr is not a
terminal) during the crawl and the extraction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path

from pipeline.config.settings import Settings
from pipeline.crawl.process import run_spider, spider_command, spider_env
from tests.demo_fixtures import FAST, ROOT
from tests.test_interrupts import DAY, slow_site  # noqa: F401 - the slow site fixture

PAGE_CAP = 10
"""Pages of the crawl: feed + robots + 8 slow articles, 2 at a time, about 6 s of fetching."""
OVERRIDES = {**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": "2", "DOWNLOAD_TIMEOUT": "10",
             "ROBOTSTXT_OBEY": "0", "PROGRESS_INTERVAL": "1",
             "CLOSESPIDER_PAGECOUNT": str(PAGE_CAP)}


class Arrivals(logging.Handler):
    """Each record with the number of articles the slow site had served when it arrived."""

    def __init__(self, served: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.served = served
        self.records: list[tuple[int, logging.LogRecord]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((len(self.served), record))


def test_crawl_log_lines_arrive_while_the_crawl_runs(
        slow_site: tuple[str, Path, list[str]], tmp_path: Path) -> None:  # noqa: F811
    allow, sites, served = slow_site
    settings = Settings(archive_url=str(tmp_path / "archive"), sites_file=str(sites),
                        allowed_networks=(allow,))
    args = spider_command("slow", DAY, run_id="live-1", today=DAY + dt.timedelta(days=1),
                          sites_file=str(sites), archive_url=str(tmp_path / "archive"),
                          overrides=[f"{k}={v}" for k, v in OVERRIDES.items()])
    arrivals = Arrivals(served)
    loggers = [logging.getLogger(n) for n in ("pipeline.crawl.spider", "pipeline.crawl.progress")]
    for lg in loggers:
        lg.addHandler(arrivals)
        lg.setLevel(logging.INFO)
    try:
        proc = run_spider(args, spider_env(settings), timeout=180)
    finally:
        for lg in loggers:
            lg.removeHandler(arrivals)
    assert proc.returncode == 0, proc.stdout[-3000:]
    final = len(served)
    assert final >= 4, f"the crawl fetched {final} articles"
    spider = [(n, r) for n, r in arrivals.records if r.name == "pipeline.crawl.spider"]
    progress = [(n, r) for n, r in arrivals.records if r.name == "pipeline.crawl.progress"]
    # lines of the crawl process reached the log while it was still fetching articles
    assert spider and spider[0][0] < final, [r.getMessage() for _, r in spider[:5]]
    during = [(n, r) for n, r in progress if n < final]
    assert during, [(n, r.getMessage()) for n, r in progress]
    numbers = progress[-1][1].progress  # type: ignore[attr-defined]
    assert numbers["pages"] >= final and numbers["articles"] >= 1 and numbers["rate"] > 0
    assert numbers["errors"] == 0
    assert "crawl progress:" in proc.stdout  # the tail kept for error messages


def test_cli_run_shows_crawl_and_extraction_progress(
        slow_site: tuple[str, Path, list[str]], tmp_path: Path) -> None:  # noqa: F811
    allow, sites, _ = slow_site
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    env.update(NEWSARCHIVE_ALLOWED_NETWORKS=allow, NEWSARCHIVE_SITES_FILE=str(sites),
               NEWSARCHIVE_CRAWL_TODAY=str(DAY + dt.timedelta(days=1)),
               NEWSARCHIVE_EXTRACT_WORKERS="1",
               NEWSARCHIVE_CRAWL_SETTINGS=",".join(f"{k}={v}" for k, v in OVERRIDES.items()))
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--since", str(DAY), "--run-id", "live-2",
         "--archive", str(tmp_path / "archive")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    # stderr is a pipe here: progress as plain lines, each with pages, articles, errors, rate
    crawl = [line for line in proc.stderr.splitlines() if line.startswith("crawl progress:")]
    assert crawl, proc.stderr[-3000:]
    assert " pages fetched, " in crawl[-1] and " articles, 0 errors, " in crawl[-1]
    assert "pages/s" in crawl[-1]
    extract = [line for line in proc.stderr.splitlines()
               if line.startswith(f"extract slow {DAY} progress:")]
    assert extract and " articles, 0 errors, " in extract[-1], proc.stderr[-3000:]
    assert proc.returncode in (0, 1), proc.stderr[-3000:]  # capped crawl: partial is fine
