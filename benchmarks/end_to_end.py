"""End-to-end throughput of a nightly run next to the extraction-only rate on the same pages.

Usage: ``.venv/bin/python benchmarks/end_to_end.py [--articles 5000] [--workers 2]``

1. Serves the demo sites with about ``--articles`` articles on one day (politeness delays off:
   loopback), sets up a throw-away Airflow (SQLite) and runs the nightly DAG for that day with
   ``airflow dags test`` into a local archive: crawl, extract, dedup, publish, report. The wall
   time of the whole command (Airflow start-up included) gives the end-to-end articles/s.
2. Reads the same pages back from the run's raw WARCs into memory and times
   ``pipeline.extract_pool.extract_captures`` with ``--workers`` processes on them: the
   extraction-only rate, measured in the same run on the same machine.

Goal: end-to-end >= 0.6 of extraction-only (the crawl, the WARC round trip, dedup and Airflow
cost at most 40 % on top of extraction).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.demo import DemoServer, DemoWorld, sites_yaml  # noqa: E402
from pipeline.extract_pool import extract_captures  # noqa: E402
from pipeline.reader import iter_articles  # noqa: E402
from pipeline.store import LocalStore  # noqa: E402
from pipeline.warc import iter_captures  # noqa: E402
from tests.airflow_harness import AirflowHome  # noqa: E402

SITES = 3
FAST = ("    politeness: {download_delay: 0.001, concurrency: 16, autothrottle_target: 16}\n"
        "    limits: {max_pages: 20000, max_articles: 10000, max_listing_pages: 1000}\n")


def fast_sites(base_urls: dict[str, str]) -> str:
    """The demo sites.yaml with politeness off and limits raised (loopback benchmark)."""
    text = sites_yaml(base_urls)
    return re.sub(r"(    base_url: \S+\n)", lambda m: m[1] + FAST, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000, help="articles on the day")
    parser.add_argument("--workers", type=int, default=2, help="extraction processes")
    parser.add_argument("--keep", help="keep the archive and Airflow home in this directory")
    args = parser.parse_args()

    day = dt.date(2026, 3, 14)
    per_day = -(-args.articles // SITES)
    world = DemoWorld(seed=3, today=day + dt.timedelta(days=1), days=2, articles_per_day=per_day)
    root = Path(args.keep or tempfile.mkdtemp(prefix="newsarchive-e2e-bench-"))
    archive = root / "archive"
    with DemoServer(world) as demo:
        sites = root / "sites.yaml"
        sites.write_text(fast_sites(demo.base_urls))
        home = AirflowHome(root / "airflow", {
            "NEWSARCHIVE_ARCHIVE_URL": str(archive), "NEWSARCHIVE_SITES_FILE": str(sites),
            "NEWSARCHIVE_ALLOWED_NETWORKS": ",".join(demo.allowed_networks()),
            "NEWSARCHIVE_EXTRACT_WORKERS": str(args.workers)})
        home.setup()
        started = time.perf_counter()
        home.dags_test("newsarchive_nightly", day + dt.timedelta(days=1), timeout=3600)
        e2e_seconds = time.perf_counter() - started
    store = LocalStore(archive)
    rows = list(iter_articles(store, day, day, include_duplicates=True))
    e2e_rate = len(rows) / e2e_seconds

    captures = []
    for info in store.list("raw/"):
        if info.key.endswith(".warc.gz") and f"date={day}" in info.key:
            site = info.key.split("/")[1].removeprefix("site=")
            captures += [(site, c) for c in iter_captures(store, info.key)]
    by_site: dict[str, list[object]] = {}
    for site, capture in captures:
        by_site.setdefault(site, []).append(capture)
    counts: Counter[str] = Counter()
    extracted = 0
    started = time.perf_counter()
    for site, items in by_site.items():
        for result in extract_captures(iter(items), site, workers=args.workers, counts=counts):
            extracted += 1 if hasattr(result, "article_id") else 0
    extract_seconds = time.perf_counter() - started
    extract_rate = extracted / extract_seconds

    print(f"articles archived      {len(rows)} (ground truth on the day: "
          f"{sum(len(world.expected(s.id, day, day)) for s in world.sites)})")
    print(f"end to end (dags test) {e2e_seconds:7.1f} s  {e2e_rate:6.1f} articles/s")
    print(f"extraction only        {extract_seconds:7.1f} s  {extract_rate:6.1f} articles/s "
          f"({len(captures)} captures, {args.workers} workers)")
    ratio = e2e_rate / extract_rate if extract_rate else 0.0
    print(f"ratio                  {ratio:.2f}  (goal >= 0.60)")
    if not args.keep:
        print(f"(work directory {root})")
    return 0 if ratio >= 0.6 else 1


if __name__ == "__main__":
    sys.exit(main())
