"""Find where a page names its authors: author elements and labelled bylines.

Three kinds of evidence, read by
:func:`pipeline.extract.metadata.evidence.collect_evidence` and decided by
:mod:`pipeline.extract.metadata.authors`: author elements (``itemprop=author``, ``rel=author``,
author/byline classes, links to author pages), "By ..." labels in the text after the
headline, and "Written by ..."/"Author:" labels anywhere else in the body (an author box
after the article). Elements in menus, sidebars, comments and related stories are not the
article's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from lxml.html import HtmlElement

from pipeline.extract.text import clean_space

_BYLINE_XPATH = (
    "//*[@itemprop='author' or @rel='author' or contains(@class, 'author') "
    "or contains(@class, 'Author') or contains(@class, 'byline') or contains(@class, 'writer') "
    "or contains(@href, '/author') or contains(@href, '/writer') "
    "or contains(@href, '/contributor') or contains(@href, '/byline')]"
)
"""Candidate author elements in one pass, filtered by :func:`_is_byline`."""
_AUTHOR_CLASS = re.compile(
    r"^(?:[\w-]*[-_])?(?<!has-)(?<!has_)(?:author|byline|writer)(?:[-_]+(?:name|link))?$",
    re.IGNORECASE)
"""A class naming an author element (``author``, ``post-author``, ``byline__name``)."""
_AUTHOR_HREF = re.compile(r"/(?:authors?|writers?|contributors?|byline)/[^/?#]+/?(?:[?#]|$)",
                          re.IGNORECASE)
"""A link to an author's profile page (``/author/jane-doe/``)."""
_NOT_BYLINE = re.compile(r"comment|avatar|image|img|photo|bio|social|share|follow|related|"
                         r"footer|nav|menu|widget", re.IGNORECASE)
_ASIDE_CLASS = re.compile(r"related|recommend|suggest|popular|trending|sidebar|comment|"
                         r"footer|widget|more-stories|read-next", re.IGNORECASE)
"""Classes of containers whose bylines belong to other articles or to readers."""
_BY_LABEL = re.compile(
    r"^(?:(?:written|posted|authored|reported|published)\s+)?by\b\s*:?\s*(.*)$|"
    r"^(?:authors?|writers?|contributors?|words)\s*:?\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)
"""Text labelling a byline: "By", "Written by:", "Author:", "Contributors:"."""
_BODY_LABEL = re.compile(
    r"^(?:(?:this\s+)?(?:article|post|story)\s+(?:was\s+)?)?(?:written|posted|authored)\s+by\b"
    r"\s*:?\s*(.*)$|^authors?\s*(?::\s*(.*)|:?\s*)$",
    re.IGNORECASE | re.DOTALL,
)
"""A label naming the author anywhere in the article ("Written by", "This post was written by",
"Author:", a heading "Author" above the name); a bare "By" is only trusted next to the headline,
since elsewhere it starts sentences ("By 2030, ...") and credits ("Photo by")."""
_BODY_LABEL_START = re.compile(r"\s*(?:this|article|post|story|written|posted|authored|author)",
                               re.IGNORECASE)
"""The start every :data:`_BODY_LABEL` shares (a quick test before the full pattern)."""
_LIST_JOINERS = frozenset({",", "&", "and", ", and", ";", "und", "et", "y"})
"""Text between two author links that makes them one list of co-authors."""
MAX_BYLINE = 200
"""Characters of a byline at most; a longer author element is a box with a biography."""
_BOX_HEADINGS = ("h2", "h3", "h4", "h5", "h6", "strong", "b")
_ABOUT = re.compile(r"^about\s+", re.IGNORECASE)
"""The heading of an author box "About Jane Doe"."""
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "button", "nav",
                           "select"})
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)\]])")
"""A space put before punctuation by :func:`spaced_text` (the next element starts with it)."""
_MENU_CLASS = re.compile(r"\b(?:sub-?)?menu\b|\bnav(?:bar)?\b|dropdown", re.IGNORECASE)
HEADER_NODES = 40
"""Text nodes after the headline ``<h1>`` searched for a "By ..." byline, at most."""
HEADER_CHARS = 1000
"""Characters of text after the headline ``<h1>`` searched for a "By ..." byline, at most
(a long standfirst and share buttons may come first)."""


