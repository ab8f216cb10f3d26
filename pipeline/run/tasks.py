"""The task-level functions of a run: what each Airflow task (and ``newsarchive run``) calls.

Every function takes and returns JSON-serialisable values (they travel through XCom) and hands
data to the next task only through the archive (``staging/<run id>/...``), never a local disk,
so each task may run on another worker. Each is idempotent for its (run, site, date):

- :func:`~pipeline.run.plan.plan` lists the (site, date) items of a run;
- :func:`~pipeline.run.crawl_step.crawl` runs the Scrapy spider in its own process, WARCs
  straight into ``raw/``;
- :func:`~pipeline.run.extract_step.extract` reads the partition's WARCs back and stages
  normalized records;
- :func:`~pipeline.run.publish_step.deduplicate_and_publish` decides duplicates over the whole
  run and commits partitions, holding the archive's ``dedup`` lock (:mod:`pipeline.archive.lock`);
  the DAGs also queue it in a pool with one slot, so that runs wait in Airflow rather than in a
  worker slot;
- :func:`~pipeline.run.report_step.report` writes ``runs/<run id>.json``.

A partition whose manifest says it is complete is left alone: without ``force`` the crawl,
extraction and publish of that item do nothing, so running an interval again leaves a complete
archive as it was. A partial partition is crawled again; a failed site-day
(:mod:`pipeline.run.verdict`) raises :class:`SiteDayFailed` and is not committed.
"""

from pipeline.archive.layout import staged_key
from pipeline.run.crawl_step import CrawlFailed, SiteDayFailed, crawl, crawl_counts
from pipeline.run.extract_step import extract
from pipeline.run.plan import COMPLETE, invalid_sites, plan, reprocess_plan
from pipeline.run.publish_step import dedup_lock, deduplicate_and_publish
from pipeline.run.report_step import report

__all__ = [
    "COMPLETE", "CrawlFailed", "SiteDayFailed", "crawl", "crawl_counts", "dedup_lock",
    "deduplicate_and_publish", "extract", "invalid_sites", "plan", "report", "reprocess_plan",
    "staged_key",
]
