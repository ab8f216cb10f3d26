"""A CeleryExecutor set-up on one machine for the scale-out test: Postgres, Redis, workers.

- :class:`PostgresServer` is a throw-away PostgreSQL cluster (Debian's ``postgresql``
  package: ``initdb`` + ``pg_ctl``) in a temporary directory, listening on 127.0.0.1 only,
  ``trust`` authentication for the ``airflow`` role. As root it runs as the ``postgres`` system
  user (PostgreSQL refuses to run as root).
- :class:`RedisServer` is ``redis-server`` (Debian's ``redis-server`` package) on 127.0.0.1
  with its own directory and no persistence: the Celery broker.
- :class:`CeleryWorker` is one ``airflow celery worker`` standing for one machine: its own
  Celery hostname, ``AIRFLOW_HOME``, working directory, ``TMPDIR``, log folder and log-server
  port, so that nothing on local disk is shared with the other workers. The hostname Airflow
  records on each task instance comes from ``[core] hostname_callable``, which reads the
  worker's name here (on real machines the default, the FQDN, differs by itself).

Every process runs in its own process group; :meth:`CeleryWorker.kill` sends SIGKILL to the
worker's whole process tree, as a machine that dies takes the worker, its pool, the task
processes and their crawls with it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.support.airflow_harness import AIRFLOW, free_port

HOSTNAME_MODULE = "newsarchive_worker_host"
HOSTNAME_SOURCE = '''"""The hostname Airflow records for task instances run by this test worker."""
import os


def hostname() -> str:
    return os.environ["NEWSARCHIVE_TEST_WORKER_HOST"]
'''


def postgres_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with ``initdb``, if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parents[1].name) if Path(p).parents[1].name
                   .isdigit() else 0)
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory on 127.0.0.1 (database ``airflow``)."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="newsarchive-pg-"))
        self.data = self.root / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root: use its system user
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``airflow`` database."""
        return f"postgresql+psycopg2://airflow@127.0.0.1:{self.port}/airflow"

    def _run(self, *args: str, timeout: float = 120) -> None:
        proc = subprocess.run([*self._as, *args], capture_output=True, text=True,
                              timeout=timeout, check=False, cwd=self.root)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")

    def start(self) -> PostgresServer:
        """``initdb``, ``pg_ctl start`` (waits until it accepts connections), create the DB."""
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                  "airflow", "-E", "UTF8", "--no-sync")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data} -c fsync=off -c max_connections=200"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.root / "postgres.log"), "-o", options, "-w", "-t", "60", "start")
        with contextlib.closing(self.connect("postgres")) as conn:
            conn.autocommit = True
            conn.cursor().execute("CREATE DATABASE airflow")
        return self

    def connect(self, dbname: str = "airflow") -> Any:
        """A psycopg2 connection."""
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user="airflow", dbname=dbname)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of one query (its own short connection and transaction)."""
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            rows = list(cur.fetchall())
            conn.rollback()
        return rows

    def stop(self) -> None:
        """Stop the server at once and remove its directory."""
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """``redis-server`` on 127.0.0.1 in a temporary directory, without persistence."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="newsarchive-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Broker URL for Celery."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 30) -> RedisServer:
        """Start the server and wait until it answers PING."""
        import redis

        log = (self.root / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.root), "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping():
                    return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("redis-server did not start: "
                           + (self.root / "redis.log").read_text(errors="replace")[-2000:])

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


class CeleryWorker:
    """One ``airflow celery worker`` with its own hostname and local directories.

    Args:
        name: The worker's name: its Celery hostname (``name@newsarchive``) and the hostname
            Airflow records on the task instances it runs.
        root: Parent directory; the worker's own directory ``root/name`` is created.
        env: The Airflow environment of the cluster (database, broker, API server, archive).
        concurrency: Task slots of the worker.
    """

    def __init__(self, name: str, root: Path, env: Mapping[str, str],
                 concurrency: int = 2) -> None:
        self.name = name
        self.dir = root / name
        for sub in ("tmp", "logs", "work"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / f"{HOSTNAME_MODULE}.py").write_text(HOSTNAME_SOURCE)
        self.concurrency = concurrency
        self.env = {
            **env,
            "AIRFLOW_HOME": str(self.dir),
            "TMPDIR": str(self.dir / "tmp"),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(self.dir), env.get("PYTHONPATH", "")) if p),
            "NEWSARCHIVE_TEST_WORKER_HOST": name,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{HOSTNAME_MODULE}.hostname",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.dir / "logs"),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.killed = False
        """Set (before the signals) once :meth:`kill` was called."""

    @property
    def log_path(self) -> Path:
        """The worker's own log."""
        return self.dir / "worker.log"

    def start(self) -> CeleryWorker:
        """Start the worker in its own process group, cwd its own working directory."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [AIRFLOW, "celery", "worker", "--celery-hostname", f"{self.name}@newsarchive",
             "--concurrency", str(self.concurrency)],
            env=self.env, cwd=self.dir / "work", stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        return self

    def alive(self) -> bool:
        """Whether the worker's main process is still running."""
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> list[int]:
        """SIGKILL the worker and every process under it, as if its machine died.

        The task supervisor puts each task in its own process group and the crawl runs in
        another, so the whole tree is collected first (psutil) and then killed, parent first.

        Returns:
            The pids killed.
        """
        if self.proc is None:
            return []
        import psutil

        self.killed = True

        try:
            tree = [psutil.Process(self.proc.pid)]
            tree += tree[0].children(recursive=True)
        except psutil.NoSuchProcess:
            tree = []
        for proc in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        psutil.wait_procs(tree, timeout=30)
        return [p.pid for p in tree]

    def stop(self, timeout: float = 20) -> None:
        """TERM the process group, KILL it after ``timeout`` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout)
        self.kill()

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the worker's log."""
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() \
            else ""
