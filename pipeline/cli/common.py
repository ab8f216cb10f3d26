"""Argument types and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tqdm import tqdm

from pipeline.config.settings import Settings
from pipeline.dates import parse_day
from pipeline.errors import ConfigError, NewsArchiveError


class ExamplesHelpFormatter(argparse.HelpFormatter):
    """Help that wraps the description but prints an ``examples:`` epilog line for line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def iso_date(text: str) -> dt.date:
    """Argparse type for ``YYYY-MM-DD`` (:func:`pipeline.dates.parse_day`) with a clear message."""
    try:
        return parse_day(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check_range(parser: argparse.ArgumentParser, since: dt.date, until: dt.date) -> None:
    """Exit with a usage error when a date range is reversed."""
    if until < since:
        parser.error(f"--until {until} is before --since {since}")


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} is below {minimum}")
    return value


def positive_int(text: str) -> int:
    """Argparse type for a count that must be at least 1 (``--page-cap``)."""
    return _whole_number(text, 1)


def count(text: str) -> int:
    """Argparse type for a count that may be 0 (``--sample``)."""
    return _whole_number(text, 0)


def seconds(text: str) -> float:
    """Argparse type for a duration in seconds, more than 0 (``--timeout``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not more than 0 seconds")
    return value


def check_sites(parser: argparse.ArgumentParser, sites: Sequence[str] | None,
                sites_file: str | None, *, also_known: Sequence[str] = ()) -> None:
    """Exit with a usage error naming every requested site that ``sites_file`` does not list.

    A site whose entry is present but invalid is let through: planning reports its problems.

    Args:
        parser: The subcommand's parser (for the usage error).
        sites: The ``--site`` values (``None``: every site, nothing to check).
        sites_file: ``sites.yaml`` (empty: the setting's default, the bundled demo file).
        also_known: Further ids to accept (``reprocess``: sites with raw WARCs in the archive).

    Raises:
        ConfigError: The sites file cannot be read (exit 1, as for any configuration error).
    """
    if not sites:
        return
    from pipeline.config.sites import load_sites

    config = load_sites(sites_file or None)
    known = {s.id for s in config.sites} | {e.site for e in config.errors} | set(also_known)
    unknown = [s for s in sites if s not in known]
    if unknown:
        listed = ", ".join(sorted(s.id for s in config.sites)) or "none"
        parser.error(f"--site {', '.join(unknown)}: unknown site (not in {config.path}; "
                     f"sites: {listed})")


def check_archive(url: str | None, settings: Settings) -> None:
    """Fail before any fetch, naming the archive, when its root cannot be written.

    Raises:
        ArchiveError: From :func:`pipeline.archive.store.check_writable`.
    """
    from pipeline.archive.store import check_writable, open_store

    check_writable(open_store(url, settings))


def json_default(value: Any) -> Any:
    """JSON encoder fallback for dates and tuples."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(obj: Any) -> str:
    """One compact JSON line."""
    return json.dumps(obj, default=json_default, ensure_ascii=False, separators=(",", ":"))


PROGRESS_LOGGERS = ("pipeline.crawl.progress", "pipeline.run.progress")
"""Where the crawl and extraction log their progress lines (``extra={"progress": ...}``)."""


class ProgressHandler(logging.Handler):
    """Show the steps' progress lines.

    On a terminal in the progress bar (the latest line, in place); otherwise as plain lines on
    stderr (one every few seconds, for a log file).
    """

    def __init__(self, bar: tqdm[Any]) -> None:
        super().__init__(logging.INFO)
        self.bar = bar
        self.terminal = sys.stderr.isatty()

    def emit(self, record: logging.LogRecord) -> None:
        """Show one progress record."""
        message = record.getMessage()
        if self.terminal:
            self.bar.set_postfix_str(message, refresh=True)
        else:
            tqdm.write(message, file=sys.stderr)


@contextlib.contextmanager
def progress_shown(bar: tqdm[Any]) -> Iterator[None]:
    """While the block runs, the progress lines go to :class:`ProgressHandler` (only)."""
    handler = ProgressHandler(bar)
    loggers = [logging.getLogger(name) for name in PROGRESS_LOGGERS]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
        lg.propagate = False
    try:
        yield
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate


def for_each_partition(
    items: Sequence[dict[str, Any]],
    work: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    desc: str,
    stage_of: Callable[[NewsArchiveError], str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run ``work`` on every (site, date) item with a progress bar on stderr.

    The crawl's and the extraction's progress lines (pages fetched, articles, errors, rate) show
    in the bar on a terminal, as plain lines on stderr otherwise (:class:`ProgressHandler`).

    A failing item is recorded (``{"site", "date", "stage", "error"}``) and the others go on,
    as mapped tasks do under Airflow.

    Returns:
        The results of the items that succeeded, and the failures.
    """
    results: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    with tqdm(items, desc=desc, unit="partition", file=sys.stderr, disable=not items) as bar, \
            progress_shown(bar):
        for item in bar:
            bar.set_postfix_str(f"{item['site']} {item['date']}")
            try:
                results.append(work(item))
            except NewsArchiveError as exc:
                stage = stage_of(exc)
                failure = {"site": item["site"], "date": item["date"], "stage": stage,
                           "error": str(exc)}
                if getattr(exc, "reason", None):  # a failed verdict: discovery_failed, blocked...
                    failure["reason"] = exc.reason  # type: ignore[attr-defined]
                failures.append(failure)
                tqdm.write(f"{item['site']} {item['date']}: {stage} failed: {exc}",
                           file=sys.stderr)
    return results, failures


def finish_run(
    run_id: str, plan_items: Sequence[dict[str, Any]], extracted: Sequence[dict[str, Any]],
    failures: Sequence[dict[str, Any]], *, kind: str, settings: Settings,
) -> dict[str, Any]:
    """Deduplicate and publish what was extracted, write the run report, print and return it.

    The report is printed as a table (:func:`pipeline.cli.tables.print_report`).
    """
    from pipeline.archive.runreport import read_report
    from pipeline.archive.store import open_store
    from pipeline.cli.tables import print_report
    from pipeline.run import tasks

    published = tasks.deduplicate_and_publish(extracted, run_id, settings=settings)
    tasks.report(run_id, plan_items, published, failures, kind=kind, settings=settings)
    report = read_report(open_store(settings.archive_url, settings), run_id)
    print_report(report)
    return report
