"""Progress lines of the long steps: a log line every few seconds while they work.

The crawl's progress comes from the crawl process itself (``spiders.extensions.progress``,
relayed by :func:`pipeline.crawl.process.run_spider` on ``pipeline.crawl.progress``); the
extraction's from :class:`Ticker`, on ``pipeline.run.progress``. Both carry their numbers in
the record (``extra={"progress": {...}}``): the CLI turns them into its progress display, an
Airflow task log shows the lines as they are.
"""

from __future__ import annotations

import logging
import time

progress_log = logging.getLogger("pipeline.run.progress")

INTERVAL_SECONDS = 5.0
"""Seconds between two progress lines of a step."""


class Ticker:
    """Log ``<what> progress: ...`` at most every :data:`INTERVAL_SECONDS`, and once at the end.

    Args:
        what: The step and its item, e.g. ``extract metro-wire 2024-03-01``.
        unit: What is counted for the rate (``captures``).
        interval: Seconds between two lines.
    """

    def __init__(self, what: str, unit: str, interval: float = INTERVAL_SECONDS) -> None:
        self.what, self.unit, self.interval = what, unit, interval
        self.started = self.last = time.monotonic()

    def tick(self, done: int, **numbers: int) -> None:
        """Log a line if the interval has passed; ``done`` is the count the rate is of."""
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._log(done, numbers, now)

    def finish(self, done: int, **numbers: int) -> None:
        """Log the final line."""
        self._log(done, numbers, time.monotonic())

    def _log(self, done: int, numbers: dict[str, int], now: float) -> None:
        rate = done / max(now - self.started, 1e-6)
        shown = ", ".join([f"{done} {self.unit}", *(f"{v} {k}" for k, v in numbers.items()),
                           f"{rate:.1f} {self.unit}/s"])
        progress_log.info("%s progress: %s", self.what, shown,
                          extra={"progress": {self.unit: done, **numbers, "rate": rate}})
