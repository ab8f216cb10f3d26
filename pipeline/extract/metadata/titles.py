"""Decide a page's headline: the visible ``<h1>`` against the declared titles.

The order of precedence is documented in :mod:`pipeline.extract.metadata.resolve`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import urlsplit

from pipeline.extract.metadata.dates import Fallback, meta_value, str_value
from pipeline.extract.metadata.evidence import Evidence, names_of
from pipeline.extract.metadata.shown_dates import dates_in_text
from pipeline.extract.text import clean_space

_SEPARATORS = re.compile(r"\s+[|\-\u2013\u2014:\u00b7\u2022\u00bb/]\s+|\s*[|\u00b7\u2022\u00bb]\s*")
_BY_WORD = re.compile(r"\b(?:by|posted|published|updated)\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d")
_WORDS = re.compile(r"\w+")


def decide_title(
    ev: Evidence, articles: list[Mapping[str, object]], site_names: list[str],
    fallback: Fallback,
) -> str | None:
    """The page's headline, in the documented order of precedence.

    See :mod:`pipeline.extract.metadata.resolve`.

    Args:
        ev: The page's evidence.
        articles: Its JSON-LD article objects.
        site_names: Names of the site (removed from declared titles).
        fallback: Last-resort values (``title``: trafilatura).

    Returns:
        The headline, or ``None``.
    """
    declared = [str_value(a.get("headline")) or str_value(a.get("name")) for a in articles]
    declared += [meta_value(ev, "og:title"), meta_value(ev, "twitter:title"), ev.title_tag]
    titles = [strip_site_name(clean_space(html.unescape(t)), site_names) for t in declared if t]
    titles = [t for t in titles if t]
    headlines = [h for h in ev.headlines
                 if len(h) <= 300 and not is_site_name(h, site_names)]
    for headline in headlines:
        agreeing = [t for t in titles if _agrees(headline, t)]
        if agreeing:
            return _cased(_undamaged(_without_kicker(_without_dateline(headline, agreeing),
                                                     agreeing), agreeing), agreeing)
    # no agreement: the page's only <h1> is the headline readers see (unless it is a
    # logo or a label: three words at least); several <h1> are sections, not a headline
    if len(headlines) > 1:  # "Subscribe to <site>" and the like are not headlines
        headlines = [h for h in headlines if not names_site(h, site_names)]
    if len(headlines) > 1 and ev.article_headline in headlines:
        headlines = [ev.article_headline]  # the story's own, among widget and teaser <h1>
    if len(headlines) == 1 and len(headlines[0].split()) >= 3:  # "M&A Updates" is two words
        return headlines[0]
    if titles:
        return titles[0]
    if headlines:
        return headlines[0]
    title = fallback("title")
    return strip_site_name(clean_space(title), site_names) or None if title else None


def strip_site_name(title: str, site_names: list[str]) -> str:
    """Remove a leading or trailing site-name segment (``Headline | Site``, ``Site - Headline``).

    A segment is removed when it names the site (``og:site_name``, publisher, host name), or
    when it is a short trailing segment after a ``|`` (a separator headlines rarely use).

    Args:
        title: A declared title.
        site_names: Names of the site, most trusted first.

    Returns:
        The title without site-name segments.
    """
    for _ in range(2):
        parts = _SEPARATORS.split(title)
        seps = _SEPARATORS.findall(title)
        if len(parts) < 2:
            break
        if is_site_name(parts[-1], site_names) and words(title[: -len(parts[-1])]):
            title = title[: title.rfind(seps[-1])].strip()
        elif is_site_name(parts[0], site_names) and words(title[len(parts[0]):]):
            title = title[title.find(seps[0]) + len(seps[0]):].strip()
        elif ("|" in seps[-1] and len(words(parts[-1])) <= 4
              and len(words(title)) - len(words(parts[-1])) >= 3):
            title = title[: title.rfind(seps[-1])].strip()
        else:
            break
    return title


def _cased(headline: str, titles: list[str]) -> str:
    """The headline, or the declared title it agrees with when the headline is all capitals.

    An ``<h1>`` typed in capitals ("BEST DRIP COFFEE MAKERS") lost its case; the declared
    title gives the headline as written.
    """
    if not headline.isupper():
        return headline
    return next((t for t in titles if not t.isupper()), headline)


def _undamaged(headline: str, titles: list[str]) -> str:
    """The headline, or the declared title it equals but for characters lost to encoding.

    A bad encoding leaves "?" or U+FFFD for up to three characters ("Beginner? Guide" for
    "Beginner's Guide"); a declared title without "?" that fits is the undamaged text.
    """
    if "?" not in headline and "\ufffd" not in headline:
        return headline
    pattern = re.compile("".join(".{1,3}" if c in "?\ufffd" else re.escape(c) for c in headline))
    return next((t for t in titles if "?" not in t and pattern.fullmatch(t)), headline)


def _without_dateline(headline: str, titles: list[str]) -> str:
    """The headline, or a declared title it contains when the rest is a date or byline.

    Some templates put the date or "Posted on ... by ..." inside the ``<h1>``.
    """
    for title in titles:
        start = headline.find(title)
        if start >= 0 and len(title) < len(headline):
            rest = headline[:start] + headline[start + len(title):]
            if _DIGITS.search(rest) and (dates_in_text(rest) or _BY_WORD.search(rest)):
                return title
    return headline


KICKER_WORDS = 6
"""Longest kicker (overline) run into an ``<h1>`` before the declared headline, in words."""


def _without_kicker(headline: str, titles: list[str]) -> str:
    """The declared title an ``<h1>`` ends with, when what precedes it is a short kicker.

    "Eskalation im Nahen Osten - «...»", "Kenia: Nairobi von unten" (declared "Nairobi von
    unten"): the rule set's headline is the headline alone, as short as possible. The kicker
    ends with a separator (":", "-", "|"); without one, the words may be the headline's own.
    """
    for title in titles:
        if len(words(title)) >= 3 and headline.endswith(title) and len(title) < len(headline):
            kicker = headline[: -len(title)].strip()
            if 0 < len(words(kicker)) <= KICKER_WORDS and not kicker[-1].isalnum():
                return title  # "Kicker: Headline", "Kicker - Headline"
    return headline


def _agrees(headline: str, title: str) -> bool:
    a, b = words(headline), words(title)
    if not a or not b:
        return False
    if a == b:
        return True
    sa, sb = set(a), set(b)
    if len(a) >= 3 and (" ".join(a) in " ".join(b) or " ".join(b) in " ".join(a)):
        return True
    return len(sa & sb) / len(sa | sb) >= 0.6


def site_names_of(ev: Evidence, articles: list[Mapping[str, object]], url: str) -> list[str]:
    """Names of the site: ``og:site_name``, app names, publisher, WebSite objects, the host."""
    names = [meta_value(ev, "og:site_name"), meta_value(ev, "application-name"),
             meta_value(ev, "al:android:app_name"), meta_value(ev, "twitter:site")]
    for obj in articles:
        names.extend(names_of(obj.get("publisher")))
    for item in ev.jsonld:
        if {"WebSite", "Organization", "NewsMediaOrganization"}.intersection(item["@types"]):
            names.extend(names_of(item))
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    names.append(host)
    return [clean_space(n).lstrip("@") for n in names if n and clean_space(n)]


def names_site(text: str, site_names: list[str]) -> bool:
    """Whether ``text`` mentions one of the site's names (five characters at least)."""
    squeezed = compact(text)
    return any(len(compact(n)) >= 5 and compact(n) in squeezed for n in site_names)


def compact(text: str) -> str:
    """``text`` as one case-folded string of its word characters (for loose comparison)."""
    return "".join(words(unicodedata.normalize("NFKC", text)))


def is_site_name(segment: str, site_names: list[str]) -> bool:
    """Whether ``segment`` is one of the site's names (or its host label, or a prefix of it)."""
    seg = compact(segment)
    if not seg:
        return False
    for name in site_names:
        full = compact(name)
        label = compact(name.split(".")[-2]) if "." in name and " " not in name else full
        for cand in {full, label}:
            if not cand:
                continue
            if seg == cand or (len(seg) >= 4 and len(cand) >= 4
                               and (cand.startswith(seg) or seg.startswith(cand))):
                return True
    return False


def words(text: str) -> list[str]:
    """Case-folded word tokens of ``text``."""
    return _WORDS.findall(text.casefold())
