"""Where the WCXB metadata labels disagree with themselves, and which side newsarchive takes.

Usage: ``.venv/bin/python benchmarks/metadata_labels.py [--workers 2] [--pages]``

``extraction_quality.py`` scores the stage against the labels of devset/wcxb-dev-articles.
This audit asks a different question: in each situation of evidence that decides a date or a
title (what the page declares, what it shows its readers), how do the labels split? When
pages in the same situation carry opposite labels, no rule over that evidence gets them all;
fitting one side on the development set loses the other side on a held-out set.

Evidence per page: the first strong declared publication date (JSON-LD article, meta tags,
microdata, URL), the declared modification date, a JSON-LD ``WebPage`` date, every date the
visible text shows, those of the byline area with their labels ("Updated", ...), the
``<h1>`` texts and the declared titles (site names removed). "Shown" means the visible text
spells the same day. A label "absent from the HTML" is a day that no date in the page's text,
scripts included, spells, in any form the stage parses.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from extraction_quality import FETCHED_AT, devset_dir, read_html, title_match

_ISO_DAY = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")


def label_worker(item: tuple[str, str]) -> dict[str, Any]:
    """The evidence and the stage's decisions for one page (runs in a worker process)."""
    from trafilatura.utils import load_html

    from pipeline.extract.extraction import PageInput, extract_details
    from pipeline.extract.metadata.dates import (
        WEBPAGE_TYPES,
        meta_value,
        modified_date,
        published_candidates,
        str_value,
    )
    from pipeline.extract.metadata.evidence import ARTICLE_TYPES, collect_evidence
    from pipeline.extract.metadata.shown_dates import dates_in_text, shown_dates
    from pipeline.extract.metadata.titles import site_names_of, strip_site_name
    from pipeline.extract.pagetype import visible_text
    from pipeline.extract.text import clean_space

    path, url = item
    raw = read_html(Path(path))
    tree = load_html(raw)
    ev = collect_evidence(tree)
    articles, pages = ev.objects_of(ARTICLE_TYPES), ev.objects_of(WEBPAGE_TYPES)
    candidates = list(published_candidates(ev, articles, pages, url, FETCHED_AT, None))
    modified = modified_date(ev, articles, pages, FETCHED_AT)
    text = clean_space(visible_text(tree).text)
    shown = shown_dates(text, [*ev.headlines, *([ev.title_tag] if ev.title_tag else [])])
    everywhere = clean_space(html.unescape(raw.decode("utf-8", "replace")))
    names = site_names_of(ev, articles, url)
    declared = [str_value(a.get("headline")) for a in articles]
    declared += [meta_value(ev, "og:title"), meta_value(ev, "twitter:title"), ev.title_tag]
    meta = extract_details(PageInput(raw, url, FETCHED_AT)).metadata

    def day(value: Any) -> str | None:
        return value.value.date().isoformat() if value else None

    return {
        "published": next((day(c) for c, strong in candidates if strong), None),
        "webpage": next((day(c) for c, strong in candidates
                         if not strong and c.source == "jsonld:webpage"), None),
        "modified": day(modified),
        "shown": sorted(d.isoformat() for d in shown.anywhere),
        "byline": [(d.date.isoformat(), d.label or "unlabelled") for d in shown.header
                   if d.label != "other" and not d.ambiguous],
        "in_html": sorted({d.isoformat() for _, d in dates_in_text(everywhere)}
                          | set(_ISO_DAY.findall(everywhere))),
        "h1": list(ev.headlines),
        "titles": [strip_site_name(clean_space(html.unescape(t)), names) for t in declared if t],
        "ours_date": day(meta.published) if meta else None,
        "ours_title": meta.title if meta else None,
    }


# --- situations ----------------------------------------------------------------------------------

def date_situation(page: dict[str, Any]) -> tuple[str, dict[str, str | None]]:
    """The date situation of a page and the candidate answers it offers, by name."""
    published, shown = page["published"], set(page["shown"])
    byline = page["byline"]
    modified = page["modified"] if page["modified"] != published else None
    if published and published in shown:
        return "declared publication shown", {"published": published, "modified": modified}
    if published:
        if modified and modified in shown:
            return ("declared publication not shown, the modification shown",
                    {"published": published, "modified": modified})
        other = next((d for d, label in byline if label != "updated" and d != published), None)
        if other:
            return ("declared publication not shown, the byline shows another date",
                    {"published": published, "byline": other})
        return "declared publication not shown", {"published": published, "modified": modified}
    if page["webpage"] and page["webpage"] not in shown:
        return "only a WebPage datePublished, not shown", {"webpage": page["webpage"]}
    if byline:
        first, label = byline[0]
        return f"nothing declared, the byline shows a date ({label})", {"byline": first}
    return "nothing declared, no byline date", {}


