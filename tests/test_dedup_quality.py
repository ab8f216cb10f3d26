"""Near-duplicate precision and recall on the labelled corpus (goals 0.98 / 0.95)."""

from benchmarks.support.neardup_corpus import build_corpus, evaluate
from pipeline.config.settings import Settings


def test_neardup_precision_and_recall():
    docs = build_corpus(120)
    scores = evaluate(docs, Settings().simhash_max_distance)
    assert scores["precision"] >= 0.98, scores
    assert scores["recall"] >= 0.95, scores
    assert scores["versions_ok"] == 1.0, scores
    assert scores["recall_exact"] == 1.0


def test_corpus_is_deterministic():
    assert build_corpus(10) == build_corpus(10)
    kinds = {d.kind for d in build_corpus(20)}
    assert {"exact", "syndicated", "same_event", "updated", "template"} <= kinds
