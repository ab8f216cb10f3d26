"""Extraction quality on the development set: body text (Zyte) and metadata (WCXB).

Usage: ``.venv/bin/python benchmarks/extraction_quality.py [--workers 2] [--limit N]``

Reads ``<repo>/../shared/devset`` (or ``$NEWSARCHIVE_DEVSET``); exits 0 with a message when it is
absent. Everything is measured in the same run, baselines included:

Body (devset/zyte, 181 pages), the Zyte benchmark metric implemented from its README:
tokens are ``\\w+`` (unicode), shingles are word 4-grams counted as a multiset; per page
TP = shingle-count overlap, FP = predicted - TP, FN = truth - TP, normalized to sum to 1;
precision = mean over pages with TP+FP>0, recall = mean over pages with TP+FN>0 (a page where
both are empty counts 1.0 for both); F1 = 2PR/(P+R) of the means. Baselines: trafilatura
``extract(include_comments=False)`` in its plain settings (default, fast, precision, recall).

Metadata (devset/wcxb-dev-articles, 293 pages), how a match is judged:
- title: HTML entities decoded and ``&`` read as "and" on both sides, then equal sequences
  of case-folded ``\\w+`` tokens (whitespace, punctuation, case and quote style are ignored;
  any extra or missing word is a miss); over all pages.
- author: over all pages. A page whose truth is null matches when no author is output.
  Otherwise both sides (entities decoded) are split into names at ``,`` ``;`` ``&`` ``|``
  and the word "and", each name compared as case-folded tokens without a leading honorific
  (Dr, Prof, Mr, Mrs, Ms); parts that are only degrees or post-nominal letters (MD, PhD,
  DVM, RN, ...) are not names and are left out; the sets must be equal.
- date: over pages whose truth has a date: the output's calendar date as stated by the page
  (its own offset, not converted to UTC) equals the truth's YYYY-MM-DD.
- invented: over pages whose truth is null: share with any date output.
The raw baseline is ``trafilatura.bare_extraction(html, url=url, with_metadata=True)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import html
import json
import os
import re
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

FETCHED_AT = dt.datetime(2026, 4, 4, tzinfo=dt.UTC)
"""The crawl date passed to the stage: the WCXB release date, after every page was cached."""

PLAIN_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "fast": {"fast": True},
    "precision": {"favor_precision": True},
    "recall": {"favor_recall": True},
}


def devset_dir() -> Path:
    return Path(os.environ.get("NEWSARCHIVE_DEVSET", REPO.parent / "shared" / "devset"))


# --- the Zyte metric -----------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def page_counts(pred: str, truth: str) -> tuple[float, float, float]:
    """TP, FP, FN of one page, normalized to sum to 1 (0,0,0 when both are empty)."""
    p, t = shingles(pred), shingles(truth)
    tp = sum((p & t).values())
    fp = sum(p.values()) - tp
    fn = sum(t.values()) - tp
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def zyte_scores(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Precision, recall, F1 and accuracy over (prediction, truth) pairs."""
    precisions, recalls, exact = [], [], 0
    for pred, truth in pairs:
        tp, fp, fn = page_counts(pred, truth)
        if tp + fp + fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
        else:
            if tp + fp > 0:
                precisions.append(tp / (tp + fp))
            if tp + fn > 0:
                recalls.append(tp / (tp + fn))
        exact += _TOKEN.findall(pred or "") == _TOKEN.findall(truth or "")
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"f1": f1, "precision": p, "recall": r, "accuracy": exact / max(1, len(pairs))}


# --- metadata matching ---------------------------------------------------------------------

def _title_tokens(value: str | None) -> list[str]:
    return _TOKEN.findall(html.unescape(value or "").replace("&", " and ").casefold())


def title_match(pred: str | None, truth: str | None) -> bool:
    return _title_tokens(pred) == _title_tokens(truth)


