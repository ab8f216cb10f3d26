"""Parsing and sanity checks of the date evidence found in pages, URLs and discovery hints.

A date is only trusted when it parses unambiguously and lies within plausible bounds: not before
:data:`EARLIEST` and not after the fetch time (plus a day of clock and time zone slack). Values
without a time zone are read as UTC; values without a time of day as midnight.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser  # type: ignore[import-untyped]

logger = logging.getLogger(__name__)

EARLIEST = dt.datetime(1995, 1, 1, tzinfo=dt.UTC)
"""Dates before this are treated as parse errors (the web news era starts around 1995)."""

FUTURE_SLACK = dt.timedelta(days=1)
"""How far after the fetch time a date may lie (time zones, clock skew)."""

_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")
_URL_DATE_PATTERNS = (
    # /2024/03/15/ or /2024-03-15/ or /2024_03_15
    re.compile(r"(?<!\d)((?:19|20)\d{2})[/_-](0?[1-9]|1[0-2])[/_-](0?[1-9]|[12]\d|3[01])(?!\d)"),
    # /2024/march/15/ (a month name as a path segment)
    re.compile(r"/((?:19|20)\d{2})/([a-z]{3,9})/(0?[1-9]|[12]\d|3[01])(?=/|$)",
               re.IGNORECASE),
    # /20240315/ as a whole path segment or a leading part of one
    re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"),
)


@dataclass(frozen=True)
class DateValue:
    """A date found in some evidence, with the name of that evidence.

    Attributes:
        value: The moment, time zone aware, in the offset the source stated (UTC if none).
        source: Where it came from, e.g. ``jsonld``, ``meta:article:published_time``,
            ``discovery:news_sitemap``, ``url``, ``htmldate``.
        has_time: Whether the source gave a time of day (not just a date).
    """

    value: dt.datetime
    source: str
    has_time: bool = True

    @property
    def utc(self) -> dt.datetime:
        """The moment in UTC."""
        return self.value.astimezone(dt.UTC)



_TZ_ABBREVIATIONS: dict[str, int] = {
    name: int(hours * 3600) for name, hours in {
        "UTC": 0, "GMT": 0, "Z": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
        "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8,
        "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "IST": 5.5, "JST": 9, "KST": 9,
        "AEST": 10, "AEDT": 11, "ACST": 9.5, "AWST": 8, "NZST": 12, "NZDT": 13, "SGT": 8,
        "HKT": 8, "WIB": 7, "PKT": 5, "MSK": 3, "SAST": 2, "WAT": 1, "EAT": 3,
    }.items()
}
"""Time-zone abbreviations news sites print next to times (IST as India: the common case on
English-language news pages). Unknown ones are left to dateutil (a naive time, read as UTC)."""

def parse_date(text: str | None) -> tuple[dt.datetime, bool] | None:
    """Parse a date or date-time string as found in markup, feeds or sitemaps.

    Accepts ISO 8601 (with or without offset, ``Z``, fractions), RFC 2822 (feeds) and the usual
    unambiguous spellings dateutil understands. Ambiguous or partial values (a year alone,
    ``03/04/2024``) are refused.

    Args:
        text: The string, or ``None``.

    Returns:
        ``(aware datetime, has_time)``, or ``None`` when the value cannot be trusted.
    """
    if not text:
        return None
    text = text.strip()
    if len(text) < 8 or len(text) > 64:
        return None
    has_time = bool(re.search(r"\d{1,2}:\d{2}", text))
    value: dt.datetime | None = None
    if _ISO_DATE.match(text):
        try:
            value = dateutil_parser.isoparse(text)
        except (ValueError, OverflowError):
            value = _lenient(text)
    elif re.match(r"^[A-Za-z]{3},?\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}", text):
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            value = None
    elif re.search(r"[A-Za-z]{3,}", text) and re.search(r"\b(19|20)\d{2}\b", text):
        value = _lenient(text)  # "March 5, 2024 10:00 EST", "5 March 2024"
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value, has_time


def _lenient(text: str) -> dt.datetime | None:
    try:
        value: dt.datetime = dateutil_parser.parse(text, fuzzy=False, dayfirst=False,
                                                   tzinfos=_TZ_ABBREVIATIONS)
    except (ValueError, OverflowError, TypeError):
        return None
    return value


def plausible(value: dt.datetime, fetched_at: dt.datetime | None) -> bool:
    """Whether ``value`` lies between :data:`EARLIEST` and the fetch time plus slack.

    Args:
        value: An aware datetime.
        fetched_at: When the page was fetched (aware), or ``None`` for no upper bound.

    Returns:
        ``True`` when the date is believable as a publication or modification date.
    """
    if value < EARLIEST:
        return False
    return fetched_at is None or value <= fetched_at + FUTURE_SLACK


def date_value(text: str | None, source: str, fetched_at: dt.datetime | None) -> DateValue | None:
    """Parse ``text`` and wrap it with its source when it is plausible.

    Args:
        text: The raw value.
        source: Name of the evidence.
        fetched_at: Fetch time (upper bound).

    Returns:
        The :class:`DateValue`, or ``None``.
    """
    parsed = parse_date(text)
    if parsed is None or not plausible(parsed[0], fetched_at):
        return None
    return DateValue(parsed[0], source, parsed[1])


def date_from_url(url: str, fetched_at: dt.datetime | None) -> DateValue | None:
    """A full date (year, month and day) spelled in the URL path, if any.

    Year and month alone (``/2024/03/slug``) are not enough: the day would be invented.

    Args:
        url: The page URL.
        fetched_at: Fetch time (upper bound).

    Returns:
        The date at midnight UTC with source ``url``, or ``None``.
    """
    path = url.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else ""
    path = path.split("?", 1)[0]
    for pattern in _URL_DATE_PATTERNS:
        match = pattern.search(path)
        if match:
            month = int(match[2]) if match[2].isdigit() else _MONTHS.get(match[2].casefold(), 0)
            try:
                value = dt.datetime(int(match[1]), month, int(match[3]), tzinfo=dt.UTC)
            except ValueError:
                continue
            if plausible(value, fetched_at):
                return DateValue(value, "url", has_time=False)
    return None


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "januar", "janvier", "enero", "gennaio"),
            ("february", "feb", "februar", "février", "febrero", "febbraio"),
            ("march", "mar", "märz", "mars", "marzo"),
            ("april", "apr", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maggio"),
            ("june", "jun", "juni", "juin", "junio", "giugno"),
            ("july", "jul", "juli", "juillet", "julio", "luglio"),
            ("august", "aug", "août", "agosto"),
            ("september", "sep", "sept", "septembre", "septiembre", "settembre"),
            ("october", "oct", "oktober", "octobre", "octubre", "ottobre"),
            ("november", "nov", "novembre", "noviembre"),
            ("december", "dec", "dezember", "décembre", "diciembre", "dicembre"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_TEXT_DATE_PATTERNS = (
    # September 4, 2025 / Sept. 4th 2025
    (re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b"),
     "mdy"),
    # 4 September 2025 / 4. September 2025 / 4th of September, 2025
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?({_MONTH_RE})\.?,?\s+"
                r"((?:19|20)\d\d)\b"), "dmy"),
    # 2025-09-04 / 2025/09/04 / 2025.09.04
    (re.compile(r"\b((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})\b"), "ymd"),
    # 04/09/2025 / 4.9.2025 / 09-04-2025 (both readings)
    (re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)\d\d)\b"), "ambiguous"),
)


_LABELS = (
    ("original", re.compile(
        r"\boriginally\s+(?:published|posted|appeared|ran)\b[^.!?]{0,20}?"
        r"(?:\s*(?:on|in|at|:|,))*\s*$")),
    ("published", re.compile(
        r"\b(?:published|posted|publish(?:ed)?\s+(?:date|on)|date\s+published|released|"
        r"veröffentlicht|publié(?:\s+le)?|publicado|pubblicato)"
        r"(?:\s*(?:on|at|date|:|\||-|\u2013|\u2014|\.|,))*\s*$")),
    ("updated", re.compile(
        r"\b(?:updated|modified|reviewed|revised|edited|aktualisiert|"
        r"mis\s+à\s+jour|actualizado|aggiornato)"
        r"(?:\s*(?:on|at|:|\||-|\u2013|\u2014|\.|,))*\s*$")),
    ("other", re.compile(
        r"(?:\bvalid\s+(?:through|until|till)|\bactive|\bexpires?|\buntil|\bdeadline|©|\bcopyright|"
        r"\bsince|\bborn|\bfounded|\bestablished|\bevent\s+date|\bstarts?|\bends?)"
        r"(?:\s*(?:on|:|\||-|\.|,))*\s*$")),
)
"""Labels written just before a shown date, and what they make of it."""
_MONTH_ONLY = re.compile(
    rf"\b(?:published|posted)\s+(?:in\s+|on\s+)?(?:{_MONTH_RE})\.?,?\s+(?:19|20)\d\d\b")
_LABEL_WINDOW = 40
"""Characters before a date searched for its label."""
_WRITTEN_BY = re.compile(r"\bwritten\s+by\s+[^\d.!?:;]{3,70}?(?:\s*[|,\u2022\u00b7-])?\s*$")
"""A byline ("Written by Ann Lee and Al Bo") just before a date: the article's own dating.
Names are long, so it is searched in twice the label window."""


@dataclass(frozen=True)
class ShownDate:
    """A date spelled in a page's visible text.

    Attributes:
        date: The calendar date (one reading of an ambiguous numeric date).
        offset: Character offset in the text.
        label: ``original`` ("Originally published on"), ``published`` ("Published",
            "Posted on", right after a "Written by ..." byline), ``updated`` ("Updated",
            "Last modified", "Reviewed"), ``other`` ("valid through", "©") or ``""``.
        reading: ``""`` for an unambiguous date; for a numeric date that reads two ways
            (``04/09/2025``), which reading this is: ``month_first`` or ``day_first``.
    """

    date: dt.date
    offset: int
    label: str = ""
    reading: str = ""

    @property
    def ambiguous(self) -> bool:
        """Whether the same spelling also reads as another date."""
        return bool(self.reading)


def dates_in_text(text: str) -> list[tuple[int, dt.date]]:
    """Calendar dates spelled out in ``text``, with their character offsets, in text order.

    English and some European month names, ISO and numeric forms; a numeric ``04/09/2025``
    yields both readings.

    Args:
        text: Visible text of a page.

    Returns:
        ``(offset, date)`` pairs sorted by offset.
    """
    return [(d.offset, d.date) for d in labelled_dates(text)]


def labelled_dates(text: str) -> list[ShownDate]:
    """Like :func:`dates_in_text`, with the label written before each date.

    Args:
        text: Visible text of a page, whitespace-normalized.

    Returns:
        :class:`ShownDate` values sorted by offset (both readings of an ambiguous date).
    """
    found: list[ShownDate] = []
    lowered = text.casefold()
    for pattern, order in _TEXT_DATE_PATTERNS:
        for match in pattern.finditer(lowered):
            a, b, c = match.groups()
            triples: list[tuple[int, int, int]] = []
            if order == "mdy":
                triples.append((int(c), _MONTHS[a], int(b)))
            elif order == "dmy":
                triples.append((int(c), _MONTHS[b], int(a)))
            elif order == "ymd":
                triples.append((int(a), int(b), int(c)))
            else:
                triples += [(int(c), int(a), int(b)), (int(c), int(b), int(a))]
            readings: list[tuple[dt.date, str]] = []
            for (year, month, day), reading in zip(triples, ("month_first", "day_first"),
                                                   strict=False):
                try:
                    value = dt.date(year, month, day)
                except ValueError:
                    continue
                if value not in [r[0] for r in readings]:
                    readings.append((value, reading))
            label = _label(lowered, match.start()) if readings else ""
            found.extend(ShownDate(value, match.start(), label,
                                   reading if len(readings) > 1 else "")
                         for value, reading in readings)
    return sorted(found, key=lambda item: item.offset)


def _label(lowered: str, start: int) -> str:
    before = lowered[max(0, start - _LABEL_WINDOW):start]
    for name, pattern in _LABELS:
        if pattern.search(before):
            return name
    if _WRITTEN_BY.search(lowered, max(0, start - 2 * _LABEL_WINDOW), start):
        return "published"
    return ""


@dataclass(frozen=True)
class ShownDates:
    """The dates a page shows to readers.

    Attributes:
        header: Dates near the headline (the byline area), in text order.
        anywhere: Every date in the visible text (every reading of ambiguous ones).
        published: Dates labelled as the publication date anywhere in the text
            (``original`` or ``published``), in text order.
        certain: Every unambiguous date in the visible text.
        month_only: The byline area states the publication by month and year alone
            ("Originally published in March 2022"): its other dates are not that day.
    """

    header: tuple[ShownDate, ...] = ()
    anywhere: frozenset[dt.date] = frozenset()
    published: tuple[ShownDate, ...] = ()
    certain: frozenset[dt.date] = frozenset()
    month_only: bool = False


HEADER_BEFORE = 300
"""Characters of visible text before the headline that still belong to the byline area."""
HEADER_AFTER = 600
"""Characters of visible text after the headline that still belong to the byline area."""


def shown_dates(text: str, headlines: tuple[str, ...] | list[str]) -> ShownDates:
    """Find the dates shown in a page's visible text and those in its byline area.

    The byline area is the text from :data:`HEADER_BEFORE` characters before the first
    headline found in the text to :data:`HEADER_AFTER` characters after it. A page without a
    findable headline has no byline area.

    Args:
        text: The visible text, whitespace-normalized.
        headlines: Candidate headlines (``<h1>`` texts, the title), most likely first.

    Returns:
        The :class:`ShownDates`.
    """
    found = labelled_dates(text)
    lowered = text.casefold()
    header: list[ShownDate] = []
    month_only = False
    for headline in headlines:
        start = lowered.find(headline.casefold()) if len(headline) >= 10 else -1
        if start >= 0:
            lo, hi = start - HEADER_BEFORE, start + len(headline) + HEADER_AFTER
            header = [d for d in found if lo <= d.offset <= hi]
            month_only = bool(_MONTH_ONLY.search(lowered, max(0, lo), max(0, hi)))
            break
    return ShownDates(tuple(header), frozenset(d.date for d in found),
                      tuple(d for d in found if d.label in ("original", "published")),
                      frozenset(d.date for d in found if not d.ambiguous), month_only)
