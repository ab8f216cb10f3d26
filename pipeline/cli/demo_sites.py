"""``newsarchive demo-sites serve``: serve the demo news sites on loopback."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from pipeline.cli.common import ExamplesHelpFormatter, iso_date
from pipeline.demo import DEFAULT_PORT, DemoServer, DemoWorld, FaultOptions, sites_yaml

EXAMPLES = """\
examples:
  newsarchive demo-sites serve                        # ports 8701, 8702, ... until Ctrl-C
  newsarchive demo-sites serve --port 0 --faults --write-sites /tmp/demo-sites.yaml
"""


def register(subparsers: Any) -> None:
    """Add the ``demo-sites`` subcommand."""
    parser = subparsers.add_parser(
        "demo-sites", help="serve realistic demo news sites on 127.0.0.1",
        description="Serve the demo news sites (one port each, from --port on) and print "
                    "their base URLs, the allowlist and a matching sites.yaml.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve", help="serve until interrupted",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"first port (default {DEFAULT_PORT}; 0: ephemeral ports)")
    serve.add_argument("--seed", type=int, default=1, help="world seed (default 1)")
    serve.add_argument("--days", type=int, default=30, help="days of articles (default 30)")
    serve.add_argument("--articles-per-day", type=int, default=8,
                       help="articles per site and day (default 8)")
    serve.add_argument("--today", type=iso_date, help="date the days count back from")
    serve.add_argument("--faults", action="store_true", help="also serve the fault site")
    serve.add_argument("--write-sites", metavar="FILE", help="also write sites.yaml to FILE")
    serve.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Serve until interrupted (or until ``stop`` is set, for tests)."""
    world = DemoWorld(seed=args.seed, today=args.today, days=args.days,
                      articles_per_day=args.articles_per_day, faults=args.faults)
    forbidden = f"http://127.0.0.2:{args.port + len(world.sites) if args.port else 9}/internal"
    server = DemoServer(world, base_port=args.port,
                        fault_options=FaultOptions(forbidden_url=forbidden)).start()
    try:
        for site_id, url in server.base_urls.items():
            print(f"{site_id}: {url}")
        print(f"NEWSARCHIVE_ALLOWED_NETWORKS={','.join(server.allowed_networks())}")
        text = sites_yaml(server.base_urls)
        if args.write_sites:
            with open(args.write_sites, "w", encoding="utf-8") as fh:
                fh.write(text)
        print("---")
        print(text, flush=True)
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print("demo sites stopped", file=sys.stderr)
    return 0
