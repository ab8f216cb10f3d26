"""A 30-day backfill of 10 sites next to the extraction-only rate on the same pages.

Usage: ``.venv/bin/python benchmarks/backfill.py [--sites 10] [--days 30] [--per-day 15]
[--workers 2] [--repeat 2] [--keep DIR]``

1. Serves ``--sites`` demo-style news sites on loopback, each with ``--per-day`` articles a day
   for ``--days`` days and every kind of discovery document: robots.txt, a sitemap index with
   monthly child sitemaps, a paged RSS feed and paginated section listings. Politeness delay 0
   (loopback). The article pages are rendered before the timed part (the news sites' CPU is not
   the pipeline's, see :mod:`benchmarks.end_to_end`).
2. Runs the whole pipeline for the window with ``newsarchive run`` (in this process; each crawl
   in its own process, as always): one crawl per site and window of up to
   ``crawl_window_days`` days, extraction per day partition, dedup, publishing, the run report.
   Counts the crawl processes started (each call of the crawl step's ``run_spider``) and, from
   the demo server's request log, the discovery requests (every request that is not an article
   page) and how often the most fetched discovery document was fetched.
3. Reads the window's pages back from the raw WARCs into memory and times
   ``pipeline.extract.pool.extract_captures`` on them with ``--workers`` processes (best of
   ``--repeat``): the extraction-only rate.
4. Does the same for the one-day nightly case (yesterday, a fresh archive).

Prints articles/s for both, their ratio, the crawl processes and discovery requests; the last
lines are the backfill's ``ratio`` and ``crawl processes``. Goal: ratio >= 0.5, crawl processes
= sites (not sites x days), each discovery document fetched once (robots.txt once per crawl
process: Scrapy reads it for its rules).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.archive.reader import iter_articles
from pipeline.archive.store import LocalStore
from pipeline.archive.warc_reader import iter_captures
from pipeline.cli import main as newsarchive
from pipeline.demo import DemoServer, DemoWorld
from pipeline.demo.world import DemoSite
from pipeline.extract.pool import extract_captures
from pipeline.run import crawl_step

SITE_ENTRY = """\
  - id: {id}
    base_url: {base}
    article_patterns: ['/news/\\d{{4}}/\\d{{2}}/\\d{{2}}/[^/]+\\.html$']
    politeness: {{concurrency: 16, autothrottle_target: 16}}
    limits: {{max_pages: 20000, max_articles: 10000, max_listing_pages: 1000}}
    discovery:
      - {{kind: sitemap, url: /sitemap.xml}}
      - {{kind: feed, url: /feed.xml}}
      - {{kind: listing, url: /section/politics/, next_pattern: '[?&]page=\\d+'}}
      - {{kind: listing, url: /section/business/, next_pattern: '[?&]page=\\d+'}}
"""


@dataclass
class Run:
    """What one pipeline run did and how fast."""

    label: str
    days: int
    seconds: float
    articles: int
    truth: int
    processes: int
    discovery: int
    most_fetched: tuple[str, int]
    extract_seconds: float
    extracted: int
    captures: int

    @property
    def rate(self) -> float:
        """End-to-end articles archived per second."""
        return self.articles / self.seconds

    @property
    def extract_rate(self) -> float:
        """Extraction-only articles per second."""
        return self.extracted / self.extract_seconds

    @property
    def ratio(self) -> float:
        """End-to-end rate over the extraction-only rate."""
        return self.rate / self.extract_rate if self.extract_rate else 0.0


@contextlib.contextmanager
def counting_crawls() -> Iterator[list[Any]]:
    """Count the crawl processes the crawl step starts (wraps its ``run_spider``)."""
    started: list[Any] = []
    name = "run_spider"  # the crawl step's own reference to pipeline.crawl.process.run_spider
    original = getattr(crawl_step, name)

    def run_spider(args: Any, *rest: Any, **kwargs: Any) -> Any:
        started.append(args)
        return original(args, *rest, **kwargs)

    setattr(crawl_step, name, run_spider)
    try:
        yield started
    finally:
        setattr(crawl_step, name, original)


def extraction_only(store: LocalStore, first: dt.date, last: dt.date,
                    workers: int) -> tuple[float, int, int]:
    """(seconds, articles, captures) of extracting the window's raw WARCs from memory."""
    by_site: dict[str, list[object]] = {}
    for info in store.list("raw/"):
        day = info.key.split("/date=")[1][:10] if "/date=" in info.key else ""
        if info.key.endswith(".warc.gz") and first.isoformat() <= day <= last.isoformat():
            site = info.key.split("/")[1].removeprefix("site=")
            by_site.setdefault(site, []).extend(iter_captures(store, info.key))
    counts: Counter[str] = Counter()
    extracted = 0
    started = time.perf_counter()
    for site, items in by_site.items():
        for result in extract_captures(iter(items), site, workers=workers, counts=counts):
            extracted += 1 if hasattr(result, "article_id") else 0
    return (time.perf_counter() - started, extracted,
            sum(len(items) for items in by_site.values()))


