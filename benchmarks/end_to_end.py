"""End-to-end throughput of a nightly run next to the extraction-only rate on the same pages.

Usage: ``.venv/bin/python benchmarks/end_to_end.py [--articles 5000] [--workers 2]
[--mode scheduler|dags-test|both] [--parallelism 4]``

1. Serves the demo sites with about ``--articles`` articles on yesterday (politeness delays off:
   loopback). The article pages weigh what real news pages weigh (about 125 KB and 1,000
   elements, see :mod:`pipeline.demo.chrome`) and are rendered (and gzip-compressed, on the
   sites that compress) before the timed part: on a real crawl that is the news site's CPU,
   not ours. The demo server's CPU during the run (HTTP only) is printed. Then it sets up a
   throw-away Airflow (SQLite, LocalExecutor) archiving into a local directory.
2. Runs the nightly DAG for that day: crawl, extract, dedup, publish, report.

   - ``scheduler`` (default; the production set-up): a real scheduler, DAG processor and API
     server (``support.airflow_harness.services``) with ``--parallelism`` LocalExecutor slots.
     Unpausing the DAG makes the scheduler create the nightly run for yesterday, where the
     mapped crawl -> extract groups of the sites run in parallel. Timed from the run's creation
     to its success (the ``dag_run`` row); the services are already up, as in production.
   - ``dags-test``: ``airflow dags test`` (one process, every task in turn); timed over the
     whole command, its start-up of the Airflow CLI included.
   - ``both``: each of the above into its own archive.
3. Reads the pages of the (last) run back from its raw WARCs into memory and times
   ``pipeline.extract.pool.extract_captures`` with ``--workers`` processes on them, ``--repeat``
   times: the fastest is the extraction-only rate, measured in the same run on the same
   machine.

Prints the per-task timeline (from the task instance table) of every run and how busy the CPUs
were. Python bytecode: production installs (pip, the Docker image) ship ``.pyc`` files, while a
venv made by uv with ``PYTHONDONTWRITEBYTECODE`` set has none, so every Airflow task, crawl and
extraction process would compile its imports again (about 1 s each). Unless ``--cold-imports``,
the Airflow processes get a bytecode cache outside the venv (``PYTHONPYCACHEPREFIX``, filled
once before the timed part and kept between benchmark runs); the venv is not written to.

Goal: end-to-end >= 0.6 of extraction-only (the crawl, the WARC round trip, dedup and Airflow
cost at most 40 % on top of extraction).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pipeline.archive.reader import iter_articles
from pipeline.archive.store import LocalStore
from pipeline.archive.warc_reader import iter_captures
from pipeline.demo import DemoServer, DemoWorld, sites_yaml
from pipeline.extract.pool import extract_captures

from support.airflow_harness import AirflowHome, services

REPO = Path(__file__).resolve().parents[1]
NIGHTLY = "newsarchive_nightly"
SITES = 3
FAST = ("    politeness: {download_delay: 0.001, concurrency: 16, autothrottle_target: 16}\n"
        "    limits: {max_pages: 20000, max_articles: 10000, max_listing_pages: 1000}\n")


def fast_sites(base_urls: dict[str, str]) -> str:
    """The demo sites.yaml with politeness off and limits raised (loopback benchmark)."""
    text = sites_yaml(base_urls)
    return re.sub(r"(    base_url: \S+\n)", lambda m: m[1] + FAST, text)


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    stamp = dt.datetime.fromisoformat(value)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def timeline(home: AirflowHome, run_id: str, origin: dt.datetime) -> list[str]:
    """One line per task instance: queued, start, end (seconds after ``origin``), duration."""
    rows = home.query(
        "SELECT task_id, map_index, rendered_map_index, state, queued_dttm, start_date, "
        "end_date, try_number FROM task_instance WHERE dag_id = ? AND run_id = ? "
        "ORDER BY start_date, task_id, map_index", NIGHTLY, run_id)

    def at(value: str | None) -> str:
        stamp = _time(value)
        return f"{(stamp - origin).total_seconds():6.1f}" if stamp else "     -"

    lines = ["  task                                         queued  start    end  duration  state"]
    for task, index, label, state, queued, start, end, tries in rows:
        name = task + (f"[{label or index}]" if index >= 0 else "")
        begin, finish = _time(start), _time(end)
        took = f"{(finish - begin).total_seconds():6.1f} s" if begin and finish else "     - "
        retry = f" (try {tries})" if tries and tries > 1 else ""
        lines.append(f"  {name:<43} {at(queued)} {at(start)} {at(end)}  {took}  {state}{retry}")
    return lines


def wait_for_run(home: AirflowHome, timeout: float) -> dict[str, str]:
    """Poll the metadata DB until the DAG's run is finished (short poll: no added latency)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = home.query("SELECT run_id, state, queued_at, start_date, end_date FROM dag_run "
                          "WHERE dag_id = ? ORDER BY id DESC LIMIT 1", NIGHTLY)
        if rows and rows[0][1] in ("success", "failed"):
            return dict(zip(("run_id", "state", "queued_at", "start_date", "end_date"), rows[0],
                            strict=True))
        time.sleep(0.2)
    raise AssertionError(f"the nightly run did not finish in {timeout} s")


