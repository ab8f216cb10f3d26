"""Under Airflow, a crawl task that is killed or times out leaves no site-day marked complete.

Real ``airflow dags test`` runs of the nightly DAG (``benchmarks/support/airflow_harness.py``)
against a slow loopback site (every article answers after a delay, so a crawl takes about 80 s):

- the task hits its ``execution_timeout`` (setting ``airflow_task_timeout``, here 25 s) on every
  try: the run fails, its crawl processes are stopped, nothing is committed, and the run report
  says the site-day failed;
- the task process is killed with SIGKILL mid-crawl: nothing is committed and the crawl
  process, now an orphan, stops fetching by itself (``spiders/extensions/parent_watch.py``).

Every wait is bounded; the test kills only the Airflow process it started.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks.support.airflow_harness import AIRFLOW, AirflowHome
from pipeline.archive.runreport import read_report
from pipeline.archive.store import LocalStore
from tests.builders import serving
from tests.demo_fixtures import FAST
from tests.test_interrupts import ARTICLES, DAY, SlowSite

pytestmark = pytest.mark.slow

NIGHTLY = "newsarchive_nightly"
CONF = {"start": DAY.isoformat(), "sites": ["slow"]}
LOGICAL = DAY + dt.timedelta(days=1)
CRAWL = {**FAST, "CONCURRENT_REQUESTS": "4", "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
         "DOWNLOAD_TIMEOUT": "20", "ROBOTSTXT_OBEY": "0"}
DELAY = 8.0
"""Seconds each article waits: 40 articles, 4 at a time, is an 80 s crawl, far past the timeout."""
TASK_TIMEOUT = 25


class SlowerSite(SlowSite):
    """The slow site of ``test_interrupts``, slower: no try of the crawl can finish."""

    def do_GET(self) -> None:
        if self.path.startswith("/story/"):
            type(self).articles_served.append(self.path)
            time.sleep(DELAY)
            self._send(200, "<html><head><title>Story</title></head><body><article>"
                            "<h1>Story</h1><p>" + "A sentence of the slow story. " * 40 +
                            "</p></article></body></html>", "text/html")
        else:
            super().do_GET()


@dataclass
class Setup:
    """A fresh AIRFLOW_HOME, the archive it writes and the slow site's served article paths."""

    home: AirflowHome
    archive: Path
    served: list[str]

    def manifests(self) -> list[Path]:
        return list((self.archive / "manifests").glob("**/*.json"))

    def settled(self, bound: float = 60.0) -> int:
        """Wait until no article was requested for two article delays (within ``bound`` s).

        A live crawl asks for the next articles as soon as the ones in flight answer (after
        ``DELAY``), so two delays without a request mean it has stopped. Returns the count.
        """
        deadline = time.monotonic() + bound
        count = len(self.served)
        while time.monotonic() < deadline:
            time.sleep(2 * DELAY + 1)
            if len(self.served) == count:
                return count
            count = len(self.served)
        raise AssertionError(f"the crawl still fetches {bound} s after its task ended")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated Airflow metadata database, copied by each test."""
    return AirflowHome(tmp_path_factory.mktemp("airflow-template")).setup().db_path


@pytest.fixture
def setup(template: Path, tmp_path: Path) -> Iterator[Setup]:
    handler = type("Slower", (SlowerSite,), {"articles_served": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    port = server.server_address[1]
    sites = tmp_path / "sites.yaml"
    sites.write_text(f"version: 1\nsites:\n  - id: slow\n    base_url: http://127.0.0.1:{port}\n"
                     f"    article_patterns: ['/story/\\d+-']\n"
                     f"    discovery:\n      - {{kind: feed, url: /feed.xml}}\n")
    archive = tmp_path / "archive"
    home = AirflowHome(tmp_path / "home", {
        "NEWSARCHIVE_SITES_FILE": str(sites), "NEWSARCHIVE_ARCHIVE_URL": str(archive),
        "NEWSARCHIVE_ALLOWED_NETWORKS": f"127.0.0.1/32:{port}",
        "NEWSARCHIVE_EXTRACT_WORKERS": "1",
        "NEWSARCHIVE_CRAWL_SETTINGS": ",".join(f"{k}={v}" for k, v in CRAWL.items())})
    shutil.copy(template, home.db_path)
    with serving(server):
        yield Setup(home, archive, handler.articles_served)


def test_task_timeout_fails_the_day_and_commits_nothing(setup: Setup) -> None:
    home = setup.home
    home.extra_env = {**home.extra_env, "NEWSARCHIVE_AIRFLOW_TASK_TIMEOUT": str(TASK_TIMEOUT)}
    started = time.monotonic()
    proc = home.airflow("dags", "test", NIGHTLY, str(LOGICAL), "-c", json.dumps(CONF),
                        timeout=400, check=False)
    took = time.monotonic() - started
    output = proc.stdout + proc.stderr
    assert "AirflowTaskTimeout" in output or "Timeout" in output, output[-4000:]
    fetched = setup.settled()
    assert fetched < 4 * ARTICLES  # four tries, each cut short
    assert not setup.manifests(), "a timed-out crawl was committed"
    run = home.dag_runs(NIGHTLY)[-1]
    states = home.task_states(NIGHTLY, run["run_id"])
    assert run["state"] == "failed"
    assert [s for (t, _), s in states.items() if t == "crawl"] == ["failed"]
    report = read_report(LocalStore(setup.archive), run["run_id"])
    [part] = report["partitions"]
    assert (part["site"], part["date"], part["status"]) == ("slow", DAY.isoformat(), "failed")
    assert report["ok"] is False
    print(f"timeout: run failed after {took:.0f} s, {fetched} article requests over 4 tries")


def test_killed_task_commits_nothing_and_its_crawl_stops(setup: Setup) -> None:
    home = setup.home
    proc = subprocess.Popen(  # `dags test` runs the task in this process: it is the task's
        [AIRFLOW, "dags", "test", NIGHTLY, str(LOGICAL), "-c", json.dumps(CONF)],
        env=home.env, cwd=home.path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while len(setup.served) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert proc.poll() is None and len(setup.served) >= 3, "the crawl never got going"
        os.kill(proc.pid, signal.SIGKILL)  # no handler runs, no cleanup: only the process dies
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)  # only the process this test started
            proc.wait(timeout=30)
    fetched = setup.settled()
    assert fetched < ARTICLES, "the orphaned crawl went on to the end"
    assert not setup.manifests(), "a crawl whose task was killed was committed"
    runs = home.dag_runs(NIGHTLY)
    assert runs and runs[-1]["state"] != "success"
    states = home.task_states(NIGHTLY, runs[-1]["run_id"])
    assert "success" not in [s for (t, _), s in states.items() if t == "crawl"]
    print(f"SIGKILL: {fetched}/{ARTICLES} articles requested, nothing committed, "
          f"run state {runs[-1]['state']}")
