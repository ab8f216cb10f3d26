"""Extraction throughput: the stage vs a bare trafilatura loop, and the process pool speedup.

Usage: ``.venv/bin/python benchmarks/extraction_speed.py [--pages 150] [--workers 2]``

Pages come from the devset (``<repo>/../shared/devset``); without it the benchmark says so and
stops. All numbers are measured in the same run: the baseline is
``trafilatura.bare_extraction(html, url=url, with_metadata=True)`` on the same pages in one
process; the stage is :func:`pipeline.extraction.extract` in one process, then
:func:`pipeline.extract_pool.extract_many` with ``--workers`` processes (pool start-up
included).
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.extract_pool import extract_many  # noqa: E402
from pipeline.extraction import PageInput, extract  # noqa: E402

FETCHED_AT = dt.datetime(2026, 4, 4, tzinfo=dt.UTC)


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
    parser.add_argument("--pages", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    pages = load_pages(args.pages)
    if not pages:
        print("devset not found: skipping the extraction speed benchmark")
        return 0
    import trafilatura

    texts = [p.html.decode("utf-8", "replace") for p in pages]
    extract(pages[0])  # warm up imports and caches for both
    trafilatura.bare_extraction(texts[0], url=pages[0].url, with_metadata=True)

    start = time.perf_counter()
    for page, text in zip(pages, texts, strict=True):
        trafilatura.bare_extraction(text, url=page.url, with_metadata=True)
    bare = len(pages) / (time.perf_counter() - start)

    start = time.perf_counter()
    serial_results = [extract(p) for p in pages]
    serial = len(pages) / (time.perf_counter() - start)

    start = time.perf_counter()
    parallel_results = list(extract_many(pages, workers=args.workers, chunk_size=8))
    parallel = len(pages) / (time.perf_counter() - start)
    assert parallel_results == serial_results, "pool and serial results differ"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"{len(pages)} devset pages, {os.cpu_count()} cores")
    print(f"  bare trafilatura (with_metadata=True), 1 process: {bare:7.1f} pages/s")
    print(f"  newsarchive stage, 1 process:                    {serial:7.1f} pages/s"
          f"   ratio {serial / bare:.2f} (goal >= 0.9)")
    print(f"  newsarchive stage, pool of {args.workers}:                   {parallel:7.1f} pages/s"
          f"   speedup {parallel / serial:.2f} (goal >= 1.7)")
    print(f"  max RSS of the parent: {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
