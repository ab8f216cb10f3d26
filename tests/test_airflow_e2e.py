"""End to end with real Airflow: the DAGs crawl the demo sites into a local or S3 archive.

Every run goes through the ``airflow`` CLI with a throw-away AIRFLOW_HOME
(``benchmarks/support/airflow_harness.py``): ``airflow dags test`` for single runs, and a real
scheduler + DAG processor + API server for ``airflow backfill create`` and concurrent runs. The
S3 archive is the real Ceph RGW of the test session, reached through the ``aws_default``
connection. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks.support.airflow_harness import AirflowHome, aws_connection_uri, free_port, services
from pipeline.archive.layout import MANIFESTS, parse_manifest_key
from pipeline.archive.partition import Manifest, sha256_hex
from pipeline.archive.reader import iter_articles
from pipeline.archive.runreport import list_runs, read_report
from pipeline.archive.store import ArchiveStore, LocalStore
from pipeline.demo import DemoServer, DemoWorld, sites_yaml
from pipeline.run import tasks

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not all(hasattr(tasks, f) for f in ("extract", "deduplicate_and_publish")),
        reason="pipeline.run.tasks.extract / deduplicate_and_publish not written yet"),
]

NIGHTLY = "newsarchive_nightly"
REPROCESS = "newsarchive_reprocess"
TODAY = dt.datetime.now(dt.UTC).date()
"""The demo world ends today: the scheduler's own nightly run (yesterday) has articles too."""
DAY = TODAY - dt.timedelta(days=1)
SITES = ("daily-courier", "metro-wire", "city-ledger")


@dataclass
class E2E:
    """The demo sites of this module and a migrated Airflow database to copy."""

    world: DemoWorld
    server: DemoServer
    sites_file: Path
    template_db: Path
    root: Path

    def home(self, name: str, archive_url: str | None, sites_file: Path | None = None,
             **extra: str) -> AirflowHome:
        """A fresh AIRFLOW_HOME (copy of the migrated DB, pool created) for one test."""
        env = {"NEWSARCHIVE_SITES_FILE": str(sites_file or self.sites_file),
               "NEWSARCHIVE_ALLOWED_NETWORKS": ",".join(self.server.allowed_networks()),
               "NEWSARCHIVE_EXTRACT_WORKERS": "2"}
        if archive_url:
            env["NEWSARCHIVE_ARCHIVE_URL"] = archive_url
        env.update(extra)
        home = AirflowHome(self.root / name, env)
        shutil.copy(self.template_db, home.db_path)
        return home


@pytest.fixture(scope="module")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    root = tmp_path_factory.mktemp("airflow-e2e")
    world = DemoWorld(seed=11, today=TODAY, days=6, articles_per_day=4)
    with DemoServer(world) as server:
        sites_file = root / "sites.yaml"
        sites_file.write_text(sites_yaml(server.base_urls))
        template = AirflowHome(root / "template").setup()
        yield E2E(world, server, sites_file, template.db_path, root)


def manifests(store: ArchiveStore) -> dict[str, bytes]:
    """Every manifest key -> its bytes."""
    return {o.key: store.get(o.key) for o in store.list(f"{MANIFESTS}/")}


def partitions(store: ArchiveStore) -> set[tuple[str, str]]:
    """Committed (site, date) partitions."""
    found = set()
    for key in manifests(store):
        part = parse_manifest_key(key)
        if part:
            found.add((part.site, part.date.isoformat()))
    return found


def articles(store: ArchiveStore, day: dt.date, duplicates: bool = True) -> list[Any]:
    """Rows of the committed partitions of ``day``."""
    return list(iter_articles(store, day, day, include_duplicates=duplicates))