def run_scheduler(home: AirflowHome, day: dt.date, timeout: float) -> tuple[float, list[str]]:
    """The nightly run for ``day`` created and run by a real scheduler; (seconds, report)."""
    home.airflow("dags", "reserialize")
    with services(home):
        clicked = time.perf_counter()
        home.airflow("dags", "unpause", NIGHTLY)  # the scheduler creates yesterday's run
        run = wait_for_run(home, timeout)
        waited = time.perf_counter() - clicked
    interval = home.query("SELECT data_interval_start FROM dag_run WHERE run_id = ?",
                          run["run_id"])[0][0]
    if run["state"] != "success" or not str(interval).startswith(day.isoformat()):
        raise AssertionError(f"run {run} (interval from {interval}) is not a success for {day}")
    created, finished = _time(run["queued_at"]), _time(run["end_date"])
    assert created and finished
    seconds = (finished - created).total_seconds()
    lines = [f"  run created -> success {seconds:6.1f} s (unpause command -> seen finished "
             f"{waited:.1f} s)", *timeline(home, run["run_id"], created)]
    return seconds, lines


def run_dags_test(home: AirflowHome, day: dt.date, timeout: float) -> tuple[float, list[str]]:
    """``airflow dags test`` of the nightly run for ``day``; (seconds, report)."""
    started = time.perf_counter()
    origin = dt.datetime.now(dt.UTC)
    home.dags_test(NIGHTLY, day + dt.timedelta(days=1), timeout=timeout)
    seconds = time.perf_counter() - started
    lines = timeline(home, home.last_run_id(NIGHTLY), origin)
    first = home.query("SELECT MIN(start_date) FROM task_instance WHERE dag_id = ?", NIGHTLY)
    start = _time(first[0][0])
    if start:
        lines.insert(0, f"  command -> first task start (CLI start-up) "
                        f"{(start - origin).total_seconds():.1f} s")
    return seconds, lines


PYCACHE = Path(tempfile.gettempdir()) / "newsarchive-bench-pycache"


def bytecode_env() -> dict[str, str]:
    """Environment of a bytecode cache outside the venv, compiled once (see the module doc)."""
    env = {"PYTHONPYCACHEPREFIX": str(PYCACHE), "PYTHONDONTWRITEBYTECODE": ""}
    done = PYCACHE / ".compiled"
    if not done.exists():
        paths = [p for p in sys.path if p.startswith(sys.base_prefix) and Path(p).is_dir()
                 and not p.endswith(".zip")]
        paths += [p for p in sys.path if "site-packages" in p] + [
            str(REPO / name) for name in ("pipeline", "spiders", "dags", "tests")]
        print(f"compiling bytecode into {PYCACHE} (once, about a minute)", flush=True)
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", *dict.fromkeys(paths)],
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        done.touch()
    return env


def cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs so far (``/proc/stat``)."""
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def cpu_seconds() -> float:
    """CPU time of this process so far (the demo server's threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def extraction_only(store: LocalStore, day: dt.date, workers: int) -> tuple[float, int, int]:
    """(seconds, articles, captures) of extracting the day's raw WARCs from memory."""
    by_site: dict[str, list[object]] = {}
    for info in store.list("raw/"):
        if info.key.endswith(".warc.gz") and f"date={day}" in info.key:
            site = info.key.split("/")[1].removeprefix("site=")
            by_site.setdefault(site, []).extend(iter_captures(store, info.key))
    counts: Counter[str] = Counter()
    extracted = 0
    started = time.perf_counter()
    for site, items in by_site.items():
        for result in extract_captures(iter(items), site, workers=workers, counts=counts):
            extracted += 1 if hasattr(result, "article_id") else 0
    return (time.perf_counter() - started, extracted,
            sum(len(items) for items in by_site.values()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000, help="articles on the day")
    parser.add_argument("--workers", type=int, default=2, help="extraction processes")
    parser.add_argument("--mode", choices=("scheduler", "dags-test", "both"), default="scheduler",
                        help="how the nightly run is run (default: a real scheduler)")
    parser.add_argument("--parallelism", type=int, default=4,
                        help="LocalExecutor slots (AIRFLOW__CORE__PARALLELISM)")
    parser.add_argument("--cold-imports", action="store_true",
                        help="no bytecode cache: every process compiles its imports")
    parser.add_argument("--repeat", type=int, default=2,
                        help="extraction-only measurements; the fastest is the baseline")
    parser.add_argument("--keep", help="keep the archives and Airflow homes in this directory")
    args = parser.parse_args()

    today = dt.datetime.now(dt.UTC).date()
    day = today - dt.timedelta(days=1)  # the nightly run's day, as the scheduler creates it
    per_day = -(-args.articles // SITES)
    world = DemoWorld(seed=3, today=today, days=2, articles_per_day=per_day)
    root = Path(args.keep or tempfile.mkdtemp(prefix="newsarchive-e2e-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    modes = ("dags-test", "scheduler") if args.mode == "both" else (args.mode,)
    results: dict[str, tuple[float, int, float, list[str]]] = {}
    extra_env = {} if args.cold_imports else bytecode_env()
    load = os.getloadavg()
    with DemoServer(world) as demo:
        rendered = demo.prerender(day, day)  # the news sites' own CPU is not the pipeline's
        sites = root / "sites.yaml"
        sites.write_text(fast_sites(demo.base_urls))
        for mode in modes:
            archive = root / f"archive-{mode}"
            home = AirflowHome(root / f"airflow-{mode}", {
                "NEWSARCHIVE_ARCHIVE_URL": str(archive), "NEWSARCHIVE_SITES_FILE": str(sites),
                "NEWSARCHIVE_ALLOWED_NETWORKS": ",".join(demo.allowed_networks()),
                "NEWSARCHIVE_CRAWL_TODAY": today.isoformat(),
                # ~1,700 articles per site and day: pagination (feed, archive) goes deeper
                # than the default calendar-trap guard of 30 link hops
                "NEWSARCHIVE_CRAWL_SETTINGS": "DEPTH_LIMIT=1000",
                "NEWSARCHIVE_EXTRACT_WORKERS": str(args.workers),
                "AIRFLOW__CORE__PARALLELISM": str(args.parallelism), **extra_env})
            home.setup()
            cpu = cpu_seconds()
            busy, total = cpu_busy()
            run = run_scheduler if mode == "scheduler" else run_dags_test
            seconds, lines = run(home, day, 3600)
            busy2, total2 = cpu_busy()
            lines.append(f"  CPUs busy {100 * (busy2 - busy) / max(total2 - total, 1):.0f} % "
                         f"during the run (all processes of the machine)")
            rows = sum(1 for _ in iter_articles(LocalStore(archive), day, day,
                                                include_duplicates=True))
            results[mode] = (seconds, rows, cpu_seconds() - cpu, lines)
    store = LocalStore(root / f"archive-{modes[-1]}")
    # the machine's speed drifts by several per cent (a shared VM): the best of the repeats
    # is the baseline, which only ever makes the ratio harder to reach
    timings = [extraction_only(store, day, args.workers) for _ in range(args.repeat)]
    extract_seconds, extracted, captures = min(timings)
    extract_rate = extracted / extract_seconds

    truth = sum(len(world.expected(s.id, day, day)) for s in world.sites)
    print(f"load average before    {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} cores); {rendered} article pages pre-rendered")
    ratio = 0.0
    for mode, (seconds, rows, cpu, lines) in results.items():
        rate = rows / seconds
        ratio = rate / extract_rate if extract_rate else 0.0
        print(f"\n[{mode}] articles archived {rows} (ground truth on the day: {truth}); "
              f"demo server CPU {cpu:.1f} s")
        print("\n".join(lines))
        print(f"end to end ({mode:9}) {seconds:7.1f} s  {rate:6.1f} articles/s  "
              f"ratio {ratio:.2f}")
    print(f"\nextraction only        {extract_seconds:7.1f} s  {extract_rate:6.1f} articles/s "
          f"({captures} captures, {args.workers} workers; best of "
          f"{', '.join(f'{t[0]:.1f}' for t in timings)} s)")
    print(f"ratio ({modes[-1]})  {ratio:.2f}  (goal >= 0.60)")
    if not args.keep:
        print(f"(work directory {root})")
    return 0 if ratio >= 0.6 else 1


if __name__ == "__main__":
    sys.exit(main())
