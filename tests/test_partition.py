"""The commit protocol: objects first, manifest last, superseded objects removed after."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.archive.partition import (
    PARTIAL,
    Coverage,
    Manifest,
    publish_partition,
    read_manifest,
)
from pipeline.archive.reader import iter_articles
from pipeline.archive.store import ArchiveStore, LocalStore
from pipeline.errors import CorruptObject
from tests.builders import DAY, archive_pages, make_record

ROOT = Path(__file__).resolve().parent.parent


def snapshot(store: ArchiveStore) -> dict[str, bytes]:
    return {o.key: store.get(o.key) for o in store.list("")}


def test_publish_then_read(store: ArchiveStore) -> None:
    records = [*archive_pages(store, "a", DAY, 5), make_record(99, duplicate_kind="near")]
    manifest, changed = publish_partition(store, "a", DAY, records, run_id="run-1",
                                          counts={"fetched": 6})
    assert changed
    assert manifest.counts == {"fetched": 6, "records": 6, "unique": 5}
    assert len(manifest.raw) == 1 and len(manifest.normalized) == 1
    assert read_manifest(store, "a", DAY) == manifest
    unique = list(iter_articles(store, DAY, DAY))
    assert sorted(r.url for r in unique) == sorted(r.url for r in records[:5])
    assert len(list(iter_articles(store, DAY, DAY, include_duplicates=True))) == 6
    assert list(iter_articles(store, DAY, DAY, sites=["other"])) == []


def test_rerun_is_idempotent(store: ArchiveStore) -> None:
    records = archive_pages(store, "a", DAY, 3)
    publish_partition(store, "a", DAY, records, run_id="run-1")
    before = snapshot(store)
    manifest, changed = publish_partition(store, "a", DAY, list(reversed(records)),
                                          run_id="run-2")
    assert not changed and manifest.run_id == "run-1"
    assert snapshot(store) == before


def test_republish_replaces_and_cleans(store: ArchiveStore) -> None:
    publish_partition(store, "a", DAY, [make_record(n) for n in range(3)], run_id="r1")
    old = read_manifest(store, "a", DAY)
    assert old is not None
    store.put(f"normalized/site=a/date={DAY}/part-leftover.parquet", b"crashed publish")
    manifest, changed = publish_partition(store, "a", DAY, [make_record(n) for n in range(4)],
                                          run_id="r2")
    assert changed and manifest.run_id == "r2"
    keys = [o.key for o in store.list("normalized/")]
    assert keys == [o.key for o in manifest.normalized]
    assert not set(keys) & {o.key for o in old.normalized}
    assert len(list(iter_articles(store, DAY, DAY))) == 4


def test_kill_between_objects_and_manifest(tmp_path: Path) -> None:
    """A writer killed after its objects and before its manifest leaves the old partition."""
    store = LocalStore(tmp_path / "archive")
    publish_partition(store, "a", DAY, [make_record(n) for n in range(3)], run_id="r1")
    script = textwrap.dedent(f"""
        import os, signal
        from pipeline.archive.partition import publish_partition
        from pipeline.archive.store import LocalStore
        from tests.builders import DAY, make_record
        store = LocalStore({str(store.root)!r})
        publish_partition(store, "a", DAY, [make_record(n) for n in range(10)], run_id="r2",
                          before_commit=lambda: os.kill(os.getpid(), signal.SIGKILL))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=False)
    assert proc.returncode == -9
    assert len(list(store.list("normalized/"))) == 2  # the new object is there, uncommitted
    manifest = read_manifest(store, "a", DAY)
    assert manifest is not None and manifest.run_id == "r1"
    assert len(list(iter_articles(store, DAY, DAY))) == 3  # readers see the old partition
    publish_partition(store, "a", DAY, [make_record(n) for n in range(10)], run_id="r3")
    assert len(list(iter_articles(store, DAY, DAY))) == 10
    assert len(list(store.list("normalized/"))) == 1


def test_corrupt_objects_named(local_store: LocalStore) -> None:
    manifest, _ = publish_partition(local_store, "a", DAY, [make_record(1)], run_id="r1")
    key = manifest.normalized[0].key
    local_store.put(key, b"PAR1 broken")
    with pytest.raises(CorruptObject, match=key):
        list(iter_articles(local_store, DAY, DAY))
    local_store.put(f"manifests/site=a/date={DAY}.json", b"{not json")
    with pytest.raises(CorruptObject, match="malformed manifest"):
        list(iter_articles(local_store, DAY, DAY))


def test_manifest_json_is_documented_shape(local_store: LocalStore) -> None:
    manifest, _ = publish_partition(local_store, "a", DAY, [make_record(1)], run_id="r1")
    doc = json.loads(local_store.get(f"manifests/site=a/date={DAY}.json"))
    assert set(doc) == {"manifest_version", "schema_version", "site", "date", "run_id",
                        "counts", "objects", "coverage", "coverage_notes", "discovery"}
    assert doc["manifest_version"] == 2 and doc["coverage"] == "complete"
    assert {"key", "size", "sha256", "kind", "rows"} == set(doc["objects"][0])
    assert Manifest.from_json(json.dumps(doc).encode()) == manifest


def test_partial_coverage_round_trips_and_version_1_reads_as_complete(
        local_store: LocalStore) -> None:
    coverage = Coverage(PARTIAL, ("page cap reached: the crawl was stopped by "
                                  "closespider_pagecount",),
                        ({"kind": "feed", "url": "http://x/feed.xml", "pages": 1, "links": 9},))
    manifest, _ = publish_partition(local_store, "a", DAY, [make_record(1)], run_id="r1",
                                    coverage=coverage)
    back = read_manifest(local_store, "a", DAY)
    assert back == manifest and back.coverage == coverage and not back.coverage.complete
    # the same rows with another verdict is another commit (a partial day completed later)
    _, changed = publish_partition(local_store, "a", DAY, [make_record(1)], run_id="r2")
    assert changed and read_manifest(local_store, "a", DAY).coverage.complete
    # a manifest written before version 2 has no coverage: it was committed as complete
    old = json.loads(manifest.to_json())
    for name in ("coverage", "coverage_notes", "discovery"):
        del old[name]
    old["manifest_version"] = 1
    legacy = Manifest.from_json(json.dumps(old).encode())
    assert legacy.coverage == Coverage() and legacy.coverage.complete
