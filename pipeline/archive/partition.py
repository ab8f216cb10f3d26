"""Partitions and their manifests: the commit protocol of the archive.

A (site, date) partition exists for readers only through its manifest
``manifests/site=<site>/date=<YYYY-MM-DD>.json``. Publishing is:

1. write the new Parquet objects under content-derived names (never overwriting a listed one);
2. write the manifest (one PUT: atomic on S3 and, with rename, locally) - the commit point;
3. delete the normalized objects the old manifest listed and the new one does not, and leftovers
   of crashed publishes.

A crash before step 2 leaves the old manifest and all its objects in place; a crash after it leaves
only unlisted garbage, removed by the next publish. Publishing the same records again writes the
same object names and, when nothing changed, leaves the manifest untouched, so a rerun of a
complete partition changes nothing. Raw WARC files are never deleted here: they are the record of
truth and only ever added.

Concurrent publishers of the *same* partition must be serialized by the caller (the DAGs use an
Airflow pool with one slot for the dedup-and-publish step).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.archive.layout import (
    is_warc_key,
    manifest_key,
    normalized_key,
    normalized_prefix,
    raw_prefix,
)
from pipeline.archive.parquet import write_records
from pipeline.archive.schema import SCHEMA_VERSION, ArticleRecord
from pipeline.archive.store import ArchiveStore
from pipeline.errors import CorruptObject

log = logging.getLogger(__name__)

MANIFEST_VERSION = 2
"""Version 2 added ``coverage``, ``coverage_notes`` and ``discovery``; a version 1 manifest reads
as complete with no notes and no discovery sources (docs/archive.md, migration notes)."""
ROWS_PER_FILE = 50_000

COMPLETE = "complete"
"""Coverage of a partition whose crawl read discovery and fetched (or skipped for a reason) every
in-window article."""
PARTIAL = "partial"
"""Coverage of a partition that may lack articles (``coverage_notes`` say why); the next run
without ``--force`` crawls it again."""
COVERAGES = (COMPLETE, PARTIAL)


@dataclass(frozen=True)
class ManifestObject:
    """One object a manifest lists."""

    key: str
    size: int
    sha256: str
    kind: str  # "normalized" or "raw"
    rows: int | None = None


@dataclass(frozen=True)
class Coverage:
    """How complete a partition is, and the evidence: the crawl's verdict.

    Attributes:
        coverage: :data:`COMPLETE` or :data:`PARTIAL`.
        notes: Why a partition is partial (caps, failed fetches, interruption, a discovery
            source that failed, blocked responses).
        discovery: The discovery sources read: ``{"kind", "url", "pages", "links"}`` each.
    """

    coverage: str = COMPLETE
    notes: tuple[str, ...] = ()
    discovery: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.coverage not in COVERAGES:
            raise ValueError(f"coverage must be one of {COVERAGES}, not {self.coverage!r}")

    @property
    def complete(self) -> bool:
        """Whether the partition is complete (a rerun without ``force`` leaves it)."""
        return self.coverage == COMPLETE


@dataclass(frozen=True)
class Manifest:
    """The commit record of a partition."""

    site: str
    date: dt.date
    run_id: str
    objects: tuple[ManifestObject, ...]
    counts: Mapping[str, int] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    manifest_version: int = MANIFEST_VERSION
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def normalized(self) -> list[ManifestObject]:
        """The Parquet objects of the partition."""
        return [o for o in self.objects if o.kind == "normalized"]

    @property
    def raw(self) -> list[ManifestObject]:
        """The WARC objects of the partition."""
        return [o for o in self.objects if o.kind == "raw"]

    def content(self) -> tuple[Any, ...]:
        """What makes two manifests the same partition content (ignores the run id)."""
        return (self.site, self.date, self.objects, dict(self.counts), self.schema_version,
                self.manifest_version, self.coverage.coverage, self.coverage.notes,
                [dict(d) for d in self.coverage.discovery])

    def to_json(self) -> bytes:
        """Serialize (stable key order, one object per line for diff-friendly reading)."""
        doc = {
            "manifest_version": self.manifest_version,
            "schema_version": self.schema_version,
            "site": self.site,
            "date": self.date.isoformat(),
            "run_id": self.run_id,
            "counts": dict(sorted(self.counts.items())),
            "coverage": self.coverage.coverage,
            "coverage_notes": list(self.coverage.notes),
            "discovery": [dict(d) for d in self.coverage.discovery],
            "objects": [{k: v for k, v in asdict(o).items() if v is not None}
                        for o in self.objects],
        }
        return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, where: str = "manifest") -> Manifest:
        """Parse a manifest; raises :class:`CorruptObject` naming ``where`` when malformed."""
        try:
            doc = json.loads(data)
            return cls(
                site=doc["site"],
                date=dt.date.fromisoformat(doc["date"]),
                run_id=doc["run_id"],
                objects=tuple(ManifestObject(**o) for o in doc["objects"]),
                counts={k: int(v) for k, v in doc.get("counts", {}).items()},
                schema_version=int(doc["schema_version"]),
                manifest_version=int(doc["manifest_version"]),
                # version 1 had no coverage: it was committed as complete
                coverage=Coverage(str(doc.get("coverage") or COMPLETE),
                                  tuple(str(n) for n in doc.get("coverage_notes") or ()),
                                  tuple(dict(d) for d in doc.get("discovery") or ())),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptObject(f"{where}: malformed manifest ({exc})") from None


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def read_manifest(store: ArchiveStore, site: str, date: dt.date) -> Manifest | None:
    """The committed manifest of a partition, or ``None`` when the partition does not exist."""
    key = manifest_key(site, date)
    data = store.get_or_none(key)
    return None if data is None else Manifest.from_json(data, f"{store.url}/{key}")


def _raw_objects(
    store: ArchiveStore, site: str, date: dt.date, previous: Manifest | None,
    known: Mapping[str, tuple[int, str]],
) -> list[ManifestObject]:
    """Every WARC file of the partition, hashing only files no manifest has hashed before."""
    old = {o.key: o for o in previous.raw} if previous else {}
    objects = []
    for info in store.list(raw_prefix(site, date) + "/"):
        if not is_warc_key(info.key):
            continue
        if info.key in known and known[info.key][0] == info.size:
            digest = known[info.key][1]
        elif info.key in old and old[info.key].size == info.size:
            digest = old[info.key].sha256
        else:
            digest = sha256_hex(store.get(info.key))
        objects.append(ManifestObject(info.key, info.size, digest, "raw"))
    return objects


def publish_partition(
    store: ArchiveStore,
    site: str,
    date: dt.date,
    records: Sequence[ArticleRecord],
    *,
    run_id: str,
    counts: Mapping[str, int] | None = None,
    coverage: Coverage | None = None,
    raw_digests: Mapping[str, tuple[int, str]] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> tuple[Manifest, bool]:
    """Atomically replace the content of a (site, date) partition.

    Args:
        store: The archive.
        site: Site id.
        date: Partition date (the run's logical date).
        records: Every normalized row of the partition (duplicates included).
        run_id: The run committing the partition (recorded in the manifest).
        counts: Stage counters to record (fetched, skipped_by_reason, ...).
        coverage: The crawl's verdict (default: complete).
        raw_digests: WARC key -> (size, sha256) already known (saves re-reading WARCs).
        before_commit: Test hook called after the objects are written, before the manifest.

    Returns:
        The committed manifest and whether anything changed.
    """
    previous = read_manifest(store, site, date)
    prefix = normalized_prefix(site, date)
    ordered = sorted(records, key=lambda r: (r.article_id, r.version, r.raw.record_id))
    new_objects: list[ManifestObject] = []
    written: list[tuple[str, bytes]] = []
    for start in range(0, len(ordered), ROWS_PER_FILE):
        chunk = ordered[start:start + ROWS_PER_FILE]
        data = write_records(chunk)
        digest = sha256_hex(data)
        key = normalized_key(site, date, digest)
        new_objects.append(ManifestObject(key, len(data), digest, "normalized", len(chunk)))
        written.append((key, data))
    all_counts = dict(counts or {})
    all_counts["records"] = len(ordered)
    all_counts["unique"] = sum(1 for r in ordered if r.duplicate_kind == "none")
    raw = _raw_objects(store, site, date, previous, raw_digests or {})
    manifest = Manifest(site, date, run_id, tuple(new_objects + raw), all_counts,
                        coverage=coverage or Coverage())

    if previous is not None and previous.content() == manifest.content() and all(
        store.exists(o.key) for o in previous.normalized
    ):
        log.info("partition %s/%s unchanged", site, date)
        return previous, False

    listed_before = {o.key for o in previous.normalized} if previous else set()
    for key, data in written:
        # same name means same bytes: a listed object is never rewritten in place
        if key not in listed_before or not store.exists(key):
            store.put(key, data, content_type="application/vnd.apache.parquet")
    if before_commit:
        before_commit()
    store.put(manifest_key(site, date), manifest.to_json(), content_type="application/json")
    keep = {o.key for o in manifest.normalized}
    stale = [o.key for o in store.list(prefix + "/") if o.key not in keep]
    if stale:
        store.delete_many(stale)
    log.info("committed partition %s/%s: %d rows in %d files, %d raw files, %d removed",
             site, date, len(ordered), len(new_objects), len(raw), len(stale))
    return manifest, True
