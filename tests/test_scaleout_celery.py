"""Scale-out: the nightly DAG on Airflow's CeleryExecutor with two workers that share only S3.

Everything is real and started here on 127.0.0.1 (``benchmarks/support/celery_cluster.py``):
PostgreSQL as the metadata database, Redis as the Celery broker, the Airflow API server,
scheduler and DAG processor, and two ``airflow celery worker`` processes, each with its own
hostname, ``AIRFLOW_HOME``, working directory, ``TMPDIR`` and log folder, so that a task relying
on a local file left by another task fails here. The archive is on the Ceph S3 server of the
test session. The only thing the workers share besides S3 and the databases is the read-only
configuration (the DAG files and ``sites.yaml``), as machines running the same image would.

1. Unpausing the DAG lets the scheduler create the nightly run for yesterday; its task instances
   must have run on both workers, every demo site's partition is committed once, meets the
   archive contract and holds exactly the site's articles, dedup counted every site's rows, and
   one Asset event is emitted.
2. A run triggered with ``airflow dags trigger`` for the day before: once a crawl or extraction
   task runs, its worker's whole process tree is SIGKILLed. The scheduler notices the missing
   heartbeats, the task is retried on the surviving worker, and the partition ends complete,
   nothing lost and nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from benchmarks.support.airflow_harness import AirflowHome, aws_connection_uri, services
from benchmarks.support.celery_cluster import CeleryWorker, PostgresServer, RedisServer
from pipeline.archive.layout import MANIFESTS, parse_manifest_key
from pipeline.archive.partition import Manifest, sha256_hex
from pipeline.archive.reader import iter_articles
from pipeline.archive.runreport import read_report
from pipeline.archive.s3store import S3Store, make_client
from pipeline.demo import DemoServer, DemoWorld, sites_yaml
from tests.conftest import IN_CI, s3_session, s3_settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

NIGHTLY = "newsarchive_nightly"
ASSET = "newsarchive_normalized"
TODAY = dt.datetime.now(dt.UTC).date()
DAY = TODAY - dt.timedelta(days=1)
"""The scheduled run's partition date."""
KILL_DAY = DAY - dt.timedelta(days=1)
"""The triggered run's partition date, during which a worker is killed."""
WORKERS = ("worker-a", "worker-b")
RUN_TIMEOUT = 420.0
STAGE_WORDS = ("crawl", "extract")
"""Task ids of the per-site stages contain one of these (robust to how they are grouped)."""


@dataclass
class Cluster:
    """The running set-up and what the tests read it through."""

    home: AirflowHome
    pg: PostgresServer
    workers: dict[str, CeleryWorker]
    store: S3Store
    world: DemoWorld
    sites: tuple[str, ...]

    def runs(self) -> list[dict[str, Any]]:
        rows = self.pg.query("SELECT run_id, state, run_type FROM dag_run WHERE dag_id = %s "
                             "ORDER BY id", NIGHTLY)
        return [{"run_id": r[0], "state": str(r[1]), "run_type": str(r[2])} for r in rows]

    def wait_run(self, run_id: str | None = None, count: int = 1) -> dict[str, Any]:
        """Wait (bounded) until the run (or the ``count``-th run) is finished."""
        deadline = time.monotonic() + RUN_TIMEOUT
        runs: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            runs = self.runs()
            chosen = [r for r in runs if r["run_id"] == run_id] if run_id else runs[count - 1:]
            if chosen and chosen[0]["state"] in ("success", "failed"):
                return chosen[0]
            for name, worker in self.workers.items():
                assert worker.alive() or worker.killed, f"{name} died:\n{worker.log_tail()}"
            time.sleep(2)
        raise AssertionError(f"run not finished after {RUN_TIMEOUT} s: {runs}\n"
                             f"{self.task_instances(run_id or '')}")

    def task_instances(self, run_id: str) -> list[dict[str, Any]]:
        """Every try of every task instance of the run: task, map index, try, host, state."""
        rows = self.pg.query(
            "SELECT task_id, map_index, try_number, hostname, state FROM task_instance "
            "WHERE dag_id = %s AND run_id = %s UNION ALL "
            "SELECT task_id, map_index, try_number, hostname, state FROM task_instance_history "
            "WHERE dag_id = %s AND run_id = %s ORDER BY 1, 2, 3", NIGHTLY, run_id, NIGHTLY, run_id)
        keys = ("task_id", "map_index", "try_number", "hostname", "state")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def asset_events(self) -> int:
        return int(self.pg.query(
            "SELECT count(*) FROM asset_event e JOIN asset a ON a.id = e.asset_id "
            "WHERE a.name = %s", ASSET)[0][0])


