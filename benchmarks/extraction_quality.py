"""Extraction quality on every dev set, as held-back fold means, newsarchive next to trafilatura.

Usage: ``.venv/bin/python benchmarks/extraction_quality.py [--workers 2] [--folds 5]
[--limit N] [--fixed] [--dump out.json]``

Reads ``<repo>/../shared/devset`` (or ``$NEWSARCHIVE_DEVSET``); exits 0 with a message when it is
absent. The sets, their groups and how a prediction is judged are in
:mod:`benchmarks.support.extraction_devsets`.

Grouped cross-validation: each set's groups (publisher or domain) are hashed into ``--folds``
folds; fold *i* of every set is held back together. Every choice made from data is made on the
training folds (all sets together) and scored on the held-back fold: which of
:data:`VARIANTS` (body-pass settings of the stage) keeps the body F1 of its worst set furthest
above raw trafilatura's (:func:`choose`). A
metric's figure is the mean over folds of the held-back fold's score (folds without a page for
that metric are left out). ``--fixed`` scores only the stage's defaults (no choice at all).

The baseline, in the same run, is raw trafilatura 2.3.1:
``trafilatura.bare_extraction(html, url=url, with_metadata=True)`` (its date is a day, so it
has no minute figure). The stage is :func:`pipeline.extract.extraction.extract_details` with
the crawl date :data:`FETCHED_AT`; a page it skips counts as giving nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

if __package__:  # imported as benchmarks.extraction_quality (the tests)
    from benchmarks.support import extraction_devsets as devsets
else:  # run as a script: benchmarks/ is on sys.path
    from support import extraction_devsets as devsets  # type: ignore[import-not-found,no-redef]

SETS, devset_dir, fold_of, load_pages, read_html = (
    devsets.SETS, devsets.devset_dir, devsets.fold_of, devsets.load_pages,
    devsets.read_html)
author_match, authors_found, has_minute = (
    devsets.author_match, devsets.authors_found, devsets.has_minute)
same_day, same_minute, title_exact, title_match, zyte_scores = (
    devsets.same_day, devsets.same_minute, devsets.title_exact, devsets.title_match,
    devsets.zyte_scores)

FETCHED_AT = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
"""The crawl date passed to the stage: after every dev page was fetched (fundus: 2026-08)."""

VARIANTS: tuple[str, ...] = ("default", "precision", "no-fuller")
"""Body-pass settings the cross-validation chooses from: ``default`` = the stage's own
(balanced mode, the fuller-pass rule on), ``precision`` (trafilatura's precision mode),
``no-fuller`` (balanced mode without the fuller-pass rule)."""

METRICS = ("body F1", "title", "author", "date (day)", "date (minute)", "invented dates")
LOWER_IS_BETTER = frozenset({"invented dates"})


def _options(variant: str) -> Any:
    from pipeline.extract.extraction import DEFAULT_OPTIONS
    if variant == "precision":
        return replace(DEFAULT_OPTIONS, favor_precision=True)
    if variant == "no-fuller":
        return replace(DEFAULT_OPTIONS, fuller_ratio=0.0)
    return DEFAULT_OPTIONS


# --- the worker --------------------------------------------------------------------------------

def _raw(html: bytes, url: str) -> dict[str, Any]:
    import trafilatura

    doc = trafilatura.bare_extraction(html.decode("utf-8", "replace"), url=url,
                                      with_metadata=True)
    author = getattr(doc, "author", None)
    return {"text": getattr(doc, "text", None) or "", "title": getattr(doc, "title", None),
            "author": author, "authors": [a.strip() for a in (author or "").split(";")
                                          if a.strip()],
            "date": getattr(doc, "date", None), "has_time": False, "skip": ""}


def _ours(html: bytes, url: str, variant: str) -> dict[str, Any]:
    from pipeline.extract.extraction import PageInput, Skip, extract_details

    result = extract_details(PageInput(html, url, FETCHED_AT), _options(variant))
    if isinstance(result.outcome, Skip):
        return {"text": "", "title": None, "author": None, "authors": [], "date": None,
                "has_time": False, "skip": result.outcome.reason}
    meta = result.metadata
    assert meta is not None
    published = meta.published
    return {"text": result.outcome.text, "title": meta.title,
            "author": ", ".join(meta.authors) or None, "authors": list(meta.authors),
            "date": published.local_iso if published else None,
            "has_time": bool(published and published.has_time),
            "source": published.source if published else None, "skip": ""}


def worker(page: devsets.Page, variants: tuple[str, ...]) -> dict[str, Any]:
    """Raw trafilatura's and the stage's outputs (one per variant) for one page."""
    html = read_html(page.path)
    return {"raw": _raw(html, page.url), "ours": {v: _ours(html, page.url, v) for v in variants}}


def run_pages(
    pages: list[devsets.Page], variants: tuple[str, ...], workers: int
) -> list[dict[str, Any]]:
    """Every page through :func:`worker`, in ``workers`` processes."""
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(partial(worker, variants=variants), pages, chunksize=2))


# --- scoring -------------------------------------------------------------------------------------

def _mean(values: Iterable[bool | float]) -> float | None:
    items = [float(v) for v in values]
    return sum(items) / len(items) if items else None


def score(devset: str, pages: list[devsets.Page], preds: list[dict[str, Any]],
          raw: bool = False) -> dict[str, float | None]:
    """Every metric of one set over ``pages`` (``None``: no page or not applicable)."""
    pairs = list(zip(pages, preds, strict=True))
    out: dict[str, float | None] = dict.fromkeys(METRICS)
    if pairs:
        out["body F1"] = zyte_scores([(p["text"], g.truth["text"]) for g, p in pairs])["f1"]
    if devset == "fundus-dev":
        out["title"] = _mean(title_exact(p["title"], g.truth["title"]) for g, p in pairs)
        out["author"] = _mean(authors_found(p["authors"], g.truth["authors"]) for g, p in pairs)
        out["date (day)"] = _mean(same_day(p["date"], g.truth["date"]) for g, p in pairs)
        if not raw:
            out["date (minute)"] = _mean(same_minute(p["date"], g.truth["date"], p["has_time"])
                                         for g, p in pairs if has_minute(g.truth["date"]))
    elif devset == "wcxb-dev-articles":
        out["title"] = _mean(title_match(p["title"], g.truth["title"]) for g, p in pairs)
        out["author"] = _mean(author_match(p["author"], g.truth["author"]) for g, p in pairs)
        out["date (day)"] = _mean(same_day(p["date"], g.truth["date"])
                                  for g, p in pairs if g.truth["date"])
        out["invented dates"] = _mean(bool(p["date"]) for g, p in pairs if not g.truth["date"])
    return out


def choose(train: list[tuple[devsets.Page, dict[str, Any]]], variants: tuple[str, ...]) -> str:
    """The variant whose worst set is furthest above raw trafilatura on the training pages.

    Per set, the body F1 (Zyte metric) of the variant minus raw trafilatura's; the variant
    with the largest minimum over sets wins (ties: the first). The goal is never to fall
    below trafilatura on any kind of page, so the worst set decides, not the pooled mean
    (which the largest set dominates).
    """
    best, best_margin = variants[0], float("-inf")
    for variant in variants:
        margins = []
        for devset in SETS:
            sub = [(p, o) for p, o in train if p.devset == devset]
            if sub:
                ours = zyte_scores([(o["ours"][variant]["text"], p.truth["text"])
                                    for p, o in sub])["f1"]
                raw = zyte_scores([(o["raw"]["text"], p.truth["text"]) for p, o in sub])["f1"]
                margins.append(ours - raw)
        margin = min(margins, default=0.0)
        if margin > best_margin + 1e-9:
            best, best_margin = variant, margin
    return best


def cross_validate(pages: list[devsets.Page], outs: list[dict[str, Any]], variants: tuple[str, ...],
                   k: int) -> tuple[dict[str, dict[str, tuple[float | None, float | None]]],
                                    list[str]]:
    """Held-back fold means per set and metric: ``{set: {metric: (ours, raw)}}``, choices."""
    folds = [fold_of(p, k) for p in pages]
    per: dict[str, dict[str, tuple[list[float], list[float]]]] = {
        s: {m: ([], []) for m in METRICS} for s in SETS}
    chosen = []
    for fold in range(k):
        train = [(p, o) for p, o, f in zip(pages, outs, folds, strict=True) if f != fold]
        variant = choose(train, variants)
        chosen.append(variant)
        for devset in SETS:
            held = [(p, o) for p, o, f in zip(pages, outs, folds, strict=True)
                    if f == fold and p.devset == devset]
            if not held:
                continue
            group = [p for p, _ in held]
            ours = score(devset, group, [o["ours"][variant] for _, o in held])
            raw = score(devset, group, [o["raw"] for _, o in held], raw=True)
            for metric in METRICS:
                if ours[metric] is not None:
                    per[devset][metric][0].append(ours[metric])  # type: ignore[arg-type]
                if raw[metric] is not None:
                    per[devset][metric][1].append(raw[metric])  # type: ignore[arg-type]
    means = {s: {m: (_mean(a), _mean(b)) for m, (a, b) in metrics.items() if a or b}
             for s, metrics in per.items()}
    return {s: m for s, m in means.items() if m}, chosen


def shortfalls(means: dict[str, dict[str, tuple[float | None, float | None]]],
               tolerance: float = 0.0) -> list[str]:
    """The (set, metric) pairs where newsarchive is below raw trafilatura."""
    bad = []
    for devset, metrics in means.items():
        for metric, (ours, raw) in metrics.items():
            if ours is None or raw is None:
                continue
            worse = ours > raw + tolerance if metric in LOWER_IS_BETTER else (
                ours < raw - tolerance)
            if worse:
                bad.append(f"{devset} {metric}: newsarchive {ours:.3f} < trafilatura {raw:.3f}")
    return bad


def _fmt(value: float | None) -> str:
    return "(date only)" if value is None else f"{value:.4f}"


def print_table(means: dict[str, dict[str, tuple[float | None, float | None]]],
                counts: dict[str, int], write: Callable[[str], Any] = print) -> None:
    write(f"| {'dev set':<26} | {'metric':<15} | {'newsarchive':>11} | {'trafilatura':>11} |")
    write(f"|{'-' * 28}|{'-' * 17}|{'-' * 13}|{'-' * 13}|")
    for devset, metrics in means.items():
        label = f"{devset} ({counts[devset]})"
        for metric in METRICS:
            if metric not in metrics:
                continue
            ours, raw = metrics[metric]
            write(f"| {label:<26} | {metric:<15} | {_fmt(ours):>11} | {_fmt(raw):>11} |")
            label = ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="pages per set (quick runs)")
    parser.add_argument("--fixed", action="store_true", help="only the stage's defaults")
    parser.add_argument("--dump", type=Path, default=None, help="write per-page outputs (JSON)")
    args = parser.parse_args()
    pages = load_pages(devset_dir(), args.limit)
    if not pages:
        print(f"devset not found at {devset_dir()}: skipping the extraction quality benchmark")
        return 0
    variants = ("default",) if args.fixed else VARIANTS
    start = time.perf_counter()
    outs = run_pages(pages, variants, args.workers)
    means, chosen = cross_validate(pages, outs, variants, args.folds)
    counts = {s: sum(p.devset == s for p in pages) for s in SETS}
    print(f"{len(pages)} pages, {args.folds} folds grouped by publisher/domain, "
          f"{time.perf_counter() - start:.0f}s; body setting chosen per fold: {chosen}")
    print_table(means, counts)
    for line in shortfalls(means):
        print("BELOW TRAFILATURA:", line)
    if args.dump:
        args.dump.write_text(json.dumps([{"set": p.devset, "id": p.page_id, "url": p.url,
                                          "truth": {k: v for k, v in p.truth.items()
                                                    if k != "text"}, **o}
                                         for p, o in zip(pages, outs, strict=True)],
                                        ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
