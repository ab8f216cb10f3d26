"""The task-level functions of a run: what each Airflow task (and ``newsarchive run``) calls.

Every function takes and returns JSON-serialisable values (they travel through XCom) and hands
data to the next task only through the archive (``staging/<run id>/...``), never a local disk,
so each task may run on another worker. Each is idempotent for its (run, site, date):

- :func:`~pipeline.run.plan.plan` lists the (site, date) items of a run, and
  :func:`~pipeline.run.plan.crawl_units` groups them into crawls: one per site and window of up
  to ``crawl_window_days`` days;
- :func:`~pipeline.run.crawl_step.crawl_window` runs the Scrapy spider over a window in its own
  process, WARCs straight into each day's ``raw/`` partition, and returns one result per day
  (:func:`~pipeline.run.crawl_step.crawl` is the window of one day);
- :func:`~pipeline.run.extract_step.extract` reads the partition's WARCs back and stages
  normalized records;
- :func:`~pipeline.run.publish_step.deduplicate_and_publish` decides duplicates over the whole
  run and commits partitions, holding the archive's ``dedup`` lock (:mod:`pipeline.archive.lock`);
  the DAGs also queue it in a pool with one slot, so that runs wait in Airflow rather than in a
  worker slot;
- :func:`~pipeline.run.report_step.report` writes ``runs/<run id>.json``.

Each result carries the start and duration of its stages so far (``timings``,
:mod:`pipeline.run.timing`); the run report shows them per site-day and per stage.

A partition whose manifest says it is complete is left alone: without ``force`` the crawl,
extraction and publish of that item do nothing, so running an interval again leaves a complete
archive as it was. A partial partition is crawled again; a failed site-day
(:mod:`pipeline.run.verdict`) raises :class:`SiteDayFailed` and is not committed.
"""

from collections.abc import Mapping
from typing import Any

from pipeline.archive.layout import staged_key
from pipeline.run import crawl_step, extract_step, publish_step
from pipeline.run.crawl_step import CrawlFailed, SiteDayFailed, crawl_counts
from pipeline.run.plan import COMPLETE, crawl_units, invalid_sites, plan, reprocess_plan
from pipeline.run.publish_step import dedup_lock
from pipeline.run.report_step import report
from pipeline.run.timing import TIMINGS, timed, timed_batch

# each result carries the timings of its stages so far (pipeline.run.timing)
crawl = timed("crawl")(crawl_step.crawl)
def _window_days(unit: Mapping[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    return {"days": crawl_step.crawl_window(unit, *args, **kwargs)}


_window = timed("crawl")(_window_days)


def crawl_window(unit: Mapping[str, Any], *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """:func:`~pipeline.run.crawl_step.crawl_window`, timed.

    The one crawl process served every day of the window: each day's result carries the crawl's
    start and an equal share of its seconds, so the run report's sums stay the crawl's time.
    """
    timed_result = _window(unit, *args, **kwargs)
    days: list[dict[str, Any]] = timed_result["days"]
    crawl = dict(timed_result[TIMINGS]["crawl"])
    crawl["seconds"] = round(float(crawl["seconds"]) / max(len(days), 1), 3)
    for day in days:
        day[TIMINGS] = {**timed_result[TIMINGS], "crawl": dict(crawl)}
    return days


extract = timed("extract")(extract_step.extract)
deduplicate_and_publish = timed_batch("publish")(publish_step.deduplicate_and_publish)

__all__ = [
    "COMPLETE", "CrawlFailed", "SiteDayFailed", "crawl", "crawl_counts", "crawl_units",
    "crawl_window", "dedup_lock",
    "deduplicate_and_publish", "extract", "invalid_sites", "plan", "report", "reprocess_plan",
    "staged_key",
]
