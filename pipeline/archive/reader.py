"""Reading the archive: what downstream jobs use.

Only committed partitions are read (through their manifests), so a half-written partition is
never seen. Rows marked as duplicates are left out unless asked for.

Example:
    >>> store = open_store("s3://news/archive", Settings.from_env())
    >>> for article in iter_articles(store, date(2024, 1, 1), date(2024, 1, 31), sites=["a"]):
    ...     print(article.title)
    >>> capture = fetch_raw(store, article)     # the raw HTTP response, one ranged GET
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator

from pipeline.errors import CorruptObject
from pipeline.archive.layout import (
    PartitionId,
    manifest_key,
    manifest_listing,
    parse_manifest_key,
)
from pipeline.archive.parquet import read_records
from pipeline.archive.partition import Manifest, sha256_hex
from pipeline.archive.schema import ArticleRecord
from pipeline.archive.store import ArchiveStore
from pipeline.archive.warc_reader import Capture, read_record

log = logging.getLogger(__name__)


def iter_partitions(
    store: ArchiveStore,
    since: dt.date,
    until: dt.date,
    sites: Iterable[str] | None = None,
) -> Iterator[PartitionId]:
    """Committed partitions with ``since <= date <= until``, ordered by (date, site)."""
    wanted = set(sites) if sites else None
    prefixes = [manifest_listing(s) for s in sorted(wanted)] if wanted else [manifest_listing()]
    found = []
    for prefix in prefixes:
        for info in store.list(prefix):
            part = parse_manifest_key(info.key)
            if part and since <= part.date <= until and (wanted is None or part.site in wanted):
                found.append(part)
    yield from sorted(found, key=lambda p: (p.date, p.site))


def load_manifest(store: ArchiveStore, part: PartitionId) -> Manifest:
    """The manifest of a committed partition."""
    key = manifest_key(part.site, part.date)
    return Manifest.from_json(store.get(key), f"{store.url}/{key}")


def iter_partition_records(
    store: ArchiveStore, manifest: Manifest, *, verify: bool = True
) -> Iterator[ArticleRecord]:
    """Every row of one partition, checking each object against its manifest digest.

    Records get ``site`` and ``date`` from the partition (the manifest), whatever the schema
    version of the files (see :func:`pipeline.archive.parquet.read_records`).
    """
    for obj in manifest.normalized:
        data = store.get(obj.key)
        if verify and (len(data) != obj.size or sha256_hex(data) != obj.sha256):
            raise CorruptObject(
                f"{store.url}/{obj.key}: content does not match its manifest "
                f"(size {len(data)} vs {obj.size})"
            )
        yield from read_records(data, f"{store.url}/{obj.key}", site=manifest.site,
                                date=manifest.date)


def iter_articles(
    store: ArchiveStore,
    since: dt.date,
    until: dt.date,
    *,
    sites: Iterable[str] | None = None,
    include_duplicates: bool = False,
    verify: bool = True,
) -> Iterator[ArticleRecord]:
    """Articles archived for dates ``since`` to ``until`` (inclusive).

    Args:
        store: The archive.
        since: First partition date.
        until: Last partition date.
        sites: Only these sites (default: all).
        include_duplicates: Also yield rows marked exact or near duplicates.
        verify: Check each Parquet object against the size and SHA-256 in its manifest.

    Yields:
        Records, partition by partition in (date, site) order, with ``site`` and ``date`` set.
    """
    for part in iter_partitions(store, since, until, sites):
        manifest = load_manifest(store, part)
        for record in iter_partition_records(store, manifest, verify=verify):
            if include_duplicates or record.duplicate_kind == "none":
                yield record


def fetch_raw(store: ArchiveStore, record: ArticleRecord) -> Capture:
    """The raw HTTP response behind a record, fetched with one ranged read of its WARC."""
    return read_record(store, record.raw)