_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\||\band\b)\s*", re.IGNORECASE)
_HONORIFICS = frozenset({"dr", "prof", "mr", "mrs", "ms"})
_DEGREES = frozenset({
    "md", "m", "d", "phd", "ph", "dvm", "vmd", "rn", "bsn", "msn", "np", "do", "dds",
    "mph", "mba", "cpa", "ms", "ma", "ba", "bs", "rd", "rdn", "ld", "cdces", "facp", "faclm",
    "dacvb", "lvt", "vts", "cscs", "foma", "dabom", "jd", "esq", "msc", "bsc", "cfp",
})


def author_names(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    names = set()
    for part in _NAME_SPLIT.split(html.unescape(value)):
        tokens = _TOKEN.findall(part.casefold())
        if tokens and all(t in _DEGREES for t in tokens):
            continue
        if len(tokens) > 1 and tokens[0] in _HONORIFICS:
            tokens = tokens[1:]
        if tokens:
            names.add(" ".join(tokens))
    return frozenset(names)


def author_match(pred: str | None, truth: str | None) -> bool:
    return author_names(pred) == author_names(truth)


# --- workers -------------------------------------------------------------------------------------

def _read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def zyte_worker(item: tuple[str, str]) -> dict[str, str]:
    import trafilatura

    from pipeline.extract.extraction import Skip, extract_page

    path, url = item
    html = _read(Path(path))
    text = html.decode("utf-8", "replace")
    out = {}
    for name, kwargs in PLAIN_SETTINGS.items():
        out[name] = trafilatura.extract(text, url=url, include_comments=False, **kwargs) or ""
    result = extract_page(html, url, fetched_at=FETCHED_AT)
    out["stage"] = "" if isinstance(result, Skip) else result.text
    out["stage_skip"] = result.reason if isinstance(result, Skip) else ""
    return out


def wcxb_worker(item: tuple[str, str]) -> dict[str, Any]:
    import trafilatura

    from pipeline.extract.extraction import PageInput, Skip, extract_details

    path, url = item
    html = _read(Path(path))
    doc = trafilatura.bare_extraction(html.decode("utf-8", "replace"), url=url,
                                      with_metadata=True)
    raw = {"title": getattr(doc, "title", None), "author": getattr(doc, "author", None),
           "date": getattr(doc, "date", None)}
    result = extract_details(PageInput(html, url, FETCHED_AT))
    meta = result.metadata
    ours = {
        "title": meta.title if meta else None,
        "author": ", ".join(meta.authors) if meta and meta.authors else None,
        "date": meta.published.value.date().isoformat() if meta and meta.published else None,
        "date_source": meta.published.source if meta and meta.published else None,
        "skip": result.outcome.reason if isinstance(result.outcome, Skip) else "",
    }
    return {"raw": raw, "ours": ours}


# --- runs ----------------------------------------------------------------------------------------

def run_zyte(root: Path, pool: ProcessPoolExecutor, limit: int | None) -> None:
    truth = json.loads((root / "ground-truth.json").read_text())
    ids = sorted(truth)[:limit]
    items = [(str(root / "html" / f"{i}.html.gz"), truth[i]["url"]) for i in ids]
    start = time.perf_counter()
    outs = list(pool.map(zyte_worker, items, chunksize=4))
    print(f"\nBody text, devset/zyte ({len(ids)} pages, {time.perf_counter() - start:.0f}s)")
    print(f"  {'setting':<28} {'F1':>6} {'P':>6} {'R':>6} {'acc':>6}")
    best = ("", -1.0)
    for name in [*PLAIN_SETTINGS, "stage"]:
        scores = zyte_scores([(o[name], truth[i]["articleBody"]) for o, i in zip(outs, ids,
                                                                                  strict=True)])
        label = f"trafilatura {name}" if name != "stage" else "newsarchive stage"
        print(f"  {label:<28} {scores['f1']:.4f} {scores['precision']:.4f} "
              f"{scores['recall']:.4f} {scores['accuracy']:.4f}")
        if name != "stage" and scores["f1"] > best[1]:
            best = (name, scores["f1"])
        if name == "stage":
            print(f"  stage F1 - best plain ({best[0]}) = {scores['f1'] - best[1]:+.4f}")
    skipped = Counter(o["stage_skip"] for o in outs if o["stage_skip"])
    print(f"  pages the stage skipped as non-articles: {dict(skipped) or 0}")


def run_wcxb(root: Path, pool: ProcessPoolExecutor, limit: int | None,
             verbose: bool) -> None:
    files = sorted((root / "ground-truth").glob("*.json"))[:limit]
    gts = [json.loads(f.read_text()) for f in files]
    items = [(str(root / "html" / f"{g['file_id']}.html.gz"), g["url"]) for g in gts]
    start = time.perf_counter()
    outs = list(pool.map(wcxb_worker, items, chunksize=4))
    print(f"\nMetadata, devset/wcxb-dev-articles ({len(gts)} pages, "
          f"{time.perf_counter() - start:.0f}s)")
    dated = [i for i, g in enumerate(gts) if g["ground_truth"]["publish_date"]]
    undated = [i for i, g in enumerate(gts) if not g["ground_truth"]["publish_date"]]
    rows = []
    for side in ("raw", "ours"):
        t = sum(title_match(o[side]["title"], g["ground_truth"]["title"])
                for o, g in zip(outs, gts, strict=True))
        a = sum(author_match(o[side]["author"], g["ground_truth"]["author"])
                for o, g in zip(outs, gts, strict=True))
        d = sum(outs[i][side]["date"] == gts[i]["ground_truth"]["publish_date"] for i in dated)
        inv = sum(bool(outs[i][side]["date"]) for i in undated)
        rows.append((t / len(gts), a / len(gts), d / max(1, len(dated)), inv,
                     inv / max(1, len(undated))))
    print(f"  {'':<22} {'trafilatura raw':>16} {'newsarchive':>12} {'goal':>8}")
    names = ("title exact", "author", "date (same day)")
    goals = (">= 0.90", ">= 0.85", ">= 0.95")
    for k, (name, goal) in enumerate(zip(names, goals, strict=True)):
        print(f"  {name:<22} {rows[0][k]:>16.3f} {rows[1][k]:>12.3f} {goal:>8}")
    print(f"  {'invented dates':<22} {rows[0][3]:>9d}/{len(undated)} ({rows[0][4]:.2f})"
          f" {rows[1][3]:>5d}/{len(undated)} ({rows[1][4]:.2f}) {'<= 0.10':>6}")
    sources = Counter(o["ours"]["date_source"] or "none" for o in outs)
    print(f"  date sources: {dict(sources.most_common())}")
    skipped = Counter(o["ours"]["skip"] for o in outs if o["ours"]["skip"])
    print(f"  pages the stage skipped as non-articles: {dict(skipped) or 0}")
    if verbose:
        for o, g in zip(outs, gts, strict=True):
            gt = g["ground_truth"]
            bad = [k for k, ok in (
                ("title", title_match(o["ours"]["title"], gt["title"])),
                ("author", author_match(o["ours"]["author"], gt["author"])),
                ("date", o["ours"]["date"] == gt["publish_date"])) if not ok]
            if bad:
                print(g["file_id"], bad, {k: (o["ours"][k], gt[k if k != "date" else
                                                              "publish_date"]) for k in bad},
                      o["ours"]["date_source"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="pages per set (quick runs)")
    parser.add_argument("--only", choices=("zyte", "wcxb"), default=None)
    parser.add_argument("--verbose", action="store_true", help="list metadata misses")
    args = parser.parse_args()
    root = devset_dir()
    if not (root / "zyte").is_dir() or not (root / "wcxb-dev-articles").is_dir():
        print(f"devset not found at {root}: skipping the extraction quality benchmark")
        return 0
    with ProcessPoolExecutor(args.workers) as pool:
        if args.only in (None, "zyte"):
            run_zyte(root / "zyte", pool, args.limit)
        if args.only in (None, "wcxb"):
            run_wcxb(root / "wcxb-dev-articles", pool, args.limit, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