def side(answers: dict[str, str | None], value: str | None) -> str:
    """Which candidate answer ``value`` is ("none" for no date, "another date")."""
    found = [name for name, answer in answers.items() if answer and answer == value]
    return "/".join(found) if found else ("none" if value is None else "another date")


def title_situation(page: dict[str, Any], truth: str) -> tuple[str, str] | None:
    """The title situation of a page (an ``<h1>`` unlike every declared title), or ``None``."""
    if not page["h1"] or not page["titles"]:
        return None
    if any(title_match(h, t) for h in page["h1"] for t in page["titles"]):
        return None
    consistent = len({tuple(t.casefold().split()) for t in page["titles"]}) == 1
    where = ("<h1> unlike the declared titles, which agree among themselves" if consistent
             else "<h1> unlike the declared titles, which differ among themselves")
    h1 = any(title_match(h, truth) for h in page["h1"])
    title = any(title_match(t, truth) for t in page["titles"])
    return where, "<h1>" if h1 else "a declared title" if title else "neither"


def print_splits(kind: str, rows: list[tuple[str, str, bool]]) -> None:
    """Print each situation's label sides and how often the stage matches the label."""
    sides: dict[str, Counter[str]] = defaultdict(Counter)
    right: Counter[str] = Counter()
    for where, side, ok in rows:
        sides[where][side] += 1
        right[where] += ok
    print(f"\n{kind}: label sides by situation of evidence")
    for where, counts in sorted(sides.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(counts.values())
        split = ", ".join(f"{name} {n}" for name, n in counts.most_common())
        print(f"  {where}: {total} pages; label = {split}; newsarchive right on {right[where]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pages", action="store_true", help="list the pages of each situation")
    args = parser.parse_args()
    root = devset_dir() / "wcxb-dev-articles"
    if not root.is_dir():
        print(f"devset not found at {root}: skipping the metadata label audit")
        return 0
    truths = [json.loads(f.read_text()) for f in sorted((root / "ground-truth").glob("*.json"))]
    items = [(str(root / "html" / f"{t['file_id']}.html.gz"), t["url"]) for t in truths]
    with ProcessPoolExecutor(args.workers) as pool:
        pages = list(pool.map(label_worker, items, chunksize=4))
    dates: list[tuple[str, str, bool]] = []
    titles: list[tuple[str, str, bool]] = []
    ours: list[str] = []
    for page, record in zip(pages, truths, strict=True):
        truth = record["ground_truth"]
        date_ok = page["ours_date"] == truth["publish_date"]
        where, answers = date_situation(page)
        dates.append((where, side(answers, truth["publish_date"]), date_ok))
        ours.append(side(answers, page["ours_date"]))
        title_ok = title_match(page["ours_title"], truth["title"])
        situation = title_situation(page, truth["title"])
        if situation:
            titles.append((*situation, title_ok))
        if args.pages and not date_ok:
            print(record["file_id"], "date", page["ours_date"], "label",
                  truth["publish_date"], dates[-1][:2])
        if args.pages and not title_ok:
            print(record["file_id"], "title", repr(page["ours_title"]), "label",
                  repr(truth["title"]), situation)
    majority = {where: Counter(s for w, s, _ in dates if w == where).most_common(1)[0][0]
                for where, _, _ in dates}
    misses: Counter[str] = Counter()
    for (where, _, ok), taken, page, record in zip(dates, ours, pages, truths, strict=True):
        label = record["ground_truth"]["publish_date"]
        if ok:
            continue
        if label and label not in page["in_html"]:
            misses["label absent from the HTML"] += 1
        elif taken == majority[where]:
            misses["newsarchive takes the side most labels of the situation take"] += 1
        else:
            misses["other"] += 1
    dated = sum(1 for t in truths if t["ground_truth"]["publish_date"])
    print(f"WCXB metadata labels, {len(truths)} pages ({dated} dated)")
    print_splits("Dates", dates)
    print(f"  date misses (dated and undated pages, {sum(misses.values())}): {dict(misses)}")
    print_splits("Titles", titles)
    wrong = sum(not title_match(p["ours_title"], t["ground_truth"]["title"])
                for p, t in zip(pages, truths, strict=True))
    print(f"  title misses: {wrong}, of which {sum(not ok for _, _, ok in titles)} in these "
          "situations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
