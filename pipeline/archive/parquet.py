"""Reading and writing normalized records as Parquet bytes.

Files are written deterministically (rows sorted, no wall-clock metadata), so the same records
give the same bytes and a rerun of a partition produces the same object names. Files hold the
current :data:`~pipeline.archive.schema.SCHEMA_VERSION`, without the partition columns ``site``
and ``date``; reading takes them from the caller (the partition being read) and accepts every
version in :data:`~pipeline.archive.schema.READABLE_SCHEMA_VERSIONS`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.archive.schema import (
    ARTICLE_SCHEMA,
    LOCAL_TIME_COLUMNS,
    READABLE_SCHEMA_VERSIONS,
    SCHEMA_VERSION,
    ArticleRecord,
)
from pipeline.errors import CorruptObject

_VERSION_KEY = b"newsarchive.schema_version"


def _sort_key(record: ArticleRecord) -> tuple[str, int, str]:
    return (record.article_id, record.version, record.raw.record_id)


def records_to_table(records: Iterable[ArticleRecord]) -> pa.Table:
    """Build an Arrow table in :data:`ARTICLE_SCHEMA` column order, rows in a stable order.

    Rows are written in the current schema version whatever version they were read from, and
    without ``site`` and ``date`` (the partition path holds them).
    """
    rows = [{**r.to_row(), "schema_version": SCHEMA_VERSION}
            for r in sorted(records, key=_sort_key)]
    return pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA)


def write_records(records: Iterable[ArticleRecord]) -> bytes:
    """Serialize records to Parquet (zstd) bytes.

    Args:
        records: The rows.

    Returns:
        The file content.
    """
    sink = io.BytesIO()
    pq.write_table(
        records_to_table(records), sink, compression="zstd", use_dictionary=True,
        write_statistics=True, store_schema=True,
    )
    return sink.getvalue()


def read_table(data: bytes, where: str = "parquet") -> pa.Table:
    """Parse Parquet bytes (single-threaded: threaded reads can abort the interpreter at exit).

    Raises:
        CorruptObject: The bytes are not a Parquet file of this schema.
    """
    try:
        table = pq.read_table(io.BytesIO(data), use_threads=False)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise CorruptObject(f"{where}: not a readable Parquet file ({exc})") from None
    version = file_schema_version(table.schema)
    if version not in READABLE_SCHEMA_VERSIONS:
        raise CorruptObject(
            f"{where}: schema_version {version} is not one this reader knows "
            f"({', '.join(map(str, READABLE_SCHEMA_VERSIONS))}); upgrade newsarchive")
    missing = set(ARTICLE_SCHEMA.names) - set(table.column_names)
    if version is not None and version < 3:  # the column came with version 3: read as null
        missing.discard("previous_version_date")
    if version is not None and version < 4:  # the publisher's own time came with version 4
        missing.difference_update(LOCAL_TIME_COLUMNS)
    if missing:
        raise CorruptObject(f"{where}: missing columns {sorted(missing)}")
    return table


def file_schema_version(schema: pa.Schema) -> int | None:
    """The schema version a file declares in its metadata (``None`` when it declares none)."""
    raw = (schema.metadata or {}).get(_VERSION_KEY)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def read_records(
    data: bytes, where: str = "parquet", *, site: str, date: dt.date
) -> list[ArticleRecord]:
    """Parse Parquet bytes of one partition back into records.

    Args:
        data: The file content.
        where: Names the file in error messages.
        site: The partition's site (version 2 files leave it to the path; the path wins over
            the in-file column of version 1 files).
        date: The partition's day.

    Returns:
        The records, with ``site`` and ``date`` set.

    Raises:
        CorruptObject: Not a Parquet file of a known schema version.
    """
    return [ArticleRecord.from_row({**row, "site": site, "date": date})
            for row in read_table(data, where).to_pylist()]
