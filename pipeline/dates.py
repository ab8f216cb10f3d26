"""Dates: days given as ``YYYY-MM-DD``, the date evidence of pages and hints, dates in URLs.

Shared by every stage (crawl and extract both read dates from URLs), so there is one grammar:

- :func:`parse_day` reads a ``YYYY-MM-DD`` day (command line, spider arguments, plan items,
  archive keys) and raises :class:`~pipeline.errors.ConfigError` naming a bad value.
- :func:`parse_date` reads a date or date-time as pages, feeds and sitemaps spell it.
- :func:`day_from_url` and :func:`month_from_url` read a day or a month spelled in a URL path;
  :func:`date_from_url` turns the day into date evidence for extraction.

A date is only trusted as evidence when it parses unambiguously and lies within plausible bounds:
not before :data:`EARLIEST` and not after the fetch time (plus a day of clock and time zone
slack). Values without a time zone are read as UTC; values without a time of day as midnight.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser  # type: ignore[import-untyped]

from pipeline.errors import ConfigError

logger = logging.getLogger(__name__)

EARLIEST = dt.datetime(1995, 1, 1, tzinfo=dt.UTC)
"""Dates before this are treated as parse errors (the web news era starts around 1995)."""

FUTURE_SLACK = dt.timedelta(days=1)
"""How far after the fetch time a date may lie (time zones, clock skew)."""

_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")

# The grammar of dates in URL paths, in order of trust.
_URL_DAY = re.compile(  # /2024/03/15/, /2024-03-15, story_2024_3_5 (numbers, separated)
    r"(?<!\d)(?P<year>(?:19|20)\d{2})(?P<sep>[/_-])(?P<month>0?[1-9]|1[0-2])(?P<sep2>[/_-])"
    r"(?P<day>0?[1-9]|[12]\d|3[01])(?!\d)")
_URL_NAMED_MONTH = re.compile(  # /2024/march/15/ (a month name as a path segment)
    r"/(?P<year>(?:19|20)\d{2})/(?P<month>[a-z]{3,9})/(?P<day>0?[1-9]|[12]\d|3[01])(?=/|$)",
    re.IGNORECASE)
_URL_COMPACT = re.compile(  # /20240315/ as a whole path segment or a leading part of one
    r"/(?P<year>(?:19|20)\d{2})(?P<month>0[1-9]|1[0-2])(?P<day>0[1-9]|[12]\d|3[01])(?=[/_.-]|$)")
_URL_DAY_FORMS = (_URL_DAY, _URL_NAMED_MONTH, _URL_COMPACT)
_URL_MONTH = re.compile(  # /2024/03/, sitemap-2024-03.xml (a month, no day)
    r"(?<!\d)(?P<year>(?:19|20)\d{2})[/_-](?P<month>0[1-9]|1[0-2])(?!\d)")


@dataclass(frozen=True)
class DateValue:
    """A date found in some evidence, with the name of that evidence.

    Attributes:
        value: The moment, time zone aware, in the offset the source stated (UTC if none).
        source: Where it came from, e.g. ``jsonld``, ``meta:article:published_time``,
            ``discovery:news_sitemap``, ``url``, ``htmldate``.
        has_time: Whether the source gave a time of day (not just a date).
        has_offset: Whether the source stated its offset (else ``value`` is read as UTC and
            the page's own wall-clock time is ``value`` without its ``tzinfo``).
    """

    value: dt.datetime
    source: str
    has_time: bool = True
    has_offset: bool = True

    @property
    def local_iso(self) -> str:
        """The moment as the page states it: ISO 8601 with its offset, none when it gave none."""
        if not self.has_time:
            return self.value.date().isoformat()
        return (self.value if self.has_offset else self.value.replace(tzinfo=None)).isoformat()

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
    return DateValue(parsed[0], source, parsed[1], states_offset(text or ""))


_OFFSET = re.compile(r"(?:\d[zZ]|[+-]\d{2}:?\d{2}|\b[A-Z]{1,5}T\b|\b[A-Z]{3,4}\b)\s*\)?\s*$")


def states_offset(text: str) -> bool:
    """Whether a date-time string names its offset (``Z``, ``+02:00``, ``+0200``, ``CEST``)."""
    text = text.strip()
    if not re.search(r"\d{1,2}:\d{2}", text):
        return False
    return bool(_OFFSET.search(text)) or bool(re.search(r"\b(?:GMT|UTC)[+-]?", text))


def parse_day(text: str) -> dt.date:
    """Read a day written ``YYYY-MM-DD`` (as :meth:`datetime.date.fromisoformat` reads it).

    Args:
        text: The value, e.g. a command-line argument, a plan item's date, a key segment.

    Returns:
        The day.

    Raises:
        ConfigError: ``text`` is not a date; the message names the value.
    """
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def _url_path(url: str) -> str:
    """The path of ``url`` (without scheme, host and query); the host never holds a date."""
    path = url.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else ""
    return path.split("?", 1)[0]


def _day_of(match: re.Match[str]) -> dt.date | None:
    month_text = match["month"]
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text.casefold(), 0)
    try:
        return dt.date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        return None


def _url_days(url: str, *, strict: bool) -> Iterator[dt.date]:
    """The valid days the URL path spells, most trusted form first (see :func:`day_from_url`)."""
    path = _url_path(url)
    if strict:
        for match in _URL_DAY.finditer(path):
            if match["sep"] == match["sep2"] and len(match["month"]) == len(match["day"]) == 2:
                day = _day_of(match)
                if day is not None:
                    yield day
                return  # only the first strict spelling counts
        return
    for pattern in _URL_DAY_FORMS:
        first = pattern.search(path)  # only the first spelling of each form counts
        day = _day_of(first) if first else None
        if day is not None:
            yield day


def day_from_url(url: str, *, strict: bool = False) -> dt.date | None:
    """The day (year, month and day) spelled in a URL path, if any.

    The grammar, in order: numbers separated by ``/``, ``-`` or ``_`` (``/2024/03/15/``,
    ``story-2024-3-5``), a month name as a path segment (``/2024/march/15/``, English, German,
    French, Spanish or Italian), and eight digits at the start of a path segment
    (``/20240315/``). Years run from 1900 to 2099. Year and month alone (``/2024/03/slug``) are
    not a day: the day would be invented (see :func:`month_from_url`). The host and the query
    are never read.

    ``strict`` keeps only the first numeric spelling with one separator used twice and two-digit
    month and day (``2024/03/15``, ``2024-03-15``): the crawl skips links on this date, so it
    trusts only the unambiguous spelling; extraction, which weighs it against other evidence,
    reads every form.

    Args:
        url: The URL (absolute, or a path).
        strict: Read only the unambiguous numeric spelling.

    Returns:
        The first valid day, or ``None``.
    """
    return next(_url_days(url, strict=strict), None)


def month_from_url(url: str) -> dt.date | None:
    """The first day of a month spelled in a URL path (``/2024/03/``, ``sitemap-2024-03.xml``).

    Numbers only, two-digit month, separated by ``/``, ``-`` or ``_``; the host and the query are
    never read. Used for what a URL without a day covers (a monthly sitemap, an archive page).

    Args:
        url: The URL (absolute, or a path).

    Returns:
        The first day of the month, or ``None``.
    """
    match = _URL_MONTH.search(_url_path(url))
    return dt.date(int(match["year"]), int(match["month"]), 1) if match else None


def date_from_url(url: str, fetched_at: dt.datetime | None) -> DateValue | None:
    """The day spelled in the URL path as date evidence, when plausible.

    Reads every form of :func:`day_from_url` and keeps the first day :func:`plausible` for
    ``fetched_at``.

    Args:
        url: The page URL.
        fetched_at: Fetch time (upper bound).

    Returns:
        The date at midnight UTC with source ``url``, or ``None``.
    """
    for day in _url_days(url, strict=False):
        value = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
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
