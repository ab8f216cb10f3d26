import dataclasses
import datetime as dt
import random

import numpy as np

from pipeline.archive.layout import fingerprint_index_key
from pipeline.archive.schema import ArticleRecord, RawPointer, article_id_for
from pipeline.archive.store import LocalStore
from pipeline.config.settings import Settings
from pipeline.dedup.decision import UNCHANGED_REFETCH, decide, deduplicate
from pipeline.dedup.index import (
    FingerprintIndex,
    IndexEntry,
    entries_from_parquet,
    entries_to_parquet,
    load_index,
)
from pipeline.fingerprint import content_hash, simhash

T0 = dt.datetime(2025, 3, 1, 6, 0, tzinfo=dt.UTC)
STORY = ("Engineers began repairing the old stone bridge over the river on Monday, closing it to "
         "traffic for six weeks while cracks in two arches are filled and the deck is sealed. "
         "The mayor said buses would be diverted over the northern ring road. ") * 4
OTHER = ("A local bakery won the national bread award for its sourdough loaf, beating more "
         "than three hundred entries from across the country in a blind tasting by chefs. ") * 4


def rec(url: str, text: str, minutes: int = 0, site: str = "a") -> ArticleRecord:
    return ArticleRecord(
        article_id=article_id_for(url), url=url, canonical_url=url, site=site, title="t",
        text=text, fetched_at=T0 + dt.timedelta(minutes=minutes), http_status=200,
        content_hash=content_hash(text), simhash=simhash(text), raw=RawPointer("k", 0, 1, "r"),
        extractor="trafilatura", extractor_version="x")


def entry(i: int, h: int) -> IndexEntry:
    return IndexEntry(article_id=f"{i:032x}", content_hash=f"{i:032x}", simhash=h,
                      simhash2=h, fetched_at=T0, version=1)


def test_block_lookup_equals_brute_force():
    rng = random.Random(5)
    base = [rng.getrandbits(64) for _ in range(300)]
    entries = []
    for i in range(3000):
        h = base[i % 300]
        for _ in range(rng.randint(0, 14)):
            h ^= 1 << rng.randrange(64)
        entries.append(entry(i, h))
    for radius in (3, 11):
        index = FingerprintIndex(entries, radius)
        for q in base[:40]:
            got = sorted(e.article_id for _, e in index.near(q, q))
            want = sorted(e.article_id for e in entries
                          if (e.simhash ^ q).bit_count() <= radius
                          and 2 * (e.simhash ^ q).bit_count() <= 2 * radius)
            assert got == want


def test_index_parquet_round_trip_and_size():
    entries = [dataclasses.replace(entry(i, i * 7919), duplicate_of=None if i % 3 else
                                   f"{i + 1:032x}") for i in range(100)]
    data = entries_to_parquet(entries)
    assert entries_from_parquet(data) == entries
    assert len(data) < 100 * 80


def test_exact_near_and_versions():
    a = rec("https://a.example/1", STORY, 0)
    copy = rec("https://b.example/x", STORY.replace("Monday", "Monday,"), 5, site="b")
    near = rec("https://c.example/y", STORY + " Reporting by the Wire Agency.", 6, site="c")
    unrelated = rec("https://c.example/z", OTHER, 7, site="c")
    out = decide([near, unrelated, copy, a], FingerprintIndex([], 11))
    by_url = {r.url: r for r in out.records}
    assert by_url["https://a.example/1"].duplicate_kind == "none"
    assert by_url["https://b.example/x"].duplicate_kind == "exact"
    assert by_url["https://b.example/x"].duplicate_of == a.article_id
    assert by_url["https://c.example/y"].duplicate_kind == "near"
    assert by_url["https://c.example/y"].duplicate_of == a.article_id
    assert by_url["https://c.example/z"].duplicate_of is None
    assert out.counts["exact"] == 1 and out.counts["near"] == 1

    # re-fetch with the same text: no row; changed text: version 2
    index = FingerprintIndex([e for es in out.entries.values() for e in es], 11)
    again = rec("https://a.example/1", STORY, 60 * 24)
    changed = rec("https://a.example/1", STORY + " Update: the bridge reopened early.", 60 * 25)
    out2 = decide([again, changed], index)
    assert out2.counts[UNCHANGED_REFETCH] == 1
    assert [(r.version, r.duplicate_kind) for r in out2.records] == [(2, "none")]


def test_persistent_index_rerun_is_deterministic(tmp_path):
    store = LocalStore(tmp_path)
    settings = Settings(dedup_window_days=30)
    day1, day2 = dt.date(2025, 3, 1), dt.date(2025, 3, 2)
    first = deduplicate(store, day1, [rec("https://a.example/1", STORY)], settings)
    assert store.exists(fingerprint_index_key(day1, "a"))
    batch = [rec("https://b.example/2", STORY, 60 * 24, site="b"),
             rec("https://b.example/3", OTHER, 60 * 24 + 1, site="b")]
    run1 = deduplicate(store, day2, batch, settings)
    run2 = deduplicate(store, day2, batch, settings)  # rerun of the same partition
    assert run1.records == run2.records
    assert run1.records[0].duplicate_of == first.records[0].article_id
    assert run1.records[1].duplicate_of is None
    # the rerun replaced its own index object instead of adding to it
    assert len(load_index(store, day2, window=30, max_distance=11)) == 3
    # a run 40 days later no longer sees day 1 (window)
    late = deduplicate(store, day1 + dt.timedelta(days=40),
                       [rec("https://c.example/4", STORY, 60 * 24 * 40, site="c")],
                       Settings(dedup_window_days=30))
    assert late.records[0].duplicate_of == run1.records[0].duplicate_of or \
        late.records[0].duplicate_kind == "none"
    narrow = deduplicate(store, day1 + dt.timedelta(days=40),
                         [rec("https://c.example/4", STORY, 60 * 24 * 40, site="c")],
                         Settings(dedup_window_days=5))
    assert narrow.records[0].duplicate_kind == "none"


def test_numpy_popcount_available():
    assert int(np.bitwise_count(np.uint64(7))) == 3
