"""Decide a page's authors: declared names against the byline readers see.

The order of precedence is documented in :mod:`pipeline.extract.metadata.resolve`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pipeline.extract.metadata.dates import Fallback
from pipeline.extract.metadata.evidence import Evidence, names_of
from pipeline.extract.metadata.titles import compact, is_site_name, words
from pipeline.extract.text import clean_space

AUTHOR_META = (
    "author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
    "dcterms.creator", "byl", "cxenseparse:author",
)
"""Meta keys naming the authors, in order of trust."""

_BY = re.compile(
    r"^(?:(?:written|posted|reported|text|story|words|reviewed|edited|photos?|article|"
    r"post)\s+)?"
    r"(?:by|von|par|por|di|door|av|autor(?:in)?|author|authors|auteur)\s*[:\-]?\s+",
    re.IGNORECASE,
)
_GROUP_SPLIT = re.compile(r"\s*[;|]\s*")
"""Separators between authors that never occur inside one author's description."""
_COMMA_SPLIT = re.compile(r"\s*,\s*")
_NAME_SPLIT = re.compile(r"\s*(?:/|&|\band\b|\bund\b|\bet\b|\by\b|\bog\b)\s*", re.IGNORECASE)
_PHOTO_CREDIT = re.compile(r"^(?:fotos?|photos?|bild(?:er)?|images?|credits?|illustration)\s*:",
                           re.IGNORECASE)
"""A photo or image credit ("Foto: A"): whom it names took a picture, not the story."""
_CREDIT_LABEL = re.compile(r"(?:^|,\s*)(?!by\b|author\b|written\b)[a-z]+\s*:\s", re.IGNORECASE)
"""A credit label other than the author's ("design: ", "code: ")."""
_ROLE_START = re.compile(r"(?:head|vp|vice president|director|editor|member)\s+(?:of|for|at)\b",
                         re.IGNORECASE)
"""A job title of the form "Head of ...", whose words ("Sales and Marketing") are no names."""
_BYLINE_TAIL = re.compile(
    r"\s+(?:on|am|le|el|updated|published)\s+\w*\s*\d|\s\|\s|\s[-\u2013\u2014]\s|"
    r"\s+(?:(?:medically\s+)?reviewed|fact[- ]checked|edited|last\s+updated|updated|published|"
    r"posted)\b|"
    r"\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|"
    r"\s+(?:january|february|september|october|november|december|jan|feb|mar|apr|jun|jul|"
    r"aug|sep|sept|oct|nov|dec)\.?\s*$",
    re.IGNORECASE,
)
_ROLE_WORDS = frozenset({
    "former", "senior", "junior", "staff", "writer", "writers", "editor", "editors",
    "contributor", "contributing", "consultant", "founder", "co-founder", "cofounder", "ceo",
    "cto", "head", "director", "manager", "reporter", "correspondent", "columnist",
    "dietitian", "specialist", "certified", "chief", "lead", "author", "journalist",
    "producer", "analyst",
})
"""Words that start a job title after a name ("Jane Roe Senior Editor")."""
_CREDENTIALS = frozenset({
    "md", "m.d.", "phd", "ph.d.", "dvm", "vmd", "rn", "bsn", "msn", "np", "dds", "mph", "mba",
    "cpa", "rd", "rdn", "ld", "cdces", "facp", "faclm", "dacvb", "lvt", "vts", "cscs", "foma",
    "dabom", "jd", "esq", "msc", "bsc", "cfp",
})
"""Degrees and post-nominal letters written after a name ("Ann Lee, MD")."""
_PLACEHOLDERS = frozenset({
    "admin", "administrator", "webmaster", "staff", "editor", "author", "by", "unknown",
    "none", "guest", "null", "undefined",
})
_HONORIFICS = frozenset({"dr", "prof", "mr", "mrs", "ms", "sir", "dame"})
_ACCOUNT_WORDS = frozenset({"admin", "administrator", "webmaster"})
_MONTHS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
})
_PARTICLES = frozenset({
    "van", "der", "den", "de", "da", "di", "del", "della", "des", "du", "dos", "das", "von",
    "zu", "la", "le", "bin", "binti", "al", "el", "ter", "ten", "y", "e", "of", "the",
})
"""Lower-case words inside names ("Marna van der Merwe") and team names ("The Web Team")."""
_ORG_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation",
                        "EducationalOrganization", "GovernmentOrganization", "WebSite",
                        "LocalBusiness", "NGO"})
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_DIGITS = re.compile(r"\d")


