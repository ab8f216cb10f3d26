"""Memory of the extraction stage over a long run: it must stay flat.

Feeds ``--pages`` demo article pages (generated on the fly, never all in memory) through
:func:`pipeline.extract.pool.extract_many` and samples the resident memory of the parent and its
worker processes as the run goes on. Prints RSS at each tenth of the run and the growth from the
first sample after warm-up to the last one (goal: flat, i.e. no growth proportional to pages).

    .venv/bin/python benchmarks/extraction_memory.py [--pages 20000] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Iterator

from pipeline.demo import DemoWorld
from pipeline.demo.pages import article_page
from pipeline.extract.extraction import PageInput, Skip
from pipeline.extract.pool import extract_many


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, MiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            with open(f"/proc/{current}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def pages(count: int) -> Iterator[PageInput]:
    per_day = 20
    world = DemoWorld(seed=3, today=dt.date(2026, 3, 15), days=count // (per_day * 3) + 1,
                      articles_per_day=per_day)
    made = 0
    for site in world.sites:
        for article in world.articles(site.id):
            if made >= count:
                return
            html = article_page(world, article, f"https://{site.id}.example")
            yield PageInput(html.encode(), f"https://{site.id}.example{article.path}",
                            article.published + dt.timedelta(hours=1), site=site.id)
            made += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    marks = {max(1, args.pages * k // 10) for k in range(1, 11)}
    samples: list[tuple[int, float]] = []
    start = time.perf_counter()
    done = records = 0
    for result in extract_many(pages(args.pages), workers=args.workers):
        done += 1
        records += not isinstance(result, Skip)
        if done in marks:
            samples.append((done, rss_mib(os.getpid())))
            print(f"{done:>8} pages  {samples[-1][1]:8.1f} MiB  "
                  f"{done / (time.perf_counter() - start):6.1f} pages/s", flush=True)
    first, last = samples[0][1], samples[-1][1]
    print(f"pages {done}, records {records}, workers {args.workers}")
    print(f"RSS after 10%: {first:.1f} MiB, at the end: {last:.1f} MiB, growth "
          f"{last - first:+.1f} MiB ({(last - first) / first * 100:+.1f}%)")


if __name__ == "__main__":
    main()
