"""``newsarchive read``: print archived articles as JSON lines."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pipeline.archive.reader import fetch_raw, iter_articles
from pipeline.archive.store import open_store
from pipeline.cli.common import check_range, dumps, iso_date
from pipeline.config.settings import Settings


def register(subparsers: Any) -> None:
    """Add the ``read`` subcommand."""
    parser = subparsers.add_parser(
        "read", help="print archived articles as JSON lines",
        description="Print articles of committed partitions as JSON lines on stdout.",
    )
    parser.add_argument("--since", type=iso_date, required=True, help="first date, YYYY-MM-DD")
    parser.add_argument("--until", type=iso_date, required=True, help="last date, YYYY-MM-DD")
    parser.add_argument("--site", action="append", help="only this site (repeatable)")
    parser.add_argument("--archive", help="archive root (default: NEWSARCHIVE_ARCHIVE_URL)")
    parser.add_argument("--duplicates", action="store_true",
                        help="also print rows marked as exact or near duplicates")
    parser.add_argument("--fields", help="comma separated columns to print (default: all)")
    parser.add_argument("--raw", action="store_true",
                        help="add the raw HTTP response (status, headers, body) from the WARC")
    parser.add_argument("--limit", type=int, default=0, help="stop after N articles")
    parser.set_defaults(func=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    """Stream the articles."""
    check_range(args.parser, args.since, args.until)
    store = open_store(args.archive, Settings.from_env())
    fields = [f.strip() for f in args.fields.split(",")] if args.fields else None
    out = sys.stdout
    for count, record in enumerate(iter_articles(
        store, args.since, args.until, sites=args.site, include_duplicates=args.duplicates,
    ), start=1):
        row: dict[str, Any] = record.to_row()
        if fields:
            unknown = [f for f in fields if f not in row]
            if unknown:
                args.parser.error(f"unknown field(s) {', '.join(unknown)}")
            row = {f: row[f] for f in fields}
        if args.raw:
            capture = fetch_raw(store, record)
            row["raw_status"] = capture.status
            row["raw_headers"] = capture.headers
            row["raw_body"] = capture.body.decode("utf-8", "replace")
        out.write(dumps(row) + "\n")
        if args.limit and count >= args.limit:
            break
    out.flush()
    return 0
