"""``newsarchive report`` (the run report as a table) and ``newsarchive status`` (coverage).

The archive is real: partitions committed by ``publish_partition``, the run report written by
the report step, both commands run through the CLI entry point (and ``status`` once as a
subprocess, piped).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.archive.layout import manifest_key
from pipeline.archive.partition import Coverage, publish_partition, read_manifest
from pipeline.archive.runreport import build_report, read_report
from pipeline.archive.store import LocalStore
from pipeline.cli import main
from pipeline.config.settings import Settings
from pipeline.run import crawl_step, tasks
from pipeline.run.report_step import report as write_run_report
from pipeline.run.timing import timed, timed_batch
from tests.builders import DAY, make_record

NOTE = "page cap reached: the crawl was stopped by closespider_pagecount"
ERROR = "no discovery source could be read: feed http://127.0.0.1:9/feed.xml: HTTP 503"


def timings(site: str, t0: dt.datetime) -> dict[str, dict[str, object]]:
    """What the timed task functions (pipeline.run.timing) hand the report step: a run that
    started at ``t0``, site a crawled and extracted first, then b, then dedup and publish."""
    def at(seconds: int) -> str:
        return (t0 + dt.timedelta(seconds=seconds)).isoformat()

    own = {"a": {"crawl": {"started_at": at(0), "seconds": 75.5},
                 "extract": {"started_at": at(76), "seconds": 2.5}},
           "b": {"crawl": {"started_at": at(1), "seconds": 4.0},
                 "extract": {"started_at": at(5), "seconds": 1.0}}}[site]
    return {**own, "dedup": {"started_at": at(80), "seconds": 0.5},
            "publish": {"started_at": at(80), "seconds": 1.5}}


def started(archive: Path) -> str:
    """The run's start as the fixture recorded it (the first crawl's)."""
    return (archive.parent / "started").read_text()


def day(back: int) -> str:
    return str(DAY - dt.timedelta(days=back))


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The archive of :func:`make_archive`, no ``COLUMNS`` (tables 120 columns wide)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    return make_archive(tmp_path / "archive")


def make_archive(root: Path) -> Path:
    """Site a: DAY-7..DAY with DAY-3 missing, ten articles a day, then two (an anomaly).
    Site b: DAY only, partial, two failed requests. Run r1 planned a, b and c; c failed."""
    store = LocalStore(root)
    for back in range(7, 0, -1):
        if back != 3:
            publish_partition(store, "a", DAY - dt.timedelta(days=back),
                              [make_record(i) for i in range(10)], run_id="old")
    publish_partition(store, "a", DAY, [make_record(1), make_record(2, duplicate_kind="near")],
                      run_id="r1", counts={"crawl:fetched_articles": 2})
    publish_partition(store, "b", DAY, [make_record(5, "b")], run_id="r1",
                      counts={"crawl:errors:timeout": 1, "crawl:errors:http_503": 1},
                      coverage=Coverage("partial", (NOTE,)))
    results = []
    t0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=90)
    (root.parent / "started").write_text(t0.isoformat())
    for site in "ab":
        manifest = read_manifest(store, site, DAY)
        assert manifest is not None
        results.append({"site": site, "date": str(DAY), "status": "published",
                        "counts": dict(manifest.counts), "coverage": manifest.coverage.coverage,
                        "coverage_notes": list(manifest.coverage.notes),
                        "timings": timings(site, t0)})
    failures = [{"site": "c", "date": str(DAY), "stage": "crawl", "error": ERROR,
                 "reason": "discovery_failed"}]
    write_run_report("r1", [{"site": s, "date": str(DAY)} for s in "abc"], results, failures,
                     kind="manual", settings=Settings(archive_url=str(root)))
    return root


def test_report_is_a_table_with_verdicts_totals_and_reasons(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--archive", str(archive), "r1"]) == 1  # c failed
    out = capsys.readouterr().out
    assert "run r1 (manual): FAILURES" in out
    assert "partitions: failed 1, published 2" in out
    assert re.search(r"date +site +verdict +articles +unique +duplicates +failures +duration "
                     r"+remarks", out)
    # one row per site-day: verdict, articles, unique, duplicates, failed requests, duration
    # (the site-day's crawl + extraction)
    assert re.search(rf"{DAY} +a +published +2 +1 +1 +0 +1 min 18 s +ANOMALY", out), out
    assert re.search(rf"{DAY} +b +partial +1 +1 +0 +2 +5.0 s +1 coverage note", out), out
    assert re.search(rf"{DAY} +c +failed +- +- +- +- +- +crawl discovery_failed", out), out
    # run totals; the run's duration is wall clock, from the first stage to the report
    assert re.search(r"total +3 +2 +1 +2 +\d+ min \d\d s", out), out  # 90 s ago, or more
    assert f"ran: {started(archive)} to " in out
    # stage durations: crawl and extraction summed over site-days, dedup and publish once
    assert "stages: crawl 1 min 20 s, extract 3.5 s, dedup 0.5 s, publish 1.5 s" in out, out
    # under the table: why, for each problem
    below = out.split("failures:\n", 1)[1]
    assert f"{DAY} c: crawl failed (discovery_failed): {ERROR}" in below
    assert f"coverage notes:\n  {DAY} b: {NOTE}" in below
    assert re.search(rf"anomalies:\n  ANOMALY {DAY} a: 2 articles, below \d+% of the median 10 "
                     r"of the 6 previous complete days", below), below
    assert "\x1b[" not in out  # captured, not a terminal: no escape codes


def test_report_json_is_the_stored_document(archive: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--archive", str(archive), "--json"]) == 1  # the latest run: r1
    doc = json.loads(capsys.readouterr().out)
    assert doc == read_report(LocalStore(archive), "r1")
    assert doc["partitions_by_status"] == {"failed": 1, "published": 2}
    assert [a["site"] for a in doc["anomalies"]] == ["a"]
    assert doc["report_version"] == 3 and doc["started_at"] == started(archive)
    assert doc["stages"]["crawl"] == {"started_at": started(archive), "seconds": 79.5}
    assert doc["stages"]["publish"]["seconds"] == 1.5
    assert [p.get("duration_s") for p in doc["partitions"]] == [78.0, 5.0, None]
    assert doc["duration_s"] >= 90  # from the first crawl's start to the report's writing


def test_status_shows_complete_partial_missing_and_counts(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--archive", str(archive), "--since", day(8),
                 "--until", str(DAY)]) == 0
    out = capsys.readouterr().out
    assert "18 site-days: complete 7, partial 1, missing 10" in out
    rows = {(m["site"], m["date"]): m["rest"].split() for m in re.finditer(
        r"^ *(?P<site>[ab]) +(?P<date>\d{4}-\d\d-\d\d) +(?P<rest>.*)$", out, re.MULTILINE)}
    assert len(rows) == 18  # 9 days x 2 sites; c has no manifest at all: not listed
    assert rows[("a", day(8))] == ["missing", "-", "-"]
    assert rows[("a", day(3))] == ["missing", "-", "-"]
    assert rows[("a", day(4))] == ["complete", "10", "10", "old"]
    # the anomaly column: the run report's check (2 articles, the median of 6 days is 10)
    assert rows[("a", str(DAY))] == ["complete", "2", "1", "ANOMALY", "r1"]
    assert rows[("b", day(1))] == ["missing", "-", "-"]
    assert rows[("b", str(DAY))] == ["partial", "1", "1", "r1"]
    assert re.search(r"total +63 +62", out)
    assert f"coverage notes:\n  b {DAY}: {NOTE}" in out
    assert re.search(rf"anomalies:\n  ANOMALY {DAY} a: 2 articles, below \d+% of the median 10",
                     out), out


def test_status_json_default_range_site_filter_and_corrupt_manifest(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = LocalStore(archive)
    store.put(manifest_key("b", DAY - dt.timedelta(days=1)), b"{not json")
    assert main(["status", "--archive", str(archive), "--site", "a", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # no range: the site's first to last committed day
    assert [d["date"] for d in doc["days"]] == [day(b) for b in range(7, -1, -1)]
    assert {d["state"] for d in doc["days"] if d["date"] == day(3)} == {"missing"}
    assert doc["totals"] == {"site_days": 8, "by_state": {"complete": 7, "missing": 1},
                             "articles": 62, "unique": 61, "anomalies": 1}
    assert [d["date"] for d in doc["days"] if d["anomaly"]] == [str(DAY)]
    later = str(DAY + dt.timedelta(days=1))  # --since alone after the last committed day
    assert main(["status", "--archive", str(archive), "--site", "a", "--since", later,
                 "--json"]) == 0
    assert [(d["date"], d["state"]) for d in json.loads(capsys.readouterr().out)["days"]] == [
        (later, "missing")]
    assert main(["status", "--archive", str(archive), "--site", "b", "--json"]) == 0
    days = json.loads(capsys.readouterr().out)["days"]
    assert [(d["date"], d["state"]) for d in days] == [(day(1), "corrupt"),
                                                       (str(DAY), "partial")]
    assert "malformed manifest" in days[0]["notes"][0]
    assert days[1]["notes"] == [NOTE] and days[1]["articles"] == 1


def test_status_errors_name_the_bad_value(archive: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["status", "--archive", str(archive), "--site", "c"])
    assert exc.value.code == 2
    assert "--site c: no committed partition" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["status", "--archive", str(archive), "--since", str(DAY), "--until", day(1)])
    assert "before --since" in capsys.readouterr().err


def test_status_piped_from_the_installed_cli(archive: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "status", "--archive", str(archive),
         "--since", str(DAY), "--until", str(DAY)],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert re.search(rf"a +{DAY} +complete +2 +1 +ANOMALY +r1", proc.stdout), proc.stdout
    assert re.search(rf"b +{DAY} +partial +1 +1 +r1", proc.stdout), proc.stdout
    assert "\x1b[" not in proc.stdout


def test_timed_steps_carry_every_stage_to_the_report(tmp_path: Path) -> None:
    """The wrappers of pipeline.run.tasks: each result carries the stages before it."""
    def crawl(item: dict[str, str]) -> dict[str, str]:
        time.sleep(0.05)
        return {**item, "status": "crawled"}

    def publish(items: list[dict[str, str]]) -> list[dict[str, object]]:
        time.sleep(0.05)
        return [{"site": i["site"], "date": i["date"], "status": "published", "dedup_s": 0.01}
                for i in items]

    crawled = timed("crawl")(crawl)({"site": "a", "date": str(DAY)})
    extracted = timed("extract")(lambda r: {**r, "status": "extracted"})(crawled)
    [summary] = timed_batch("publish")(publish)([extracted])
    assert "dedup_s" not in summary
    assert list(summary["timings"]) == ["crawl", "extract", "dedup", "publish"]
    assert summary["timings"]["crawl"]["seconds"] >= 0.05
    assert summary["timings"]["dedup"]["seconds"] == 0.01  # publish_day's, the rest is publish
    assert summary["timings"]["publish"]["seconds"] >= 0.03
    doc = build_report("t", [{"site": "a", "date": str(DAY)}], [summary])
    assert list(doc["stages"]) == ["crawl", "extract", "dedup", "publish"]
    part = doc["partitions"][0]
    assert part["duration_s"] == round(part["timings"]["crawl"]["seconds"]
                                       + part["timings"]["extract"]["seconds"], 3)
    # the task functions the DAGs and the CLI call are the timed ones
    assert tasks.crawl.__wrapped__ is crawl_step.crawl  # type: ignore[attr-defined]
