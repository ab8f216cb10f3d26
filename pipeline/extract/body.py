"""The article body: trafilatura's passes over one parsed page and the choice between them.

The first pass uses the stage's settings (:class:`pipeline.extract.extraction.ExtractionOptions`;
trafilatura's balanced mode, chosen by grouped cross-validation on every dev set, see
``benchmarks/extraction_quality.py``). Two rules then guard against a pass that lost the
article:

- a body below ``pagetype.min_words`` is retried in the less selective modes (default, then
  recall), so an article is never dropped as too short when any pass finds a normal length;
- on a page that declares itself an article, a first pass shorter than
  ``fuller_below_words`` is compared with the recall pass, and the recall pass wins when it
  holds at least ``fuller_ratio`` times as many words (the precise pass kept a teaser or one
  block of a long story).
"""

from __future__ import annotations

from typing import Any

import trafilatura
from lxml.html import HtmlElement

from pipeline.extract.pagetype import count_words


def body_pass(tree: HtmlElement, url: str, options: Any, *, precision: bool,
              recall: bool) -> str:
    """One trafilatura pass over ``tree`` (not modified): the body text, stripped."""
    doc = trafilatura.bare_extraction(
        tree, url=url, fast=options.fast, favor_precision=precision, favor_recall=recall,
        include_comments=options.include_comments, include_tables=options.include_tables,
        with_metadata=False, deduplicate=False,
    )
    return (getattr(doc, "text", None) or "").strip()


def extract_body(tree: HtmlElement, url: str, options: Any, article_like: bool) -> str:
    """The body of a page after the passes the rules above call for.

    Args:
        tree: The parsed page.
        url: Its URL.
        options: The stage's :class:`~pipeline.extract.extraction.ExtractionOptions`.
        article_like: The page declares itself an article (JSON-LD article type, ``og:type``
            article): only then may the recall pass replace a short first pass.

    Returns:
        The body text ("" when every pass came out empty).
    """
    text = body_pass(tree, url, options, precision=options.favor_precision,
                     recall=options.favor_recall)
    words = count_words(text)
    if options.favor_recall:
        return text
    recall_text: str | None = None
    if words < options.pagetype.min_words:
        modes = [False, True] if options.favor_precision else [True]
        for recall in modes:
            retry = body_pass(tree, url, options, precision=False, recall=recall)
            if recall:
                recall_text = retry
            if count_words(retry) > words:
                text, words = retry, count_words(retry)
            if words >= options.pagetype.min_words:
                break
    if article_like and words < options.fuller_below_words and options.fuller_ratio > 0:
        if recall_text is None:
            recall_text = body_pass(tree, url, options, precision=False, recall=True)
        if count_words(recall_text) >= options.fuller_ratio * max(words, 1):
            text = recall_text
    return text
