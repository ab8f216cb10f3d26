"""``newsarchive sites check``: validate a sites.yaml file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pipeline.cli.common import ExamplesHelpFormatter
from pipeline.config.settings import Settings
from pipeline.config.sites import load_sites

EXAMPLES = """\
examples:
  newsarchive sites check                 # NEWSARCHIVE_SITES_FILE, else the bundled demo sites
  newsarchive sites check my-sites.yaml
"""


def register(subparsers: Any) -> None:
    """Add the ``sites`` subcommand."""
    parser = subparsers.add_parser(
        "sites", help="inspect the sites.yaml file",
        description="Validate and list the configured news sites.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="validate sites.yaml; exit 1 on any problem",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    check.add_argument("file", nargs="?", help="the file (default: NEWSARCHIVE_SITES_FILE, "
                                               "else the bundled demo sites)")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Print each problem with its file, site and field; list the valid sites."""
    path = args.file or Settings.from_env().sites_file or None
    config = load_sites(path)
    for error in config.errors:
        print(f"error: {error}", file=sys.stderr)
    for site in config.sites:
        kinds = ", ".join(s.kind for s in site.discovery)
        print(f"ok: {site.id} ({site.base_url}; {kinds})")
    bad = len({e.site for e in config.errors})
    print(f"{config.path}: {len(config.sites)} valid site(s), {bad} invalid", file=sys.stderr)
    return 1 if config.errors else 0
