"""WARC capture and read-back: standard tools accept the files, bytes stay as received."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.store import ArchiveStore, LocalStore
from pipeline.archive.warc import Exchange, WarcWriter, payload_digest
from pipeline.archive.warc_reader import iter_captures, read_record
from tests.pywb_tool import cdx_index, wayback

WARCIO = str(Path(sys.executable).with_name("warcio"))
T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
HINT = CaptureMetadata(source="news_sitemap", published=dt.datetime(2024, 3, 1, 8, tzinfo=dt.UTC))
HTML = b"<html><head><title>T</title></head><body><p>" + b"story " * 200 + b"</p></body></html>"


def exchange(url: str, body: bytes = HTML, *, gzipped: bool = False, status: int = 200,
             metadata: CaptureMetadata | None = None) -> Exchange:
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")]
    wire = gzip.compress(body, mtime=0) if gzipped else body
    if gzipped:
        headers.append(("Content-Encoding", "gzip"))
    return Exchange(url=url, status=status, response_headers=headers, body=wire, fetched_at=T0,
                    request_headers=[("Host", "example.org"), ("User-Agent", "test")],
                    ip_address="127.0.0.1", metadata=metadata)


def test_roundtrip_keeps_wire_bytes_and_metadata(store: ArchiveStore) -> None:
    with WarcWriter(store, "raw/site=a/date=2024-03-01", max_bytes=1 << 30, name="crawl") as w:
        p1 = w.write(exchange("http://example.org/a", gzipped=True,
                              metadata=HINT))
        p2 = w.write(exchange("http://example.org/404", b"not here", status=404))
    assert w.keys == ["raw/site=a/date=2024-03-01/crawl-00001.warc.gz"]
    size, digest = w.file_digests[w.keys[0]]
    assert size == len(store.get(w.keys[0])) and len(digest) == 64
    captures = list(iter_captures(store, w.keys[0]))
    assert [c.url for c in captures] == ["http://example.org/a", "http://example.org/404"]
    first = captures[0]
    assert first.raw_body == gzip.compress(HTML, mtime=0)   # as received, still gzip
    assert first.body == HTML                                # decoded for extraction
    assert first.header("content-encoding") == "gzip"
    assert first.header("transfer-encoding") is None
    assert first.metadata == HINT
    assert captures[1].metadata is None
    assert first.fetched_at == T0 and first.status == 200 and first.record_type == "response"
    assert captures[1].status == 404 and captures[1].body == b"not here"
    assert (first.pointer, captures[1].pointer) == (p1, p2)
    # one ranged read returns the same record
    again = read_record(store, p2)
    assert again.body == b"not here" and again.pointer == p2


def test_metadata_record_fields(local_store: LocalStore) -> None:
    meta = CaptureMetadata(
        site="a", role="article", source="feed", published=T0 - dt.timedelta(hours=4),
        evidence="pubdate", modified=T0, title="Two\n lines", discovered_on="http://example.org/f",
        discovered_url="http://example.org/a?utm_source=f")
    with WarcWriter(local_store, "raw/x", max_bytes=1 << 30, name="c") as w:
        w.write(exchange("http://example.org/a", metadata=meta))
        w.write(exchange("http://example.org/archive/2024/03/01/", metadata=CaptureMetadata(
            site="a", role="date_archive", archive_day=T0.date())))
    with open(local_store.root / w.keys[0], "rb") as fh:
        bodies = [r.content_stream().read() for r in ArchiveIterator(fh)
                  if r.rec_type == "metadata"]
    # the field names and order every crawl has written
    assert bodies == [
        b"site: a\r\nrole: article\r\nsource: feed\r\npublished: 2024-03-01T08:00:00+00:00\r\n"
        b"evidence: pubdate\r\nmodified: 2024-03-01T12:00:00+00:00\r\ntitle: Two lines\r\n"
        b"discovered-on: http://example.org/f\r\n"
        b"discovered-url: http://example.org/a?utm_source=f\r\n",
        b"site: a\r\nrole: date_archive\r\narchive-day: 2024-03-01\r\n"]
    captures = list(iter_captures(local_store, w.keys[0]))
    assert [c.metadata for c in captures] == [dataclasses.replace(meta, title="Two lines"),
                                              CaptureMetadata(site="a", role="date_archive",
                                                              archive_day=T0.date())]
    assert CaptureMetadata.from_warc_fields({}) is None
    assert CaptureMetadata.from_warc_fields({"via": "http://x/", "hopsFromSeed": "L"}) is None
    assert CaptureMetadata.from_warc_fields({"published": "2024-03-01"}) == CaptureMetadata(
        published=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))


def test_identical_payload_becomes_revisit(local_store: LocalStore) -> None:
    known = {payload_digest(b"old page"): ("http://example.org/old", "2024-02-01T00:00:00Z")}
    w = WarcWriter(local_store, "raw/x", max_bytes=1 << 30, name="c", known_payloads=known)
    w.write(exchange("http://example.org/a"))
    w.write(exchange("http://example.org/a-copy"))          # same payload, same run
    w.write(exchange("http://example.org/old-again", b"old page"))  # archived in an earlier run
    keys = w.close()
    caps = list(iter_captures(local_store, keys[0]))
    assert [c.record_type for c in caps] == ["response", "revisit", "revisit"]
    assert caps[1].refers_to_uri == "http://example.org/a"
    assert caps[2].refers_to_uri == "http://example.org/old"
    assert caps[2].refers_to_date == "2024-02-01T00:00:00Z"
    with open(local_store.root / keys[0], "rb") as fh:
        revisit = next(r for r in ArchiveIterator(fh) if r.rec_type == "revisit")
        assert revisit.rec_headers.get_header("WARC-Profile").endswith(
            "/revisit/identical-payload-digest")
    assert w.stats == Counter(response=1, revisit=2, files=1)


def test_rollover_and_standard_tools(local_store: LocalStore) -> None:
    w = WarcWriter(local_store, "raw/site=a/date=2024-03-01", max_bytes=4000, name="c")
    for i in range(6):
        w.write(exchange(f"http://example.org/{i}", HTML + str(i).encode()))
    keys = w.close()
    assert len(keys) > 1  # rolled over
    responses = 0
    for key in keys:
        path = local_store.root / key
        check = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True,
                               text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
        index = subprocess.run([WARCIO, "index", str(path)], capture_output=True, text=True,
                               check=True)
        types = [line.split('"warc-type": "')[1].split('"')[0]
                 for line in index.stdout.splitlines()]
        assert types[0] == "warcinfo" and len(types) % 2 == 1
        assert types[1:] == ["response", "request"] * (len(types) // 2)
        responses += len(types) // 2
        with gzip.open(path) as fh:  # every record is its own member, the file is plain gzip
            assert fh.read().startswith(b"WARC/1.1\r\n")
    assert responses == 6


def test_pywb_indexes_and_replays_the_files_revisits_included(local_store: LocalStore,
                                                                tmp_path: Path) -> None:
    """pywb, the replay tool, reads our files: across days, through revisit records."""
    day1 = WarcWriter(local_store, "raw/site=a/date=2024-03-01", max_bytes=1 << 30, name="c")
    day1.write(exchange("http://example.org/a", gzipped=True))
    day1.write(exchange("http://example.org/gone", b"not here", status=404))
    (first,) = day1.close()
    # the next day: the same story again, and a syndicated copy of it elsewhere
    known = {payload_digest(gzip.compress(HTML, mtime=0)): ("http://example.org/a",
                                                           "2024-03-01T12:00:00Z")}
    day2 = WarcWriter(local_store, "raw/site=a/date=2024-03-02", max_bytes=1 << 30, name="c",
                      known_payloads=known)
    t1 = T0 + dt.timedelta(days=1)
    for url in ("http://example.org/a", "http://example.org/copy-of-a"):
        day2.write(dataclasses.replace(exchange(url, gzipped=True), fetched_at=t1))
    (second,) = day2.close()
    files = [local_store.root / first, local_store.root / second]
    index = cdx_index(*files)
    assert sorted((r["url"], r["timestamp"], r["mime"], r.get("status")) for r in index) == [
        ("http://example.org/a", "20240301120000", "text/html", "200"),
        ("http://example.org/a", "20240302120000", "warc/revisit", None),
        ("http://example.org/copy-of-a", "20240302120000", "warc/revisit", None),
        ("http://example.org/gone", "20240301120000", "text/html", "404"),
    ]
    with wayback(tmp_path / "pywb", *files) as server:
        for url in ("http://example.org/a", "http://example.org/copy-of-a"):
            replay = server.get("20240302120000", url)  # the revisit, resolved to day 1
            assert replay.status == 200 and replay.body == HTML, url
            assert replay.headers["Memento-Datetime"] == "Sat, 02 Mar 2024 12:00:00 GMT"
        gone = server.get("20240301120000", "http://example.org/gone")
        assert (gone.status, gone.body) == (404, b"not here")


def test_corrupt_file_is_counted_not_fatal(local_store: LocalStore) -> None:
    w = WarcWriter(local_store, "raw/x", max_bytes=1 << 30, name="c")
    w.write(exchange("http://example.org/1"))
    pointer2 = w.write(exchange("http://example.org/2", b"second"))
    key = w.close()[0]
    data = local_store.get(key)
    # cut the file in the middle of the second response record
    local_store.put(key, data[: pointer2.offset + pointer2.length // 2])
    errors: Counter[str] = Counter()
    caps = list(iter_captures(local_store, key, errors=errors))
    assert [c.url for c in caps] == ["http://example.org/1"]
    assert errors["corrupt_file"] == 1


def test_decompression_bomb_refused(local_store: LocalStore) -> None:
    bomb = b"\0" * (8 << 20)
    w = WarcWriter(local_store, "raw/x", max_bytes=1 << 30, name="c")
    w.write(exchange("http://example.org/bomb", bomb, gzipped=True))
    w.write(exchange("http://example.org/ok"))
    key = w.close()[0]
    errors: Counter[str] = Counter()
    caps = list(iter_captures(local_store, key, errors=errors, max_body_bytes=1 << 20))
    assert [c.url for c in caps] == ["http://example.org/ok"]
    assert errors["corrupt_record"] == 1


@pytest.mark.parametrize("bad", [b"", b"not a warc at all", gzip.compress(b"garbage")])
def test_garbage_files(local_store: LocalStore, bad: bytes) -> None:
    local_store.put("raw/bad.warc.gz", bad)
    errors: Counter[str] = Counter()
    assert list(iter_captures(local_store, "raw/bad.warc.gz", errors=errors)) == []
    assert sum(errors.values()) == (0 if bad == b"" else 1)