def assert_consistent(store: ArchiveStore, *, across_days: bool = True) -> list[Any]:
    """Every manifest lists objects that exist with its size and digest; no row twice.

    Returns the (article_id, version) pairs that are unique rows in more than one partition
    (checked too unless ``across_days`` is false).
    """
    for key, data in manifests(store).items():
        manifest = Manifest.from_json(data, key)
        for obj in manifest.normalized:
            blob = store.get(obj.key)
            assert (len(blob), sha256_hex(blob)) == (obj.size, obj.sha256), obj.key
        for obj in manifest.raw:
            assert store.exists(obj.key), obj.key
    seen: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for record in iter_articles(store, dt.date(2000, 1, 1), TODAY, include_duplicates=True):
        part = record.raw.warc_key.split("/")[1:3]
        seen.setdefault((record.article_id, record.version), []).append((part[0], part[1]))
    within = [k for k, parts in seen.items() if len(parts) != len(set(parts))]
    assert not within, f"rows archived twice in one partition: {within[:5]}"
    across = [(k, parts) for k, parts in seen.items() if len(parts) > 1]
    assert not across or not across_days, f"unique rows in several partitions: {across[:5]}"
    return across


def report_of(store: ArchiveStore, home: AirflowHome, dag_id: str = NIGHTLY) -> dict[str, Any]:
    """The run report of the DAG's latest run."""
    return read_report(store, home.last_run_id(dag_id))


# -- single runs with `airflow dags test` ----------------------------------------------------

@pytest.fixture(scope="module")
def nightly(e2e: E2E) -> tuple[AirflowHome, LocalStore]:
    """One nightly run over the demo sites into a local archive (shared by several tests)."""
    archive = e2e.root / "nightly-archive"
    home = e2e.home("nightly", str(archive))
    started = time.monotonic()
    home.dags_test(NIGHTLY, DAY + dt.timedelta(days=1))  # a manual run fills the day before
    print(f"nightly run over {len(SITES)} sites: {time.monotonic() - started:.1f} s")
    return home, LocalStore(archive)


def test_nightly_run_archives_every_demo_site(nightly: tuple[AirflowHome, LocalStore],
                                              e2e: E2E) -> None:
    home, store = nightly
    run = home.dag_runs(NIGHTLY)[-1]
    assert run["state"] == "success"
    assert run["data_interval_start"].startswith(DAY.isoformat())
    assert partitions(store) == {(site, DAY.isoformat()) for site in SITES}
    rows = articles(store, DAY)
    by_site = Counter(r.site for r in rows)
    for site in SITES:
        expected = e2e.world.expected(site, DAY, DAY)
        assert by_site[site] >= len(expected) * 0.9, (site, by_site[site], len(expected))
    report = report_of(store, home)
    assert report["ok"] is True and report["partitions_by_status"].get("failed", 0) == 0
    states = home.task_states(NIGHTLY, run["run_id"])
    assert states[("deduplicate_and_publish", -1)] == "success"
    assert states[("announce", -1)] == "success"  # something new: the Asset event fires
    assert sorted(i for (t, i) in states if t == "crawl") == [0, 1, 2]  # a crawl per site
    assert {p["coverage"] for p in report["partitions"]} == {"complete"}
    assert_consistent(store)


def test_same_interval_twice_leaves_the_archive_as_it_was(
        nightly: tuple[AirflowHome, LocalStore]) -> None:
    home, store = nightly
    before = manifests(store)
    objects = sorted((o.key, o.size) for o in store.list("normalized/"))
    home.dags_test(NIGHTLY, DAY + dt.timedelta(days=1))
    assert home.dag_runs(NIGHTLY)[-1]["state"] == "success"
    assert manifests(store) == before  # byte for byte
    assert sorted((o.key, o.size) for o in store.list("normalized/")) == objects
    report = report_of(store, home)
    assert report["ok"] is True
    # nothing new was published: no Asset event (the announcing task is skipped)
    states = home.task_states(NIGHTLY, home.dag_runs(NIGHTLY)[-1]["run_id"])
    assert states[("announce", -1)] == "skipped"


