"""``newsarchive read``: print archived articles as JSON lines."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pipeline.archive.layout import manifest_listing, parse_manifest_key
from pipeline.archive.reader import fetch_raw, iter_articles
from pipeline.archive.store import ArchiveStore, open_store
from pipeline.cli.common import ExamplesHelpFormatter, check_range, dumps, iso_date
from pipeline.config.settings import Settings

EXAMPLES = """\
examples:
  newsarchive read --since 2024-03-01 --until 2024-03-31 > march.jsonl
  newsarchive read --archive s3://news/archive --since 2024-03-01 --until 2024-03-01 \\
      --site metro-wire --fields site,date,url,title --limit 5
"""


def register(subparsers: Any) -> None:
    """Add the ``read`` subcommand."""
    parser = subparsers.add_parser(
        "read", help="print archived articles as JSON lines",
        description="Print articles of committed partitions as JSON lines on stdout.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    parser.add_argument("--since", type=iso_date, required=True, help="first date, YYYY-MM-DD")
    parser.add_argument("--until", type=iso_date, required=True, help="last date, YYYY-MM-DD")
    parser.add_argument("--site", action="append",
                        help="only this site (repeatable); a site of which the archive has no "
                             "committed partition at all (any date) is an error (exit 2), one "
                             "with no partition in the range prints nothing")
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
    check_archived_sites(args.parser, store, args.site or [])
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


def check_archived_sites(parser: argparse.ArgumentParser, store: ArchiveStore,
                         sites: list[str]) -> None:
    """Exit with a usage error naming each site the archive has no committed partition of.

    The archive decides, not ``sites.yaml``: readers need no crawl configuration, and a site
    removed from the configuration stays readable. One listing request per requested site;
    the error lists the sites the archive does have.
    """
    missing = [s for s in sites if next(iter(store.list(manifest_listing(s))), None) is None]
    if missing:
        archived = sorted({p.site for info in store.list(manifest_listing())
                           if (p := parse_manifest_key(info.key)) is not None})
        parser.error(f"--site {', '.join(missing)}: no committed partition of this site in "
                     f"{store.url} (sites in the archive: {', '.join(archived) or 'none'})")
