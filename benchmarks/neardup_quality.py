"""Near-duplicate quality on the project's labelled corpus (benchmarks/support/neardup_corpus.py).

Usage: ``.venv/bin/python benchmarks/neardup_quality.py [--stories 120]``

Prints precision and recall of the dedup decision for several fingerprint feature sets and
radii (goals: precision >= 0.98, recall >= 0.95), on four corpus seeds.
"""

from __future__ import annotations

import argparse
import sys

from pipeline.config.settings import Settings
from pipeline.fingerprint import FingerprintOptions

from support.neardup_corpus import build_corpus, evaluate

FEATURES = {
    "words 1+log tf (default)": FingerprintOptions(),
    "words + bigrams x0.5": FingerprintOptions(shingle_size=2, shingle_weight=0.5),
    "word 3-gram shingles": FingerprintOptions(unigram_weight=0, shingle_size=3,
                                               shingle_weight=1),
    "words incl. stop words": FingerprintOptions(drop_stop_words=False),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=120)
    args = parser.parse_args()
    default_r = Settings().simhash_max_distance
    seeds = (20240501, 1, 2, 3)
    corpora = [build_corpus(args.stories, seed=s) for s in seeds]
    print(f"labelled corpus: {len(corpora[0])} docs x {len(seeds)} seeds "
          f"(positives per seed: {sum(1 for d in corpora[0] if d.original)})")
    print(f"{'features':<28} {'radius':>6} {'precision':>10} {'recall':>8}  (min over seeds)")
    for name, options in FEATURES.items():
        for radius in (3, 7, default_r, 15):
            scores = [evaluate(docs, radius, options) for docs in corpora]
            p = min(s["precision"] for s in scores)
            r = min(s["recall"] for s in scores)
            mark = "  <- default" if options == FingerprintOptions() and radius == default_r \
                else ""
            print(f"{name:<28} {radius:>6} {p:>10.3f} {r:>8.3f}{mark}")
    detail = evaluate(corpora[0], default_r)
    print("default, seed 20240501, recall by kind:",
          {k.removeprefix("recall_"): round(v, 3) for k, v in detail.items()
           if k.startswith("recall_")}, "updated->version 2:", detail["versions_ok"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
