"""The verdict of a site-day, decided from the evidence of its crawl report.

- **failed**: nothing trustworthy was read. No discovery source could be read (connection
  refused, DNS failure, the network guard's refusal, 5xx or 429 after retries, a block page), or
  every article fetch failed, or most article fetches were blocked (reason ``blocked``). A failed
  site-day is not committed: when every day of the crawl's window failed, the crawl step raises
  :class:`~pipeline.run.crawl_step.SiteDayFailed` (the Airflow crawl task fails and is retried);
  a day that failed while other days of its window were read is returned as ``failed`` and left
  out. Either way ``newsarchive run`` exits 1, the run report names the day, and its raw WARCs
  stay in ``raw/``. Each day of a window is judged on its own report: its own article fetches,
  and the discovery evidence the window's days share.
- **partial**: committed, with ``coverage_notes`` saying why it may lack articles: the page cap
  (``CLOSESPIDER_PAGECOUNT``, ``--page-cap``), a site cap or a sitemap cap (depth, count) was
  reached, article fetches failed after retries, the crawl was interrupted, a discovery source
  failed while others worked, or responses were blocked. The next run without ``--force``
  crawls it again.
- **complete**: discovery was read and every in-window article was fetched or skipped for a
  reason. Zero articles is complete when discovery worked: an empty day confirmed, never assumed.

Example:
    >>> verdict = judge(report)           # a CrawlReport
    >>> verdict.coverage, verdict.notes
    ('partial', ('page cap reached: the crawl was stopped by closespider_pagecount',))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.archive.crawlreport import CrawlReport, SourceReport
from pipeline.archive.partition import COMPLETE, PARTIAL
from pipeline.crawl.discovery import MAX_SITEMAP_DEPTH

FAILED = "failed"
"""Verdict of a site-day that is not committed."""

DISCOVERY_FAILED = "discovery_failed"
FETCHES_FAILED = "fetches_failed"
BLOCKED = "blocked"
REASONS = (DISCOVERY_FAILED, FETCHES_FAILED, BLOCKED)
"""Reasons of a failed verdict."""

_CAPS = {
    "page_cap": "site page cap (limits.max_pages) reached: {n} requests not made",
    "article_cap": "site article cap (limits.max_articles) reached: {n} articles not fetched",
    "listing_page_cap": "listing page cap reached {n} times: older listing pages not read",
    "sitemap_depth_cap": f"sitemap indexes nested deeper than {MAX_SITEMAP_DEPTH} levels: {{n}} "
                         "child sitemaps not read",
    "sitemap_count_cap": "child sitemap cap (sitemap_max_children) reached: {n} child "
                         "sitemaps not read",
}


@dataclass(frozen=True)
class Verdict:
    """The verdict of one site-day.

    Attributes:
        coverage: ``complete``, ``partial`` or ``failed``.
        notes: Why a partition is partial (or, for a failed one, what went wrong).
        reason: For ``failed``: one of :data:`REASONS`.
        sources: The discovery sources read, with their link counts (the manifest's
            ``discovery``).
    """

    coverage: str
    notes: tuple[str, ...] = ()
    reason: str | None = None
    sources: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON form carried by the crawl and extract results."""
        return {"coverage": self.coverage, "coverage_notes": list(self.notes),
                "reason": self.reason, "discovery": [dict(s) for s in self.sources]}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | None) -> Verdict:
        """Read :meth:`to_json` back; ``None`` (an older result) reads as complete."""
        if not doc:
            return cls(COMPLETE)
        return cls(str(doc.get("coverage") or COMPLETE), tuple(doc.get("coverage_notes") or ()),
                   doc.get("reason"), tuple(doc.get("discovery") or ()))


def _kinds(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()) if n)


def _source_line(source: SourceReport) -> str:
    return f"{source.kind} {source.url} ({_kinds(source.failures) or 'no document read'})"


def _failed_kinds(sources: tuple[SourceReport, ...]) -> set[str]:
    return {kind for s in sources for kind, n in s.failures.items() if n}


def judge(report: CrawlReport) -> Verdict:
    """Decide the verdict of a site-day from its crawl report.

    Args:
        report: The crawl report (version 2 carries ``sources`` and ``article_fetches``; an older
            report is judged on its discovery page count alone).

    Returns:
        The verdict; ``reason`` is set when it is ``failed``.
    """
    sources = report.sources
    read = [s for s in sources if s.read]
    listed = tuple({"kind": s.kind, "url": s.url, "pages": s.pages, "links": s.links}
                   for s in sources)
    discovery_read = bool(read) if sources else report.fetched.get("discovery_pages", 0) > 0
    if not discovery_read:
        why = "; ".join(_source_line(s) for s in sources) or "no discovery request was made"
        reason = BLOCKED if sources and _failed_kinds(sources) == {"blocked"} else \
            DISCOVERY_FAILED
        return Verdict(FAILED, (f"no discovery source could be read: {why}",), reason, listed)
    fetches = report.article_fetches
    ok, failed, blocked = (int(fetches.get(k, 0)) for k in ("ok", "failed", "blocked"))
    attempted = ok + failed + blocked
    if attempted and blocked * 2 > attempted:
        return Verdict(FAILED, (f"{blocked} of {attempted} article fetches were blocked "
                                "(challenge, CAPTCHA or consent pages)",), BLOCKED, listed)
    if attempted and ok == 0:
        return Verdict(FAILED, (f"every article fetch failed ({attempted}): "
                                f"{_kinds(report.errors)}",), FETCHES_FAILED, listed)
    notes = _partial_notes(report, failed, blocked)
    return Verdict(PARTIAL if notes else COMPLETE, tuple(notes), None, listed)


def _partial_notes(report: CrawlReport, failed: int, blocked: int) -> list[str]:
    notes = []
    reason = report.finish_reason or "finished"
    if reason.startswith("closespider_"):
        notes.append(f"page cap reached: the crawl was stopped by {reason}")
    elif reason != "finished":
        notes.append(f"crawl interrupted: spider closed with {reason!r}")
    for name, text in _CAPS.items():
        if report.skipped.get(name):
            notes.append(text.format(n=report.skipped[name]))
    if failed:
        notes.append(f"{failed} article fetches failed after retries")
    blocked_total = blocked + sum(s.failures.get("blocked", 0) for s in report.sources)
    if blocked_total:
        notes.append(f"{blocked_total} responses blocked (challenge, CAPTCHA or consent pages)")
    for source in report.sources:
        if not source.read:
            notes.append(f"discovery source failed while others worked: {_source_line(source)}")
        elif source.failures:
            lost = sum(source.failures.values())
            notes.append(f"{lost} documents of discovery source {source.kind} {source.url} "
                         f"could not be read ({_kinds(source.failures)})")
    return notes

