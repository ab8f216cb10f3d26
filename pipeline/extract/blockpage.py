"""Block pages: a challenge, CAPTCHA or consent wall served instead of the page asked for.

Sites behind bot protection answer a crawler with an interstitial: Cloudflare's "Just a
moment..." with its ``cf-chl`` script, a CAPTCHA form (reCAPTCHA, hCaptcha, Turnstile), an
"Access denied" page from a CDN, or a consent wall that hides the article. The crawl counts such a
response as *blocked* (not as a fetched article), and extraction never turns one into an article
row; the WARC record of the exchange stays, as every exchange does.

The check is deliberately narrow: an error status (403, 429, 503) with a known challenge body, or a
2xx page that is small, carries a challenge marker and a form or challenge script. A long article
that merely mentions "captcha" is not a block page.

Example:
    >>> block_reason(403, b"<title>Just a moment...</title><script src='/cdn-cgi/challenge'>")
    'challenge'
    >>> block_reason(200, b"<html><body><article>" + b"word " * 900 + b"</article>") is None
    True
"""

from __future__ import annotations

import re

BLOCK_STATUSES = frozenset({401, 403, 429, 503})
"""Statuses with which bot protection answers."""

SMALL_PAGE = 64 * 1024
"""Bytes; a 2xx page larger than this is read as content, whatever it mentions."""

_LOOKED_AT = 32 * 1024
"""Bytes of a body searched for markers (interstitials put them near the top)."""

_MARKERS: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("challenge", re.compile(
        rb"just a moment\.\.\.|cf-chl|cf_chl_|/cdn-cgi/challenge-platform|challenge-form|"
        rb"checking (?:if the site connection is secure|your browser)|ddos-guard|"
        rb"enable javascript and cookies to continue|_incapsula_resource|px-captcha|"
        rb"verify(?:ing)? (?:that )?you are (?:a )?human|are you a robot",
        re.IGNORECASE)),
    ("captcha", re.compile(
        rb"g-recaptcha|h-captcha|hcaptcha\.com|recaptcha/api|cf-turnstile|"
        rb"\bcaptcha\b", re.IGNORECASE)),
    ("access_denied", re.compile(
        rb"<title>[^<]{0,40}access denied|you don'?t have permission to access|"
        rb"request (?:was )?blocked|you have been blocked|error 1020",
        re.IGNORECASE)),
    ("consent_wall", re.compile(
        rb"consent\.(?:google|yahoo)\.com|id=[\"']?(?:cmp|consent)-?wall|"
        rb"class=[\"'][^\"']*consent-?wall",
        re.IGNORECASE)),
)
_FORM = re.compile(rb"<form\b|<iframe\b[^>]*(?:captcha|challenge)|<script\b[^>]*challenge",
                   re.IGNORECASE)


def block_reason(status: int, body: bytes) -> str | None:
    """Why a response is a block page, or ``None`` when it is not one.

    Args:
        status: HTTP status of the response.
        body: The decoded body (after Content-Encoding), as bytes.

    Returns:
        ``challenge``, ``captcha``, ``access_denied`` or ``consent_wall``; ``None`` for an
        ordinary page (or an error page without a challenge).
    """
    head = body[:_LOOKED_AT]
    if status in BLOCK_STATUSES:
        return next((name for name, pattern in _MARKERS if pattern.search(head)), None)
    if not 200 <= status < 300 or len(body) > SMALL_PAGE:
        return None
    if not _FORM.search(head):
        return None
    return next((name for name, pattern in _MARKERS if pattern.search(head)), None)


def is_block_page(status: int, body: bytes) -> bool:
    """Whether a response is a challenge, CAPTCHA, access-denied or consent wall page."""
    return block_reason(status, body) is not None
