"""WARC/1.1 capture, on top of warcio: what the crawl writes.

The crawl writes each HTTP exchange with :class:`WarcWriter`: a ``request`` and a ``response``
record (bytes as received on the wire, Content-Encoding kept), plus an optional ``metadata``
record with the discovery evidence. A payload archived before becomes a ``revisit`` record
(profile identical-payload-digest), and a ``304 Not Modified`` answer to a conditional re-fetch
of an archived article (:attr:`Exchange.refers_to`) a ``revisit`` record with profile
server-not-modified. Each record is its own gzip member, so one ranged read
fetches it again; files roll over at a size limit and are uploaded as they close.

Extraction reads responses back with :func:`pipeline.archive.warc_reader.iter_captures`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
import tempfile
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline import __version__
from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.layout import WARC_SUFFIX, warc_file_name, warc_key
from pipeline.archive.schema import RawPointer
from pipeline.archive.store import ArchiveStore

log = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
SOFTWARE = f"newsarchive/{__version__}"
PROFILE_IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"

# headers that describe the transport, not the payload: Scrapy hands us the de-chunked body, so
# keeping "Transfer-Encoding: chunked" would make readers try to de-chunk it again
_TRANSPORT_HEADERS = {"transfer-encoding"}


@dataclass(frozen=True)
class RefersTo:
    """The archived response a conditional re-fetch revisits (the ``WARC-Refers-To-*`` fields)."""

    uri: str
    date: str
    """Its WARC-Date."""
    record_id: str = ""
    """Its WARC-Record-ID (``<urn:uuid:...>``), when known."""


@dataclass(frozen=True)
class Exchange:
    """One HTTP exchange as it came off the wire."""

    url: str
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: dt.datetime
    method: str = "GET"
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    reason: str = ""
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None
    metadata: CaptureMetadata | None = None
    """What the crawl knows about the exchange, written as a ``metadata`` record."""
    refers_to: RefersTo | None = None
    """For a conditional re-fetch: the archived response it revisits. A ``304`` answer is then
    written as a ``revisit`` record (profile server-not-modified)."""


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of ``body``: ``sha1:`` + base32, as warcio and Heritrix write it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(moment: dt.datetime) -> str:
    """Format a WARC-Date (UTC, microseconds as WARC/1.1 allows)."""
    moment = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


GZIP_LEVEL = 6
"""zlib level of the record gzip members. warcio compresses at 9; on news HTML level 6 takes
about 60 % of the CPU time for output 0.5 % larger (measured on the demo pages: 2.5 vs 4.0 ms
per 126 KB page), and the crawl process does this for every page it fetches."""


class _GzipMembers:
    """A file wrapper that compresses every record into its own gzip member.

    warcio calls ``flush()`` after each record, which ends the member: readers can then start
    at any record offset (one ranged read per record), as with warcio's own gzip writer.
    """

    def __init__(self, out: BinaryIO, level: int = GZIP_LEVEL) -> None:
        self.out = out
        self.level = level
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> int:
        self.out.write(self._compressor.compress(data))
        return len(data)

    def flush(self) -> None:
        self.out.write(self._compressor.flush())
        self.out.flush()
        self._compressor = zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS + 16)


class WarcWriter:
    """Write exchanges to rolling ``.warc.gz`` files and upload each file as it closes.

    Args:
        store: The archive to upload to.
        key_prefix: Folder of the files, e.g. ``raw/site=a/date=2024-01-01``.
        max_bytes: Roll over to a new file once the current one reaches this size.
        name: File name stem; files are ``{name}-{serial:05d}.warc.gz``
            (:func:`pipeline.archive.layout.warc_file_name`).
        warcinfo: Extra fields of each file's ``warcinfo`` record.
        known_payloads: Payload digest -> (target URI, WARC-Date) archived earlier; such
            payloads are written as ``revisit`` records.
        on_file_done: Called with each uploaded key.
        tmp_dir: Where open files are built (default: the system temp dir).
    """

    def __init__(
        self,
        store: ArchiveStore,
        key_prefix: str,
        *,
        max_bytes: int,
        name: str,
        warcinfo: Mapping[str, str] | None = None,
        known_payloads: Mapping[str, tuple[str, str]] | None = None,
        on_file_done: Callable[[str], None] | None = None,
        tmp_dir: str | None = None,
    ) -> None:
        self.store = store
        self.key_prefix = key_prefix.rstrip("/")
        self.max_bytes = max_bytes
        self.name = name
        self.warcinfo = dict(warcinfo or {})
        self.known_payloads: dict[str, tuple[str, str]] = dict(known_payloads or {})
        self.payload_digests: dict[str, tuple[str, str]] = {}
        self.on_file_done = on_file_done
        self.tmp_dir = tmp_dir
        self.keys: list[str] = []
        self.file_digests: dict[str, tuple[int, str]] = {}
        """Uploaded key -> (size, sha256), for the partition manifest."""
        self.stats: Counter[str] = Counter()
        self._serial = 0
        self._file: BinaryIO | None = None
        self._path: str | None = None
        self._key: str | None = None
        self._writer: WARCWriter | None = None

    # -- files ----------------------------------------------------------------------------------
    def _open(self) -> WARCWriter:
        if self._writer is not None:
            return self._writer
        self._serial += 1
        filename = warc_file_name(self.name, self._serial)
        self._key = warc_key(self.key_prefix, filename)
        fd, self._path = tempfile.mkstemp(prefix="newsarchive-", suffix=WARC_SUFFIX,
                                          dir=self.tmp_dir)
        self._file = os.fdopen(fd, "w+b")
        self._writer = WARCWriter(_GzipMembers(self._file), gzip=False,
                                  warc_version=WARC_VERSION)
        info = {"software": SOFTWARE, "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                              "warc-format/warc-1.1/"}
        info.update(self.warcinfo)
        self._writer.write_record(self._writer.create_warcinfo_record(filename, info))
        return self._writer

    def _finish_file(self) -> None:
        if self._file is None or self._key is None or self._path is None:
            return
        self._file.flush()
        size = self._file.tell()
        self._file.seek(0)
        digest = hashlib.sha256()
        while chunk := self._file.read(1024 * 1024):
            digest.update(chunk)
        self._file.close()
        try:
            self.store.put_file(self._key, self._path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)
        key = self._key
        self.keys.append(key)
        self.file_digests[key] = (size, digest.hexdigest())
        self.stats["files"] += 1
        self._file = self._path = self._key = None
        self._writer = None
        log.info("uploaded %s", key)
        if self.on_file_done:
            self.on_file_done(key)

    def roll_over(self) -> None:
        """Close and upload the current file now (a no-op when none is open)."""
        self._finish_file()

    def close(self) -> list[str]:
        """Upload the open file; returns the keys of every file this writer uploaded."""
        self._finish_file()
        return list(self.keys)

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- records --------------------------------------------------------------------------------
    def write(self, exchange: Exchange) -> RawPointer:
        """Write one exchange; returns the pointer of its response (or revisit) record."""
        writer = self._open()
        assert self._file is not None and self._key is not None
        date = warc_date(exchange.fetched_at)
        digest = payload_digest(exchange.body)
        response_id = f"<urn:uuid:{uuid.uuid4()}>"
        common = {"WARC-Date": date}
        if exchange.ip_address:
            common["WARC-IP-Address"] = exchange.ip_address

        headers = [(k, v) for k, v in exchange.response_headers
                   if k.lower() not in _TRANSPORT_HEADERS]
        reason = exchange.reason or _reason(exchange.status)
        http_headers = StatusAndHeaders(f"{exchange.status} {reason}".strip(), headers,
                                        protocol=exchange.protocol)
        earlier = self.known_payloads.get(digest) or self.payload_digests.get(digest)
        rec_headers = {**common, "WARC-Record-ID": response_id}
        if exchange.status == HTTPStatus.NOT_MODIFIED and exchange.refers_to is not None:
            record = self._not_modified(writer, exchange, http_headers, rec_headers)
            self.stats["revisit_not_modified"] += 1
        elif earlier and exchange.body:
            record = writer.create_revisit_record(
                exchange.url, digest, earlier[0], earlier[1], http_headers=http_headers,
                warc_headers_dict=rec_headers)
            self.stats["revisit"] += 1
        else:
            rec_headers["WARC-Payload-Digest"] = digest
            record = writer.create_warc_record(
                exchange.url, "response", payload=io.BytesIO(exchange.body),
                length=len(exchange.body), http_headers=http_headers,
                warc_headers_dict=rec_headers)
            if exchange.body:
                self.payload_digests.setdefault(digest, (exchange.url, date))
            self.stats["response"] += 1
        offset = self._file.tell()
        writer.write_record(record)
        length = self._file.tell() - offset

        request_line = f"{exchange.method} {_request_target(exchange.url)} {exchange.protocol}"
        request = writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            http_headers=StatusAndHeaders(request_line, list(exchange.request_headers),
                                          is_http_request=True),
            warc_headers_dict={**common, "WARC-Concurrent-To": response_id})
        writer.write_record(request)

        known = exchange.metadata.to_warc_fields() if exchange.metadata is not None else {}
        if known:
            fields = "".join(f"{k}: {_one_line(v)}\r\n" for k, v in known.items())
            meta = writer.create_warc_record(
                exchange.url, "metadata", payload=io.BytesIO(fields.encode("utf-8")),
                length=len(fields.encode("utf-8")), warc_content_type="application/warc-fields",
                warc_headers_dict={**common, "WARC-Concurrent-To": response_id})
            writer.write_record(meta)

        pointer = RawPointer(self._key, offset, length, response_id)
        if self._file.tell() >= self.max_bytes:
            self._finish_file()
        return pointer


    @staticmethod
    def _not_modified(writer: WARCWriter, exchange: Exchange, http_headers: StatusAndHeaders,
                      rec_headers: dict[str, str]) -> ArcWarcRecord:
        """A ``revisit`` record (server-not-modified) for a 304 to a conditional re-fetch."""
        assert exchange.refers_to is not None
        fields = {**rec_headers, "WARC-Profile": PROFILE_NOT_MODIFIED,
                  "WARC-Refers-To-Target-URI": exchange.refers_to.uri,
                  "WARC-Refers-To-Date": exchange.refers_to.date}
        if exchange.refers_to.record_id:
            fields["WARC-Refers-To"] = exchange.refers_to.record_id
        return writer.create_warc_record(exchange.url, "revisit", http_headers=http_headers,
                                         warc_headers_dict=fields)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _one_line(value: str) -> str:
    return " ".join(str(value).split())
