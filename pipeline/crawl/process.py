"""The crawl process: how the news spider is launched, in one place.

Scrapy's Twisted reactor runs in its own process (it cannot restart, and it must never share an
interpreter with the Airflow task runner), so every crawl is ``python -m scrapy crawl news ...``.
Both ``newsarchive crawl`` and :func:`pipeline.run.tasks.crawl` build that command here.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Sequence

from pipeline.config.settings import Settings


def spider_command(
    site: str,
    start: dt.date,
    end: dt.date | None = None,
    *,
    run_id: str,
    partition: dt.date | None = None,
    today: dt.date | str | None = None,
    sites_file: str | None = None,
    archive_url: str | None = None,
    overrides: Sequence[str] = (),
) -> list[str]:
    """The command line of one crawl.

    Args:
        site: Site id.
        start: First day of the window.
        end: Last day (default: ``start``).
        run_id: The run (names the crawl report's staging folder).
        partition: Partition date of the WARCs (default: ``start``).
        today: The date the spider treats as today (default: the UTC date).
        sites_file: ``sites.yaml`` (default: the ``sites_file`` setting).
        archive_url: Archive root (default: the ``archive_url`` setting).
        overrides: Scrapy settings as ``NAME=VALUE``.

    Returns:
        The argument vector.
    """
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"site={site}",
           "-a", f"start={start}", "-a", f"end={end or start}", "-a", f"run_id={run_id}"]
    for name, value in (("partition", partition), ("today", today), ("sites_file", sites_file)):
        if value:
            cmd += ["-a", f"{name}={value}"]
    if archive_url:
        cmd += ["-s", f"ARCHIVE_URL={archive_url}"]
    for item in overrides:
        cmd += ["-s", item]
    return cmd


def spider_env(settings: Settings) -> dict[str, str]:
    """The environment of a crawl process: ours, plus the Scrapy project and the settings."""
    env = dict(os.environ)
    # `spiders` is an installed package: naming its settings module makes `scrapy crawl` work from
    # any working directory, without the scrapy.cfg of a source checkout
    env.setdefault("SCRAPY_SETTINGS_MODULE", "spiders.settings")
    env["NEWSARCHIVE_ARCHIVE_URL"] = settings.archive_url
    if settings.sites_file:
        env["NEWSARCHIVE_SITES_FILE"] = settings.sites_file
    if settings.s3_endpoint_url:
        env["NEWSARCHIVE_S3_ENDPOINT_URL"] = settings.s3_endpoint_url
    if settings.allowed_networks:
        env["NEWSARCHIVE_ALLOWED_NETWORKS"] = ",".join(settings.allowed_networks)
    return env
