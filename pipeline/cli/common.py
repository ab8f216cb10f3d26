"""Argument types and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from pipeline.config.settings import Settings
from pipeline.dates import parse_day
from pipeline.errors import ConfigError, NewsArchiveError


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


def for_each_partition(
    items: Sequence[dict[str, Any]],
    work: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    desc: str,
    stage_of: Callable[[NewsArchiveError], str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run ``work`` on every (site, date) item with a progress bar on stderr.

    A failing item is recorded (``{"site", "date", "stage", "error"}``) and the others go on,
    as mapped tasks do under Airflow.

    Returns:
        The results of the items that succeeded, and the failures.
    """
    results: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    with tqdm(items, desc=desc, unit="partition", file=sys.stderr, disable=not items) as bar:
        for item in bar:
            bar.set_postfix_str(f"{item['site']} {item['date']}")
            try:
                results.append(work(item))
            except NewsArchiveError as exc:
                stage = stage_of(exc)
                failures.append({"site": item["site"], "date": item["date"], "stage": stage,
                                 "error": str(exc)})
                tqdm.write(f"{item['site']} {item['date']}: {stage} failed: {exc}",
                           file=sys.stderr)
    return results, failures


def finish_run(
    run_id: str, plan_items: Sequence[dict[str, Any]], extracted: Sequence[dict[str, Any]],
    failures: Sequence[dict[str, Any]], *, kind: str, settings: Settings,
) -> dict[str, Any]:
    """Deduplicate and publish what was extracted, write the run report, print and return it."""
    from pipeline.archive.runreport import format_report, read_report
    from pipeline.archive.store import open_store
    from pipeline.run import tasks

    published = tasks.deduplicate_and_publish(extracted, run_id, settings=settings)
    tasks.report(run_id, plan_items, published, failures, kind=kind, settings=settings)
    report = read_report(open_store(settings.archive_url, settings), run_id)
    print(format_report(report))
    return report
