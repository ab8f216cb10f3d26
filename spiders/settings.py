"""Scrapy settings of newsarchive, with every default we set or define documented here.

Values that ops configure come from :class:`pipeline.config.settings.Settings` (environment
variables ``NEWSARCHIVE_*``); this module only translates them. Everything can be overridden per
run with ``-s NAME=VALUE``. Tests turn the politeness delays off; the defaults below are polite.
"""

from __future__ import annotations

from pipeline import __version__
from pipeline.config.settings import Settings

_PIPELINE = Settings.from_env()

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders.spiders"]
NEWSPIDER_MODULE = "spiders.spiders"
COMMANDS_MODULE = "spiders.commands"
"""Project commands: ``crawl`` exits non-zero when the crawl stopped for a fatal reason."""

# --- identity ----------------------------------------------------------------------------------
USER_AGENT = _PIPELINE.user_agent.format(version=__version__, contact_url=_PIPELINE.contact_url)
"""Identifiable User-Agent with a contact URL (settings ``user_agent``, ``contact_url``)."""

# --- politeness --------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
"""Obey robots.txt, parsed by Protego (Scrapy's default ``ROBOTSTXT_PARSER``)."""
CONCURRENT_REQUESTS = 16
"""Requests in flight in total (one crawl process crawls one site)."""
CONCURRENT_ITEMS = 8
"""Outputs of one callback processed in parallel. The spider yields no items (pages go to WARC
in a middleware), only requests, and Scrapy starts this many asyncio workers for every callback:
its default (100) made that about a fifth of the crawl's CPU time."""
CONCURRENT_REQUESTS_PER_DOMAIN = 2
"""Requests in flight per domain; a site's ``politeness.concurrency`` may lower or raise it."""
DOWNLOAD_DELAY = 1.0
"""Seconds between requests to one domain (AutoThrottle adapts it, never below this)."""
AUTOTHROTTLE_ENABLED = True
"""Adapt the delay to the server's latency."""
AUTOTHROTTLE_START_DELAY = 1.0
"""Initial AutoThrottle delay, seconds."""
AUTOTHROTTLE_MAX_DELAY = 60.0
"""Largest AutoThrottle delay, seconds."""
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
"""Average parallel requests AutoThrottle aims for per domain."""
RETRY_ENABLED = True
RETRY_TIMES = 2
"""Retries after the first attempt for transient errors (5xx, 408, 429, timeouts, resets): a
page that times out costs at most 3 requests and 3 x ``DOWNLOAD_TIMEOUT`` (with 3 retries a trap
site that trickles bytes cost 4 requests a page and a 30-day window took 516 s)."""
RETRY_BACKOFF_BASE = 1.0
"""First retry delay, seconds; doubled on each further retry (BackoffRetryMiddleware)."""
RETRY_BACKOFF_MAX = 60.0
"""Largest backoff delay, seconds; also the largest ``Retry-After`` honoured (longer: give up)."""
COOKIES_ENABLED = False
"""News pages do not need sessions; cookies would only make responses vary."""

# --- safety ------------------------------------------------------------------------------------
NETGUARD_ENABLED = True
"""Refuse private, loopback, link-local and cloud-metadata addresses (NetGuardMiddleware and
the GuardedResolver). Disabling the middleware leaves the resolver check in place."""
NETGUARD_ALLOWED_NETWORKS = list(_PIPELINE.allowed_networks)
"""``CIDR[:port]`` entries allowed although not public (setting ``allowed_networks``)."""
TWISTED_DNS_RESOLVER = "spiders.resolver.GuardedResolver"
"""Resolver that drops forbidden addresses after DNS resolution, for every connection."""
DOWNLOAD_TIMEOUT = 30
"""Seconds before a download is abandoned."""
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
"""Bytes; larger responses are cancelled, and decompression stops at this size (gzip bombs)."""
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
"""Bytes; larger responses are logged."""
REDIRECT_MAX_TIMES = 5
"""Redirects followed per request before giving up (loops)."""
URLLENGTH_LIMIT = 2000
"""Characters; longer URLs are dropped (spider traps)."""
DEPTH_LIMIT = 30
"""Link hops from a discovery source; deeper requests are dropped (calendar traps)."""
TELNETCONSOLE_ENABLED = False
"""No telnet console."""
REMOTE_CONTROL_ENABLED = False
"""No RemoteControl extension (it would run Python code sent to a local HTTP endpoint)."""

# --- components --------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # before OffsiteMiddleware (50): a forbidden target is refused and counted as such first
    "spiders.middlewares.netguard.NetGuardMiddleware": 40,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.retry_backoff.BackoffRetryMiddleware": 550,
    # above HttpCompressionMiddleware (590) and RedirectMiddleware (600): its process_response
    # sees every response first, with the body still as received
    "spiders.middlewares.raw_capture.RawCaptureMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    "spiders.middlewares.revisits.RevisitMiddleware": 800,
}
REVISIT_DAYS = _PIPELINE.revisit_days
"""Days before a nightly window whose articles are re-fetched conditionally (0: off)."""
REVISIT_MAX_PER_SITE = _PIPELINE.revisit_max_per_site
"""Revisit requests per crawl at most (newest articles first)."""
EXTENSIONS = {
    "spiders.extensions.warc_capture.WarcCaptureExtension": 500,
    "spiders.extensions.crawl_report.CrawlReportExtension": 510,
    "spiders.extensions.progress.CrawlProgressExtension": 520,
    "spiders.extensions.parent_watch.ParentWatchExtension": 530,
}
PARENT_WATCH_ENABLED = True
"""Stop the crawl when the process that launched it dies (a killed Airflow task, say)."""
PARENT_WATCH_INTERVAL = 1.0
"""Seconds between two checks of the parent process."""
PROGRESS_INTERVAL = 5.0
"""Seconds between two progress lines of the crawl (pages, articles, errors, rate); 0: none."""

# --- raw capture and reports -------------------------------------------------------------------
WARC_CAPTURE_ENABLED = True
"""Write every exchange to WARC files in the archive."""
ARCHIVE_URL = _PIPELINE.archive_url
"""Archive root (local directory or s3://bucket/prefix; setting ``archive_url``)."""
WARC_CAPTURE_MAX_BYTES = _PIPELINE.warc_max_bytes
"""Bytes; a WARC file is closed and uploaded once it reaches this size."""
WARC_CAPTURE_MAX_PENDING = 64
"""Exchanges queued for the writer thread before responses wait for it (back-pressure)."""
WARC_CAPTURE_PAYLOAD_LOOKBACK_DAYS = 30
"""Days of earlier payload digests loaded so identical payloads become revisit records."""
CRAWL_REPORT_ENABLED = True
"""Save crawl stats to ``staging/<run_id>/crawl/<site>-<partition>.json``."""
SITEMAP_MAX_CHILDREN = _PIPELINE.sitemap_max_children
"""Child sitemaps one crawl fetches at most (setting ``sitemap_max_children``); index nesting is
bounded by :data:`pipeline.crawl.discovery.MAX_SITEMAP_DEPTH`."""
SITES_FILE = _PIPELINE.sites_file
"""sites.yaml to read (empty: the bundled demo file; setting ``sites_file``)."""

# --- Scrapy housekeeping -----------------------------------------------------------------------
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
