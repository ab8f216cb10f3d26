"""``newsarchive demo``: the main job end to end on embedded defaults (the README's command).

1. Serves the bundled demo news sites on 127.0.0.1 (in this process, ephemeral ports) and writes
   a matching ``sites.yaml``.
2. Sets up a project-local Airflow (``.airflow/``: SQLite, LocalExecutor, the repository's
   ``dags/`` folder, no examples): ``airflow db migrate`` and the ``newsarchive_dedup`` pool.
3. Runs the nightly DAG for one day with ``airflow dags test`` into the archive (``./archive``
   or ``--archive``), showing the tasks as they run.
4. Prints the run report and a sample of the archived articles
   (through ``pipeline.archive.reader``).

Airflow is only ever run as a command here: the library does not import it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from pipeline.cli.common import ExamplesHelpFormatter, count, iso_date, positive_int, seconds
from pipeline.config.settings import DEDUP_POOL
from pipeline.errors import ConfigError, NewsArchiveError

DAG_ID = "newsarchive_nightly"
_TASK_LINE = re.compile(r"\[DAG TEST\] (starting|end) task task_id=(\S+) map_index=(-?\d+)")


EXAMPLES = """\
examples:
  newsarchive demo                  # yesterday's articles into ./archive, Airflow in ./.airflow
  newsarchive demo --date 2024-03-01 --archive /tmp/demo-archive --sample 3
"""


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="run the nightly DAG on the bundled demo sites (local Airflow + archive)",
        description="Serve the demo news sites on 127.0.0.1, run the nightly Airflow DAG for "
                    "one day with a project-local Airflow (SQLite) and print the run report "
                    "and a sample of the archived articles.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    parser.add_argument("--archive", default="archive",
                        help="archive root: a directory (default ./archive) or s3://bucket/prefix")
    parser.add_argument("--date", type=iso_date,
                        help="partition date to archive (default: yesterday, UTC)")
    parser.add_argument("--airflow-home", default=".airflow",
                        help="AIRFLOW_HOME to create and use (default ./.airflow)")
    parser.add_argument("--dags-folder", help="DAG folder (default: the checkout's dags/)")
    parser.add_argument("--sites-file",
                        help="crawl the sites of this sites.yaml instead of the demo sites")
    parser.add_argument("--articles-per-day", type=positive_int, default=12, metavar="N",
                        help="demo articles per site and day (default 12)")
    parser.add_argument("--sample", type=count, default=5, metavar="N",
                        help="articles to print (default 5)")
    parser.add_argument("--timeout", type=seconds, default=1800,
                        help="seconds before the Airflow run is stopped (default 1800)")
    parser.set_defaults(func=run)


def _dags_folder(explicit: str | None) -> Path:
    folder = Path(explicit) if explicit else Path(__file__).resolve().parents[2] / "dags"
    if not (folder / "newsarchive_nightly.py").is_file():
        raise ConfigError(f"no newsarchive DAGs in {folder}: run from a checkout or pass "
                          "--dags-folder")
    return folder.resolve()


def _airflow_bin() -> str:
    sibling = Path(sys.executable).with_name("airflow")
    found = str(sibling) if sibling.exists() else shutil.which("airflow")
    if not found:
        raise ConfigError("the airflow command is not installed (scripts/bootstrap.sh)")
    return found


def airflow_env(home: Path, dags: Path, extra: dict[str, str]) -> dict[str, str]:
    """Environment of the project-local Airflow (SQLite, LocalExecutor, no examples)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "NEWSARCHIVE_AIRFLOW_RETRY_DELAY": env.get("NEWSARCHIVE_AIRFLOW_RETRY_DELAY", "5"),
    })
    env.update(extra)
    return env


def write_airflow_cfg(home: Path, dags: Path) -> Path:
    """Pin the demo's Airflow settings in ``home/airflow.cfg``.

    So a plain ``AIRFLOW_HOME=home airflow standalone`` (no environment) shows only the
    project's DAGs, from this checkout, on the demo's database. Keys already in the file
    (Airflow writes a full default file on first use) are set in place; the rest is kept.
    """
    wanted = {
        "core": {"dags_folder": str(dags), "load_examples": "False",
                 "executor": "LocalExecutor"},
        "database": {"sql_alchemy_conn": f"sqlite:///{home / 'airflow.db'}"},
    }
    path = home / "airflow.cfg"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else [
        "# written by newsarchive demo; Airflow's defaults apply to everything else"]
    section, out = "", []
    done: set[tuple[str, str]] = set()

    def missing(name: str) -> list[str]:
        """The wanted keys of section ``name`` not written yet (then counted as written)."""
        keys = [key for key in wanted.get(name, {}) if (name, key) not in done]
        done.update((name, key) for key in keys)
        return [f"{key} = {wanted[name][key]}" for key in keys]

    for line in lines:
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            out += missing(section)
            section = header[1].strip()
        else:
            key = re.match(r"\s*([A-Za-z0-9_]+)\s*=", line)
            if key and key[1] in wanted.get(section, {}) and (section, key[1]) not in done:
                done.add((section, key[1]))
                out.append(f"{key[1]} = {wanted[section][key[1]]}")
                continue
        out.append(line)
    out += missing(section)
    for name in wanted:
        rest = missing(name)
        if rest:
            out += ["", f"[{name}]", *rest]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _step(message: str) -> None:
    print(f"[demo] {message}", file=sys.stderr, flush=True)


