"""The normalized archive as a hive-partitioned table: pandas, pyarrow and DuckDB, no options.

A real archive (the demo sites crawled, extracted, deduplicated and published by the task
functions the DAGs call) is read in one line by each tool, and must agree with the project's
reader on rows, ``site`` and ``date``. Partitions of schema version 1 (``site`` also stored in the
file, which broke pandas) stay readable by the project's reader and are rebuilt by
``newsarchive reprocess``, as the migration note in docs/archive.md says.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline.archive.layout import manifest_key, normalized_key
from pipeline.archive.parquet import read_records, records_to_table, write_records
from pipeline.archive.partition import Manifest, ManifestObject, read_manifest, sha256_hex
from pipeline.archive.reader import iter_articles
from pipeline.archive.schema import ARTICLE_SCHEMA, SCHEMA_VERSION, ArticleRecord
from pipeline.archive.store import LocalStore
from pipeline.cli import main
from pipeline.config.settings import Settings
from pipeline.errors import CorruptObject
from pipeline.run import tasks
from tests.builders import make_record
from tests.demo_fixtures import FAST, TODAY, Demo

SITES = ["metro-wire", "daily-courier"]
FIRST, LAST = TODAY - dt.timedelta(days=2), TODAY - dt.timedelta(days=1)


def v1_file(records: list[ArticleRecord], site: str) -> bytes:
    """A Parquet file as schema version 1 wrote it: ``site`` in the file, version 1 metadata."""
    table = records_to_table(records).drop_columns(["previous_version_date"])  # came with v3
    table = table.set_column(0, "schema_version", pa.array([1] * len(records), pa.int16()))
    table = table.add_column(5, pa.field("site", pa.string(), nullable=False),
                             pa.array([site] * len(records), pa.string()))
    table = table.replace_schema_metadata({b"newsarchive.schema_version": b"1"})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def downgrade_to_v1(store: LocalStore, site: str, day: dt.date) -> None:
    """Rewrite a committed partition the way schema version 1 stored it."""
    manifest = read_manifest(store, site, day)
    assert manifest is not None
    records = list(iter_articles(store, day, day, sites=[site], include_duplicates=True))
    data = v1_file(records, site)
    key = normalized_key(site, day, sha256_hex(data))
    store.put(key, data)
    for old in manifest.normalized:
        store.delete(old.key)
    objects = (ManifestObject(key, len(data), sha256_hex(data), "normalized", len(records)),
               *manifest.raw)
    old_manifest = Manifest(site, day, manifest.run_id, objects, manifest.counts,
                            schema_version=1)
    store.put(manifest_key(site, day), old_manifest.to_json())


@pytest.fixture(scope="module")
def archive(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    """Two sites, two days of the demo world, published by the real pipeline steps."""
    store = LocalStore(tmp_path_factory.mktemp("hive") / "archive")
    settings = Settings(
        archive_url=store.url, sites_file=str(demo.sites_file),
        allowed_networks=tuple(demo.allow.split(",")), crawl_today=str(TODAY),
        crawl_settings=tuple(f"{k}={v}" for k, v in FAST.items()), extract_workers=1)
    items = tasks.plan(str(FIRST), str(LAST), SITES, settings.sites_file)
    extracted = [tasks.extract(tasks.crawl(item, "hive-1", settings=settings), "hive-1",
                               settings=settings) for item in items]
    published = tasks.deduplicate_and_publish(extracted, "hive-1", settings=settings)
    assert sorted(p["status"] for p in published) == ["published"] * 4
    return store


def expected_counts(store: LocalStore) -> Counter[tuple[str, str]]:
    """(site, date) -> rows, from the project's reader (duplicates included, like a glob)."""
    rows = list(iter_articles(store, FIRST, LAST, include_duplicates=True))
    return Counter((r.site, r.date.isoformat() if r.date else "") for r in rows)


