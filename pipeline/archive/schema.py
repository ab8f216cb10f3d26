"""The normalized article record and its versioned Parquet schema.

One row per captured article page. ``docs/archive.md`` documents every column; bump
:data:`SCHEMA_VERSION` (and write a migration note there) for any change readers could notice.

The partition columns ``site`` and ``date`` live in the path (``site=<site>/date=<day>/``), not in
the file: that is what lets pandas, pyarrow datasets, DuckDB and Spark read ``normalized/`` as a
hive-partitioned table with no options (an in-file ``site`` string clashes with the dictionary
type pyarrow infers for the path key). Records carry both, filled in from the partition on read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = 4
"""Version 4 (this one) adds the publisher's own time: ``published_at_local``,
``published_date``, ``modified_at_local``, ``modified_date``; version 3 added
``previous_version_date``; version 2 left ``site`` to the path; version 1 also stored it in the
file."""

LOCAL_TIME_COLUMNS = ("published_at_local", "published_date", "modified_at_local",
                      "modified_date")
"""Columns that came with version 4 (read as null from older files)."""

READABLE_SCHEMA_VERSIONS = (1, 2, 3, 4)
"""The versions :mod:`pipeline.archive.parquet` reads (older partitions stay readable)."""

PARTITION_COLUMNS = ("site", "date")
"""Columns given by the partition path (hive keys), not stored in the file."""

DUPLICATE_KINDS = ("none", "exact", "near")


def article_id_for(canonical_url: str) -> str:
    """The stable article id: the first 128 bits of SHA-256 of the canonical URL, in hex.

    Args:
        canonical_url: The canonical URL (see :mod:`pipeline.urls`).

    Returns:
        32 lowercase hex characters.
    """
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class RawPointer:
    """Where the raw HTTP response of a record lives: one ranged GET fetches it.

    ``offset``/``length`` span the whole gzip member of the WARC ``response`` record.
    """

    warc_key: str
    offset: int
    length: int
    record_id: str


@dataclass(frozen=True)
class ArticleRecord:
    """One normalized article row (schema version 4).

    ``site`` and ``date`` are the partition's keys: ``date`` is the partition day (the run's
    logical date), ``None`` until the record is placed in or read from a partition.
    ``previous_version_date`` is, for ``version`` > 1, the partition holding the row with
    ``version`` - 1 of the same ``article_id`` (``None`` for a first version).
    ``published_at`` is the UTC instant; ``published_at_local`` the same moment as the page
    states it (ISO 8601 with the page's offset; without one when the page gave none; a bare
    ``YYYY-MM-DD`` when it gave no time of day) and ``published_date`` the publisher's calendar
    day; likewise for ``modified_*``.
    """

    article_id: str
    url: str
    canonical_url: str
    site: str
    title: str | None
    text: str
    fetched_at: dt.datetime
    http_status: int
    content_hash: str
    simhash: int
    raw: RawPointer
    extractor: str
    extractor_version: str
    authors: tuple[str, ...] = ()
    published_at: dt.datetime | None = None
    published_source: str | None = None
    modified_at: dt.datetime | None = None
    modified_source: str | None = None
    published_at_local: str | None = None
    published_date: dt.date | None = None
    modified_at_local: str | None = None
    modified_date: dt.date | None = None
    language: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    image: str | None = None
    word_count: int = 0
    duplicate_of: str | None = None
    duplicate_kind: str = "none"
    version: int = 1
    previous_version_date: dt.date | None = None
    date: dt.date | None = None
    schema_version: int = field(default=SCHEMA_VERSION)

    def to_row(self) -> dict[str, Any]:
        """The record as a flat dict: the :data:`ARTICLE_SCHEMA` columns, ``site`` and ``date``."""
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "raw"}
        row["authors"] = list(self.authors)
        row["tags"] = list(self.tags)
        row["warc_key"] = self.raw.warc_key
        row["warc_offset"] = self.raw.offset
        row["warc_length"] = self.raw.length
        row["warc_record_id"] = self.raw.record_id
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ArticleRecord:
        """Rebuild a record from a row read back from Parquet (with ``site`` and ``date`` set)."""
        values = {k: v for k, v in row.items() if k in _RECORD_FIELDS}
        values["authors"] = tuple(row.get("authors") or ())
        values["tags"] = tuple(row.get("tags") or ())
        for key in ("fetched_at", "published_at", "modified_at"):
            value = values.get(key)
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                values[key] = value.replace(tzinfo=dt.UTC)
        values["raw"] = RawPointer(
            row["warc_key"], int(row["warc_offset"]), int(row["warc_length"]),
            row["warc_record_id"],
        )
        return cls(**values)


_RECORD_FIELDS = {f.name for f in dataclasses.fields(ArticleRecord)}

_TS = pa.timestamp("us", tz="UTC")

ARTICLE_SCHEMA = pa.schema(
    [
        pa.field("schema_version", pa.int16(), nullable=False),
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("version", pa.int32(), nullable=False),
        pa.field("previous_version_date", pa.date32()),
        pa.field("url", pa.string(), nullable=False),
        pa.field("canonical_url", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("authors", pa.list_(pa.string()), nullable=False),
        pa.field("published_at", _TS),
        pa.field("published_source", pa.string()),
        pa.field("modified_at", _TS),
        pa.field("modified_source", pa.string()),
        pa.field("published_at_local", pa.string()),
        pa.field("published_date", pa.date32()),
        pa.field("modified_at_local", pa.string()),
        pa.field("modified_date", pa.date32()),
        pa.field("language", pa.string()),
        pa.field("description", pa.string()),
        pa.field("tags", pa.list_(pa.string()), nullable=False),
        pa.field("image", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("word_count", pa.int32(), nullable=False),
        pa.field("fetched_at", _TS, nullable=False),
        pa.field("http_status", pa.int16(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("simhash", pa.uint64(), nullable=False),
        pa.field("duplicate_of", pa.string()),
        pa.field("duplicate_kind", pa.string(), nullable=False),
        pa.field("extractor", pa.string(), nullable=False),
        pa.field("extractor_version", pa.string(), nullable=False),
        pa.field("warc_key", pa.string(), nullable=False),
        pa.field("warc_offset", pa.int64(), nullable=False),
        pa.field("warc_length", pa.int64(), nullable=False),
        pa.field("warc_record_id", pa.string(), nullable=False),
    ],
    metadata={b"newsarchive.schema_version": str(SCHEMA_VERSION).encode()},
)
"""The Parquet schema of ``normalized/`` files, column order included.

Neither ``site`` nor ``date`` is a column of the file: see :data:`PARTITION_COLUMNS`.
"""