def byline_elements(tree: HtmlElement, headline: HtmlElement | None) -> list[str]:
    """Texts of the author elements, those after the headline first, at most 12.

    Args:
        tree: The parsed page.
        headline: The headline ``<h1>``, when the page has one.

    Returns:
        One text per author element (co-authors linked one after another joined by ","); of
        an author box with a biography, its heading.
    """
    found = [el for el in tree.xpath(_BYLINE_XPATH) if _is_byline(el) and not _in_aside(el)]
    texts: list[str] = []
    previous: HtmlElement | None = None
    for el in found[:12]:
        text = clean_space(el.get("content")) or spaced_text(el)
        if len(text) >= MAX_BYLINE:
            text = _box_heading(el)  # an author box: the name heads the biography
        if text and previous is not None and _between(previous, el) in _LIST_JOINERS:
            texts[-1] += ", " + text  # co-authors linked one after another ("A, B & C")
        elif text:
            texts.append(text)
        previous = el
    return texts


def spaced_text(el: HtmlElement) -> str:
    """The text of an element with a space where its child elements meet, spaces collapsed.

    ``text_content()`` runs text nodes together, so ``<span>By</span><a>Maria Roe</a>``
    reads "ByMaria Roe"; a space at each element boundary keeps the words apart (none is
    left before punctuation: "Roe , Lee" reads "Roe, Lee"). Two links with nothing between
    them are two co-authors (``<a>Ann Lee</a><a>Bo Park</a>`` reads "Ann Lee, Bo Park").
    Scripts, styles and comments are left out.

    Args:
        el: A byline or author element.

    Returns:
        Its visible text, whitespace collapsed.
    """
    parts: list[str] = []
    walker = etree.iterwalk(el, events=("start", "end", "comment", "pi"))
    for event, node in walker:
        if not isinstance(node.tag, str):  # a comment: only its tail is text
            parts.append(node.tail or "")
        elif event == "end":
            parts.append(node.tail or "" if node is not el else "")
        elif node.tag in ("script", "style", "template"):
            walker.skip_subtree()
        else:
            before = node.getprevious() if node is not el else None
            if (node.tag == "a" and before is not None and before.tag == "a"
                    and not (before.tail or "").strip() and clean_space(before.text_content())):
                parts.append(",")  # two links side by side: two names
            parts.append(node.text or "")
    return _SPACE_BEFORE_PUNCT.sub(r"\1", clean_space(" ".join(parts)))


def _between(first: HtmlElement, second: HtmlElement) -> str | None:
    """The text between two sibling elements (a joiner may be an element: ``<span>,</span>``).

    ``None`` when they are no close siblings (at most two elements between them).
    """
    text = first.tail or ""
    node = first.getnext()
    for _ in range(3):
        if node is None:
            return None
        if node is second:
            return clean_space(text).casefold()
        if isinstance(node.tag, str):  # not a comment
            text += " " + spaced_text(node) + " "
        text += node.tail or ""
        node = node.getnext()
    return None


def _box_heading(box: HtmlElement) -> str:
    """The name heading an author box (its first heading or bold text), "About" removed."""
    heading = next((spaced_text(h) for h in box.iter(*_BOX_HEADINGS)), "")
    return _ABOUT.sub("", heading)


def _is_byline(el: HtmlElement) -> bool:
    if el.get("itemprop") == "author" or el.get("rel") == "author":
        return True
    classes = (el.get("class") or "").split()
    if classes and any(_AUTHOR_CLASS.match(c) for c in classes):
        return not any(_NOT_BYLINE.search(c) for c in classes)
    return el.tag == "a" and bool(_AUTHOR_HREF.search(el.get("href") or ""))


def _in_aside(el: HtmlElement) -> bool:
    """Whether an element belongs to a sidebar, footer, comment or related-stories block.

    A ``<footer>`` or ``<aside>`` inside an ``<article>`` belongs to the article.
    """
    for parent in el.iterancestors():
        if parent.tag in ("main", "body"):
            return False  # page-level classes ("has-sidebar") say nothing about the element
        if parent.tag == "nav" or _ASIDE_CLASS.search(parent.get("class") or "") or (
                _ASIDE_CLASS.search(parent.get("id") or "")):
            return True
        # an <aside> or <footer> inside an <article> is the article's own (HTML spec: its
        # author, its dates), not the page's sidebar or footer
        if parent.tag in ("aside", "footer") and not any(
                a.tag == "article" for a in parent.iterancestors()):
            return True
    return False


