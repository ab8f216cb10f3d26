"""Read WARC files back: every response with its discovery metadata, or one record by pointer.

The files are those :class:`pipeline.archive.warc.WarcWriter` writes (or any WARC/1.0-1.1 file):
``response`` and ``revisit`` records come back as :class:`Capture` objects, payloads decoded
(gzip, deflate, br) under a size cap, the ``metadata`` record of each response attached. A
``revisit`` (an identical payload, or a 304 to a conditional re-fetch) carries no payload and
says why in :attr:`Capture.revisit_reason`; extraction skips it and counts the reason. A
corrupt record or a truncated file is counted and skipped, never fatal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.schema import RawPointer
from pipeline.archive.store import ArchiveStore
from pipeline.errors import CorruptObject

log = logging.getLogger(__name__)

MAX_DECODED_BODY = 32 * 1024 * 1024
"""Read-back refuses to decode a payload beyond this many bytes (decompression bombs)."""


@dataclass(frozen=True)
class Capture:
    """One ``response`` or ``revisit`` record read back from a WARC file."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    raw_body: bytes
    fetched_at: dt.datetime
    record_type: str
    refers_to_uri: str | None
    refers_to_date: str | None
    metadata: CaptureMetadata | None
    """What the crawl recorded about the response (its ``metadata`` record), if anything."""
    pointer: RawPointer
    profile: str | None = None
    """A ``revisit`` record's WARC-Profile (identical-payload-digest or server-not-modified)."""

    @property
    def revisit_reason(self) -> str | None:
        """Why this capture is a revisit (``not_modified``, ``identical_payload``), else ``None``.

        A revisit is never an article: its text was archived before.
        """
        if self.record_type != "revisit":
            return None
        return "not_modified" if (self.profile or "").endswith("server-not-modified") else (
            "identical_payload")

    def header(self, name: str) -> str | None:
        """The first response header called ``name`` (case-insensitive), or ``None``."""
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)


