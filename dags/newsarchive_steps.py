"""TaskFlow tasks shared by the newsarchive DAGs: thin wrappers around ``pipeline.run.tasks``.

Each task exports the archive configuration (:mod:`newsarchive_config`) into its environment,
builds the library's settings from it once (:func:`library_settings`) and passes them down,
imports the library lazily (nothing heavy at DAG parse time) and hands archive keys, never data,
to the next task. Mapped tasks catch nothing: a failure is recorded as an XCom ``failure``
(site, date, stage, error) for the run report and raised again, so Airflow retries the item (a
crawl: a site's window) on its own while the other items go on.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from airflow.sdk import TriggerRule, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from newsarchive_assets import NORMALIZED_ARCHIVE
from newsarchive_config import library_environment

from pipeline.config.settings import DEDUP_POOL, Settings
from pipeline.errors import PermanentArchiveError

log = logging.getLogger(__name__)

T = TypeVar("T")
Item = dict[str, Any]

FAILURE_KEY = "failure"
"""XCom key under which a failed mapped task records what failed and why."""
CRAWL_TASK = "crawl"
EXTRACT_TASK = "extract"
PUBLISH_TASK = "deduplicate_and_publish"

_RUN_KINDS = {"scheduled": "nightly", "backfill": "backfill", "manual": "manual",
              "asset_triggered": "manual"}


def _day(value: Any) -> dt.date:
    """A date from a Param (``YYYY-MM-DD``) or a datetime."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date()
    if isinstance(value, dt.date):
        return value
    from pipeline.dates import parse_day

    return parse_day(str(value))


def partition_window(context: Mapping[str, Any]) -> tuple[str, str]:
    """The first and last partition date of a run.

    The ``start``/``end`` Params win (manual runs); otherwise the run's data interval decides:
    a daily interval ``[D 00:00, D+1 00:00)`` fills partition ``D``, so a scheduled run fills
    the previous day and a backfill of 2015-11-18 fills ``date=2015-11-18``. A run without a
    data interval (manual, no logical date) fills the day before it started.

    Args:
        context: The task context.

    Returns:
        ``(start, end)`` as ``YYYY-MM-DD``, inclusive.
    """
    params = context.get("params") or {}
    if params.get("start") or params.get("end"):
        start = _day(params.get("start") or params.get("end"))
        end = _day(params.get("end") or params.get("start"))
        return start.isoformat(), end.isoformat()
    begin = context.get("data_interval_start")
    finish = context.get("data_interval_end")
    if begin is not None:
        first = _day(begin)
        last = _day(finish - dt.timedelta(microseconds=1)) if finish and finish > begin else first
        return first.isoformat(), last.isoformat()
    run_after = context["dag_run"].run_after
    day = _day(run_after) - dt.timedelta(days=1)
    return day.isoformat(), day.isoformat()


def run_kind(context: Mapping[str, Any], default: str = "nightly") -> str:
    """``nightly``, ``backfill`` or ``manual``, from the run type."""
    run_type = str(getattr(context["dag_run"], "run_type", "") or "")
    return _RUN_KINDS.get(run_type.lower().split(".")[-1], default)


def _failure(item: Mapping[str, Any], stage: str, exc: BaseException | None, ti: Any) -> Item:
    error = f"{type(exc).__name__}: {exc}" if exc is not None else str(item.get("error"))
    failure = {"site": item.get("site"), "date": item.get("date"), "stage": stage,
               "error": error[:2000], "try_number": getattr(ti, "try_number", None)}
    reason = getattr(exc, "reason", None) if exc is not None else item.get("reason")
    if reason:  # a failed verdict (SiteDayFailed): discovery_failed, ...
        failure["reason"] = str(reason)
    return failure


def record_failures(items: Iterable[Mapping[str, Any]], stage: str,
                    exc: BaseException | None = None) -> None:
    """Record (site, date, stage, error) of failed items as this task's ``failure`` XCom.

    Without ``exc``, each item carries its own ``error`` (and ``reason``).
    """
    ti = get_current_context()["ti"]
    try:
        ti.xcom_push(key=FAILURE_KEY, value=[_failure(i, stage, exc, ti) for i in items])
    except Exception:  # the report falls back to "no result"
        log.warning("could not record the failure of %s", stage, exc_info=True)


def fail_fast(exc: BaseException) -> None:
    """Raise ``AirflowFailException`` (no task retries) when ``exc`` is a permanent archive error.

    Bad credentials, a missing bucket or an archive root that cannot be written fail the same
    way on every try; anything else (an unreachable endpoint, a 5xx, a timeout) returns, so the
    caller raises it again and Airflow retries the task.
    """
    if isinstance(exc, PermanentArchiveError):
        raise AirflowFailException(f"{exc} (permanent archive error: not retried)") from exc