def _airflow(airflow: str, env: dict[str, str], *args: str, log: Path,
             timeout: float = 600) -> None:
    """Run an Airflow command, output to ``log``; raise with its tail when it fails."""
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ airflow {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run([airflow, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                              timeout=timeout, check=False)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise NewsArchiveError(f"airflow {' '.join(args)} failed ({proc.returncode}); "
                               f"log {log}:\n{tail}")


def _dags_test(airflow: str, env: dict[str, str], logical: dt.date, log: Path,
               timeout: float) -> int:
    """``airflow dags test``, echoing each task as it starts and ends."""
    args = [airflow, "dags", "test", DAG_ID, logical.isoformat()]
    started = time.monotonic()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ airflow {' '.join(args[1:])}\n")
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace")
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                out.write(line)
                match = _TASK_LINE.search(line)
                if match:
                    index = "" if match[3] == "-1" else f"[{match[3]}]"
                    verb = "running" if match[1] == "starting" else "finished"
                    _step(f"{time.monotonic() - started:6.1f} s  {verb} {match[2]}{index}")
                if time.monotonic() - started > timeout:
                    proc.kill()
                    raise NewsArchiveError(f"the Airflow run took more than {timeout} s; "
                                           f"log {log}")
        finally:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(30)
            if proc.poll() is None:
                proc.kill()
    return int(proc.returncode or 0)


def _last_run_id(home: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(f"file:{home / 'airflow.db'}?mode=ro",
                                            uri=True)) as db:
        row = db.execute("SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1",
                         (DAG_ID,)).fetchone()
    return str(row[0]) if row else None


def _print_results(archive: str, run_id: str | None, day: dt.date, sample: int) -> bool:
    from pipeline.archive.reader import iter_articles
    from pipeline.archive.runreport import read_report
    from pipeline.archive.store import open_store
    from pipeline.cli.tables import print_report
    from pipeline.config.settings import Settings

    store = open_store(archive, Settings.from_env())
    ok = False
    if run_id:
        try:
            report = read_report(store, run_id)
        except NewsArchiveError as exc:
            print(f"no run report for {run_id}: {exc}")
        else:
            ok = bool(report.get("ok"))
            print_report(report)
    print(f"\nsample of the archived articles of {day}:")
    shown = 0
    for article in iter_articles(store, day, day):
        if shown >= sample:
            break
        shown += 1
        when = article.published_at.isoformat() if article.published_at else "?"
        print(f"- [{article.site}] {article.title}\n  {article.url}\n  published {when}, "
              f"{article.word_count} words, by {', '.join(article.authors) or '?'}")
        print(textwrap.indent(textwrap.shorten(article.text, 200), "  > "))
    if not shown:
        print("  (none)")
    return ok


def _next_steps(archive: str, home: Path, day: dt.date) -> str:
    return f"""
Next steps
  read the archive:   newsarchive read --archive {archive} --since {day} --until {day} | head
  the same in Airflow's UI, with a scheduler:
                      AIRFLOW_HOME={home} airflow standalone     (then http://localhost:8080)
  real sites:         write a sites.yaml (see pipeline/data/sites.yaml, `newsarchive sites
                      check`) and run  newsarchive demo --sites-file my-sites.yaml
  S3 / MinIO / Ceph:  newsarchive demo --archive s3://bucket/prefix  with AWS_ACCESS_KEY_ID,
                      AWS_SECRET_ACCESS_KEY (and NEWSARCHIVE_S3_ENDPOINT_URL for non-AWS stores)
                      in the environment; under Airflow the aws_default connection instead
  production:         docker-compose.yaml (Airflow + Postgres + MinIO), docs/operations.md"""


def run(args: argparse.Namespace) -> int:
    """Run the demo; exit 1 when the run reported failures."""
    from pipeline.demo import DemoServer, DemoWorld, sites_yaml

    home = Path(args.airflow_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    dags = _dags_folder(args.dags_folder)
    airflow = _airflow_bin()
    archive = args.archive if "://" in args.archive else str(Path(args.archive).resolve())
    today = dt.datetime.now(dt.UTC).date()
    day: dt.date = args.date or today - dt.timedelta(days=1)
    log = home / "demo.log"
    world = DemoWorld(seed=1, today=max(today, day), days=max(3, (today - day).days + 2),
                      articles_per_day=args.articles_per_day)
    demo = DemoServer(world)
    extra = {"NEWSARCHIVE_ARCHIVE_URL": archive}
    if args.sites_file:
        extra["NEWSARCHIVE_SITES_FILE"] = str(Path(args.sites_file).resolve())
    else:
        demo.start()
        sites = home / "demo-sites.yaml"
        sites.write_text(sites_yaml(demo.base_urls, header="# written by newsarchive demo"))
        extra["NEWSARCHIVE_SITES_FILE"] = str(sites)
        extra["NEWSARCHIVE_ALLOWED_NETWORKS"] = ",".join(demo.allowed_networks())
        _step("demo sites: " + ", ".join(f"{k} {v}" for k, v in demo.base_urls.items()))
    try:
        env = airflow_env(home, dags, extra)
        write_airflow_cfg(home, dags)
        _step(f"Airflow home {home} (SQLite); log {log}")
        _step("airflow db migrate")
        _airflow(airflow, env, "db", "migrate", log=log)
        _airflow(airflow, env, "pools", "set", DEDUP_POOL, "1", "newsarchive dedup + publish",
                 log=log)
        logical = day + dt.timedelta(days=1)  # a manual run fills the day before its date
        _step(f"airflow dags test {DAG_ID} {logical}  (partition date {day}, archive {archive})")
        status = _dags_test(airflow, env, logical, log, args.timeout)
    finally:
        demo.stop()
    os.environ["NEWSARCHIVE_ARCHIVE_URL"] = archive
    print()
    ok = _print_results(archive, _last_run_id(home), day, args.sample)
    print(_next_steps(args.archive, home, day))
    if status != 0 or not ok:
        print(f"\nthe run reported failures; Airflow's log: {log}", file=sys.stderr)
        return 1
    return 0
