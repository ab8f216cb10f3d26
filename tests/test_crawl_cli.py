"""``newsarchive crawl`` runs the spider in its own process and prints the report summary."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

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
