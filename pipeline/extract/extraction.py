"""The extraction stage: one page in, an :class:`ArticleRecord` or a :class:`Skip` out.

A skip carries its reason, which the caller counts.

The same function serves the nightly run, reprocessing of old WARCs and ``newsarchive
extract``. The page is parsed once; the metadata evidence is read from that tree
(:mod:`pipeline.extract.metadata.evidence`, decided by
:mod:`pipeline.extract.metadata.resolve`), trafilatura extracts the body from a copy, and
trafilatura/htmldate metadata is only computed when no stronger evidence exists.
The crawl date bounds every date, so a rerun next year decides the same.

Example:
    >>> result = extract_page(html_bytes, "https://example.com/a", fetched_at=when)
    >>> if isinstance(result, Skip): counts[result.reason] += 1
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import htmldate
import trafilatura
from lxml.html import HtmlElement
from trafilatura.metadata import extract_author, extract_title
from trafilatura.utils import load_html

from pipeline import __version__
from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.schema import ArticleRecord, RawPointer, article_id_for
from pipeline.extract.blockpage import is_block_page
from pipeline.extract.body import extract_body
from pipeline.extract.metadata.evidence import ARTICLE_TYPES, collect_evidence
from pipeline.extract.metadata.resolve import PageMetadata, resolve_metadata
from pipeline.extract.pagetype import (
    DEFAULT_PAGETYPE,
    PageSignals,
    PageTypeOptions,
    VisibleText,
    classify_page,
    count_words,
    visible_text,
)
from pipeline.fingerprint import DEFAULT_FINGERPRINT, FingerprintOptions, fingerprints
from pipeline.urls import canonical_url_for

logger = logging.getLogger(__name__)

EXTRACTOR = "trafilatura"
EXTRACTOR_VERSION = f"{trafilatura.__version__}+newsarchive.{__version__}"
"""Stored in every record: a change of either part may change the output."""

NO_POINTER = RawPointer("", 0, 0, "")
"""Pointer of pages that do not come from a WARC (``newsarchive extract`` on files)."""

# skip reasons besides those of pipeline.extract.pagetype
REVISIT = "revisit"
NOT_HTML = "not_html"
UNPARSABLE = "unparsable"
NO_TEXT = "no_text"
DISCOVERY_PAGE = "discovery_page"
BLOCKED = "blocked"  # a challenge, CAPTCHA or consent page (pipeline.extract.blockpage)
EXTRACT_ERROR = "extract_error"
"""The page broke the extractor (logged with its traceback): the raw capture stays archived."""


@dataclass(frozen=True)
class ExtractionOptions:
    """Options of the extraction stage (chosen by ``benchmarks/extraction_quality.py``).

    Attributes:
        fast: trafilatura's ``fast`` mode (no fallback extractors).
        favor_precision: trafilatura's precision mode (off: the balanced mode wins the
            grouped cross-validation on all dev sets, ``benchmarks/extraction_quality.py``).
        favor_recall: trafilatura's recall mode.
        include_tables: Keep table text.
        include_comments: Keep reader comments (never for the archive).
        htmldate_fallback: Ask htmldate (markup only, no free-text search) for a date when
            no stronger evidence exists.
        fuller_below_words: On a page declaring itself an article, a body shorter than this
            is compared with the recall pass (:mod:`pipeline.extract.body`).
        fuller_ratio: The recall pass replaces it when it has this many times the words
            (0 turns the rule off).
        fingerprint: SimHash feature options.
        pagetype: Article-detection thresholds.
    """

    fast: bool = False
    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    include_comments: bool = False
    htmldate_fallback: bool = True
    fuller_below_words: int = 250
    fuller_ratio: float = 2.0
    fingerprint: FingerprintOptions = DEFAULT_FINGERPRINT
    pagetype: PageTypeOptions = DEFAULT_PAGETYPE


DEFAULT_OPTIONS = ExtractionOptions()


@dataclass(frozen=True)
class Skip:
    """A page that yields no normalized row, and why (counted by the caller)."""

    reason: str
    url: str = ""


@dataclass(frozen=True)
class PageInput:
    """One page to extract, independent of where it came from (WARC capture or file).

    Attributes:
        html: The decoded HTTP payload (bytes; the charset is detected).
        url: The fetched URL.
        fetched_at: Fetch time (UTC); bounds every date found in the page.
        http_status: HTTP status of the response.
        pointer: Where the raw response lives in the archive.
        hint: What the crawl recorded about the page (its WARC metadata record): the
            discovery source and the date it announced are date evidence.
        site: Site name of the partition; the URL's host when empty.
        content_type: The Content-Type header, if known.
        revisit: The capture is a WARC revisit (identical payload archived before).
        role: Why the crawler fetched the page (``article``, ``listing``, ``sitemap``, ...),
            from the capture's metadata record; ``None`` when unknown (plain files, foreign
            WARCs), and then the page-type classifier alone decides.
    """

    html: bytes
    url: str
    fetched_at: dt.datetime
    http_status: int = 200
    pointer: RawPointer = NO_POINTER
    hint: CaptureMetadata | None = None
    site: str = ""
    content_type: str | None = None
    revisit: bool = False
    role: str | None = None


@dataclass(frozen=True)
class PageResult:
    """Everything :func:`extract_details` decided about a page (for benchmarks and the CLI)."""

    outcome: ArticleRecord | Skip
    metadata: PageMetadata | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


def page_from_capture(capture: Any, site: str = "") -> PageInput:
    """Build a :class:`PageInput` from a :class:`pipeline.archive.warc_reader.Capture`.

    Args:
        capture: The capture read back by :func:`pipeline.archive.warc_reader.iter_captures`.
        site: The partition's site name.

    Returns:
        The page input; the discovery hint is the capture's metadata record.
    """
    hint: CaptureMetadata | None = capture.metadata
    return PageInput(
        html=capture.body, url=capture.url, fetched_at=capture.fetched_at,
        http_status=capture.status, pointer=capture.pointer, hint=hint,
        site=site, content_type=capture.header("content-type"),
        revisit=capture.record_type == "revisit",
        role=(hint.role if hint is not None else "") or _role_from_url(capture.url),
    )


def _role_from_url(url: str) -> str | None:
    """Roles a capture without metadata still has: robots.txt is fetched by the crawler itself."""
    return "robots" if urlsplit(url).path == "/robots.txt" else None


def extract_capture(capture: Any, site: str = "",
                    options: ExtractionOptions = DEFAULT_OPTIONS) -> ArticleRecord | Skip:
    """Extract one WARC capture (see :func:`extract_page`)."""
    return extract(page_from_capture(capture, site), options)


def extract_page(
    html: bytes | str,
    url: str,
    *,
    fetched_at: dt.datetime,
    http_status: int = 200,
    pointer: RawPointer = NO_POINTER,
    hint: CaptureMetadata | None = None,
    site: str = "",
    options: ExtractionOptions = DEFAULT_OPTIONS,
) -> ArticleRecord | Skip:
    """Extract one page into a normalized record.

    Args:
        html: The page (bytes in any charset, or text).
        url: The fetched URL.
        fetched_at: Fetch time (aware; naive is read as UTC).
        http_status: HTTP status of the response.
        pointer: Raw pointer stored in the record.
        hint: What the crawl recorded about the page, e.g.
            ``CaptureMetadata(source="news_sitemap", published=...)``.
        site: Site name of the partition (default: the URL's host).
        options: Stage options.

    Returns:
        The record, or a :class:`Skip` naming why the page yields no row.
    """
    body = html.encode("utf-8") if isinstance(html, str) else html
    page = PageInput(body, url, fetched_at, http_status, pointer, hint, site)
    return extract(page, options)


def extract(page: PageInput, options: ExtractionOptions = DEFAULT_OPTIONS) -> ArticleRecord | Skip:
    """Extract one :class:`PageInput` (the picklable entry point of the process pool)."""
    return extract_details(page, options).outcome


def extract_details(page: PageInput, options: ExtractionOptions = DEFAULT_OPTIONS) -> PageResult:
    """Like :func:`extract`, also returning the decided metadata (benchmarks, debugging)."""
    fetched_at = page.fetched_at if page.fetched_at.tzinfo else page.fetched_at.replace(
        tzinfo=dt.UTC)
    if page.revisit:
        return PageResult(Skip(REVISIT, page.url))
    if page.role and page.role != "article":
        # the crawler fetched it to find articles (listing, sitemap, feed, date archive)
        return PageResult(Skip(DISCOVERY_PAGE, page.url))
    if not 200 <= page.http_status < 300:
        return PageResult(Skip("http_status", page.url))
    if page.content_type and not _is_html(page.content_type):
        return PageResult(Skip(NOT_HTML, page.url))
    if is_block_page(page.http_status, page.html):
        return PageResult(Skip(BLOCKED, page.url))
    tree = load_html(page.html) if page.html.strip() else None
    if tree is None:
        return PageResult(Skip(UNPARSABLE, page.url))
    evidence = collect_evidence(tree)
    walked: list[VisibleText] = []

    def shown() -> VisibleText:  # one walk of the body, only when something needs it
        if not walked:
            walked.append(visible_text(tree))
        return walked[0]

    text = extract_body(tree, page.url, options, article_like=bool(
        evidence.objects_of(ARTICLE_TYPES)) or "og:article" in evidence.types)
    words = count_words(text)
    meta = resolve_metadata(evidence, url=page.url, fetched_at=fetched_at, hint=page.hint,
                            fallback=_fallback(tree, page.url, fetched_at, options),
                            visible_text=lambda: shown().text)
    word_count = len(text.split())
    signals = PageSignals(
        url=page.url, http_status=page.http_status, title=meta.title or evidence.title_tag,
        types=meta.types, word_count=words,
        has_article_date=bool(meta.published and meta.published.source.startswith(
            ("jsonld", "meta", "microdata"))),
        link_density=shown().link_density if word_count < 2000 else 0.0,
        image_count=len(tree.xpath("//img")),
        longest_paragraph=max((len(line.split()) for line in text.splitlines()), default=0),
    )
    reason = classify_page(signals, options.pagetype)
    if reason is None and not text:
        reason = NO_TEXT
    if reason is not None:
        return PageResult(Skip(reason, page.url), meta)
    canonical_url = canonical_url_for(page.url, meta.canonical_url)
    hashed, fingerprint = fingerprints(text, options.fingerprint)
    record = ArticleRecord(
        article_id=article_id_for(canonical_url),
        url=page.url,
        canonical_url=canonical_url,
        site=page.site or (urlsplit(page.url).hostname or ""),
        title=meta.title,
        text=text,
        fetched_at=fetched_at.astimezone(dt.UTC),
        http_status=page.http_status,
        content_hash=hashed,
        simhash=fingerprint,
        raw=page.pointer,
        extractor=EXTRACTOR,
        extractor_version=EXTRACTOR_VERSION,
        authors=meta.authors,
        published_at=meta.published.utc if meta.published else None,
        published_source=meta.published.source if meta.published else None,
        modified_at=meta.modified.utc if meta.modified else None,
        modified_source=meta.modified.source if meta.modified else None,
        published_at_local=meta.published.local_iso if meta.published else None,
        published_date=meta.published.value.date() if meta.published else None,
        modified_at_local=meta.modified.local_iso if meta.modified else None,
        modified_date=meta.modified.value.date() if meta.modified else None,
        language=meta.language,
        description=meta.description,
        tags=meta.tags,
        image=meta.image,
        word_count=word_count,
    )
    return PageResult(record, meta)


def _is_html(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind in ("", "text/html", "application/xhtml+xml", "text/plain") or kind.endswith(
        "html")


def _fallback(tree: HtmlElement, url: str, fetched_at: dt.datetime,
              options: ExtractionOptions) -> Callable[[str], str | None]:
    """trafilatura/htmldate values, computed only when a field has no stronger evidence."""

    def get(name: str) -> str | None:
        try:
            if name == "title":
                return extract_title(tree)
            if name == "author":
                return extract_author(tree)
            if name == "date" and options.htmldate_fallback:
                found = htmldate.find_date(
                    tree, url=url, original_date=True, extensive_search=False,
                    max_date=fetched_at.strftime("%Y-%m-%d"),
                    outputformat="%Y-%m-%dT%H:%M:%S%z",
                )
                return str(found) if found else None
        except Exception:
            logger.debug("fallback %s failed for %s", name, url, exc_info=True)
        return None

    return get
