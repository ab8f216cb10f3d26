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



TZ_ABBREVIATIONS: dict[str, int] = {
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
                                                   tzinfos=TZ_ABBREVIATIONS)
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
            month = int(match[2]) if match[2].isdigit() else MONTHS.get(match[2].casefold(), 0)
            try:
                value = dt.datetime(int(match[1]), month, int(match[3]), tzinfo=dt.UTC)
            except ValueError:
                continue
            if plausible(value, fetched_at):
                return DateValue(value, "url", has_time=False)
    return None


MONTHS = {
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
"""Month names (English, German, French, Spanish, Italian) and their numbers."""