def _shown_names(texts: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The names of each visible byline text that reads as names (empty ones left out)."""
    shown = [tuple(n for n in clean_authors([t]) if _looks_like_name(n)) for t in texts]
    return [names for names in shown if names]


def decide_authors(
    ev: Evidence, articles: list[Mapping[str, object]], site_names: list[str],
    fallback: Fallback,
) -> tuple[str, ...]:
    """The page's authors, in the documented order of precedence.

    See :mod:`pipeline.extract.metadata.resolve`.

    Args:
        ev: The page's evidence.
        articles: Its JSON-LD article objects.
        site_names: Names of the site (a site named as the author gives way to a person).
        fallback: Last-resort values (``author``).

    Returns:
        The names, possibly empty.
    """
    orgs = {compact(n) for a in articles for n in _organization_names(a.get("author"))}

    def names_someone(names: tuple[str, ...]) -> bool:
        return not all(is_site_name(n, site_names) or compact(n) in orgs for n in names)

    declared = [clean_authors(names_of(a.get("author"))) for a in articles]
    declared += [clean_authors([v]) for key in AUTHOR_META for v in ev.meta.get(key, ())]
    declared = [names for names in declared if names]
    shown = _shown_names((*ev.bylines, *ev.header_bylines))
    if not any(names_someone(names) for names in shown):
        # the labels further down the page only count when the byline names nobody: the
        # body walk they need is skipped on most pages
        shown += _shown_names(ev.body_bylines)
    # a person named by a later source beats the site or publisher named as the author
    chosen = next((names for names in (*declared, *shown) if names_someone(names)), None)
    if chosen is None:
        if declared or shown:
            return (declared or shown)[0]
        return tuple(n for n in clean_authors([fallback("author") or ""]) if _looks_like_name(n))
    byline = next((names for names in shown if names_someone(names)), None)
    if byline is None or chosen is byline:
        return chosen
    if {_name_key(n) for n in chosen} < {_name_key(n) for n in byline}:
        return byline  # the byline names co-authors the metadata leaves out
    if all(_is_login(n) for n in chosen) and any(" " in n for n in byline):
        return byline  # an account name ("janed") against the name readers see
    return chosen


def _organization_names(value: object) -> list[str]:
    """Names of the JSON-LD ``author`` values typed as organizations."""
    if isinstance(value, list):
        return [name for item in value for name in _organization_names(item)]
    if isinstance(value, dict) and set(_types_of(value)) & _ORG_TYPES:
        return names_of(value)
    return []


def _types_of(value: Mapping[str, object]) -> list[str]:
    types = value.get("@type")
    return [t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)]


def _name_key(name: str) -> str:
    """A name compared without case, punctuation and a leading honorific ("Dr", "Mr")."""
    tokens = words(name)
    return " ".join(tokens[1:] if len(tokens) > 1 and tokens[0] in _HONORIFICS else tokens)


def _looks_like_name(name: str) -> bool:
    """Whether text from the page body is written like a name (capitalized words)."""
    words = name.split()
    if len(words) == 1 and len(name) <= 3 and name.isupper():
        return False  # an avatar's initials ("CM")
    return all(w[0].isupper() or not w[0].isalpha() or w.casefold() in _PARTICLES
               for w in words) and not all(w.casefold() in _PARTICLES for w in words)


def _is_login(name: str) -> bool:
    """Whether a name is an account name ("janed", "KatieS", "j_doe").

    One word, in lower case or with an underscore or capitals inside.
    """
    return " " not in name and (name.islower() or "_" in name or any(
        c.isupper() for c in name[1:]))


def clean_authors(values: list[str]) -> tuple[str, ...]:
    """Turn raw author strings into a list of names.

    Removes "By"-style prefixes, e-mail addresses, URLs, dates and handles, splits lists of
    names ("A, B and C"), drops a job title with the rest of its comma-separated run
    ("A, Head of Sales and Marketing") and values that cannot be names (too long, digits,
    a month, account names like "Site Admin", credit lists like "design: A, code: B").

    Args:
        values: Raw strings as found in JSON-LD, meta tags or byline elements.

    Returns:
        Distinct names in their original order.
    """
    names: list[str] = []
    for raw in values:
        value = clean_space(raw)
        if not value or value.startswith(("http://", "https://", "www.")):
            continue
        value = _BYLINE_TAIL.split(_EMAIL.sub("", value), maxsplit=1)[0]
        value = _BY.sub("", value.strip())
        if _PHOTO_CREDIT.match(value):
            continue
        if len(_CREDIT_LABEL.findall(value)) >= 2:
            continue  # "text: A, design: B, code: C" credits everybody involved
        for group in _GROUP_SPLIT.split(value):
            for part in _COMMA_SPLIT.split(group):
                words = part.strip(" .:-\u2013\u2014'\"()[]").split()
                if words and (words[0].casefold() in _ROLE_WORDS
                              or _ROLE_START.match(" ".join(words))):
                    break  # "A, Head of Marketing and Community": the rest is the job title
                for piece in _NAME_SPLIT.split(part):
                    name = _valid_name(piece)
                    if name and name not in names:
                        names.append(name)
    return tuple(names)


def _valid_name(piece: str) -> str:
    name = _person_name(_BY.sub("", piece.strip(" .:-\u2013\u2014'\"()[]")).strip())
    if not name or _DIGITS.search(name) or name.startswith("@"):
        return ""
    if len(name.split()) > 5 or len(name) > 60 or not any(c.isalpha() for c in name):
        return ""
    words = {w.casefold() for w in name.split()}
    if words & _PLACEHOLDERS and (len(words) == 1 or words & _ACCOUNT_WORDS):
        return ""  # "Admin", "Site Admin"
    if len(words) == 1 and words <= _MONTHS:
        return ""  # the first word of a date ("August 28, 2025")
    if " " not in name and ("." in name or ("-" in name and name.islower())):
        return ""  # template keys (page.author) and user-name slugs (jane-doe)
    return name


def _person_name(name: str) -> str:
    """A name without avatar initials before it and job titles or degrees after it."""
    words = name.split()
    if not words or words[0].casefold() in _ROLE_WORDS or all(
            w.casefold().strip(",") in _CREDENTIALS for w in words):
        return ""  # a part that is only a job title or degrees ("Co-Founder", "MD")
    if (len(words) >= 3 and words[0].isupper() and len(words[0]) == len(words) - 1
            and words[0] == "".join(w[0] for w in words[1:]).upper()):
        words = words[1:]  # "CM Craig McCarthy": an avatar's initials
    for i, word in enumerate(words[2:], start=2):
        if word.casefold() in _ROLE_WORDS or word.casefold() in _CREDENTIALS:
            words = words[:i]
            break
    return " ".join(words)
