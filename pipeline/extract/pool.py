"""Run the extraction stage over many pages in a process pool.

Memory stays flat over long runs: at most ``workers * 4`` chunks are in flight (the input is
consumed lazily, e.g. straight from
:func:`pipeline.archive.warc_reader.iter_captures`), each worker clears
trafilatura's caches every :data:`RESET_EVERY` pages, and workers are replaced after
``max_tasks_per_child`` chunks. Results come back in input order. With one worker the pages are
extracted in this process (no pickling, same code path).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

from pipeline.archive.schema import ArticleRecord
from pipeline.extract.extraction import (
    DEFAULT_OPTIONS,
    EXTRACT_ERROR,
    ExtractionOptions,
    PageInput,
    Skip,
    extract,
    page_from_capture,
)

logger = logging.getLogger(__name__)

RESET_EVERY = 500
"""Pages after which a worker clears trafilatura's module-level caches."""

_done = 0


def _reset_caches() -> None:
    from trafilatura.meta import reset_caches

    reset_caches()


def _extract_chunk(pages: list[PageInput], options: ExtractionOptions) -> list[
        ArticleRecord | Skip]:
    global _done  # noqa: PLW0603 - per-process page counter
    out: list[ArticleRecord | Skip] = []
    for page in pages:
        try:
            out.append(extract(page, options))
        except Exception:
            # one hostile page must not cost the partition: count it, keep its WARC record
            logger.warning("extraction failed for %s", page.url, exc_info=True)
            out.append(Skip(EXTRACT_ERROR, page.url))
        _done += 1
        if _done % RESET_EVERY == 0:
            _reset_caches()
    return out


@contextlib.contextmanager
def _host_main_hidden() -> Iterator[None]:
    """Keep worker processes from re-running the host program's ``__main__`` file.

    The forkserver imports the parent's main file to rebuild its state; inside an Airflow task
    (or a Celery worker) that file is the host's own command, which must not run again in a
    worker. The workers need nothing from it, so it is hidden while the pool starts and runs.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _chunks(pages: Iterable[PageInput], size: int) -> Iterator[list[PageInput]]:
    it = iter(pages)
    while chunk := list(islice(it, size)):
        yield chunk


def extract_many(
    pages: Iterable[PageInput],
    *,
    workers: int = 0,
    options: ExtractionOptions = DEFAULT_OPTIONS,
    chunk_size: int = 16,
    max_tasks_per_child: int = 200,
) -> Iterator[ArticleRecord | Skip]:
    """Extract pages in parallel, yielding results in input order.

    Args:
        pages: The pages (consumed lazily).
        workers: Processes; 0 means one per CPU core (``Settings.extract_workers``), 1 runs
            in this process.
        options: Stage options.
        chunk_size: Pages per task sent to a worker.
        max_tasks_per_child: Chunks after which a worker process is replaced.

    Yields:
        One :class:`ArticleRecord` or :class:`Skip` per page.
    """
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for chunk in _chunks(pages, chunk_size):
            yield from _extract_chunk(chunk, options)
        return
    context = multiprocessing.get_context("forkserver")
    # workers fork from a server that has already imported lxml/trafilatura: cheap recycling
    context.set_forkserver_preload(["pipeline.extract.extraction"])
    with _host_main_hidden(), ProcessPoolExecutor(
            workers, mp_context=context, max_tasks_per_child=max_tasks_per_child) as pool:
        pending: deque[Future[list[ArticleRecord | Skip]]] = deque()
        for chunk in _chunks(pages, chunk_size):
            pending.append(pool.submit(_extract_chunk, chunk, options))
            if len(pending) >= workers * 4:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def extract_captures(
    captures: Iterable[object],
    site: str,
    *,
    workers: int = 0,
    options: ExtractionOptions = DEFAULT_OPTIONS,
    counts: Counter[str] | None = None,
    chunk_size: int = 16,
) -> Iterator[ArticleRecord]:
    """Extract WARC captures of one site, yielding records and counting skips by reason.

    Args:
        captures: :class:`pipeline.archive.warc_reader.Capture` objects.
        site: The partition's site.
        workers: See :func:`extract_many`.
        options: Stage options.
        counts: Receives ``extracted`` and ``skipped:<reason>`` counts.
        chunk_size: Pages per task of the pool (see :func:`extract_many`).

    Yields:
        The records of article pages.
    """
    counts = counts if counts is not None else Counter()
    pages = (page_from_capture(c, site) for c in captures)
    for result in extract_many(pages, workers=workers, options=options,
                               chunk_size=chunk_size):
        if isinstance(result, Skip):
            counts[f"skipped:{result.reason}"] += 1
        else:
            counts["extracted"] += 1
            yield result
