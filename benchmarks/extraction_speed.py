"""Extraction throughput: the stage vs a bare trafilatura loop, and the process pool speedup.

Usage: ``.venv/bin/python benchmarks/extraction_speed.py [--pages 300] [--workers 2] [--repeat 3]``

Pages come from the devset (``<repo>/../shared/devset``); without it the benchmark says so and
stops. All numbers are measured in the same run: the baseline is
``trafilatura.bare_extraction(html, url=url, with_metadata=True)`` on the same pages in one
process; the stage is :func:`pipeline.extract.extraction.extract` in one process, then
:func:`pipeline.extract.pool.extract_many` with ``--workers`` processes (pool start-up
included). Both loops first run :data:`WARM_UP_PAGES` other devset pages untimed. Each of the
three is then timed ``--repeat`` times, in turns, trafilatura's caches reset before each, and
its best time counts (as :mod:`timeit` does): on a small VM a neighbour's burst otherwise
decides the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import resource
import sys
import time
from pathlib import Path

from pipeline.extract.extraction import PageInput, extract
from pipeline.extract.pool import extract_many

REPO = Path(__file__).resolve().parents[1]
FETCHED_AT = dt.datetime(2026, 4, 4, tzinfo=dt.UTC)
WARM_UP_PAGES = 60
"""Devset pages after the measured ones that both loops run first, untimed."""


def load_pages(limit: int) -> list[PageInput]:
    root = Path(os.environ.get("NEWSARCHIVE_DEVSET", REPO.parent / "shared" / "devset"))
    files = sorted((root / "wcxb-dev-articles" / "html").glob("*.html.gz"))
    files += sorted((root / "zyte" / "html").glob("*.html.gz"))
    pages = []
    for i, path in enumerate(files[:limit]):
        pages.append(PageInput(gzip.decompress(path.read_bytes()), f"https://example{i}.com/news/{path.stem}",
                               FETCHED_AT))
    return pages


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="timings of each; the best counts")
    args = parser.parse_args()
    loaded = load_pages(args.pages + WARM_UP_PAGES)
    pages, warm_up = loaded[:args.pages], loaded[args.pages:]
    if not pages:
        print("devset not found: skipping the extraction speed benchmark")
        return 0
    import trafilatura
    from trafilatura.meta import reset_caches

    texts = [p.html.decode("utf-8", "replace") for p in pages]
    # other pages first: trafilatura loads parts of itself on first use (fallback extractors,
    # htmldate, courlan), which would count against whichever runs first
    for page in warm_up:
        trafilatura.bare_extraction(page.html.decode("utf-8", "replace"), url=page.url,
                                    with_metadata=True)
        extract(page)

    def run_bare() -> None:
        for page, text in zip(pages, texts, strict=True):
            trafilatura.bare_extraction(text, url=page.url, with_metadata=True)

    results: dict[str, list[object]] = {}

    def run_serial() -> None:
        results["serial"] = [extract(p) for p in pages]

    def run_parallel() -> None:
        results["parallel"] = list(extract_many(pages, workers=args.workers, chunk_size=8))

    timings: dict[str, list[float]] = {"bare": [], "serial": [], "parallel": []}
    for _ in range(args.repeat):
        for name, run in (("bare", run_bare), ("serial", run_serial),
                          ("parallel", run_parallel)):
            reset_caches()  # the same pages again would hit trafilatura's caches: not real
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)
    bare, serial, parallel = (len(pages) / min(timings[k]) for k in ("bare", "serial", "parallel"))
    serial_results, parallel_results = results["serial"], results["parallel"]
    assert parallel_results == serial_results, "pool and serial results differ"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"{len(pages)} devset pages, {os.cpu_count()} cores, best of {args.repeat}")
    print(f"  bare trafilatura (with_metadata=True), 1 process: {bare:7.1f} pages/s")
    print(f"  newsarchive stage, 1 process:                    {serial:7.1f} pages/s"
          f"   ratio {serial / bare:.2f} (goal >= 0.9)")
    print(f"  newsarchive stage, pool of {args.workers}:                   {parallel:7.1f} pages/s"
          f"   speedup {parallel / serial:.2f} (goal >= 1.7)")
    print("  timings (s): " + "; ".join(f"{k} " + " ".join(f"{t:.2f}" for t in v)
                                       for k, v in timings.items()))
    # the three of a round ran within a minute: their ratios see the same machine
    rounds = list(zip(timings["bare"], timings["serial"], timings["parallel"], strict=True))
    print("  per round: ratio " + " ".join(f"{b / s:.2f}" for b, s, _ in rounds)
          + "; speedup " + " ".join(f"{s / p:.2f}" for _, s, p in rounds))
    print(f"  max RSS of the parent: {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