def guarded(stage: str, item: Mapping[str, Any], work: Callable[[], T]) -> T:
    """Run ``work``; on failure record it with :func:`record_failures`, then re-raise.

    A permanent archive error is raised as ``AirflowFailException`` (:func:`fail_fast`).
    """
    try:
        return work()
    except Exception as exc:
        record_failures([item], stage, exc)
        fail_fast(exc)
        raise


def collect_failures(ti: Any, task_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Failures recorded in this run by the given tasks (the last per site and date wins)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for value in ti.xcom_pull(task_ids=list(task_ids), key=FAILURE_KEY) or []:
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, Mapping):
                found[(str(entry.get("site")), str(entry.get("date")))] = dict(entry)
    return list(found.values())


def library_settings() -> Settings:
    """The library's settings for this task, read from what :func:`library_environment` exported.

    Called inside that block, and inside the work a task guards, so that a bad setting is
    recorded as the item's failure like any other error of the library.
    """
    return Settings.from_env()


# -- tasks -------------------------------------------------------------------------------------

@task(task_id="plan")
def plan_nightly() -> list[Item]:
    """The (site, date) items of the run: Params ``sites``/``start``/``end`` or the interval."""
    context = get_current_context()
    start, end = partition_window(context)
    sites = context["params"].get("sites") or None
    with library_environment():
        from pipeline.run import tasks

        items = tasks.plan(start, end, sites=sites, sites_file=library_settings().sites_file)
    log.info("%d items for %s..%s", len(items), start, end)
    return items


@task(task_id="plan")
def plan_reprocess() -> list[Item]:
    """Partitions in the Params' date range that have raw WARCs to rebuild from."""
    context = get_current_context()
    start, end = partition_window(context)
    sites = context["params"].get("sites") or None
    with library_environment():
        from pipeline.run import tasks

        try:
            items = tasks.reprocess_plan(start, end, sites=sites, settings=library_settings())
        except PermanentArchiveError as exc:
            fail_fast(exc)
            raise
    log.info("%d partitions to reprocess for %s..%s", len(items), start, end)
    return items


@task(task_id="windows")
def crawl_windows(items: list[Item]) -> list[Item]:
    """The crawls of the run: one per site and window of up to ``crawl_window_days`` days."""
    with library_environment():
        from pipeline.run import tasks

        return tasks.crawl_units(items, library_settings().crawl_window_days)


@task(task_id=CRAWL_TASK, map_index_template="{{ partition_label }}")
def crawl(unit: Item) -> list[Item]:
    """Crawl one site for one window in one Scrapy process; one result per day partition.

    A failed crawl records a failure for every day of its window and is raised again (Airflow
    retries it). A day whose verdict is failed while other days were read is recorded as a
    failure and left out of the results (not extracted, not committed); the others go on.
    """
    context: Any = get_current_context()
    context["partition_label"] = f"{unit.get('site')} {unit.get('start')}..{unit.get('end')}"
    params = context["params"]
    days = [{"site": unit.get("site"), "date": d} for d in unit.get("days") or ()]
    with library_environment():
        from pipeline.run import tasks

        try:
            results = tasks.crawl_window(
                unit, str(context["run_id"]), page_cap=params.get("page_cap") or None,
                force=bool(params.get("force")), settings=library_settings())
        except Exception as exc:
            record_failures(days, "crawl", exc)
            fail_fast(exc)
            raise
    failed = [r for r in results if r.get("status") == "failed"]
    if failed:  # days whose verdict is failed, while other days of the window were read
        record_failures(failed, "crawl")
    return results


@task(task_id="partition_days", trigger_rule=TriggerRule.ALL_DONE)
def partition_days(crawled: Iterable[list[Item] | None] | None) -> list[Item]:
    """The day partitions the crawls filled, to extract one by one (failed days left out)."""
    days = [dict(d) for window in crawled or [] if isinstance(window, list)
            for d in window if isinstance(d, Mapping) and d.get("status") != "failed"]
    log.info("%d day partitions to extract", len(days))
    return days


@task(task_id=EXTRACT_TASK, map_index_template="{{ partition_label }}")
def extract(crawl_result: Item) -> Item:
    """Extract the articles of one partition's WARCs and stage them for the dedup step.

    Works the same for a crawl result and for a :func:`plan_reprocess` item: the library reads
    every raw WARC of the partition either way.
    """
    context: Any = get_current_context()
    # the mapped instance's name in the UI (map_index_template)
    context["partition_label"] = f"{crawl_result.get('site')} {crawl_result.get('date')}"
    with library_environment():
        from pipeline.run import tasks

        run_id = str(context["run_id"])
        # the extraction pool starts its own worker processes (pipeline.extract.pool)
        return guarded("extract", crawl_result, lambda: tasks.extract(
            crawl_result, run_id, settings=library_settings()))


