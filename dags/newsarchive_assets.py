"""The Assets of newsarchive, declared once (producers and consumers import them from here).

A downstream DAG that should run whenever partitions are committed schedules on
:data:`NORMALIZED_ARCHIVE`::

    from newsarchive_assets import NORMALIZED_ARCHIVE

    @dag(schedule=[NORMALIZED_ARCHIVE], ...)
    def index_new_articles(): ...

Each event's ``extra`` holds ``run_id``, ``archive_url`` and ``partitions`` (``site``, ``date``,
``status``, ``coverage`` of every partition the run published or revised), so a consumer reads
only what changed. A run that published nothing new emits no event.
"""

from __future__ import annotations

from airflow.sdk import Asset

NORMALIZED_ARCHIVE = Asset(
    name="newsarchive_normalized",
    uri="x-newsarchive://archive/normalized",  # "x-": no provider URI handler loads,
    group="newsarchive",
    extra={"layout": "normalized/site=<site>/date=<YYYY-MM-DD>/", "docs": "docs/archive.md"},
)
"""Committed normalized partitions (Parquet + manifest) of the archive."""
