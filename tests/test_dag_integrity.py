"""DAG integrity (Astronomer style): one test per DAG file, ids are the file paths.

Each file is parsed by Airflow's own DagBag in a fresh interpreter with a throw-away
AIRFLOW_HOME, so the checks see exactly what the DAG processor sees: import errors, tags,
retries, no heavy imports at parse time, and the parse time itself (reported).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.support.airflow_harness import DAGS, DEDUP_POOL, ROOT

HEAVY = ("scrapy", "twisted", "trafilatura", "pyarrow", "boto3", "botocore", "warcio", "lxml",
         "pipeline.run.tasks", "pipeline.archive.store", "pipeline.extract.extraction")
"""Modules a DAG file must not import at parse time (they load inside tasks)."""
PARSE_SECONDS = 5.0
"""Upper bound of the DAG file's own import time (Airflow's import not counted), loose on
purpose: CI machines are slow."""


def _ignored() -> set[str]:
    lines = (DAGS / ".airflowignore").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


DAG_FILES = sorted(p for p in DAGS.glob("*.py") if p.name not in _ignored())

# BundleDagBag puts the dags folder on sys.path, as the DAG processor does, so the DAG files find
# their sibling modules (newsarchive_config, ...); the library comes from the installed project.
_PROBE = r"""
import json, sys, time
from pathlib import Path
dags_dir, path, heavy = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
t0 = time.perf_counter()
import airflow.sdk                                   # Airflow itself: not the DAG's cost
from airflow.dag_processing.dagbag import BundleDagBag
t1 = time.perf_counter()
baseline = set(sys.modules)
bag = BundleDagBag(dag_folder=path, bundle_path=Path(dags_dir))
loaded = sorted(m for m in heavy if m in sys.modules and m not in baseline)
parse_s = sum(stat.duration.total_seconds() for stat in bag.dagbag_stats)
dags = {}
for dag_id, dag in bag.dags.items():
    dags[dag_id] = {
        "tags": sorted(dag.tags), "catchup": dag.catchup,
        "timetable": type(dag.timetable).__name__,
        "params": sorted(dag.params.keys()),
        "param_descriptions": {k: dag.params.get_param(k).description for k in dag.params},
        "description": dag.description, "doc_md": dag.doc_md,
        "on_failure_callback": type(dag.on_failure_callback).__name__,
        "tasks": {t.task_id: {
            "retries": t.retries, "backoff": float(t.retry_exponential_backoff or 0),
            "pool": t.pool, "trigger_rule": getattr(t.trigger_rule, "value", str(t.trigger_rule)),
            "outlets": [getattr(o, "name", str(o)) for o in t.outlets],
            "mapped": bool(getattr(t, "is_mapped", False)),
        } for t in dag.tasks},
    }
print(json.dumps({"airflow_import_s": t1 - t0, "dag_import_s": parse_s, "heavy": loaded,
                  "import_errors": bag.import_errors, "dags": dags}))
"""


def _probe(path: Path, tmp_path: Path) -> dict[str, Any]:
    env = {"AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS), "PATH": "/usr/bin:/bin",
           "AIRFLOW__CORE__UNIT_TEST_MODE": "False"}
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(DAGS), str(path), ",".join(HEAVY)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, dict[str, Any]]:
    """One parse of every DAG file (shared by the checks below)."""
    return {p: _probe(p, tmp_path_factory.mktemp(p.stem)) for p in DAG_FILES}


def test_dag_files_found() -> None:
    assert {p.name for p in DAG_FILES} >= {"newsarchive_nightly.py", "newsarchive_reprocess.py"}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dag_file_integrity(path: Path, probes: dict[Path, dict[str, Any]],
                            record_property: Any) -> None:
    probe = probes[path]
    record_property("dag_import_seconds", round(probe["dag_import_s"], 3))
    print(f"{path.name}: DAG file import {probe['dag_import_s']:.2f} s "
          f"(Airflow itself {probe['airflow_import_s']:.2f} s)")
    assert probe["import_errors"] == {}, probe["import_errors"]
    assert probe["dags"], f"{path.name} defines no DAG"
    assert probe["heavy"] == [], f"heavy modules imported at parse time: {probe['heavy']}"
    assert probe["dag_import_s"] < PARSE_SECONDS, f"parse took {probe['dag_import_s']:.1f} s"
    for dag_id, dag in probe["dags"].items():
        assert "newsarchive" in dag["tags"], f"{dag_id} has no newsarchive tag"
        assert dag["catchup"] is False, f"{dag_id}: catchup must be off"
        assert 20 <= len(dag["description"] or "") <= 120, f"{dag_id}: no one-line description"
        assert len(dag["doc_md"] or "") > 200, f"{dag_id}: no doc_md"
        undocumented = [k for k, doc in dag["param_descriptions"].items() if not doc]
        assert not undocumented, f"{dag_id}: Params without a description: {undocumented}"
        assert dag["on_failure_callback"] == "RunFailureNotifier", f"{dag_id}: no alerts"
        for task_id, task in dag["tasks"].items():
            assert task["retries"] >= 2, f"{dag_id}.{task_id}: retries {task['retries']}"
            assert task["backoff"] > 0, f"{dag_id}.{task_id}: no exponential backoff"


def _dag(probes: dict[Path, dict[str, Any]], dag_id: str) -> dict[str, Any]:
    for probe in probes.values():
        if dag_id in probe["dags"]:
            return dict(probe["dags"][dag_id])
    raise AssertionError(f"{dag_id} not found")


def test_nightly_shape(probes: dict[Path, dict[str, Any]]) -> None:
    dag = _dag(probes, "newsarchive_nightly")
    assert dag["timetable"] == "CronDataIntervalTimetable"  # time-based: backfills work
    assert set(dag["params"]) >= {"sites", "start", "end", "page_cap", "force"}
    tasks = dag["tasks"]
    assert set(tasks) == {"plan", "windows", "crawl", "partition_days", "extract",
                          "deduplicate_and_publish", "announce", "report"}
    # one mapped crawl per (site, window), one mapped extraction per (site, day)
    assert tasks["crawl"]["mapped"] is True and tasks["extract"]["mapped"] is True
    assert tasks["partition_days"]["trigger_rule"] == "all_done"
    publish = tasks["deduplicate_and_publish"]
    assert publish["pool"] == DEDUP_POOL
    assert publish["trigger_rule"] == "all_done"
    # the Asset event comes from its own task, skipped when nothing new was published
    assert publish["outlets"] == []
    assert tasks["announce"]["outlets"] == ["newsarchive_normalized"]
    assert tasks["report"]["trigger_rule"] == "all_done"


def test_reprocess_shape(probes: dict[Path, dict[str, Any]]) -> None:
    dag = _dag(probes, "newsarchive_reprocess")
    assert dag["timetable"] == "NullTimetable"
    assert set(dag["params"]) >= {"start", "end", "sites"}
    tasks = dag["tasks"]
    assert tasks["extract"]["mapped"] is True
    assert tasks["deduplicate_and_publish"]["pool"] == DEDUP_POOL
    assert tasks["announce"]["outlets"] == ["newsarchive_normalized"]


def test_asset_declared_once() -> None:
    declaring = [p.name for p in DAGS.glob("*.py") if re.search(r"\bAsset\(", p.read_text())]
    assert declaring == ["newsarchive_assets.py"]


def test_config_read_in_one_place() -> None:
    readers = sorted(p.name for p in DAGS.glob("*.py")
                     if re.search(r"Variable\.get|Connection\.get|AwsBaseHook", p.read_text()))
    assert readers == ["newsarchive_config.py"]
