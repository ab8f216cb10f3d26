"""Dates a page shows its readers: spelled in the visible text, labelled by the words before them.

Publication dates in markup can be stale or missing; the byline ("Published 4 March 2025,
14:05 UTC") is what the reader sees. :func:`shown_dates` finds every date in the visible text,
the label written before it ("Published", "Updated", "Originally published", "©", ...), the time
of day when one with a time zone follows it, and which dates sit in the byline area around the
headline. :mod:`pipeline.extract.metadata.dates` weighs them against the declared dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipeline.dates import MONTHS, TZ_ABBREVIATIONS

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
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
        moment: The date with its time of day, in the page's own offset, when a time with a
            time zone follows it ("4 March 2025, 14:05 UTC", "March 4, 2025 1:06 PM EST");
            ``None`` otherwise (a time without a zone is some local time: left out).
    """

    date: dt.date
    offset: int
    label: str = ""
    reading: str = ""
    moment: dt.datetime | None = None

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
                triples.append((int(c), MONTHS[a], int(b)))
            elif order == "dmy":
                triples.append((int(c), MONTHS[b], int(a)))
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
                                   reading if len(readings) > 1 else "",
                                   _moment(value, lowered, match.end()))
                         for value, reading in readings)
    return sorted(found, key=lambda item: item.offset)


_TIME_AFTER = re.compile(
    r"\s*(?:,|at|@|-|\u2013|\u2014|\u00b7|\|)?\s*(\d{1,2})[:.](\d{2})(?!\d)(?::\d{2})?\s*"
    r"(a\.?m\.?|p\.?m\.?)?\s*\(?\s*([a-z]{1,5})?\s*([+-]\d{1,2}(?::?\d{2})?)?")
"""A time of day right after a date: ``, 14:05 UTC``, ``at 1:06 p.m. EST``, ``10:30 +02:00``."""


def _moment(day: dt.date, lowered: str, end: int) -> dt.datetime | None:
    """The time of day with its zone written right after a date at ``end``, if any."""
    match = _TIME_AFTER.match(lowered, end)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    if match[3]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[3].startswith("p") else 0)
    zone, shift = (match[4] or "").upper(), match[5]
    if zone and zone not in TZ_ABBREVIATIONS:
        return None  # a word, not a zone ("14:05 by ..."): the time zone is unknown
    if not zone and not shift:
        return None
    seconds = TZ_ABBREVIATIONS.get(zone, 0)
    if shift:
        digits = shift[1:].replace(":", "")
        hours, minutes = (digits[:-2], digits[-2:]) if len(digits) > 2 else (digits, "0")
        seconds += (1 if shift[0] == "+" else -1) * (int(hours) * 3600 + int(minutes) * 60)
    if hour > 23 or minute > 59 or abs(seconds) > 14 * 3600:
        return None
    return dt.datetime.combine(day, dt.time(hour, minute),
                               tzinfo=dt.timezone(dt.timedelta(seconds=seconds)))


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