def placement(tis: list[dict[str, Any]]) -> str:
    """One line per try: which task ran on which worker, and how it ended."""
    return "\n".join(f"  {t['task_id']}[{t['map_index']}] try {t['try_number']}: "
                     f"{t['hostname']} -> {t['state']}" for t in tis)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, s3: Any) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("scaleout")
    try:
        pg, broker = PostgresServer(), RedisServer()
    except RuntimeError as exc:
        if IN_CI:
            pytest.fail(f"the scale-out test needs PostgreSQL and Redis in CI: {exc}")
        pytest.skip(str(exc))
    client = make_client(s3_settings(s3), s3_session(s3))
    bucket = f"scaleout-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=bucket)
    world = DemoWorld(seed=23, today=TODAY, days=4, articles_per_day=4)
    pg_port = pg.port
    with DemoServer(world) as server:
        sites_file = root / "sites.yaml"
        sites_file.write_text(sites_yaml(server.base_urls))
        env = {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": "6",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg.url,
            "AIRFLOW__CELERY__BROKER_URL": broker.url,
            "AIRFLOW__CELERY__RESULT_BACKEND":
                f"db+postgresql+psycopg2://airflow@127.0.0.1:{pg_port}/airflow",
            # a dead worker's tasks are noticed after 30 s without heartbeat, not 5 minutes
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "3",
            "AIRFLOW_VAR_NEWSARCHIVE_ARCHIVE_URL": f"s3://{bucket}/archive",
            "AIRFLOW_CONN_AWS_DEFAULT": aws_connection_uri(s3.endpoint_url, s3.access_key,
                                                           s3.secret_key),
            "NEWSARCHIVE_SITES_FILE": str(sites_file),
            "NEWSARCHIVE_ALLOWED_NETWORKS": ",".join(server.allowed_networks()),
            "NEWSARCHIVE_EXTRACT_WORKERS": "1",
        }
        home = AirflowHome(root / "airflow", env)
        workers: dict[str, CeleryWorker] = {}
        try:
            pg.start()
            broker.start()
            home.setup()
            with services(home):
                for name in WORKERS:
                    workers[name] = CeleryWorker(name, root / "workers", home.env).start()
                store = S3Store(bucket, "archive", s3_settings(s3), s3_session(s3))
                yield Cluster(home, pg, workers, store, world, tuple(s.id for s in world.sites))
        finally:
            for worker in workers.values():
                worker.stop()
            broker.stop()
            pg.stop()
            empty_bucket(client, bucket)


def empty_bucket(client: Any, bucket: str) -> None:
    """Remove the test's bucket and everything in it."""
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    client.delete_bucket(Bucket=bucket)


def wait_for_dag(cluster: Cluster, timeout: float = 180) -> None:
    """Wait until the DAG processor has stored the DAG."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cluster.pg.query("SELECT 1 FROM dag WHERE dag_id = %s", NIGHTLY):
            return
        time.sleep(2)
    raise AssertionError(f"{NIGHTLY} not parsed after {timeout} s")


def urls(rows: list[Any], site: str) -> set[str]:
    """URL paths of a site's rows."""
    return {r.canonical_url.split("://", 1)[1].split("/", 1)[1] for r in rows if r.site == site}


def expected(cluster: Cluster, site: str, *days: dt.date) -> set[str]:
    """URL paths of the demo articles a crawl of ``days`` must archive."""
    return {a.path.lstrip("/") for day in days for a in cluster.world.expected(site, day, day)}


def assert_day_complete(cluster: Cluster, day: dt.date, exact: bool = True) -> dict[str, int]:
    """Every site's partition of ``day``: one manifest that matches its objects, no row twice,
    the site's articles of the day (``exact``), or only those (an article updated on a later
    day that is already archived there is a revisit, not a new row). Returns rows per site."""
    store = cluster.store
    keys = [o.key for o in store.list(f"{MANIFESTS}/")]
    found = [p for p in map(parse_manifest_key, keys) if p and p.date == day]
    assert sorted(p.site for p in found) == sorted(cluster.sites), keys
    for key in keys:
        manifest = Manifest.from_json(store.get(key), key)
        for obj in manifest.normalized:
            blob = store.get(obj.key)
            assert (len(blob), sha256_hex(blob)) == (obj.size, obj.sha256), obj.key
        for obj in manifest.raw:
            assert store.exists(obj.key), obj.key
    rows = list(iter_articles(store, day, day, include_duplicates=True))
    twice = [k for k, n in Counter((r.article_id, r.version) for r in rows).items() if n > 1]
    assert not twice, f"rows archived twice: {twice[:5]}"
    per_site: dict[str, int] = {}
    for site in cluster.sites:
        got, want = urls(rows, site), expected(cluster, site, day)
        assert got == want if exact else got <= want, (site, sorted(want - got),
                                                        sorted(got - want))
        per_site[site] = sum(1 for r in rows if r.site == site)
    return per_site


