"""The three development sets as one list of labelled pages, and how a prediction is judged.

Sets (``<repo>/../shared/devset`` or ``$NEWSARCHIVE_DEVSET``; read each README there):

- ``fundus-dev``: 133 news pages of 94 publishers; title, authors, publishing date to the minute
  with offset, body. Group = publisher.
- ``wcxb-dev-articles``: 293 article pages, one per domain; title, author, publish day, body.
  Group = domain.
- ``zyte``: 181 article pages of 126 sites; body only. Group = the URL's host (``www.`` removed).

How a match is judged (the fundus README's scoring, the WCXB labels' own conventions):

- body: the Zyte metric on word 4-gram shingles (``\\w+`` tokens, multisets): per page TP/FP/FN
  normalised to sum to 1; precision and recall are means over pages; F1 = 2PR/(P+R).
- title, fundus: equal after HTML entities are decoded, quotes unified, soft hyphens and
  zero-width characters removed and whitespace collapsed (case counts). WCXB: equal sequences
  of case-folded ``\\w+`` tokens, ``&`` read as
  "and" (its labels vary in punctuation and case).
- author, fundus: every credited name is found among the predicted names (case-insensitive,
  word level: its words appear in that order in one predicted name); a page credited to nobody
  matches when nothing is predicted. WCXB: the sets of names are equal (split at ``,`` ``;``
  ``&`` ``|`` "and"; honorifics and degree letters left out); null matches no output.
- date (day): the predicted calendar day in the page's own offset equals the label's day in
  its own offset, or both fall on the same UTC day (fundus); WCXB labels are days.
- date (minute): fundus pages whose label has a time: the same instant to the minute; a
  prediction without a time of day is a miss; without an offset, wall-clock times compare.
- invented: WCXB pages labelled without a date: share that get a date (lower is better).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import html
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
SETS = ("fundus-dev", "wcxb-dev-articles", "zyte")


def devset_dir() -> Path:
    return Path(os.environ.get("NEWSARCHIVE_DEVSET", REPO.parent / "shared" / "devset"))


@dataclass(frozen=True)
class Page:
    """One labelled page: its set, group (publisher or domain), file and labels."""

    devset: str
    page_id: str
    path: str
    url: str
    group: str
    truth: dict[str, Any] = field(default_factory=dict)


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def load_pages(root: Path, limit: int | None = None) -> list[Page]:
    """Every page of the three sets (the first ``limit`` of each when given)."""
    pages: list[Page] = []
    fundus = root / "fundus-dev"
    if (fundus / "pages.jsonl").is_file():
        rows = [json.loads(line) for line in (fundus / "pages.jsonl").read_text().splitlines()
                if line.strip()]
        for row in rows[:limit]:
            pages.append(Page("fundus-dev", row["id"], str(fundus / "html" / row["id"]),
                              row["url"], row["publisher"], {
                                  "text": row["text"], "title": row["title"],
                                  "authors": list(row["authors"] or []),
                                  "date": row["publishing_date"]}))
    wcxb = root / "wcxb-dev-articles"
    if (wcxb / "ground-truth").is_dir():
        for path in sorted((wcxb / "ground-truth").glob("*.json"))[:limit]:
            gt = json.loads(path.read_text())
            labels = gt["ground_truth"]
            pages.append(Page("wcxb-dev-articles", gt["file_id"],
                              str(wcxb / "html" / f"{gt['file_id']}.html.gz"), gt["url"],
                              _host(gt["url"]), {
                                  "text": labels["main_content"], "title": labels["title"],
                                  "author": labels["author"], "date": labels["publish_date"]}))
    zyte = root / "zyte"
    if (zyte / "ground-truth.json").is_file():
        truth = json.loads((zyte / "ground-truth.json").read_text())
        for key in sorted(truth)[:limit]:
            url = truth[key]["url"]
            pages.append(Page("zyte", key, str(zyte / "html" / f"{key}.html.gz"), url,
                              _host(url), {"text": truth[key]["articleBody"]}))
    return pages


def fold_of(page: Page, k: int) -> int:
    """The fold of a page's group (stable: a hash of set and group)."""
    digest = hashlib.sha256(f"{page.devset}:{page.group.lower()}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % k


def read_html(path: str | Path) -> bytes:
    return gzip.decompress(Path(path).read_bytes())


# --- body ----------------------------------------------------------------------------------------

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


def page_f1(pred: str, truth: str) -> float:
    """Shingle F1 of one page (for choosing settings on training folds)."""
    tp, fp, fn = page_counts(pred, truth)
    if tp + fp + fn == 0:
        return 1.0
    return 2 * tp / (2 * tp + fp + fn)


# --- title -------------------------------------------------------------------------------------

_QUOTES = str.maketrans({c: '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a"
                         "\u2018\u2019\u201a\u201b'`\u00b4"})


def title_tokens(value: str | None) -> list[str]:
    return _TOKEN.findall(html.unescape(value or "").replace("&", " and ").casefold())


def title_match(pred: str | None, truth: str | None) -> bool:
    """WCXB rule: equal case-folded token sequences."""
    return title_tokens(pred) == title_tokens(truth)


def title_exact(pred: str | None, truth: str | None) -> bool:
    """Fundus rule: equal after entity decoding, quote unification and whitespace collapse."""
    def norm(value: str | None) -> str:
        text = re.sub("[\u00ad\u200b-\u200d\u2060\ufeff]", "", html.unescape(value or ""))
        return " ".join(text.translate(_QUOTES).split())
    return norm(pred) == norm(truth)


# --- authors -------------------------------------------------------------------------------

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
    """WCXB rule: equal sets of names."""
    return author_names(pred) == author_names(truth)


def authors_found(pred: list[str], truth: list[str]) -> bool:
    """Fundus rule: every credited name's words, in order, within one predicted name."""
    if not truth:
        return not pred
    predicted = [" " + " ".join(_TOKEN.findall(p.casefold())) + " " for p in pred]
    for name in truth:
        words = " " + " ".join(_TOKEN.findall(name.casefold())) + " "
        if words.strip() and not any(words in p for p in predicted):
            return False
    return True


# --- dates ---------------------------------------------------------------------------------

def parse_moment(value: str | None) -> dt.datetime | None:
    """An ISO 8601 date or date-time (``YYYY-MM-DD`` alone gives midnight, naive)."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def same_day(pred: str | None, truth: str | None) -> bool:
    """The predicted day (own offset) equals the label's (own offset), or the same UTC day."""
    p, t = parse_moment(pred), parse_moment(truth)
    if p is None or t is None:
        return False
    if p.date() == t.date():
        return True
    if p.tzinfo and t.tzinfo:
        return p.astimezone(dt.UTC).date() == t.astimezone(dt.UTC).date()
    return False


def has_minute(truth: str | None) -> bool:
    """Whether a label gives a time of day (an offset, or a wall clock other than midnight)."""
    t = parse_moment(truth)
    return t is not None and (t.tzinfo is not None or t.time() != dt.time())


def same_minute(pred: str | None, truth: str | None, has_time: bool) -> bool:
    """The same instant to the minute (wall clock when the label has no offset)."""
    p, t = parse_moment(pred), parse_moment(truth)
    if p is None or t is None or not has_time:
        return False
    if p.tzinfo and t.tzinfo:
        return abs((p - t).total_seconds()) < 60
    return p.replace(tzinfo=None, second=0, microsecond=0) == t.replace(
        tzinfo=None, second=0, microsecond=0)
