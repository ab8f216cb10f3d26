"""The crawl process: how the news spider is launched, in one place.

Scrapy's Twisted reactor runs in its own process (it cannot restart, and it must never share an
interpreter with the Airflow task runner), so every crawl is ``python -m scrapy crawl news ...``.
Both ``newsarchive crawl`` and :func:`pipeline.run.crawl_step.crawl` build that command and its
Scrapy overrides (:func:`crawl_overrides`) here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence

from pipeline.config.settings import Settings

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 4.0
"""After the first SIGTERM, how long a crawl may take to close cleanly (finish the requests in
flight, upload the open WARC, write its report) before a second SIGTERM forces it."""
FORCE_GRACE_SECONDS = 2.0
"""After the second SIGTERM, how long before SIGKILL. The whole stop takes at most the sum,
less than the 5 s Airflow waits between its SIGINT, SIGTERM and SIGKILL."""


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


def crawl_overrides(settings: Settings, extra: Sequence[str] = (),
                    page_cap: int | None = None) -> list[str]:
    """The Scrapy ``NAME=VALUE`` overrides of a crawl, the same for every way to start one.

    Args:
        settings: The settings; ``crawl_settings`` (``NEWSARCHIVE_CRAWL_SETTINGS``) come first.
        extra: Overrides of this crawl (``newsarchive crawl -s``); they win over the setting.
        page_cap: ``CLOSESPIDER_PAGECOUNT`` (``--page-cap``), if given; wins over both.

    Returns:
        The overrides in order (a later one of the same name wins).
    """
    overrides = [*settings.crawl_settings, *extra]
    if page_cap:
        overrides.append(f"CLOSESPIDER_PAGECOUNT={int(page_cap)}")
    return overrides


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


def run_spider(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    timeout: float | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a crawl process to its end, and never leave it running behind us.

    The process gets its own process group, so that a Ctrl-C in a terminal reaches this
    process alone, which then stops the crawl in a bounded time (:func:`stop_spider`): the
    crawl is not left to finish or to be stopped twice. On ``KeyboardInterrupt`` (SIGINT, or
    SIGTERM turned into :class:`~pipeline.errors.Interrupted` by the CLI) and on a timeout the
    crawl is stopped and the exception raised again.

    Args:
        args: The command line (:func:`spider_command`).
        env: Its environment (:func:`spider_env`).
        timeout: Seconds before the crawl is stopped and ``TimeoutExpired`` raised.
        capture: Collect stdout and stderr together in the result (else they are inherited).

    Returns:
        The finished process, ``stdout`` set when ``capture``.
    """
    pipe = subprocess.PIPE if capture else None
    proc = subprocess.Popen(list(args), env=dict(env), stdout=pipe,
                            stderr=subprocess.STDOUT if capture else None, text=True,
                            process_group=0)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except BaseException:
        stop_spider(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, None)


def stop_spider(proc: subprocess.Popen[str]) -> None:
    """Stop a crawl process and its group: SIGTERM, a second SIGTERM, then SIGKILL.

    Scrapy closes cleanly on the first SIGTERM and forces its shutdown on the second. Bounded
    by :data:`STOP_GRACE_SECONDS` + :data:`FORCE_GRACE_SECONDS`; even when interrupted again,
    the group is killed before this returns or raises.
    """
    try:
        for sig, grace in ((signal.SIGTERM, STOP_GRACE_SECONDS),
                           (signal.SIGTERM, FORCE_GRACE_SECONDS)):
            if proc.poll() is not None:
                return
            log.warning("stopping the crawl process %d (%s)", proc.pid, sig.name)
            _signal_group(proc, sig)
            try:
                proc.communicate(timeout=grace)  # drains the pipe while it closes
                return
            except subprocess.TimeoutExpired:
                continue
    finally:
        if proc.poll() is None:
            log.warning("killing the crawl process %d", proc.pid)
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def _signal_group(proc: subprocess.Popen[str], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # the crawl leads its own group (process_group=0)
