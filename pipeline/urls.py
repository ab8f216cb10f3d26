"""URL canonicalization: one spelling per article, so it is fetched and counted once.

The canonical form lowercases scheme and host, drops default ports, fragments and tracking
parameters (``utm_*``, ``fbclid``, ``gclid``, ...), sorts the remaining query parameters and
maps AMP variants (``/amp/`` path segments, ``.amp`` / ``.amp.html`` suffixes, ``amp=1``
parameters, ``amp.`` hosts) to the regular page. Dedup uses it for article ids
(:func:`pipeline.archive.schema.article_id_for`).

Example:
    >>> canonicalize_url("HTTP://Example.COM:80/a/amp/?utm_source=x&b=2&a=1#top")
    'http://example.com/a/?a=1&b=2'
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize
from w3lib.url import safe_url_string

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid",
        "igshid", "_ga", "_gl", "ref_src", "ref_url", "cmpid", "ocid", "smid", "spm",
        "ito", "at_medium", "at_campaign", "ns_mchannel", "ns_source", "ns_campaign",
        "ns_linkname", "ns_fee", "amp", "outputtype", "output",
    }
)
"""Query parameters that never select content (compared case-insensitively)."""

TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_")
"""Query parameter prefixes that never select content."""

DEFAULT_PORTS = {"http": 80, "https": 443}

_AMP_SEGMENT = re.compile(r"/amp(?=/|$)")
_AMP_SUFFIX = re.compile(r"\.amp(?=\.html?$|$)|/amp\.html?$")


def is_tracking_param(name: str) -> bool:
    """Whether a query parameter is tracking noise."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def strip_amp(path: str) -> str:
    """Map an AMP page path to the regular page path.

    Args:
        path: The URL path.

    Returns:
        The path without ``/amp`` segments or ``.amp`` suffixes.
    """
    path = _AMP_SEGMENT.sub("", path) or "/"
    return _AMP_SUFFIX.sub("", path) or "/"


def canonicalize_url(url: str) -> str:
    """The canonical spelling of ``url``.

    Args:
        url: An absolute http(s) URL.

    Returns:
        The canonical URL (see the module docs). Non-HTTP URLs are returned only
        percent-normalized.
    """
    parts = urlsplit(safe_url_string(url.strip()))
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return _w3lib_canonicalize(url)
    host = (parts.hostname or "").rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not is_tracking_param(k)]
    rebuilt = urlunsplit((scheme, netloc, strip_amp(parts.path or "/"), urlencode(query), ""))
    return _w3lib_canonicalize(rebuilt, keep_fragments=False)


def same_site(url: str, domains: tuple[str, ...]) -> bool:
    """Whether the URL's host is one of ``domains`` or a subdomain of one.

    Args:
        url: An absolute URL.
        domains: Allowed domains, e.g. ``("example.com",)``; may include ``host:port``.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    hostport = f"{host}:{parts.port}" if parts.port else host
    for domain in domains:
        d = domain.lower()
        if d in (hostport, host) or host.endswith("." + d):
            return True
    return False


def canonical_url_for(url: str, declared: str | None) -> str:
    """The canonical URL of a page, canonicalized.

    The ``<link rel=canonical>`` is used when it points into the same site (AMP and mobile
    variants), else the fetched URL; canonicalized by
    :func:`canonicalize_url`.

    A canonical link into another site (syndicated copies) is not followed: the copy keeps its
    own identity and the near-duplicate layer links it to the original.
    """
    chosen = url
    if declared and _same_publication(url, declared):
        chosen = declared
    try:
        return canonicalize_url(chosen)
    except ValueError:
        return canonicalize_url(url)


def _same_publication(a: str, b: str) -> bool:
    ha, hb = (urlsplit(u).hostname or "" for u in (a, b))
    if not ha or not hb:
        return False
    strip = ("www.", "amp.", "m.", "mobile.")
    for prefix in strip:
        ha, hb = ha.removeprefix(prefix), hb.removeprefix(prefix)
    return ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha)
