"""The one place that reads configuration.

Every setting has a name, a default, a unit and a line of documentation here; the table in
``docs/configuration.md`` is generated from :data:`SETTINGS`. Values come from the process
environment (``NEWSARCHIVE_<NAME>``). The Airflow adapters translate Airflow Variables and
connections into the same names before calling the library, so the library never imports Airflow.

S3 credentials are never settings: boto3 reads them from the standard AWS environment variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``) or
the DAGs pass them from the ``aws_default`` connection.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import ConfigError

ENV_PREFIX = "NEWSARCHIVE_"

DEDUP_POOL = "newsarchive_dedup"
"""Airflow pool with one slot in which the DAGs queue the dedup-and-publish step, so concurrent
runs wait in the scheduler rather than in a worker slot (the archive's dedup lock serializes the
step for every kind of run). A name, not a setting: ``newsarchive demo``, ``docker-compose.yaml``
and the operator (``airflow pools set newsarchive_dedup 1 ...``) create the pool under it."""


def _setting(default: Any, doc: str, unit: str = "", env: str | None = None) -> Any:
    """Declare a setting: its default, documentation and unit travel in the field metadata."""
    return field(default=default, metadata={"doc": doc, "unit": unit, "env": env})


@dataclass(frozen=True)
class Settings:
    """All settings of the pipeline, with their defaults.

    Build one with :meth:`from_env`; tests build them directly with keyword arguments.
    """

    # --- archive ------------------------------------------------------------------------------
    archive_url: str = _setting(
        "./archive",
        "Archive root: a local directory or s3://bucket/prefix.",
    )
    s3_endpoint_url: str | None = _setting(
        None,
        "S3 endpoint for non-AWS stores (Ceph, MinIO). Falls back to AWS_ENDPOINT_URL_S3 / "
        "AWS_ENDPOINT_URL.",
        env="NEWSARCHIVE_S3_ENDPOINT_URL",
    )
    s3_region: str | None = _setting(
        None, "S3 region. Falls back to AWS_DEFAULT_REGION / AWS_REGION, then us-east-1."
    )
    s3_addressing_style: str = _setting(
        "path", "S3 addressing style: path (works everywhere) or virtual."
    )
    s3_max_attempts: int = _setting(
        6, "Attempts per S3 request before a transient error is raised (adaptive backoff).",
        "attempts",
    )
    s3_connect_timeout: float = _setting(5.0, "S3 connect timeout.", "seconds")
    s3_read_timeout: float = _setting(60.0, "S3 read timeout.", "seconds")
    s3_verify: str | None = _setting(
        None, "CA bundle path for HTTPS endpoints with a private CA; 'false' disables checks."
    )
    multipart_threshold: int = _setting(
        16 * 1024 * 1024, "Objects at least this large are uploaded in parts.", "bytes"
    )
    multipart_chunksize: int = _setting(16 * 1024 * 1024, "Size of one multipart part.", "bytes")
    upload_concurrency: int = _setting(8, "Parallel part uploads per object.", "threads")

    # --- raw capture ---------------------------------------------------------------------------
    warc_max_bytes: int = _setting(
        256 * 1024 * 1024,
        "A WARC file rolls over (is closed and uploaded) once it reaches this size.",
        "bytes",
    )

    # --- dedup ---------------------------------------------------------------------------------
    dedup_window_days: int = _setting(
        30, "Near-duplicate and exact-text lookups look back this many days.", "days"
    )
    dedup_lock_ttl: int = _setting(
        300,
        "The dedup step holds an archive lock (locks/dedup/) that expires this long after the "
        "holder's last heartbeat (every third of it), so a crashed run blocks others no longer.",
        "seconds",
    )
    dedup_lock_wait: int = _setting(
        3600, "How long a run waits for the dedup lock before it fails, naming the holder.",
        "seconds",
    )
    simhash_max_distance: int = _setting(
        11,
        "Two texts whose 64-bit SimHashes are at most this many bits apart (and whose second, "
        "index-only SimHashes together differ by at most twice this) are near-duplicates. "
        "Measured by benchmarks/neardup_quality.py.",
        "bits",
    )

    # --- extraction ----------------------------------------------------------------------------
    extract_workers: int = _setting(
        0, "Extraction processes; 0 means one per CPU core.", "processes"
    )

    # --- crawl ---------------------------------------------------------------------------------
    sites_file: str = _setting(
        "", "Path of sites.yaml. Empty means the bundled demo sites (pipeline/data/sites.yaml)."
    )
    user_agent: str = _setting(
        "newsarchive/{version} (+{contact_url})",
        "User-Agent of the crawler; {version} and {contact_url} are filled in.",
    )
    contact_url: str = _setting(
        "https://github.com/newsarchive/newsarchive",
        "Where site owners learn who crawls them (goes into the User-Agent).",
    )
    allowed_networks: tuple[str, ...] = _setting(
        (),
        "Address ranges (CIDR, optionally :port) the crawler may reach even though they are "
        "private or loopback. Comma separated. Empty: only public addresses.",
    )

    crawl_settings: tuple[str, ...] = _setting(
        (),
        "Scrapy settings NAME=VALUE applied to every crawl, comma separated (e.g. "
        "DOWNLOAD_DELAY=0 for a private test site).",
    )
    crawl_today: str = _setting(
        "", "The date (YYYY-MM-DD) crawls treat as today, for demos and tests. Empty: the UTC date."
    )
    crawl_timeout: float = _setting(
        6 * 3600.0, "A crawl of one site and window is stopped (and fails) after this long.",
        "seconds"
    )
    crawl_window_days: int = _setting(
        31,
        "Days one crawl process covers at most: a run crawls each site once per window of up "
        "to this many days (discovery documents fetched once per window), so a long backfill "
        "is cut into windows that each commit on their own.",
        "days",
    )
    sitemap_max_children: int = _setting(
        500,
        "Child sitemaps (listed by sitemap indexes) one crawl fetches at most; indexes are "
        "followed 3 levels deep at most. A cap hit is counted (skipped sitemap_count_cap, "
        "sitemap_depth_cap) and makes the site-day partial.",
        "sitemaps",
    )
    host_lease_wait: float = _setting(
        7200.0,
        "At most one crawl per host runs at a time, across runs and workers (a lease in the "
        "archive, locks/hosts/<host>/): a crawl of a site whose host another crawl holds waits "
        "this long, then fails so that it is retried later. The wait is logged and counted "
        "(host_wait in the crawl step's stats).",
        "seconds",
    )
    host_lease_ttl: float = _setting(
        120.0,
        "A host lease lasts this long without a heartbeat (renewed every third of it): a "
        "crawl that died blocks its host for at most this long.",
        "seconds",
    )
    airflow_task_timeout: float = _setting(
        6 * 3600.0,
        "Airflow stops a newsarchive task that runs longer than this (its execution_timeout) "
        "and retries it; a crawl stopped so commits nothing (its crawl process is stopped too).",
        "seconds",
    )
    revisit_days: int = _setting(
        2,
        "A nightly crawl also re-fetches the site's articles archived in this many days before "
        "its window, with conditional requests (If-None-Match, If-Modified-Since): a 304 or an "
        "identical payload becomes a WARC revisit record and no row, changed text a new version "
        "row. 0 turns revisits off; backfills and crawls with a page cap never revisit.",
        "days",
    )
    revisit_max_per_site: int = _setting(
        200,
        "Revisit requests one crawl of a site sends at most (newest articles first); the rest "
        "are counted (revisit/skipped/cap).",
        "requests",
    )

    # --- run report ----------------------------------------------------------------------------
    anomaly_share: float = _setting(
        0.25,
        "The run report flags a complete site-day whose article count is below this share of "
        "the median of the site's previous complete days (a flag, not a failure); 0 disables.",
        "share (0-1)",
    )
    anomaly_history_days: int = _setting(
        7, "How many previous complete days of a site make that median (at least 3 needed).",
        "days",
    )

    # --- alerts (read by the Airflow DAGs' on_failure_callback) ------------------------------
    alert_webhook_url: str = _setting(
        "",
        "A failed DAG run POSTs a JSON alert here ({\"text\": ..., \"dag_id\", \"run_id\", ...}: "
        "Slack and Mattermost incoming webhooks show the text). Empty: no webhook.",
    )
    alert_notifier: str = _setting(
        "",
        "An Airflow notifier class called when a DAG run fails, as module.Class, e.g. "
        "airflow.providers.smtp.notifications.smtp.SmtpNotifier (its provider must be "
        "installed). Empty: none.",
    )
    alert_notifier_args: str = _setting(
        "",
        "Keyword arguments of that notifier, as a JSON object, e.g. "
        "{\"to\": \"ops@example.com\", \"subject\": \"newsarchive run failed\"}.",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from the environment.

        Args:
            environ: Mapping to read instead of ``os.environ``.
            **overrides: Values that win over the environment (already typed).

        Returns:
            The settings.

        Raises:
            ConfigError: A variable holds a value of the wrong type.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = f.metadata.get("env") or ENV_PREFIX + f.name.upper()
            if name in env and env[name] != "":
                values[f.name] = _parse(f.name, name, env[name], f.default)
        values.update(overrides)
        return cls(**values)


def _parse(field_name: str, env_name: str, raw: str, default: Any) -> Any:
    converters: dict[type, Callable[[str], Any]] = {
        int: int,
        float: float,
        tuple: lambda s: tuple(p.strip() for p in s.split(",") if p.strip()),
        bool: lambda s: {"1": True, "true": True, "yes": True, "0": False, "false": False,
                         "no": False}[s.strip().lower()],
    }
    kind = type(default) if default is not None else str
    convert = converters.get(kind, str)
    try:
        return convert(raw)
    except (ValueError, KeyError):
        raise ConfigError(
            f"{env_name}={raw!r} is not a valid {kind.__name__} (setting {field_name})"
        ) from None


SETTINGS = tuple(dataclasses.fields(Settings))
"""Every setting, for the documentation generator and ``newsarchive config``."""
