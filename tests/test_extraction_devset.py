"""Checks on real pages of the development set (skipped when ../shared/devset is absent)."""

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from benchmarks.extraction_quality import zyte_scores
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
