"""Key builders and parsers for the archive layout (the archive contract, ``docs/archive.md``).

Every stage builds and reads keys here and nowhere else, so the layout is written down once::

    raw/site=<site>/date=<YYYY-MM-DD>/<stem>-<serial>.warc.gz      raw_prefix, warc_file_name
    normalized/site=<site>/date=<YYYY-MM-DD>/part-<sha256[:24]>.parquet   normalized_key
    manifests/site=<site>/date=<YYYY-MM-DD>.json                    manifest_key
    index/fingerprints/date=<YYYY-MM-DD>/site=<site>.parquet        fingerprint_index_key
    index/payloads/site=<site>/<YYYY-MM-DD>.json                    payload_index_key
    locks/<name>/<generation:012d>.<json|renewed|released>          lock_key
    locks/hosts/<host>/<generation:012d>.<json|renewed|released>    host_lease_key
    runs/<safe run id>.json                                         run_report_key
    staging/<safe run id>/crawl/<site>-<YYYY-MM-DD>.json            crawl_report_key
    staging/<safe run id>/extracted/site=<site>/date=<YYYY-MM-DD>.<parquet|json>   staged_key
    staging/_probe/<token>                                          probe_key

Names ending in ``_prefix`` are folders (no trailing ``/``); names ending in ``_listing`` are
prefixes to pass to ``ArchiveStore.list``. Builders validate the site id (:func:`check_site`),
except those of the dedup index and of extraction's staging, which take the site the records
carry.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipeline.dates import parse_day
from pipeline.errors import ConfigError

SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,199}$")

RAW = "raw"
NORMALIZED = "normalized"
MANIFESTS = "manifests"
INDEX = "index"
RUNS = "runs"
STAGING = "staging"
LOCKS = "locks"

WARC_SUFFIX = ".warc.gz"
"""File name suffix of raw WARC files."""


def check_site(site: str) -> str:
    """Validate a site id (lowercase letters, digits, ``-``/``_``; it becomes a key segment)."""
    if not SITE_ID.match(site or ""):
        raise ConfigError(
            f"invalid site id {site!r}: use 1-63 lowercase letters, digits, '-' or '_'"
        )
    return site


def check_run_id(run_id: str) -> str:
    """Validate a run id; Airflow's ids (``scheduled__2024-01-01T00:00:00+00:00``) pass."""
    if not RUN_ID.match(run_id or ""):
        raise ConfigError(f"invalid run id {run_id!r}")
    return run_id


def safe_run_id(run_id: str) -> str:
    """A run id made safe as one key segment (``:`` and ``+`` become ``-``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", check_run_id(run_id))


def partition_path(site: str, date: dt.date) -> str:
    """``site=<site>/date=<YYYY-MM-DD>``."""
    return f"site={check_site(site)}/date={date.isoformat()}"


def raw_prefix(site: str, date: dt.date) -> str:
    """Folder of a partition's WARC files."""
    return f"{RAW}/{partition_path(site, date)}"


def normalized_prefix(site: str, date: dt.date) -> str:
    """Folder of a partition's Parquet files."""
    return f"{NORMALIZED}/{partition_path(site, date)}"


def raw_listing() -> str:
    """Listing prefix of every raw partition (``raw/site=``)."""
    return f"{RAW}/site="


def is_warc_key(key: str) -> bool:
    """Whether ``key`` names a WARC file (``.warc.gz``)."""
    return key.endswith(WARC_SUFFIX)


def warc_file_stem(site: str, started: dt.datetime, nonce: str) -> str:
    """Stem of the WARC files of one crawl: ``<site>-<YYYYMMDDTHHMMSSZ>-<nonce>``.

    Args:
        site: Site id.
        started: When the crawl's writer started (UTC).
        nonce: A few random hex digits, so crawls started in the same second differ.
    """
    return f"{site}-{started:%Y%m%dT%H%M%SZ}-{nonce}"


def warc_file_name(stem: str, serial: int) -> str:
    """Name of the ``serial``-th WARC file of a writer: ``<stem>-<serial:05d>.warc.gz``."""
    return f"{stem}-{serial:05d}{WARC_SUFFIX}"


def warc_key(prefix: str, file_name: str) -> str:
    """Key of a WARC file named ``file_name`` in the folder ``prefix`` (see :func:`raw_prefix`)."""
    return f"{prefix.rstrip('/')}/{file_name}"


def normalized_key(site: str, date: dt.date, sha256: str) -> str:
    """Key of a partition's Parquet file, named by its content (the hex SHA-256 of its bytes)."""
    return f"{normalized_prefix(site, date)}/part-{sha256[:24]}.parquet"


def manifest_key(site: str, date: dt.date) -> str:
    """Key of a partition's manifest (its commit record)."""
    return f"{MANIFESTS}/site={check_site(site)}/date={date.isoformat()}.json"


def manifest_listing(site: str | None = None) -> str:
    """Listing prefix of the manifests of ``site`` (not validated: a filter), or of every site."""
    return f"{MANIFESTS}/site={site}/" if site is not None else f"{MANIFESTS}/"


def fingerprint_index_key(day: dt.date, site: str) -> str:
    """Key of the dedup index object of one partition."""
    return f"{fingerprint_listing(day)}site={site}.parquet"