@task(task_id=PUBLISH_TASK, pool=DEDUP_POOL, trigger_rule=TriggerRule.ALL_DONE)
def deduplicate_and_publish(
        extract_results: Iterable[Item | None] | Item | None) -> list[Item]:
    """The run's one global step: dedup decisions over all staged records, then publish.

    Runs with whatever extracted successfully (trigger rule ``all_done``): a site-day whose crawl
    failed (its window's mapped crawl failed, or its day's verdict was failed) is simply not
    among them, so the other sites and days are still committed. Skipped when nothing was
    extracted. Serialized across runs by the one-slot pool
    :data:`pipeline.config.settings.DEDUP_POOL` (and, in the library, by the archive's dedup
    lock, which runs outside Airflow honour too). :func:`announce` emits the
    Asset event.
    """
    context = get_current_context()
    if isinstance(extract_results, Mapping):  # one mapped item: Airflow hands over the value
        results = [dict(extract_results)]
    else:
        results = [dict(r) for r in (extract_results or []) if r]
    if not results:
        raise AirflowSkipException("nothing to publish: no partition was extracted")
    run_id = str(context["run_id"])
    with library_environment():
        from pipeline.run import tasks

        try:
            settings = library_settings()
            summaries = list(tasks.deduplicate_and_publish(results, run_id, settings=settings))
        except Exception as exc:
            record_failures(results, "publish", exc)  # every partition waited on this step
            fail_fast(exc)
            raise
    return summaries


NEW_STATUSES = ("published", "revised")
"""Statuses of partitions whose committed content changed in this run."""


@task(outlets=[NORMALIZED_ARCHIVE])
def announce(published: list[Item] | None) -> list[Item]:
    """Emit an event of :data:`NORMALIZED_ARCHIVE` when the run committed something new.

    The event's ``extra`` names the partitions (``site``, ``date``, ``status``, ``coverage``).
    A run that changed nothing (every partition already complete or unchanged) is skipped, and
    a skipped task emits no Asset event: consumers are not woken for nothing.
    """
    context = get_current_context()
    changed: list[Any] = [{k: s.get(k) for k in ("site", "date", "status", "coverage")}
               for s in published or [] if isinstance(s, Mapping)
               and s.get("status") in NEW_STATUSES]
    if not changed:
        raise AirflowSkipException("nothing new was published: no Asset event")
    with library_environment():
        archive_url = library_settings().archive_url
    context["outlet_events"][NORMALIZED_ARCHIVE].extra = {
        "run_id": str(context["run_id"]), "archive_url": archive_url, "partitions": changed}
    return changed


@task(trigger_rule=TriggerRule.ALL_DONE)
def report(plan_items: list[Item] | None, published: list[Item] | None,
           kind: str | None = None) -> str:
    """Write ``runs/<run id>.json``: per site and stage, what was done and what failed and why.

    Runs whatever happened upstream. Fails the DAG run (without retrying) when a partition
    failed or planning did, so that the failure shows in Airflow; the report is written first
    (``ok: false``). A complete partition far below its site's usual article count is logged
    as a warning and flagged in the report (:mod:`pipeline.run.anomaly`), not failed.
    """
    context = get_current_context()
    ti = context["ti"]
    run_id = str(context["run_id"])
    planned = list(plan_items or [])
    done = [dict(p) for p in (published or []) if isinstance(p, Mapping)]
    done_keys = {(str(p.get("site")), str(p.get("date"))) for p in done}
    failures = [f for f in collect_failures(ti, (CRAWL_TASK, EXTRACT_TASK, PUBLISH_TASK))
                if (str(f.get("site")), str(f.get("date"))) not in done_keys]
    with library_environment():
        from pipeline.run import tasks

        try:
            key = tasks.report(run_id, planned, done, failures, kind=kind or run_kind(context),
                               settings=library_settings(),
                               plan_error=None if plan_items is not None else
                               "planning failed (see the plan task's log)")
        except PermanentArchiveError as exc:
            fail_fast(exc)
            raise
    missing = [i for i in planned if (str(i.get("site")), str(i.get("date"))) not in done_keys]
    if plan_items is None:
        raise AirflowFailException(f"planning failed (see the plan task's log); report {key}")
    if missing:
        listed = ", ".join(f"{i.get('site')} {i.get('date')}" for i in missing[:20])
        raise AirflowFailException(
            f"{len(missing)} of {len(planned)} partitions failed ({listed}); report {key}")
    log.info("all %d partitions done; report %s", len(planned), key)
    return key
