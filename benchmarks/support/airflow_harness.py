"""Real Airflow for the tests and benchmarks: a throw-away AIRFLOW_HOME, the CLI, a scheduler.

- :class:`AirflowHome` is a temporary ``AIRFLOW_HOME`` (SQLite metadata DB, LocalExecutor, the
  repository's ``dags/`` folder, no examples) with the ``newsarchive_dedup`` pool created. Its
  :meth:`~AirflowHome.airflow` runs the real ``airflow`` CLI (``db migrate``, ``dags test``,
  ``backfill create`` ...) with that home.
- :class:`AirflowServices` starts ``airflow api-server`` (the Execution API the LocalExecutor's
  workers talk to), ``airflow scheduler`` and ``airflow dag-processor``, each with ``setsid`` in
  its own process group, and stops them by signalling the groups (a TERM to a parent alone would
  orphan its children).

Nothing here mocks Airflow: the tests run the same commands an operator would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config.settings import DEDUP_POOL

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
FINISHED = {"success", "failed"}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aws_connection_uri(endpoint_url: str, access_key: str, secret_key: str,
                       region: str = "us-east-1") -> str:
    """``AIRFLOW_CONN_AWS_DEFAULT`` value (JSON form) for an S3-compatible endpoint."""
    return json.dumps({"conn_type": "aws", "login": access_key, "password": secret_key,
                       "extra": {"endpoint_url": endpoint_url, "region_name": region}})


@dataclass
class AirflowHome:
    """A temporary ``AIRFLOW_HOME`` and the environment every Airflow command gets.

    Args:
        path: The directory (created).
        extra_env: Added to the environment of every command (archive URL, sites file, ...).
    """

    path: Path
    extra_env: Mapping[str, str] = field(default_factory=dict)
    api_port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    @property
    def db_path(self) -> Path:
        """The SQLite metadata database."""
        return self.path / "airflow.db"

    @property
    def env(self) -> dict[str, str]:
        """Environment of the Airflow processes (no AWS or Airflow settings of the developer)."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AIRFLOW", "AWS_", "NEWSARCHIVE_"))}
        env.update({
            "AIRFLOW_HOME": str(self.path),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL":
                f"http://127.0.0.1:{self.api_port}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db_path}?timeout=60",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "newsarchive-tests-" + "0" * 32,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "600",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "NEWSARCHIVE_AIRFLOW_RETRY_DELAY": "2",
        })
        env.update(self.extra_env)
        return env

    def airflow(self, *args: str, timeout: float = 600, check: bool = True,
                env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``airflow ARGS`` with this home; raises with the output tail when it fails."""
        for _attempt in range(4):  # SQLite: a busy scheduler can lock the DB for a moment
            proc = subprocess.run([AIRFLOW, *args], env={**self.env, **(env or {})},
                                  cwd=self.path, capture_output=True, text=True,
                                  timeout=timeout, check=False)
            if proc.returncode == 0 or "database is locked" not in proc.stdout + proc.stderr:
                break
            time.sleep(2)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"airflow {' '.join(args)} exited with {proc.returncode}\n"
                f"--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}")
        return proc

    def setup(self) -> AirflowHome:
        """``airflow db migrate`` and the dedup pool (one slot)."""
        self.airflow("db", "migrate", timeout=300)
        self.airflow("pools", "set", DEDUP_POOL, "1", "newsarchive dedup + publish")
        return self

    def dags_test(self, dag_id: str, logical_date: dt.date | str, conf: Mapping[str, Any]
                  | None = None, timeout: float = 900,
                  check: bool = True) -> subprocess.CompletedProcess[str]:
        """``airflow dags test DAG DATE`` (the whole run in one process, no scheduler)."""
        args = ["dags", "test", dag_id, str(logical_date)]
        if conf:
            args += ["-c", json.dumps(dict(conf))]
        return self.airflow(*args, timeout=timeout, check=check)

    # -- the metadata database (read only) ---------------------------------------------------
    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of a read-only query on the metadata database."""
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True,
                                                timeout=30)) as db:
            return list(db.execute(sql, params))

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        """Runs of a DAG: run_id, state, run_type, logical date, data interval start."""
        rows = self.query(
            "SELECT run_id, state, run_type, logical_date, data_interval_start FROM dag_run "
            "WHERE dag_id = ? ORDER BY logical_date", dag_id)
        keys = ("run_id", "state", "run_type", "logical_date", "data_interval_start")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def task_states(self, dag_id: str, run_id: str) -> dict[tuple[str, int], str | None]:
        """(task_id, map_index) -> state of one run."""
        rows = self.query("SELECT task_id, map_index, state FROM task_instance "
                          "WHERE dag_id = ? AND run_id = ?", dag_id, run_id)
        return {(task, index): state for task, index, state in rows}

    def last_run_id(self, dag_id: str) -> str:
        """The run id of the most recently started run."""
        rows = self.query("SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1",
                          dag_id)
        assert rows, f"no run of {dag_id}"
        return str(rows[0][0])

    def wait_for_runs(self, dag_id: str, count: int, timeout: float,
                      poll: float = 2.0) -> list[dict[str, Any]]:
        """Wait until ``count`` runs of the DAG exist and all are finished; returns them."""
        deadline = time.monotonic() + timeout
        runs: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            runs = self.dag_runs(dag_id)
            if len(runs) >= count and all(r["state"] in FINISHED for r in runs):
                return runs
            time.sleep(poll)
        raise AssertionError(f"runs of {dag_id} not finished after {timeout} s: {runs}")


class AirflowServices:
    """``api-server``, ``scheduler`` and ``dag-processor`` of an :class:`AirflowHome`.

    Use as a context manager; each component runs in its own process group (``setsid``) and
    logs to ``<home>/<component>.log``.
    """

    COMPONENTS = ("api-server", "scheduler", "dag-processor")

    def __init__(self, home: AirflowHome) -> None:
        self.home = home
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, timeout: float = 120) -> AirflowServices:
        """Start every component and wait until the API server answers its health check."""
        for name in self.COMPONENTS:
            log = (self.home.path / f"{name}.log").open("ab")
            self.procs[name] = subprocess.Popen(
                [AIRFLOW, name], env=self.home.env, cwd=self.home.path, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            log.close()
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float) -> None:
        """Wait for ``/api/v2/monitor/health`` of the API server."""
        import urllib.error
        import urllib.request

        url = f"http://127.0.0.1:{self.home.api_port}/api/v2/monitor/health"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise AssertionError(f"airflow {name} exited with {proc.returncode}:\n"
                                         + self.log_tail(name))
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1)
        raise AssertionError(f"API server not healthy after {timeout} s:\n"
                             + self.log_tail("api-server"))

    def log_tail(self, name: str, chars: int = 4000) -> str:
        """The end of a component's log."""
        path = self.home.path / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self, timeout: float = 30) -> None:
        """TERM every process group, KILL what is left after ``timeout`` seconds."""
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # children that ignored the TERM
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        self.procs.clear()

    def __enter__(self) -> AirflowServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def services(home: AirflowHome) -> Iterator[AirflowServices]:
    """Run the scheduler, DAG processor and API server of ``home`` for the block."""
    running = AirflowServices(home)
    try:
        yield running.start()
    finally:
        running.stop()
