"""``newsarchive crawl`` runs the spider in its own process and prints the report summary."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.config.settings import Settings
from pipeline.crawl.process import crawl_overrides, spider_command
from tests.demo_fixtures import TODAY, Demo


def test_cli_crawl(demo: Demo, tmp_path: Path) -> None:
    day = TODAY - dt.timedelta(days=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    env.update(NEWSARCHIVE_ALLOWED_NETWORKS=demo.allow, NEWSARCHIVE_SITES_FILE=str(demo.sites_file))
    cmd = [sys.executable, "-m", "pipeline", "crawl", "--site", "metro-wire", "--start", str(day),
           "--today", str(TODAY), "--archive", str(tmp_path), "--run-id", "cli-test",
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["run_id"] == "cli-test" and summary["finish_reason"] == "finished"
    assert summary["fetched"]["articles"] == len(demo.world.expected("metro-wire", day, day))
    assert (tmp_path / f"staging/cli-test/crawl/metro-wire-{day}.json").exists()


def test_cli_crawl_applies_newsarchive_crawl_settings(demo: Demo, tmp_path: Path) -> None:
    day = TODAY - dt.timedelta(days=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    env.update(NEWSARCHIVE_ALLOWED_NETWORKS=demo.allow, NEWSARCHIVE_SITES_FILE=str(demo.sites_file),
               NEWSARCHIVE_CRAWL_SETTINGS="CLOSESPIDER_PAGECOUNT=2,DOWNLOAD_DELAY=0,"
                                          "AUTOTHROTTLE_ENABLED=0,LOG_LEVEL=WARNING")
    cmd = [sys.executable, "-m", "pipeline", "crawl", "--site", "metro-wire", "--since", str(day),
           "--today", str(TODAY), "--archive", str(tmp_path), "--run-id", "cli-settings"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    # the page cap of the environment stopped the crawl (it fetches more than 2 pages otherwise)
    assert summary["finish_reason"] == "closespider_pagecount"
    assert summary["fetched"]["articles"] < len(demo.world.expected("metro-wire", day, day))
    assert summary["verdict"]["coverage"] == "partial"
    stored = json.loads((tmp_path / f"staging/cli-settings/crawl/metro-wire-{day}.json")
                        .read_text())
    assert stored["stats"]["downloader/response_count"] <= 2 + 8  # + requests then in flight


def test_crawl_overrides_order_setting_then_flags_then_page_cap() -> None:
    settings = Settings(crawl_settings=("DOWNLOAD_DELAY=0", "CLOSESPIDER_PAGECOUNT=9"))
    assert crawl_overrides(settings, ["CLOSESPIDER_PAGECOUNT=5"], page_cap=3) == [
        "DOWNLOAD_DELAY=0", "CLOSESPIDER_PAGECOUNT=9", "CLOSESPIDER_PAGECOUNT=5",
        "CLOSESPIDER_PAGECOUNT=3"]
    # the command line keeps that order, so the last one wins in Scrapy (-s NAME=VALUE)
    cmd = spider_command("s", TODAY, run_id="r", overrides=crawl_overrides(settings, ["A=1"]))
    assert cmd[-6:] == ["-s", "DOWNLOAD_DELAY=0", "-s", "CLOSESPIDER_PAGECOUNT=9", "-s", "A=1"]