def fingerprint_listing(day: dt.date | None = None) -> str:
    """Listing prefix of the dedup index objects of ``day``, or of every day (``...date=``)."""
    root = f"{INDEX}/fingerprints/date="
    return f"{root}{day.isoformat()}/" if day is not None else root


def fingerprint_index_day(key: str) -> dt.date | None:
    """The day of a dedup index key (from :func:`fingerprint_listing`), or ``None``."""
    if not key.startswith(fingerprint_listing()):
        return None
    try:
        return parse_day(key.split("/")[2].removeprefix("date="))
    except ConfigError:
        return None


def payload_index_key(site: str, partition: dt.date) -> str:
    """Key of the payload digests written by the crawl of ``site`` for ``partition``."""
    return f"{INDEX}/payloads/site={check_site(site)}/{partition.isoformat()}.json"


def lock_listing(name: str) -> str:
    """Listing prefix of the generations of the lock ``name`` (``locks/<name>/``)."""
    return f"{LOCKS}/{name}/"


def lock_key(name: str, generation: int, suffix: str = "json") -> str:
    """Key of one state of a lock generation: ``json`` (taken), ``renewed`` or ``released``."""
    return f"{lock_listing(name)}{generation:012d}.{suffix}"


def host_lease_name(host: str) -> str:
    """Lock name of the crawl lease of one host (``hosts/<host>``), see :func:`lock_listing`.

    Args:
        host: A host name or IP address (lowercased; a port is not part of it, as Scrapy's
            per-domain slots ignore ports).

    Raises:
        ConfigError: ``host`` cannot be one key segment.
    """
    host = host.lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,252}|\[?[0-9a-f:.]{2,45}\]?", host):
        raise ConfigError(f"invalid host name {host!r} for a crawl lease")
    return f"hosts/{host.strip('[]').replace(':', '_')}"


def host_lease_key(host: str, generation: int, suffix: str = "json") -> str:
    """Key of one state of a host lease generation (see :func:`lock_key`)."""
    return lock_key(host_lease_name(host), generation, suffix)


def parse_lock_key(key: str) -> tuple[int, str] | None:
    """The (generation, suffix) of a lock key, or ``None`` for a foreign key."""
    stem, _, suffix = key.rsplit("/", 1)[-1].partition(".")
    return (int(stem), suffix) if stem.isdigit() else None


def run_report_key(run_id: str) -> str:
    """Key of a run's report."""
    return f"{RUNS}/{safe_run_id(run_id)}.json"


def run_report_listing() -> str:
    """Listing prefix of the run reports (``runs/``)."""
    return f"{RUNS}/"


def parse_run_report_key(key: str) -> str | None:
    """The (key-safe) run id of a run report key, or ``None`` for other keys."""
    if key.startswith(run_report_listing()) and key.endswith(".json"):
        return key[len(run_report_listing()):-len(".json")]
    return None


def staging_prefix(run_id: str) -> str:
    """Folder for what a run's tasks hand each other."""
    return f"{STAGING}/{safe_run_id(run_id)}"


def probe_key(token: str) -> str:
    """Key of the small object a command puts and deletes to check the archive is writable.

    ``_probe`` cannot be a run id (run ids start with a letter or digit), so a probe never
    lands in a run's staging folder.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", token):
        raise ConfigError(f"invalid probe token {token!r}")
    return f"{STAGING}/_probe/{token}"


def crawl_report_key(run_id: str, site: str, partition: dt.date) -> str:
    """Key of the crawl report of ``site`` in run ``run_id``."""
    return f"{staging_prefix(run_id)}/crawl/{check_site(site)}-{partition.isoformat()}.json"


def staged_key(run_id: str, site: str, day: dt.date, suffix: str) -> str:
    """Key of what extraction stages for the dedup step (``parquet`` rows, ``json`` counts)."""
    return f"{staging_prefix(run_id)}/extracted/site={site}/date={day.isoformat()}.{suffix}"


@dataclass(frozen=True, order=True)
class PartitionId:
    """A (site, date) partition."""

    site: str
    date: dt.date

    def __str__(self) -> str:
        return partition_path(self.site, self.date)


_MANIFEST_KEY = re.compile(
    rf"^{MANIFESTS}/site=(?P<site>[a-z0-9_-]+)/date=(?P<date>\d{{4}}-\d{{2}}-\d{{2}})\.json$"
)
_PARTITION_KEY = re.compile(
    rf"^(?:{RAW}|{NORMALIZED})/site=(?P<site>[a-z0-9_-]+)/date=(?P<date>\d{{4}}-\d{{2}}-\d{{2}})/"
)


def _partition(match: re.Match[str] | None) -> PartitionId | None:
    if not match:
        return None
    try:
        return PartitionId(match["site"], parse_day(match["date"]))
    except ConfigError:
        return None


def parse_manifest_key(key: str) -> PartitionId | None:
    """The partition a manifest key belongs to, or ``None`` for foreign keys."""
    return _partition(_MANIFEST_KEY.match(key))


def parse_partition_key(key: str) -> PartitionId | None:
    """The partition of a key under ``raw/`` or ``normalized/``, or ``None`` for other keys."""
    return _partition(_PARTITION_KEY.match(key))
