"""``newsarchive extract``: extract HTML files with the pipeline's extraction stage."""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import logging
import sys
import zlib
from pathlib import Path
from typing import Any

from pipeline.cli.common import ExamplesHelpFormatter, dumps
from pipeline.extract.extraction import PageInput, Skip, extract_details

logger = logging.getLogger(__name__)


EXAMPLES = """\
examples:
  newsarchive extract page.html --url https://example.com/news/1
  newsarchive extract a.html=https://example.com/a b.html.gz=https://example.com/b \\
      --fields title,authors,published_at
"""


def register(subparsers: Any) -> None:
    """Add the ``extract`` subcommand."""
    parser = subparsers.add_parser(
        "extract", help="extract HTML files into normalized JSON records",
        description="Extract HTML files (plain or .gz) with the same code as the pipeline and "
                    "print one normalized record per line. Give each file's URL with --url "
                    "(one file) or as PATH=URL. Pages that are not articles print a "
                    '{"skipped": reason} line.',
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH[=URL]", help="HTML file(s)")
    parser.add_argument("--url", help="URL of the page (a single PATH)")
    parser.add_argument("--fetched-at", type=dt.datetime.fromisoformat,
                        help="crawl time, ISO 8601 (default: the file's modification time)")
    parser.add_argument("--site", default="", help="site name (default: the URL's host)")
    parser.add_argument("--fields", help="comma separated columns to print (default: all)")
    parser.set_defaults(func=run, parser=parser)


def _split(arg: str, url: str | None) -> tuple[Path, str]:
    if "=" in arg and not Path(arg).exists():
        path, _, page_url = arg.partition("=")
        return Path(path), page_url
    return Path(arg), url or ""


def _read(path: Path) -> bytes:
    """The file's bytes, gunzipped when they start with the gzip magic number."""
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def run(args: argparse.Namespace) -> int:
    """Extract each file and print its record."""
    if args.url and len(args.paths) > 1:
        args.parser.error("--url names the URL of a single PATH; use PATH=URL for several")
    fields = [f.strip() for f in args.fields.split(",")] if args.fields else None
    status = 0
    for arg in args.paths:
        path, url = _split(arg, args.url)
        if not url:
            args.parser.error(f"{path}: no URL (use --url or PATH=URL)")
        try:
            data = _read(path)
        except OSError as exc:
            print(f"newsarchive extract: {path}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
            continue
        except (EOFError, zlib.error) as exc:
            print(f"newsarchive extract: {path}: not a valid gzip file ({exc})", file=sys.stderr)
            status = 1
            continue
        fetched_at = args.fetched_at or dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=dt.UTC)
        try:
            result = extract_details(PageInput(data, url, fetched_at, site=args.site))
        except Exception as exc:  # report the page and go on with the others
            logger.debug("extraction failed for %s", path, exc_info=True)
            print(f"newsarchive extract: {path}: extraction failed: {exc!r}", file=sys.stderr)
            status = 1
            continue
        if isinstance(result.outcome, Skip):
            row: dict[str, Any] = {"url": url, "skipped": result.outcome.reason}
        else:
            row = result.outcome.to_row()
            _in_page_offset(row, result)
            if fields:
                row = {f: row[f] for f in fields if f in row}
        sys.stdout.write(dumps(row) + "\n")
    sys.stdout.flush()
    return status


def _in_page_offset(row: dict[str, Any], result: Any) -> None:
    """Show ``published_at``/``modified_at`` in the offset the page stated.

    The instant is the stored UTC value; a page that gave no offset keeps UTC.
    """
    meta = result.metadata
    for key, value in (("published_at", meta and meta.published),
                       ("modified_at", meta and meta.modified)):
        if value and value.has_offset and value.has_time:
            row[key] = value.value.isoformat()
