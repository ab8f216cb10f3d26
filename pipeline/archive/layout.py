"""Key builders for the archive layout (the archive contract, ``docs/archive.md``).

Every stage builds keys here and nowhere else, so the layout is written down once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipeline.errors import ConfigError

SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,199}$")

RAW = "raw"
NORMALIZED = "normalized"
MANIFESTS = "manifests"
INDEX = "index"
RUNS = "runs"
STAGING = "staging"


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


def manifest_key(site: str, date: dt.date) -> str:
    """Key of a partition's manifest (its commit record)."""
    return f"{MANIFESTS}/site={check_site(site)}/date={date.isoformat()}.json"


def run_report_key(run_id: str) -> str:
    """Key of a run's report."""
    return f"{RUNS}/{safe_run_id(run_id)}.json"


def staging_prefix(run_id: str) -> str:
    """Folder for what a run's tasks hand each other."""
    return f"{STAGING}/{safe_run_id(run_id)}"


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


def parse_manifest_key(key: str) -> PartitionId | None:
    """The partition a manifest key belongs to, or ``None`` for foreign keys."""
    match = _MANIFEST_KEY.match(key)
    if not match:
        return None
    try:
        return PartitionId(match["site"], dt.date.fromisoformat(match["date"]))
    except ValueError:
        return None
