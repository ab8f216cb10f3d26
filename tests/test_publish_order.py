"""Days decided out of date order end as if decided in order (backfill after a later nightly)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pipeline.archive.reader import iter_articles
from pipeline.archive.schema import ArticleRecord
from pipeline.archive.store import LocalStore
from pipeline.config.settings import Settings
from pipeline.run.publish import SiteBatch, publish_day, revise_later_days
from tests.builders import make_record

D1, D2 = dt.date(2024, 3, 1), dt.date(2024, 3, 2)
SETTINGS = Settings()
STORY = ("The council approved the new harbour bridge after a long debate on Tuesday, "
         "with members citing traffic, cost and the views of residents on both banks. ")
UPDATE = "Construction is now expected to start in the spring, officials said later. "


def at(record: ArticleRecord, day: dt.date, hour: int) -> ArticleRecord:
    when = dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)
    return dataclasses.replace(record, fetched_at=when, published_at=when)


def rows(store: LocalStore) -> dict[tuple[str, str], tuple[int, str, str | None]]:
    return {(r.site, r.fetched_at.date().isoformat()): (r.version, r.duplicate_kind,
                                                         r.duplicate_of)
            for r in iter_articles(store, D1, D2, include_duplicates=True)}


def scenario() -> tuple[list[SiteBatch], list[SiteBatch], ArticleRecord, ArticleRecord]:
    original = at(make_record(1, "a", text=STORY * 8), D1, 9)
    updated = at(dataclasses.replace(original, text=STORY * 8 + UPDATE,
                                     content_hash="f" * 64), D2, 9)
    copy = at(make_record(2, "b", text=STORY * 8), D2, 12)
    day1 = [SiteBatch("a", [original], {})]
    day2 = [SiteBatch("a", [updated], {}), SiteBatch("b", [copy], {})]
    return day1, day2, original, copy


def test_in_order_and_out_of_order_end_the_same(tmp_path) -> None:  # type: ignore[no-untyped-def]
    in_order, reversed_order = LocalStore(tmp_path / "a"), LocalStore(tmp_path / "b")
    day1, day2, original, _ = scenario()
    publish_day(in_order, SETTINGS, D1, day1, "r1")
    publish_day(in_order, SETTINGS, D2, day2, "r2")
    expected = rows(in_order)
    assert expected[("a", str(D2))] == (2, "none", None)  # the update is version 2
    assert expected[("b", str(D2))] == (1, "exact", original.article_id)

    # the nightly run of D2 first, then the backfill of D1
    publish_day(reversed_order, SETTINGS, D2, day2, "nightly")
    assert rows(reversed_order)[("a", str(D2))] == (1, "none", None)
    _, entries = publish_day(reversed_order, SETTINGS, D1, day1, "backfill")
    revised = revise_later_days(reversed_order, SETTINGS, {D1: entries}, "backfill")
    assert {(s["site"], s["date"], s["status"]) for s in revised} == {
        ("a", str(D2), "revised"), ("b", str(D2), "revised")}
    assert rows(reversed_order) == expected


def test_unrelated_later_days_are_left_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path / "x")
    publish_day(store, SETTINGS, D2, [SiteBatch("a", [at(make_record(7, "a"), D2, 9)], {})], "n")
    before = {o.key: store.get(o.key) for o in store.list("manifests/")}
    _, entries = publish_day(store, SETTINGS, D1, [SiteBatch("a", [at(make_record(8, "a"), D1, 9)],
                                                             {})], "b")
    assert revise_later_days(store, SETTINGS, {D1: entries}, "b") == []
    assert {k: v for k, v in ((o.key, store.get(o.key)) for o in store.list("manifests/"))
            if "2024-03-02" in k} == before
