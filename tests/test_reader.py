"""Downstream readers: the project's reader, the CLI, pyarrow and DuckDB on the same archive."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import duckdb_ext  # type: ignore[import-not-found]
import pyarrow.dataset as ds
import pytest

from benchmarks.support.s3server import S3Server
from pipeline.archive.partition import publish_partition
from pipeline.archive.reader import fetch_raw, iter_articles
from pipeline.archive.schema import ARTICLE_SCHEMA
from pipeline.archive.store import ArchiveStore, LocalStore
from pipeline.cli import main
from tests.builders import DAY, archive_pages
from tests.conftest import s3_settings

DAY2 = DAY + dt.timedelta(days=1)


@pytest.fixture
def filled(store: ArchiveStore) -> ArchiveStore:
    for site in ("a", "b"):
        for day in (DAY, DAY2):
            publish_partition(store, site, day, archive_pages(store, site, day, 3), run_id="r")
    return store


def test_fetch_raw_with_one_ranged_read(filled: ArchiveStore) -> None:
    record = next(iter_articles(filled, DAY, DAY, sites=["b"]))
    capture = fetch_raw(filled, record)
    assert capture.url == record.url and capture.status == 200
    assert b"<h1>Story" in capture.body


def test_cli_read_prints_json_lines(filled: ArchiveStore, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch, s3: S3Server) -> None:
    if not isinstance(filled, LocalStore):
        monkeypatch.setenv("NEWSARCHIVE_S3_ENDPOINT_URL", s3.endpoint_url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret_key)
    assert main(["read", "--archive", filled.url, "--since", str(DAY2), "--until", str(DAY2),
                 "--site", "a", "--fields", "site,url,published_at"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    assert {tuple(sorted(line)) for line in lines} == {("published_at", "site", "url")}
    assert all(line["site"] == "a" for line in lines)


def test_cli_read_bad_arguments(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["read", "--since", "2024-13-01", "--until", "2024-01-01"])
    assert exc.value.code == 2
    assert "'2024-13-01' is not a date" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["read", "--since", "2024-02-01", "--until", "2024-01-01"])
    assert "before --since" in capsys.readouterr().err
    assert main(["read", "--archive", "ftp://x/y", "--since", "2024-01-01",
                 "--until", "2024-01-02"]) == 1
    assert "unsupported scheme" in capsys.readouterr().err


def test_pyarrow_and_duckdb_read_hive_partitions(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "archive")
    for site in ("a", "b"):
        for day in (DAY, DAY2):
            publish_partition(store, site, day, archive_pages(store, site, day, 3), run_id="r")
    root = store.root / "normalized"
    table = ds.dataset(root, format="parquet", partitioning="hive").to_table(use_threads=False)
    assert table.num_rows == 12
    assert set(ARTICLE_SCHEMA.names) <= set(table.column_names)
    con = duckdb.connect()
    rows = con.execute(
        "SELECT site, \"date\", count(*) FROM read_parquet(?, hive_partitioning = true) "
        "GROUP BY ALL ORDER BY ALL", [f"{root}/*/*/*.parquet"]).fetchall()
    assert [(r[0], str(r[1]), r[2]) for r in rows] == [
        ("a", str(DAY), 3), ("a", str(DAY2), 3), ("b", str(DAY), 3), ("b", str(DAY2), 3)]


def doc_sql_blocks() -> list[str]:
    """The ```sql blocks of docs/archive.md, in order."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "archive.md").read_text()
    return re.findall(r"```sql\n(.*?)```", text, re.S)


def test_duckdb_reads_committed_files_from_s3(s3: S3Server, s3_bucket: str) -> None:
    """The docs/archive.md recipes, run as written against the real S3 server.

    Only the placeholders change: the bucket, the credentials and the endpoint. ``INSTALL
    httpfs`` is left out because this machine cannot reach DuckDB's extension server: httpfs
    comes from PyPI (duckdb-ext-httpfs); users with network run the line as written.
    """
    from pipeline.archive.s3store import S3Store
    from tests.conftest import s3_session

    store = S3Store(s3_bucket, "arch", s3_settings(s3), s3_session(s3))
    publish_partition(store, "a", DAY, archive_pages(store, "a", DAY, 4), run_id="r")
    publish_partition(store, "b", DAY2, archive_pages(store, "b", DAY2, 2), run_id="r")
    store.put(f"normalized/site=a/date={DAY}/part-uncommitted.parquet", b"junk")
    host = s3.endpoint_url.removeprefix("http://")
    committed, glob = doc_sql_blocks()
    assert "CREATE SECRET" in committed and "hive_partitioning" in glob

    def adapt(sql: str) -> list[str]:
        sql = sql.replace("s3://news/archive", f"s3://{s3_bucket}/arch")
        sql = sql.replace("INSTALL httpfs;", "")
        sql = re.sub(r"CREATE SECRET \(.*?\);[^\n]*", f"""CREATE SECRET (TYPE s3,
            KEY_ID '{s3.access_key}', SECRET '{s3.secret_key}', REGION 'us-east-1',
            ENDPOINT '{host}', URL_STYLE 'path', USE_SSL false);""", sql, flags=re.S)
        return [stmt for stmt in (part.strip() for part in sql.split(";")) if stmt]

    con = duckdb.connect()
    con.execute(f"SET extension_directory = '{Path(duckdb_ext.__path__[0]) / 'extensions'}'")
    *setup, query = adapt(committed)
    for statement in setup:
        con.execute(statement)
    rows = con.execute(query).fetchall()
    assert len(rows) == 6  # the junk object is not listed by any manifest
    assert {(r[0], r[1]) for r in rows} == {("a", DAY), ("b", DAY2)}
    # the glob reads every Parquet object, so it trips over the uncommitted one: drop it first
    store.delete(f"normalized/site=a/date={DAY}/part-uncommitted.parquet")
    assert con.execute(adapt(glob)[0]).fetchall() == [("a", DAY, 4), ("b", DAY2, 2)]


def test_module_entry_point() -> None:
    out = subprocess.run([sys.executable, "-m", "pipeline", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("newsarchive ")
