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
import re
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import IO

from pipeline.config.settings import Settings

log = logging.getLogger(__name__)
spider_log = logging.getLogger("pipeline.crawl.spider")
"""Every line of a crawl process's output, logged as it arrives (INFO)."""
progress_log = logging.getLogger("pipeline.crawl.progress")
"""The crawl's progress lines, parsed (INFO, ``extra={"progress": {...}}``): the CLI shows them."""

TAIL_LINES = 200
"""Lines of a crawl's output kept for an error message (the rest went to the log)."""
PROGRESS_RE = re.compile(r"crawl progress: (?P<pages>\d+) pages fetched, (?P<articles>\d+) "
                         r"articles, (?P<errors>\d+) errors, (?P<rate>[\d.]+) pages/s")

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
    skip_days: Sequence[dt.date] = (),
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
        partition: Partition date of every capture; default: each capture goes to its own day
            of the window (its article's date, else the last day), one crawl report per day.
        skip_days: Days of the window not to crawl (already committed complete).
        today: The date the spider treats as today (default: the UTC date).
        sites_file: ``sites.yaml`` (default: the ``sites_file`` setting).
        archive_url: Archive root (default: the ``archive_url`` setting).
        overrides: Scrapy settings as ``NAME=VALUE``.

    Returns:
        The argument vector.
    """
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"site={site}",
           "-a", f"start={start}", "-a", f"end={end or start}", "-a", f"run_id={run_id}"]
    days = ",".join(d.isoformat() for d in skip_days)
    for name, value in (("partition", partition), ("skip_days", days), ("today", today),
                        ("sites_file", sites_file)):
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


def progress_line(pages: int, articles: int, errors: int, rate: float) -> str:
    """The progress line the crawl logs (``spiders.extensions.progress``, :data:`PROGRESS_RE`)."""
    return (f"crawl progress: {pages} pages fetched, {articles} articles, {errors} errors, "
            f"{rate:.2f} pages/s")


def parse_progress(line: str) -> dict[str, float] | None:
    """The numbers of a progress line, or ``None`` for any other line."""
    match = PROGRESS_RE.search(line)
    if match is None:
        return None
    return {k: (float(v) if k == "rate" else int(v)) for k, v in match.groupdict().items()}


def _relay(stream: IO[str], tail: deque[str]) -> None:
    """Log each line of the crawl's output as it arrives; keep the last ones."""
    for raw in stream:
        line = raw.rstrip("\n")
        tail.append(line)
        progress = parse_progress(line)
        if progress is not None:
            progress_log.info("%s", line[line.index("crawl progress:"):],
                              extra={"progress": progress})
        else:
            spider_log.info("%s", line)


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

    With ``capture``, the output (stdout and stderr together) is read line by line as the crawl
    writes it: each line is logged at once (logger ``pipeline.crawl.spider``; its progress lines,
    parsed, on ``pipeline.crawl.progress``), so an Airflow task log shows the crawl as it runs,
    and the last :data:`TAIL_LINES` lines are kept for the caller's error message.

    Args:
        args: The command line (:func:`spider_command`).
        env: Its environment (:func:`spider_env`).
        timeout: Seconds before the crawl is stopped and ``TimeoutExpired`` raised.
        capture: Stream and log the output (else stdout and stderr are inherited).

    Returns:
        The finished process; with ``capture``, ``stdout`` holds the output's last lines.
    """
    pipe = subprocess.PIPE if capture else None
    proc = subprocess.Popen(list(args), env=dict(env), stdout=pipe,
                            stderr=subprocess.STDOUT if capture else None, text=True,
                            errors="replace", bufsize=1, process_group=0)
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    reader = None
    if proc.stdout is not None:
        reader = threading.Thread(target=_relay, args=(proc.stdout, tail), daemon=True,
                                  name=f"crawl-log-{proc.pid}")
        reader.start()
    try:
        proc.wait(timeout=timeout)
    except BaseException:
        stop_spider(proc)
        raise
    finally:
        if reader is not None:
            reader.join(timeout=10)  # EOF follows the exit (the group is gone)
        if proc.stdout is not None:
            proc.stdout.close()
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       "\n".join(tail) if capture else None, None)


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
                proc.wait(timeout=grace)  # the relay thread drains the pipe meanwhile
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
