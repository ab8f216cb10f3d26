"""Reading and writing normalized records as Parquet bytes.

Files are written deterministically (rows sorted, no wall-clock metadata), so the same records
give the same bytes and a rerun of a partition produces the same object names.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import CorruptObject
from pipeline.archive.schema import ARTICLE_SCHEMA, ArticleRecord


def _sort_key(record: ArticleRecord) -> tuple[str, int, str]:
    return (record.article_id, record.version, record.raw.record_id)


def records_to_table(records: Iterable[ArticleRecord]) -> pa.Table:
    """Build an Arrow table in :data:`ARTICLE_SCHEMA` column order, rows in a stable order."""
    rows = [r.to_row() for r in sorted(records, key=_sort_key)]
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
    missing = set(ARTICLE_SCHEMA.names) - set(table.column_names)
    if missing:
        raise CorruptObject(f"{where}: missing columns {sorted(missing)}")
    return table


def read_records(data: bytes, where: str = "parquet") -> list[ArticleRecord]:
    """Parse Parquet bytes back into records."""
    return [ArticleRecord.from_row(row) for row in read_table(data, where).to_pylist()]
