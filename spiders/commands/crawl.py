"""``scrapy crawl`` that exits non-zero when the crawl stopped for a fatal reason.

Scrapy's own command exits 1 only when the crawl could not start. A crawl that started but had
to stop because its archive cannot be used (``archive_unavailable``) or a WARC could not be
written (``warc_write_failed``) archived nothing or not everything, so its process must not
look successful: this command exits with :data:`EXIT_FATAL` then. Registered as ``crawl``
through ``COMMANDS_MODULE`` (``spiders/settings.py``), so ``python -m scrapy crawl news`` uses it.
"""

from __future__ import annotations

import argparse
import logging

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from spiders.extensions.warc_capture import FATAL_FINISH_REASONS

log = logging.getLogger(__name__)

EXIT_FATAL = 3
"""Exit status of a crawl that stopped for one of ``FATAL_FINISH_REASONS``."""


class Command(ScrapyCrawlCommand):
    """Scrapy's ``crawl``, plus a non-zero exit status for fatal finish reasons."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:  # noqa: D102
        if len(args) != 1:
            raise UsageError("run 'scrapy crawl' with exactly one spider")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif reason in FATAL_FINISH_REASONS:
            log.error("crawl stopped: %s (exit status %d)", reason, EXIT_FATAL)
            self.exitcode = EXIT_FATAL