def run_window(label: str, demo: DemoServer, archive: Path, first: dt.date, last: dt.date,
               args: argparse.Namespace) -> Run:
    """``newsarchive run`` over the window into ``archive``, then extraction alone."""
    world = demo.world
    demo.reset_hits()
    with counting_crawls() as started, contextlib.redirect_stdout(io.StringIO()):
        clock = time.perf_counter()
        status = newsarchive(["run", "--since", str(first), "--until", str(last),
                              "--archive", str(archive), "--run-id", f"bench-{label}"])
        seconds = time.perf_counter() - clock
    if status != 0:
        raise SystemExit(f"{label}: newsarchive run exited {status}")
    discovery = Counter({(site, path): n for (site, path), n in demo.hits.items()
                         if world.article_at(site, path.split("?")[0]) is None})
    (site, path), most = discovery.most_common(1)[0]
    store = LocalStore(archive)
    articles = sum(1 for _ in iter_articles(store, first, last, include_duplicates=True))
    truth = sum(len(world.expected(s.id, first, last)) for s in world.sites)
    timings = [extraction_only(store, first, last, args.workers) for _ in range(args.repeat)]
    extract_seconds, extracted, captures = min(timings)
    return Run(label, (last - first).days + 1, seconds, articles, truth, len(started),
               sum(discovery.values()), (f"{site}{path}", most), extract_seconds, extracted,
               captures)


def report(run: Run) -> list[str]:
    """The figures of one run, the ratio and the crawl processes last."""
    return [
        f"[{run.label}: {run.days} days] articles archived {run.articles} "
        f"(ground truth {run.truth})",
        f"end to end       {run.seconds:7.1f} s  {run.rate:6.1f} articles/s",
        f"extraction only  {run.extract_seconds:7.1f} s  {run.extract_rate:6.1f} articles/s "
        f"({run.captures} captures)",
        f"discovery requests {run.discovery} (most fetched: {run.most_fetched[0]} "
        f"x{run.most_fetched[1]})",
        f"ratio {run.ratio:.2f}",
        f"crawl processes {run.processes}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=10, help="news sites")
    parser.add_argument("--days", type=int, default=30, help="days of the backfill window")
    parser.add_argument("--per-day", type=int, default=15, help="articles per site and day")
    parser.add_argument("--workers", type=int, default=2, help="extraction processes")
    parser.add_argument("--repeat", type=int, default=2,
                        help="extraction-only measurements; the fastest is the baseline")
    parser.add_argument("--keep", help="keep the archives in this directory")
    args = parser.parse_args()

    today = dt.datetime.now(dt.UTC).date()
    first, last = today - dt.timedelta(days=args.days), today - dt.timedelta(days=1)
    sites = tuple(DemoSite(f"site-{n:02d}", f"Site {n}", "all", n % 2 == 0, True)
                  for n in range(1, args.sites + 1))
    world = DemoWorld(seed=5, today=today, days=args.days + 1, articles_per_day=args.per_day,
                      sites=sites)
    root = Path(args.keep or tempfile.mkdtemp(prefix="newsarchive-backfill-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    with DemoServer(world) as demo:
        rendered = demo.prerender(first, last)
        sites_file = root / "sites.yaml"
        sites_file.write_text("version: 1\nsites:\n" + "".join(
            SITE_ENTRY.format(id=s.id, base=demo.base_urls[s.id]) for s in sites))
        os.environ.update({
            "NEWSARCHIVE_SITES_FILE": str(sites_file),
            "NEWSARCHIVE_ALLOWED_NETWORKS": ",".join(demo.allowed_networks()),
            "NEWSARCHIVE_CRAWL_TODAY": today.isoformat(),
            # politeness delay 0 (sites.yaml takes positive delays only): loopback
            "NEWSARCHIVE_CRAWL_SETTINGS": "DOWNLOAD_DELAY=0,AUTOTHROTTLE_ENABLED=0",
            "NEWSARCHIVE_EXTRACT_WORKERS": str(args.workers)})
        print(f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
              f"({os.cpu_count()} cores); {args.sites} sites x {args.days} days x "
              f"{args.per_day} articles; {rendered} pages pre-rendered; {args.workers} "
              "extraction workers", flush=True)
        backfill = run_window("backfill", demo, root / "archive-backfill", first, last, args)
        print("\n".join(report(backfill)) + "\n", flush=True)
        nightly = run_window("nightly", demo, root / "archive-nightly", last, last, args)
    print("\n".join(report(nightly)))
    print()
    print("\n".join(report(backfill)[-2:]))  # the backfill's ratio and crawl processes last
    if not args.keep:
        print(f"(work directory {root})", file=sys.stderr)
    return 0 if backfill.ratio >= 0.5 and backfill.processes == args.sites else 1


if __name__ == "__main__":
    sys.exit(main())
