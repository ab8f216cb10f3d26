"""The ``newsarchive`` command line.

Each subcommand lives in its own module of this package and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` to a callable taking the parsed arguments and returning
the exit status. Add a new module to :data:`COMMAND_MODULES` to plug it in.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from pipeline import __version__
from pipeline.errors import Interrupted, NewsArchiveError

COMMAND_MODULES: tuple[str, ...] = (
    "pipeline.cli.read",
    "pipeline.cli.config",
    "pipeline.cli.report",
    "pipeline.cli.status",
    "pipeline.cli.sites",
    "pipeline.cli.crawl",
    "pipeline.cli.demo_sites",
    "pipeline.cli.demo",
    "pipeline.cli.extract",
    "pipeline.cli.run",
    "pipeline.cli.reprocess",
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM handler: stop like Ctrl-C does (crawl processes stopped, nothing published)."""
    raise Interrupted(signum)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="newsarchive",
        description="Crawl news sites and keep a permanent, queryable archive (WARC + Parquet).",
    )
    parser.add_argument("--version", action="version", version=f"newsarchive {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    previous = signal.getsignal(signal.SIGTERM)
    own = previous == signal.SIG_DFL and threading.current_thread() is threading.main_thread()
    if own:  # a host's handler (Airflow's task runner) is left alone
        signal.signal(signal.SIGTERM, _terminated)
    try:
        return _run(args)
    finally:
        if own:
            signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    """Run the chosen subcommand, turning the errors it may raise into exit statuses."""
    try:
        return int(args.func(args) or EXIT_OK)
    except NewsArchiveError as exc:
        print(f"newsarchive {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt as exc:
        # 128 + the signal, as a shell reports it: 130 for SIGINT (Ctrl-C), 143 for SIGTERM
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        name = signal.Signals(signum).name
        print(f"newsarchive {args.command}: interrupted ({name})", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        return EXIT_OK  # `newsarchive read ... | head` is normal use


if __name__ == "__main__":
    sys.exit(main())