def test_pandas_pyarrow_duckdb_read_the_archive_in_one_line(archive: LocalStore) -> None:
    root = archive.root / "normalized"
    expected = expected_counts(archive)
    assert set(expected) == {(s, d.isoformat()) for s in SITES for d in (FIRST, LAST)}
    assert all(n > 0 for n in expected.values())
    total = sum(expected.values())

    frame = pd.read_parquet(root)
    assert len(frame) == total
    assert Counter(zip(frame["site"].astype(str), frame["date"].astype(str),
                       strict=True)) == expected

    table = ds.dataset(root, partitioning="hive").to_table(use_threads=False)
    assert table.num_rows == total
    assert Counter(zip(table["site"].to_pylist(), table["date"].to_pylist(),
                       strict=True)) == expected
    assert set(ARTICLE_SCHEMA.names) <= set(table.column_names)

    rows = duckdb.sql(f"SELECT site, date, count(*) FROM '{root}/*/*/*.parquet' "
                      "GROUP BY ALL").fetchall()
    assert {(site, day): n for site, day, n in rows} == {
        (s, dt.date.fromisoformat(d)): n for (s, d), n in expected.items()}

    # the project's reader agrees row for row, site and date included
    unique = {(r.article_id, r.version, r.site, r.date)
              for r in iter_articles(archive, FIRST, LAST)}
    dups = frame[frame["duplicate_kind"] == "none"]
    assert {(a, v, s, dt.date.fromisoformat(d)) for a, v, s, d in zip(
        dups["article_id"], dups["version"], dups["site"].astype(str),
        dups["date"].astype(str), strict=True)} == unique


def test_the_file_leaves_site_and_date_to_the_path(archive: LocalStore) -> None:
    manifest = read_manifest(archive, SITES[0], FIRST)
    assert manifest is not None and manifest.schema_version == SCHEMA_VERSION == 4
    path = archive.root / manifest.normalized[0].key
    schema = pq.read_schema(path)
    assert "site" not in schema.names and "date" not in schema.names
    assert schema.metadata[b"newsarchive.schema_version"] == b"4"
    assert "previous_version_date" in schema.names
    records = read_records(path.read_bytes(), str(path), site=SITES[0], date=FIRST)
    assert {(r.site, r.date, r.schema_version) for r in records} == {(SITES[0], FIRST, 4)}


def test_version_1_partitions_are_read_and_reprocess_rebuilds_them(
        archive: LocalStore, capsys: pytest.CaptureFixture[str]) -> None:
    def rows(records: Iterable[ArticleRecord]) -> list[tuple[object, ...]]:
        return sorted((r.article_id, r.version, r.text, r.site, r.date) for r in records)

    before = rows(iter_articles(archive, FIRST, LAST))
    for site in SITES:
        for day in (FIRST, LAST):
            downgrade_to_v1(archive, site, day)
    old = list(iter_articles(archive, FIRST, LAST))
    assert {r.schema_version for r in old} == {1}
    assert rows(old) == before
    # the old layout is what broke pandas: an in-file site string against the path's key
    with pytest.raises(pa.ArrowTypeError, match="site"):
        pd.read_parquet(archive.root / "normalized")

    # the migration note's command
    assert main(["reprocess", "--archive", str(archive.root), "--since", str(FIRST),
                 "--until", str(LAST), "--run-id", "migrate-1"]) == 0
    capsys.readouterr()
    for site in SITES:
        for day in (FIRST, LAST):
            manifest = read_manifest(archive, site, day)
            assert manifest is not None and manifest.schema_version == SCHEMA_VERSION
    rebuilt = list(iter_articles(archive, FIRST, LAST))
    assert {r.schema_version for r in rebuilt} == {SCHEMA_VERSION}
    assert rows(rebuilt) == before
    assert len(pd.read_parquet(archive.root / "normalized")) == sum(
        expected_counts(archive).values())


def test_unknown_schema_versions_are_refused_by_name(tmp_path: Path) -> None:
    table = records_to_table([make_record(1)]).replace_schema_metadata(
        {b"newsarchive.schema_version": b"99"})
    path = tmp_path / "future.parquet"
    pq.write_table(table, path)
    with pytest.raises(CorruptObject, match=r"future.parquet: schema_version 99 .*upgrade"):
        read_records(path.read_bytes(), str(path), site="a", date=dt.date(2024, 3, 1))
    data = write_records([make_record(1)])
    assert json.loads(json.dumps([r.site for r in read_records(
        data, site="a", date=dt.date(2024, 3, 1))])) == ["a"]