def in_menu(el: HtmlElement) -> bool:
    """Whether ``el`` sits in a navigation menu (``<nav>``, menu or dropdown classes)."""
    return any(parent.tag == "nav" or _MENU_CLASS.search(parent.get("class") or "")
               for parent in el.iterancestors())


def labelled_bylines(headline: HtmlElement) -> Iterator[str]:
    """Names labelled "By"/"Written by"/"Author:" in the text nodes after the headline.

    The name is the rest of the labelled text, else the next text node ("By" and the name in
    two elements); a list continues over nodes that end with "," or "and".

    Args:
        headline: The headline ``<h1>``.

    Yields:
        The text naming the author(s), label removed, in text order.
    """
    texts = _texts_after(headline, HEADER_NODES)
    for i, text in enumerate(texts):
        found = _BY_LABEL.match(text)
        if not found:
            continue
        rest = (found.group(1) if found.group(1) is not None else found.group(2)) or ""
        j = i + 1
        if not rest.strip() and j < len(texts):
            rest, j = texts[j], j + 1
        while j < len(texts) and (re.search(r"(?:,|&|\band)$", rest)
                                  or texts[j] in (",", "&", "and")):
            rest, j = f"{rest} {texts[j]}", j + 1
        if rest.strip() and len(rest) <= 120:
            yield rest


def body_bylines(tree: HtmlElement) -> Iterator[str]:
    """Names after a "Written by"/"Posted by"/"Author:" label anywhere in the ``<body>``.

    The name is the rest of the labelled text, else the next text node (a heading "Author"
    above the name); labels inside menus, sidebars, comments and related stories are skipped.

    Args:
        tree: The parsed page.

    Yields:
        The text naming the author(s), label removed, in document order.
    """
    body = tree.find(".//body")
    walker = etree.iterwalk(body if body is not None else tree, events=("start", "end"))
    wants_name = False  # the previous text node was a label alone ("Author")
    for event, el in walker:
        if event == "start" and (not isinstance(el.tag, str) or el.tag in _SKIPPED_TAGS
                                 or _MENU_CLASS.search(el.get("class") or "")):
            walker.skip_subtree()
            continue
        raw = el.text if event == "start" else el.tail
        owner = el if event == "start" else el.getparent()
        if not raw or raw.isspace() or owner is None:
            continue
        if wants_name:
            wants_name = False
            name = clean_space(raw)
            if len(name) <= 120:
                yield name
        if not _BODY_LABEL_START.match(raw):  # most text nodes: no full match, no clean-up
            continue
        text = clean_space(raw)
        found = _BODY_LABEL.match(text) if len(text) < MAX_BYLINE else None
        if not found or _in_aside(owner):
            continue
        rest = next((g for g in found.groups() if g), "")
        if not rest.strip():
            wants_name = True
        elif len(rest) <= 120:
            yield rest


def _texts_after(start: HtmlElement, limit: int) -> list[str]:
    """Up to ``limit`` non-empty visible text nodes after ``start`` (not inside it).

    Menus are skipped; the walk stops after :data:`HEADER_CHARS` characters of text.
    """
    out: list[str] = []
    size = 0

    def add(text: str | None) -> bool:
        nonlocal size
        if text and text.strip():
            out.append(clean_space(text))
            size += len(out[-1])
        return len(out) >= limit or size >= HEADER_CHARS

    node: HtmlElement | None = start
    while node is not None:
        if add(node.tail):
            return out
        for sibling in node.itersiblings():
            if not isinstance(sibling.tag, str):  # a comment or processing instruction
                if add(sibling.tail):
                    return out
                continue
            walker = etree.iterwalk(sibling, events=("start", "end"))
            for event, el in walker:
                if event == "end":
                    if add(el.tail):
                        return out
                elif (not isinstance(el.tag, str) or el.tag in _SKIPPED_TAGS
                      or _MENU_CLASS.search(el.get("class") or "")):
                    walker.skip_subtree()
                elif add(el.text):
                    return out
        node = node.getparent()
    return out
