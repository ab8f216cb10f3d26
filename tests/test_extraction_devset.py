"""Checks on real pages of the development sets (skipped when ../shared/devset is absent)."""

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from benchmarks.extraction_quality import cross_validate, run_pages, shortfalls, zyte_scores
from benchmarks.support.extraction_devsets import load_pages
from pipeline.extract.extraction import Skip, extract_page

DEVSET = Path(__file__).resolve().parents[2] / "shared" / "devset"
pytestmark = pytest.mark.skipif(not (DEVSET / "zyte").is_dir(), reason="devset absent")


def test_zyte_sample_body_quality():
    truth = json.loads((DEVSET / "zyte" / "ground-truth.json").read_text())
    ids = sorted(truth)[:12]
    pairs = []
    for i in ids:
        html = gzip.decompress((DEVSET / "zyte" / "html" / f"{i}.html.gz").read_bytes())
        result = extract_page(html, truth[i]["url"], fetched_at=dt.datetime(2026, 1, 1,
                                                                             tzinfo=dt.UTC))
        pairs.append(("" if isinstance(result, Skip) else result.text,
                      truth[i]["articleBody"]))
    assert zyte_scores(pairs)["f1"] >= 0.85


@pytest.mark.skipif(not (DEVSET / "fundus-dev").is_dir(), reason="fundus-dev absent")
def test_never_below_raw_trafilatura_on_any_devset_metric():
    """The stage's defaults against raw trafilatura, held-back fold means of every set."""
    pages = load_pages(DEVSET)
    assert {p.devset for p in pages} == {"fundus-dev", "wcxb-dev-articles", "zyte"}
    outs = run_pages(pages, ("default",), workers=2)
    means, _ = cross_validate(pages, outs, ("default",), k=5)
    assert set(means["fundus-dev"]) >= {"body F1", "title", "author", "date (day)"}
    assert "invented dates" in means["wcxb-dev-articles"]
    assert shortfalls(means) == []