def _parse_warc_date(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def _iter_archive(fh: BinaryIO, key: str, errors: Counter[str], limit: int) -> Iterator[Capture]:
    # A response's metadata record follows it (after the request), so each capture is held
    # back until the next response: memory holds one record, not the whole file.
    metadata_by_id: dict[str, dict[str, str]] = {}
    held: Capture | None = None
    held_fields: dict[str, str] = {}
    end = 0
    iterator = ArchiveIterator(fh, arc2warc=False, ensure_http_headers=False)
    try:
        for record in iterator:
            rec_type = record.rec_type
            if rec_type is None or record.format != "warc":
                # what warcio makes of a truncated or garbled member: nothing after it is safe
                errors["corrupt_file"] += 1
                log.warning("%s: unreadable data at byte %d, rest of file skipped", key, end)
                end = fh.seek(0, io.SEEK_END)
                break
            if rec_type == "metadata":
                target = record.rec_headers.get_header("WARC-Concurrent-To")
                body = record.content_stream().read().decode("utf-8", "replace")
                fields: dict[str, str] = {}
                for line in body.splitlines():
                    name, sep, value = line.partition(":")
                    if sep:
                        fields[name.strip()] = value.strip()
                if held is not None and target == held.pointer.record_id:
                    held_fields.update(fields)
                elif target:
                    metadata_by_id[target] = fields
                end = iterator.get_record_offset() + iterator.get_record_length()
                continue
            if rec_type not in ("response", "revisit") or record.http_headers is None:
                end = iterator.get_record_offset() + iterator.get_record_length()
                continue
            # Read the payload before asking for offsets: warcio knows a member's length
            # only once the record is consumed.
            try:
                raw_payload = record.raw_stream.read(limit + 1)
                decoded = b""
                if rec_type == "response":
                    decoded = _decode(record, raw_payload, limit)
            except (CorruptObject, OSError, ValueError, EOFError) as exc:
                errors["corrupt_record"] += 1
                log.warning("skipping unreadable record in %s: %s", key, exc)
                continue
            offset, length = iterator.get_record_offset(), iterator.get_record_length()
            end = offset + length
            headers = record.http_headers
            rid = record.rec_headers.get_header("WARC-Record-ID") or ""
            try:
                status = int(headers.get_statuscode() or 0)
            except ValueError:
                status = 0
            if held is not None:
                yield _with_metadata(held, held_fields)
            held_fields = metadata_by_id.pop(rid, {})
            held = Capture(
                url=record.rec_headers.get_header("WARC-Target-URI") or "",
                status=status,
                headers=list(headers.headers),
                body=decoded,
                raw_body=raw_payload,
                fetched_at=_parse_warc_date(record.rec_headers.get_header("WARC-Date")),
                record_type=rec_type,
                refers_to_uri=record.rec_headers.get_header("WARC-Refers-To-Target-URI"),
                refers_to_date=record.rec_headers.get_header("WARC-Refers-To-Date"),
                metadata=None,
                pointer=RawPointer(key, offset, length, rid),
                profile=record.rec_headers.get_header("WARC-Profile"),
            )
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        errors["corrupt_file"] += 1
        log.warning("stopped reading %s at a corrupt record: %s", key, exc)
    else:
        size = fh.seek(0, io.SEEK_END)
        if end < size:  # warcio ends quietly at a truncated gzip member
            errors["corrupt_file"] += 1
            log.warning("%s is truncated or has trailing garbage after byte %d of %d",
                        key, end, size)
    if held is not None:
        yield _with_metadata(held, held_fields)


def _with_metadata(capture: Capture, fields: dict[str, str]) -> Capture:
    """The capture with the metadata records that referred to it."""
    if not fields:
        return capture
    return dataclasses.replace(capture, metadata=CaptureMetadata.from_warc_fields(fields))


def _decode(record: Any, raw_payload: bytes, limit: int) -> bytes:
    """Undo Content-Encoding (gzip, deflate, br) with a hard cap on the decoded size."""
    encoding = (record.http_headers.get_header("Content-Encoding") or "").strip().lower()
    if encoding in ("", "identity"):
        return raw_payload[:limit]
    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
        try:
            decomp = zlib.decompressobj(wbits)
            out = decomp.decompress(raw_payload, limit + 1)
        except zlib.error:
            if encoding != "deflate":
                raise CorruptObject("bad gzip payload") from None
            decomp = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
            out = decomp.decompress(raw_payload, limit + 1)
        if len(out) > limit:
            raise CorruptObject(f"decoded payload larger than {limit} bytes")
        return out
    if encoding == "br":
        try:
            import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError:  # pragma: no cover - brotli ships with scrapy's extras
            raise CorruptObject("brotli payload and no brotli module") from None
        out = brotli.decompress(raw_payload)
        if len(out) > limit:
            raise CorruptObject(f"decoded payload larger than {limit} bytes")
        return bytes(out)
    raise CorruptObject(f"unsupported Content-Encoding {encoding!r}")


def iter_captures(
    store: ArchiveStore,
    key: str,
    *,
    errors: Counter[str] | None = None,
    max_body_bytes: int = MAX_DECODED_BODY,
) -> Iterator[Capture]:
    """Yield the ``response`` and ``revisit`` records of one WARC file.

    A corrupt record or a truncated file is counted in ``errors`` and skipped; what was read
    before it is still yielded.

    Args:
        store: The archive.
        key: The WARC file's key.
        errors: Counter receiving ``corrupt_record`` / ``corrupt_file`` counts.
        max_body_bytes: Decoded payloads larger than this are skipped as corrupt.

    Yields:
        One :class:`Capture` per response, with its discovery metadata attached.
    """
    errors = errors if errors is not None else Counter()
    with tempfile.TemporaryFile() as local:
        # a local copy gives warcio a seekable file with exact offsets, whatever the backend
        with store.open_read(key) as src:
            while chunk := src.read(1024 * 1024):
                local.write(chunk)
        local.seek(0)
        yield from _iter_archive(local, key, errors, max_body_bytes)  # type: ignore[arg-type]


def read_record(store: ArchiveStore, pointer: RawPointer) -> Capture:
    """Fetch one record by its pointer with a single ranged read.

    Args:
        store: The archive.
        pointer: The record's pointer (from a normalized row).

    Returns:
        The capture.

    Raises:
        CorruptObject: The bytes at the pointer are not a WARC response record.
    """
    data = store.get_range(pointer.warc_key, pointer.offset, pointer.length)
    errors: Counter[str] = Counter()
    for capture in _iter_archive(io.BytesIO(data), pointer.warc_key, errors, MAX_DECODED_BODY):
        return dataclasses.replace(capture, pointer=pointer)
    raise CorruptObject(
        f"{pointer.warc_key} at {pointer.offset}+{pointer.length}: no WARC response record there"
    )
