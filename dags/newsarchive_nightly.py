"""Nightly archive of the configured news sites (dag_id ``newsarchive_nightly``).

Every night at 00:00 UTC the run for the day that just ended crawls each site of ``sites.yaml``
for that day's articles, extracts and deduplicates them and publishes the day's partitions::

    plan -> windows -> crawl[site, window] (mapped) -> partition_days
         -> extract[site, date] (mapped) -> deduplicate_and_publish
         -> announce (Asset event, only when something new was published) and report

- The data interval decides the partition date: the interval ``[D, D+1)`` fills ``date=D``, so
  ``airflow backfill create --dag-id newsarchive_nightly --from-date 2024-03-01
  --to-date 2024-03-03`` fills 1, 2 and 3 March.
- Manual runs take Params: ``sites`` (default: all), ``start``/``end`` (a date range instead of
  the interval), ``page_cap`` and ``force`` (crawl again partitions that are already committed).
- Running an interval again leaves complete partitions as they are and completes the others
  (partial ones are crawled again). A site-day whose crawl could not read the site (down,
  refused, blocked) fails its mapped task, which Airflow retries; it is never committed.
- One crawl per site and window (the nightly run is a window of one day; a range is cut into
  windows of at most ``NEWSARCHIVE_CRAWL_WINDOW_DAYS``): each discovery document is fetched once
  per window, each capture goes to its day partition. Each crawl and each (site, date)
  extraction is its own mapped task instance with retries and exponential backoff; one failing
  site does not hold back the others. The publish step runs once per run with every
  partition that was extracted, serialized across runs by the ``newsarchive_dedup`` pool (one
  slot) and, against runs outside this Airflow, by the archive's dedup lock; ``announce`` emits
  an event of the ``newsarchive_normalized`` Asset when the run published something new. The
  report (``runs/<run id>.json``) says what failed and why, and the run fails when something
  did.

Configuration: :mod:`newsarchive_config`; operations: ``docs/operations.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import CronDataIntervalTimetable, Param, dag
from newsarchive_alerts import ON_FAILURE
from newsarchive_config import DEFAULT_ARGS, TAGS
from newsarchive_steps import (
    announce,
    crawl,
    crawl_windows,
    deduplicate_and_publish,
    extract,
    partition_days,
    plan_nightly,
    report,
)

PARAMS = {
    "sites": Param(None, type=["null", "array"], items={"type": "string"},
                   description="Site ids to crawl (default: every site of sites.yaml)."),
    "start": Param(None, type=["null", "string"], format="date",
                   description="First partition date YYYY-MM-DD (default: the run's data "
                               "interval)."),
    "end": Param(None, type=["null", "string"], format="date",
                 description="Last partition date YYYY-MM-DD, inclusive (default: start)."),
    "page_cap": Param(None, type=["null", "integer"], minimum=1,
                      description="Stop each crawl after about this many responses (Scrapy's "
                                  "CLOSESPIDER_PAGECOUNT: a soft cap, requests in flight still "
                                  "finish); the partition is then marked partial."),
    "force": Param(False, type="boolean",
                   description="Crawl again partitions that are already committed."),
}


@dag(
    dag_id="newsarchive_nightly",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    tags=[*TAGS, "crawl"],
    description="Crawl every site of sites.yaml for one day, extract, deduplicate, publish.",
    doc_md=__doc__,
    on_failure_callback=ON_FAILURE,
)
def newsarchive_nightly() -> None:
    """Crawl, extract, deduplicate and publish one day (or the Params' range) of every site."""
    # XComArgs at definition time: typed Any so that the tasks keep their runtime types
    items: Any = plan_nightly()
    crawled: Any = crawl.expand(unit=crawl_windows(items))
    extracted: Any = extract.expand(crawl_result=partition_days(crawled))
    published: Any = deduplicate_and_publish(extracted)
    announce(published)
    report(items, published)


newsarchive_nightly()
