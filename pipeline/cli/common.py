"""Argument types and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any


def iso_date(text: str) -> dt.date:
    """Argparse type for ``YYYY-MM-DD`` with a clear message."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


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