def test_manual_run_with_params(e2e: E2E) -> None:
    """A three-day range is one crawl (one mapped crawl task), then one extraction per day."""
    archive = e2e.root / "params-archive"
    home = e2e.home("params", str(archive))
    first, day = TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=3)
    home.dags_test(NIGHTLY, TODAY, conf={"sites": ["metro-wire"], "start": first.isoformat(),
                                         "end": day.isoformat(), "page_cap": 200})
    store = LocalStore(archive)
    days = [(first + dt.timedelta(days=n)).isoformat() for n in range(3)]
    assert partitions(store) == {("metro-wire", d) for d in days}
    for d in days:
        assert articles(store, dt.date.fromisoformat(d))
    run = home.dag_runs(NIGHTLY)[-1]
    states = home.task_states(NIGHTLY, run["run_id"])
    assert sorted(i for (t, i) in states if t == "crawl") == [0]
    assert sorted(i for (t, i) in states if t == "extract") == [0, 1, 2]


def test_interrupted_partition_is_completed_by_a_rerun(e2e: E2E) -> None:
    """A run that died after crawling (no manifest) is completed by running the interval again."""
    archive = e2e.root / "rerun-archive"
    home = e2e.home("rerun", str(archive))
    day = TODAY - dt.timedelta(days=2)
    conf = {"start": day.isoformat(), "sites": ["metro-wire", "city-ledger"]}
    home.dags_test(NIGHTLY, TODAY, conf=conf)
    store = LocalStore(archive)
    complete = manifests(store)
    lost = f"{MANIFESTS}/site=city-ledger/date={day.isoformat()}.json"
    store.delete(lost)  # as if the publish had never committed this partition
    home.dags_test(NIGHTLY, TODAY, conf=conf)
    after = manifests(store)
    assert set(after) == set(complete)
    kept = f"{MANIFESTS}/site=metro-wire/date={day.isoformat()}.json"
    assert after[kept] == complete[kept]
    assert_consistent(store)


def test_failing_site_does_not_fail_the_others(e2e: E2E) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: every request fails
    sites_file = e2e.root / "sites-with-dead.yaml"
    sites_file.write_text(sites_yaml(e2e.server.base_urls) + f"""\
  - id: dead-herald
    base_url: {dead}
    article_patterns: ['/news/']
    discovery:
      - {{kind: listing, url: /latest/}}
""")
    archive = e2e.root / "dead-archive"
    home = e2e.home("dead", str(archive), sites_file=sites_file,
                    NEWSARCHIVE_ALLOWED_NETWORKS=",".join(
                        [*e2e.server.allowed_networks(), f"127.0.0.1/32:{dead.rsplit(':', 1)[1]}"]))
    home.dags_test(NIGHTLY, DAY + dt.timedelta(days=1), check=False)
    store = LocalStore(archive)
    assert {(s, DAY.isoformat()) for s in SITES} <= partitions(store)
    report = report_of(store, home)
    entry = next(p for p in report["partitions"] if p["site"] == "dead-herald")
    # the site could not be read: failed (never an empty complete day), not committed
    assert entry["status"] == "failed" and entry["stage"] == "crawl", entry
    assert entry["reason"] == "discovery_failed" and "connection_refused" in entry["error"]
    assert ("dead-herald", DAY.isoformat()) not in partitions(store)
    assert report["ok"] is False
    run = home.dag_runs(NIGHTLY)[-1]
    assert run["state"] == "failed"
    states = home.task_states(NIGHTLY, run["run_id"])
    assert sorted(s for (t, _), s in states.items() if t == "crawl") == \
        ["failed", "success", "success", "success"]
    for part in report["partitions"]:
        if part["site"] in SITES:
            assert part["status"] != "failed", part
    assert_consistent(store)


def test_reprocess_rebuilds_partitions_from_raw(nightly: tuple[AirflowHome, LocalStore]) -> None:
    home, store = nightly
    before = {(r.site, r.canonical_url) for r in articles(store, DAY)}
    home.dags_test(REPROCESS, TODAY, conf={"start": DAY.isoformat(), "end": DAY.isoformat()})
    assert home.dag_runs(REPROCESS)[-1]["state"] == "success"
    assert {(r.site, r.canonical_url) for r in articles(store, DAY)} == before
    assert report_of(store, home, REPROCESS)["kind"] == "reprocess"
    assert_consistent(store)


# -- a real scheduler: backfill and the nightly run at the same time -------------------------

