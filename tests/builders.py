"""Small builders for records and partitions used across tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from socketserver import BaseServer
from typing import TypeVar

from pipeline.archive.schema import ArticleRecord, RawPointer, article_id_for
from pipeline.archive.store import ArchiveStore
from pipeline.archive.warc import Exchange, WarcWriter

DAY = dt.date(2024, 3, 1)

Server = TypeVar("Server", bound=BaseServer)


def make_record(n: int, site: str = "a", *, pointer: RawPointer | None = None,
                duplicate_kind: str = "none", text: str | None = None) -> ArticleRecord:
    url = f"http://{site}.example/news/{n}"
    body = text or f"Story number {n}. " * 20
    return ArticleRecord(
        article_id=article_id_for(url), url=url, canonical_url=url, site=site,
        title=f"Story {n}", text=body,
        fetched_at=dt.datetime(2024, 3, 1, 12, n % 60, tzinfo=dt.UTC), http_status=200,
        content_hash=hashlib.sha256(body.encode()).hexdigest(), simhash=(n * 2654435761) % 2**64,
        raw=pointer or RawPointer(f"raw/site={site}/date=2024-03-01/x.warc.gz", n * 100, 90,
                                  f"<urn:uuid:{n:08d}>"),
        extractor="trafilatura", extractor_version="2.3.1", authors=("Jane Doe",),
        published_at=dt.datetime(2024, 3, 1, 8, tzinfo=dt.UTC), published_source="json-ld",
        language="en", tags=("world",), word_count=len(body.split()),
        duplicate_kind=duplicate_kind,
        duplicate_of=None if duplicate_kind == "none" else article_id_for("http://x/orig"),
    )


def archive_pages(store: ArchiveStore, site: str, day: dt.date, count: int) -> list[ArticleRecord]:
    """Write ``count`` pages to a WARC of the partition and return records pointing at them."""
    writer = WarcWriter(store, f"raw/site={site}/date={day.isoformat()}", max_bytes=1 << 30,
                        name="test")
    records = []
    for n in range(count):
        html = f"<html><body><h1>Story {n}</h1><p>{'Story text. ' * 30}{n}</p></body></html>"
        pointer = writer.write(Exchange(
            url=f"http://{site}.example/news/{n}", status=200,
            response_headers=[("Content-Type", "text/html")], body=html.encode(),
            fetched_at=dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)))
        records.append(make_record(n, site, pointer=pointer))
    writer.close()
    return records


@contextlib.contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Serve ``server`` from a daemon thread for the block, then shut it down and close it."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
