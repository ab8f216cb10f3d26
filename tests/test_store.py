"""The archive store on both backends: local directory and a real S3 server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.archive.s3store import S3Store
from pipeline.archive.store import ArchiveStore, LocalStore, open_store
from pipeline.config.settings import Settings
from pipeline.errors import ArchiveError, ConfigError, ObjectNotFound


def test_put_get_roundtrip(store: ArchiveStore) -> None:
    store.put("a/b/c.bin", b"hello world")
    assert store.get("a/b/c.bin") == b"hello world"
    assert store.get_range("a/b/c.bin", 6, 5) == b"world"
    assert store.exists("a/b/c.bin")
    store.put("a/b/c.bin", b"replaced")
    assert store.get("a/b/c.bin") == b"replaced"


def test_missing_object_is_not_found(store: ArchiveStore) -> None:
    with pytest.raises(ObjectNotFound, match="nope/x"):
        store.get("nope/x")
    assert store.get_or_none("nope/x") is None
    assert not store.exists("nope/x")


def test_list_is_prefix_filtered_and_sorted(store: ArchiveStore) -> None:
    for key in ["raw/site=b/1", "raw/site=a/2", "raw/site=a/1", "runs/x.json", "rawish/z"]:
        store.put(key, key.encode())
    assert [o.key for o in store.list("raw/")] == ["raw/site=a/1", "raw/site=a/2", "raw/site=b/1"]
    assert [o.key for o in store.list("raw/site=a")] == ["raw/site=a/1", "raw/site=a/2"]
    assert {o.key: o.size for o in store.list("runs/")} == {"runs/x.json": len(b"runs/x.json")}
    assert list(store.list("nothing/")) == []


def test_delete_many_ignores_missing(store: ArchiveStore) -> None:
    store.put("d/1", b"1")
    store.put("d/2", b"2")
    store.delete_many(["d/1", "d/missing"])
    assert [o.key for o in store.list("d/")] == ["d/2"]
    store.delete("d/2")
    assert list(store.list("d/")) == []


def test_large_object_multipart(store: ArchiveStore, tmp_path: Path) -> None:
    if isinstance(store, S3Store):
        store.settings = Settings(**{**store.settings.__dict__, "multipart_threshold": 5 << 20,
                                     "multipart_chunksize": 5 << 20})
        store.transfer.multipart_threshold = 5 << 20
        store.transfer.multipart_chunksize = 5 << 20
    data = os.urandom(12 << 20)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    store.put_file("big/file.bin", src)
    assert store.get_range("big/file.bin", (12 << 20) - 10, 10) == data[-10:]
    dst = tmp_path / "back.bin"
    store.download("big/file.bin", dst)
    assert dst.read_bytes() == data
    store.put("big/bytes.bin", data)
    with store.open_read("big/bytes.bin") as fh:
        assert fh.read() == data


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "./a"])
def test_bad_keys_rejected(store: ArchiveStore, key: str) -> None:
    with pytest.raises(ArchiveError, match="invalid archive key"):
        store.put(key, b"x")


def test_local_writes_leave_no_temp_files(local_store: LocalStore) -> None:
    local_store.put("x/y", b"1")
    names = os.listdir(local_store.root / "x")
    assert names == ["y"]


@pytest.mark.parametrize("url,message", [
    ("", "empty"),
    ("s3://", "no bucket"),
    ("ftp://host/x", "unsupported scheme"),
    ("file://otherhost/x", "local path"),
])
def test_unparseable_archive_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_store(url, Settings(archive_url=""))


def test_open_store_kinds(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path), Settings()), LocalStore)
    assert isinstance(open_store(f"file://{tmp_path}", Settings()), LocalStore)
    s3 = open_store("s3://bucket/some/prefix/", Settings(s3_region="us-east-1"))
    assert isinstance(s3, S3Store)
    assert (s3.bucket, s3.prefix, s3.url) == ("bucket", "some/prefix", "s3://bucket/some/prefix")


def test_local_objects_are_readable_as_the_umask_allows(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    store = LocalStore(tmp_path / "archive")
    store.put("a/b.json", b"{}")
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * 1000)
    store.put_file("a/c.bin", source)
    for key in ("a/b.json", "a/c.bin"):
        mode = (tmp_path / "archive" / key).stat().st_mode & 0o777
        assert mode == 0o666 & ~mask, oct(mode)