def test_backfill_and_nightly_run_together(e2e: E2E) -> None:
    """``airflow backfill create`` fills three days while the scheduler's nightly run fills
    yesterday; the dedup pool serializes the publish steps and the archive stays consistent."""
    archive = e2e.root / "scheduler-archive"
    home = e2e.home("scheduler", str(archive))
    first, last = TODAY - dt.timedelta(days=4), TODAY - dt.timedelta(days=2)
    with services(home) as running:
        home.airflow("dags", "reserialize")
        home.airflow("dags", "unpause", NIGHTLY)  # the scheduler creates yesterday's run
        home.airflow("backfill", "create", "--dag-id", NIGHTLY, "--from-date", first.isoformat(),
                     "--to-date", last.isoformat())
        try:
            runs = home.wait_for_runs(NIGHTLY, 4, timeout=600)
        except AssertionError:
            print(running.log_tail("scheduler"))
            raise
    by_type = Counter(r["run_type"] for r in runs)
    assert by_type["backfill"] == 3 and by_type["scheduled"] >= 1, runs
    assert all(r["state"] == "success" for r in runs), runs
    store = LocalStore(archive)
    days = [first + dt.timedelta(days=n) for n in range(3)] + [DAY]
    assert partitions(store) == {(s, d.isoformat()) for s in SITES for d in days}
    assert len(list_runs(store)) == len(runs)
    # the publish steps may finish out of date order: later days are revised, no row twice
    assert_consistent(store)


# -- S3: credentials from the aws_default connection, an outage in the middle of a run --------

def test_s3_outage_mid_run_is_retried(e2e: E2E, s3: Any, s3_bucket: str,
                                      nightly: tuple[AirflowHome, LocalStore]) -> None:
    from pipeline.archive.s3store import S3Store
    from tests.conftest import s3_session, s3_settings

    url = f"s3://{s3_bucket}/archive"
    home = e2e.home("s3", None,
                    AIRFLOW_VAR_NEWSARCHIVE_ARCHIVE_URL=url,
                    AIRFLOW_CONN_AWS_DEFAULT=aws_connection_uri(s3.endpoint_url, s3.access_key,
                                                                s3.secret_key),
                    NEWSARCHIVE_S3_MAX_ATTEMPTS="2", NEWSARCHIVE_S3_CONNECT_TIMEOUT="1")
    store = S3Store(s3_bucket, "archive", s3_settings(s3), s3_session(s3))
    outage: dict[str, float] = {}

    def break_s3() -> None:  # stop the gateway once the first WARC is stored, for 6 s
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not outage:
            try:
                if any(True for _ in store.list("raw/")):
                    s3.run("rgw-stop")
                    outage["stopped"] = time.monotonic()
                    time.sleep(6)
                    s3.run("rgw-start")
                    outage["started"] = time.monotonic()
                    return
            except Exception:  # polling: the next round tries again
                pass
            time.sleep(0.3)

    breaker = threading.Thread(target=break_s3, daemon=True)
    breaker.start()
    try:
        proc = home.dags_test(NIGHTLY, DAY + dt.timedelta(days=1), check=False)
    finally:
        breaker.join(120)
        if "stopped" in outage and "started" not in outage:
            s3.run("rgw-start")
    assert "stopped" in outage, "the outage never happened (no WARC reached S3)"
    assert s3.secret_key not in proc.stdout + proc.stderr, "secret key in the logs"
    assert home.dag_runs(NIGHTLY)[-1]["state"] == "success", proc.stdout[-5000:]
    states = home.task_states(NIGHTLY, home.last_run_id(NIGHTLY))
    assert all(state == "success" for state in states.values()), states
    # nothing lost, nothing twice: the same articles as the undisturbed local run
    _, local = nightly
    assert sorted((r.site, r.canonical_url) for r in articles(store, DAY)) == \
        sorted((r.site, r.canonical_url) for r in articles(local, DAY))
    assert_consistent(store)
    assert json.loads(store.get(f"{MANIFESTS}/site=metro-wire/date={DAY.isoformat()}.json"))
