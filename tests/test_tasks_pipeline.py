"""The task functions end to end, without Airflow: demo sites -> WARC -> Parquet partitions.

Runs the same functions the DAGs call, on the local archive and on the real S3 server, and checks
the archive against the demo world's ground truth: every article of the window, syndicated copies
marked as duplicates of the original, reruns that change nothing, reprocessing from raw WARCs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from benchmarks.support.s3server import S3Server
from pipeline.archive.reader import iter_articles
from pipeline.archive.runreport import read_report
from pipeline.archive.schema import article_id_for
from pipeline.archive.store import ArchiveStore
from pipeline.config.settings import Settings
from pipeline.run import tasks
from pipeline.urls import canonicalize_url as canonicalize
from tests.conftest import s3_settings
from tests.demo_fixtures import FAST, TODAY, Demo

SITES = ["daily-courier", "metro-wire", "city-ledger"]
DAY = TODAY - dt.timedelta(days=1)


def run_pipeline(settings: Settings, run_id: str, day: dt.date = DAY,
                 sites: list[str] | None = None) -> tuple[list[dict[str, Any]], list[Any]]:
    items = tasks.plan(str(day), str(day), sites or SITES, settings.sites_file)
    extracted = [tasks.extract(tasks.crawl(item, run_id, settings=settings), run_id,
                               settings=settings) for item in items]
    published = tasks.deduplicate_and_publish(extracted, run_id, settings=settings)
    tasks.report(run_id, items, published, settings=settings)
    return items, published


@pytest.fixture
def pipeline_settings(store: ArchiveStore, demo: Demo, monkeypatch: pytest.MonkeyPatch,
                      request: pytest.FixtureRequest) -> Settings:
    values: dict[str, Any] = {
        "archive_url": store.url, "sites_file": str(demo.sites_file),
        "allowed_networks": tuple(demo.allow.split(",")), "crawl_today": str(TODAY),
        "crawl_settings": tuple(f"{k}={v}" for k, v in FAST.items()), "extract_workers": 2,
    }
    if store.url.startswith("s3://"):
        server: S3Server = request.getfixturevalue("s3")
        base = s3_settings(server)
        values.update(s3_endpoint_url=base.s3_endpoint_url, s3_region="us-east-1")
        # the crawl process reads the standard AWS variables
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret_key)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return Settings(**values)


def snapshot(store: ArchiveStore, prefix: str) -> dict[str, bytes]:
    return {o.key: store.get(o.key) for o in store.list(prefix)}


def test_nightly_run_archives_the_window(store: ArchiveStore, demo: Demo,
                                         pipeline_settings: Settings) -> None:
    _, published = run_pipeline(pipeline_settings, "run-1")
    assert [p["status"] for p in published] == ["published"] * 3
    rows = list(iter_articles(store, DAY, DAY, include_duplicates=True))
    by_url = {r.url: r for r in rows}
    for site in SITES:
        expected = {f"{demo.server.base_urls[site]}{a.path}"
                    for a in demo.world.expected(site, DAY, DAY)}
        got = {r.url for r in rows if r.site == site}
        assert got == expected, site
    # syndicated copies point at the Metro Wire original (published earlier, crawled later)
    copies = [a for site in ("daily-courier", "city-ledger")
              for a in demo.world.expected(site, DAY, DAY) if a.syndicated_from]
    assert copies, "the demo day has syndicated copies"
    originals = {a.story_id: a for a in demo.world.expected("metro-wire", DAY, DAY)}
    for copy in copies:
        row = by_url[f"{demo.server.base_urls[copy.site]}{copy.path}"]
        origin = originals[copy.story_id]
        origin_url = canonicalize(f"{demo.server.base_urls['metro-wire']}{origin.path}")
        assert row.duplicate_kind in ("exact", "near"), row.url
        assert row.duplicate_of == article_id_for(origin_url)
    unique = list(iter_articles(store, DAY, DAY))
    assert len(unique) == len(rows) - len(copies)
    for row in unique:  # published that day, or (Daily Courier announces updates) updated
        assert row.published_at is not None, row.url
        assert DAY in (row.published_at.date(), row.modified_at and row.modified_at.date())
    report = read_report(store, "run-1")
    assert report["ok"] and report["partitions_by_status"] == {"published": 3}
    totals = report["totals"]
    # robots.txt, feeds, sitemaps and listings are archived raw but are not articles
    assert totals["skipped:discovery_page"] >= 3 and "skipped:unparsable" not in totals
    assert totals["records"] == len(rows) and totals["unique"] == len(unique)


def test_rerun_changes_nothing_and_reprocess_rebuilds(store: ArchiveStore,
                                                      pipeline_settings: Settings) -> None:
    run_pipeline(pipeline_settings, "run-1")
    before = snapshot(store, "manifests/") | snapshot(store, "normalized/")
    raw_before = sorted(o.key for o in store.list("raw/"))
    _, published = run_pipeline(pipeline_settings, "run-2")
    assert {p["status"] for p in published} == {"complete"}
    assert snapshot(store, "manifests/") | snapshot(store, "normalized/") == before
    assert sorted(o.key for o in store.list("raw/")) == raw_before  # no re-crawl
    # reprocessing the raw WARCs with the same rules decides the same rows
    items = tasks.reprocess_plan(str(DAY), str(DAY), settings=pipeline_settings)
    assert sorted(i["site"] for i in items) == sorted(SITES)
    extracted = [tasks.extract(i, "re-1", settings=pipeline_settings) for i in items]
    published = tasks.deduplicate_and_publish(extracted, "re-1", settings=pipeline_settings)
    assert {p["status"] for p in published} == {"unchanged"}
    assert snapshot(store, "manifests/") | snapshot(store, "normalized/") == before
    assert list(store.list("staging/re-1/extracted/")) == []


def test_forced_recrawl_next_day_folds_unchanged_refetches(
        local_store: ArchiveStore, demo: Demo, tmp_path: Path) -> None:
    settings = Settings(
        archive_url=local_store.url, sites_file=str(demo.sites_file),
        allowed_networks=tuple(demo.allow.split(",")), crawl_today=str(TODAY),
        crawl_settings=tuple(f"{k}={v}" for k, v in FAST.items()), extract_workers=1)
    run_pipeline(settings, "day-1", DAY, ["metro-wire"])
    first = sorted((r.article_id, r.content_hash, r.version)
                   for r in iter_articles(local_store, DAY, DAY, include_duplicates=True))
    # the next day's crawl meets no article twice, and a forced crawl of the same day again
    # re-fetches every page: dedup folds the unchanged re-fetches away (no duplicate rows)
    item = {"site": "metro-wire", "date": str(DAY)}
    crawled = tasks.crawl(item, "day-1-again", force=True, settings=settings)
    extracted = tasks.extract(crawled, "day-1-again", settings=settings)
    assert extracted["counts"]["extracted"] >= len(first)
    assert extracted["counts"]["warc_files"] == 2
    published = tasks.deduplicate_and_publish([extracted], "day-1-again", settings=settings)
    counts = published[0]["counts"]
    assert counts["dedup:unchanged_refetch"] == len(first)
    assert sorted((r.article_id, r.content_hash, r.version)
                  for r in iter_articles(local_store, DAY, DAY, include_duplicates=True)) == first


def test_bad_plans_are_clear(tmp_path: Path, demo: Demo) -> None:
    with pytest.raises(Exception, match="unknown site"):
        tasks.plan(str(DAY), str(DAY), ["nope"], str(demo.sites_file))
    with pytest.raises(Exception, match="before start"):
        tasks.plan(str(DAY), str(DAY - dt.timedelta(days=1)), None, str(demo.sites_file))
    broken = tmp_path / "sites.yaml"
    broken.write_text("sites:\n  - id: Bad Id\n    base_url: nope\n  - id: ok\n"
                      "    base_url: http://127.0.0.1:1\n    discovery: [{kind: feed, url: /f}]\n")
    assert tasks.plan(str(DAY), str(DAY), None, str(broken)) == [{"site": "ok",
                                                                    "date": str(DAY)}]
    dropped = tasks.invalid_sites(str(broken))
    assert [d["site"] for d in dropped] == ["Bad Id"]
    broken.write_text("sites:\n  - id: Bad Id\n    base_url: nope\n")
    with pytest.raises(Exception, match=r"no valid site to crawl: .*Bad Id"):
        tasks.plan(str(DAY), str(DAY), None, str(broken))


def test_window_crawl_fills_each_day_and_skips_complete_days(
        store: ArchiveStore, demo: Demo, pipeline_settings: Settings) -> None:
    """One crawl for three days: the complete middle day is left alone, the others committed."""
    site = "metro-wire"
    days = [DAY - dt.timedelta(days=n) for n in (4, 3, 2)]
    middle = days[1]
    item = {"site": site, "date": middle.isoformat()}
    first = tasks.extract(tasks.crawl(item, "w-1", settings=pipeline_settings), "w-1",
                          settings=pipeline_settings)
    tasks.deduplicate_and_publish([first], "w-1", settings=pipeline_settings)
    raw_before = snapshot(store, f"raw/site={site}/date={middle.isoformat()}/")
    assert raw_before
    items = tasks.plan(str(days[0]), str(days[-1]), [site], pipeline_settings.sites_file)
    units = tasks.crawl_units(items, pipeline_settings.crawl_window_days)
    assert units == [{"site": site, "start": str(days[0]), "end": str(days[-1]),
                      "days": [str(d) for d in days]}]
    hits_before = dict(demo.server.hits)
    crawled = tasks.crawl_window(units[0], "w-2", settings=pipeline_settings)
    feed_pages = {p: n - hits_before.get((s, p), 0) for (s, p), n in demo.server.hits.items()
                  if s == site and p.startswith("/feed.xml")}
    assert feed_pages and all(n <= 1 for n in feed_pages.values()), feed_pages  # once each
    assert [(r["date"], r["status"]) for r in crawled] == [
        (str(days[0]), "crawled"), (str(middle), "complete"), (str(days[2]), "crawled")]
    # the complete day's articles were not fetched again, nor its raw partition touched
    assert snapshot(store, f"raw/site={site}/date={middle.isoformat()}/") == raw_before
    assert crawled[0]["stats"]["skipped"].get("day_complete", 0) == len(
        demo.world.expected(site, middle, middle))
    extracted = [tasks.extract(r, "w-2", settings=pipeline_settings) for r in crawled]
    published = tasks.deduplicate_and_publish(extracted, "w-2", settings=pipeline_settings)
    assert {(p["date"], p["status"]) for p in published} == {
        (str(days[0]), "published"), (str(middle), "complete"), (str(days[2]), "published")}
    for day in days:
        rows = list(iter_articles(store, day, day, include_duplicates=True))
        want = {f"{demo.server.base_urls[site]}{a.path}"
                for a in demo.world.expected(site, day, day)}
        assert {r.url for r in rows if r.site == site} == want and want, day
    for result in crawled:
        if result["status"] == "crawled":
            assert result["verdict"]["coverage"] == "complete", result["verdict"]