def assert_dedup_saw_every_site(cluster: Cluster, run_id: str, rows: dict[str, int]) -> None:
    """The run report: every partition published, and dedup counted each site's rows."""
    report = read_report(cluster.store, run_id)
    assert report["ok"], json.dumps(report)[:3000]
    for entry in report["partitions"]:
        dedup = sum(v for k, v in (entry.get("counts") or {}).items()
                    if k.startswith("dedup:") and k not in ("dedup:new_version",
                                                            "dedup:unchanged_refetch"))
        assert dedup == rows[entry["site"]] > 0, (entry["site"], entry.get("counts"))


def test_nightly_run_spreads_over_two_workers(cluster: Cluster) -> None:
    wait_for_dag(cluster)
    cluster.home.airflow("dags", "unpause", NIGHTLY)  # the scheduler creates yesterday's run
    run = cluster.wait_run(count=1)
    tis = cluster.task_instances(run["run_id"])
    print(f"\nscheduled run {run['run_id']} ({DAY}):\n{placement(tis)}")
    assert run["state"] == "success", placement(tis)
    hosts = Counter(t["hostname"] for t in tis if t["state"] == "success")
    assert set(hosts) == set(WORKERS), f"tasks did not run on both workers: {hosts}"
    per_site_stage = [t for t in tis if any(w in t["task_id"] for w in STAGE_WORDS)]
    assert len(per_site_stage) >= 2 * len(cluster.sites)
    rows = assert_day_complete(cluster, DAY)
    assert_dedup_saw_every_site(cluster, run["run_id"], rows)
    assert cluster.asset_events() == 1


def test_worker_killed_mid_task_is_retried_on_the_other(cluster: Cluster) -> None:
    if not cluster.runs():
        pytest.skip("needs the scheduled run of the first test")
    before = cluster.asset_events()
    run_id = f"scaleout_kill_{uuid.uuid4().hex[:8]}"
    victim: dict[str, Any] = {}

    def kill_first_busy_worker() -> None:  # bounded: gives up with the run's own deadline
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline and not victim:
            running = [t for t in cluster.task_instances(run_id) if t["state"] == "running"
                       and t["hostname"] in WORKERS
                       and any(w in t["task_id"] for w in STAGE_WORDS)]
            if running:
                ti = running[0]
                pids = cluster.workers[ti["hostname"]].kill()
                victim.update(ti, pids=len(pids), at=time.monotonic())
                return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_first_busy_worker, daemon=True)
    killer.start()
    cluster.home.airflow("dags", "trigger", NIGHTLY, "--run-id", run_id, "--conf",
                         json.dumps({"start": KILL_DAY.isoformat(),
                                     "end": KILL_DAY.isoformat()}))
    run = cluster.wait_run(run_id)
    killer.join(10)
    tis = cluster.task_instances(run_id)
    print(f"\ntriggered run {run_id} ({KILL_DAY}), killed {victim}:\n{placement(tis)}")
    assert victim, f"no crawl or extraction task was caught running:\n{placement(tis)}"
    assert run["state"] == "success", placement(tis)
    survivor = next(w for w in WORKERS if w != victim["hostname"])
    tries = [t for t in tis if (t["task_id"], t["map_index"]) ==
             (victim["task_id"], victim["map_index"])]
    killed = [t for t in tries if t["try_number"] == victim["try_number"]]
    assert killed and all(t["hostname"] == victim["hostname"] and t["state"] != "success"
                          for t in killed), placement(tries)
    retried = [t for t in tries if t["try_number"] > victim["try_number"]]
    assert retried and retried[-1]["state"] == "success" and \
        retried[-1]["hostname"] == survivor, placement(tries)
    # every task that ran after the kill ran on the survivor
    late = [t for t in tis if t["state"] == "success" and t["hostname"] == victim["hostname"]
            and (t["task_id"], t["map_index"]) == (victim["task_id"], victim["map_index"])]
    assert not late
    rows = assert_day_complete(cluster, KILL_DAY, exact=False)
    assert_dedup_saw_every_site(cluster, run_id, rows)
    # an article of KILL_DAY updated on DAY moves to KILL_DAY's partition (the earlier day's
    # commit revises the later one): DAY's partitions stay valid, and together the two days
    # hold every article of both days, each row once
    assert_day_complete(cluster, DAY, exact=False)
    both = list(iter_articles(cluster.store, KILL_DAY, DAY, include_duplicates=True))
    twice = [k for k, n in Counter((r.article_id, r.version) for r in both).items() if n > 1]
    assert not twice, f"rows archived in both days: {twice[:5]}"
    for site in cluster.sites:
        assert urls(both, site) == expected(cluster, site, KILL_DAY, DAY), site
    assert cluster.asset_events() == before + 1
