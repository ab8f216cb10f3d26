"""Crawl throughput: the news spider with WARC capture vs a bare Scrapy spider.

Both fetch the same demo pages (daily-courier's sitemap index, monthly sitemaps and articles,
gzip-encoded) from the loopback demo server, with the same concurrency and politeness off. Each
crawl runs in its own process; pages/s comes from the crawl's own stats (start to finish), so
process start-up is left out.

    .venv/bin/python benchmarks/crawl_throughput.py --pages 10000 --concurrency 16

``--polite N`` instead crawls one site-day of N articles with the project's politeness as
shipped (1 s delay, AutoThrottle, 2 requests at a time per domain, robots.txt) and prints how
long it takes: the crawl time per site of docs/scaling.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.demo import DemoServer, DemoWorld

TODAY = dt.date(2026, 3, 15)

BARE_SPIDER = '''
import json, scrapy, datetime as dt

class Bare(scrapy.Spider):
    name = "bare"

    async def start(self):
        for url in json.load(open(self.urls_file)):
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        pass

    def closed(self, reason):
        s = self.crawler.stats
        elapsed = (dt.datetime.now(dt.timezone.utc) - s.get_value("start_time")).total_seconds()
        json.dump({"responses": s.get_value("downloader/response_count", 0),
                   "elapsed": elapsed}, open(self.out_file, "w"))
'''

COMMON = {"AUTOTHROTTLE_ENABLED": "0", "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "WARNING",
          "TELNETCONSOLE_ENABLED": "0", "REMOTE_CONTROL_ENABLED": "0", "COOKIES_ENABLED": "0"}


POLITE = {k: v for k, v in COMMON.items() if k not in ("AUTOTHROTTLE_ENABLED", "DOWNLOAD_DELAY")}
"""``--polite``: Scrapy settings of the project as shipped (spiders/settings.py), logging off."""


def settings_args(values: dict[str, str]) -> list[str]:
    return [arg for k, v in values.items() for arg in ("-s", f"{k}={v}")]


def run_news(server: DemoServer, work: Path, start: dt.date, concurrency: int,
             polite: bool = False) -> dict[str, float]:
    """One crawl of daily-courier from ``start`` to TODAY; ``polite``: the project's own
    politeness (delay, AutoThrottle, per-domain concurrency, robots.txt), else all off."""
    archive = work / f"archive-{time.monotonic_ns()}"
    sites = work / "sites.yaml"
    sites.write_text(f"sites:\n  - id: daily-courier\n    base_url: "
                     f"{server.base_urls['daily-courier']}\n    article_patterns: ['/news/']\n"
                     "    discovery:\n      - {kind: sitemap, url: /sitemap.xml}\n"
                     "    limits: {max_pages: 1000000, max_articles: 1000000}\n")
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=daily-courier",
           "-a", f"start={start}", "-a", f"end={TODAY}", "-a", f"today={TODAY}",
           "-a", f"sites_file={sites}", "-a", "run_id=bench", "-s", f"ARCHIVE_URL={archive}",
           *settings_args(POLITE if polite else
                          {**COMMON, "CONCURRENT_REQUESTS": str(concurrency),
                           "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
                           "ROBOTSTXT_OBEY": "0"})]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    env["NEWSARCHIVE_ALLOWED_NETWORKS"] = ",".join(server.allowed_networks())
    env["SCRAPY_SETTINGS_MODULE"] = "spiders.settings"  # the installed project, from any cwd
    subprocess.run(cmd, cwd=work, env=env, check=True)
    report = json.loads(next(archive.glob("staging/bench/crawl/*.json")).read_text())
    stats = report["stats"]
    started = dt.datetime.fromisoformat(stats["start_time"])
    finished = dt.datetime.fromisoformat(stats["finish_time"])
    warc_bytes = sum((archive / k).stat().st_size for k in report["warc_keys"])
    return {"responses": stats["downloader/response_count"],
            "elapsed": (finished - started).total_seconds(), "warc_bytes": warc_bytes}


def run_bare(urls: list[str], work: Path, concurrency: int) -> dict[str, float]:
    spider = work / "bare_spider.py"
    spider.write_text(BARE_SPIDER)
    urls_file, out = work / "urls.json", work / f"bare-{time.monotonic_ns()}.json"
    urls_file.write_text(json.dumps(urls))
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"urls_file={urls_file}",
           "-a", f"out_file={out}",
           *settings_args({**COMMON, "CONCURRENT_REQUESTS": str(concurrency),
                           "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency)})]
    subprocess.run(cmd, cwd=work, env=env, check=True)  # outside the project: Scrapy defaults
    return dict(json.loads(out.read_text()))


def polite_site_day(articles: int) -> int:
    """Crawl time of one site-day under the shipped politeness (docs/scaling.md)."""
    world = DemoWorld(seed=1, today=TODAY, days=2, articles_per_day=articles)
    with DemoServer(world) as server, tempfile.TemporaryDirectory() as tmp:
        result = run_news(server, Path(tmp), TODAY, 0, polite=True)
    per = result["elapsed"] / max(1, result["responses"])
    print(f"one site-day, {articles} articles, shipped politeness: {result['responses']} "
          f"responses in {result['elapsed']:.1f} s ({per:.2f} s a response), "
          f"{result['warc_bytes'] / max(1, result['responses']) / 1024:.1f} KiB of WARC a "
          "response")
    print(json.dumps({"polite_articles": articles, **result, "s_per_response": round(per, 3)}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=3000, help="article pages to fetch")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=2, help="alternating runs of each spider")
    parser.add_argument("--polite", type=int, metavar="ARTICLES", default=0,
                        help="instead: crawl one site-day of ARTICLES articles with the "
                             "project's politeness and print the time it takes")
    args = parser.parse_args()
    if args.polite:
        return polite_site_day(args.polite)
    days = 50
    per_day = max(1, args.pages // days)
    world = DemoWorld(seed=1, today=TODAY, days=days, articles_per_day=per_day)
    start = TODAY - dt.timedelta(days=days - 1)
    with DemoServer(world) as server, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = server.base_urls["daily-courier"]
        articles = world.articles("daily-courier")
        months = sorted({a.published.date().replace(day=1) for a in articles})
        urls = [f"{base}/sitemap.xml"] + [f"{base}/sitemaps/{m:%Y-%m}.xml" for m in months] \
            + [base + a.path for a in articles]
        news, bare = [], []
        for _ in range(args.runs):
            bare.append(run_bare(urls, work, args.concurrency))
            news.append(run_news(server, work, start, args.concurrency))
    best_news = max(r["responses"] / r["elapsed"] for r in news)
    best_bare = max(r["responses"] / r["elapsed"] for r in bare)
    result = {"pages": len(urls), "concurrency": args.concurrency, "runs": args.runs,
              "news_pages_per_s": round(best_news, 1), "bare_pages_per_s": round(best_bare, 1),
              "ratio": round(best_news / best_bare, 3),
              "news_responses": news[-1]["responses"], "bare_responses": bare[-1]["responses"],
              "warc_bytes": news[-1]["warc_bytes"]}
    print(f"news spider + WARC capture: {best_news:.0f} pages/s")
    print(f"bare Scrapy spider:         {best_bare:.0f} pages/s")
    print(f"ratio: {best_news / best_bare:.2f} (goal >= 0.85)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
