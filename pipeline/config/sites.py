r"""``sites.yaml``: the news sites ops maintain, as validated frozen records.

A file holds a list of sites; each names how its articles are discovered. Validation collects
every problem with the file, the site and the field it concerns, and keeps the valid sites: one
bad entry never stops the others from being crawled.

Example file::

    version: 1
    sites:
      - id: daily-courier
        base_url: https://courier.example
        allowed_domains: [courier.example]        # default: the base URL's host
        article_patterns: ['/news/\\d{4}/\\d{2}/\\d{2}/']
        discovery:
          - {kind: news_sitemap, url: /news-sitemap.xml}
          - {kind: sitemap, url: /sitemap.xml}     # a urlset or a sitemap index
          - {kind: robots}                         # the Sitemap: lines of /robots.txt
          - {kind: feed, url: /feed.xml}           # RSS or Atom, follows rel=next pages
          - {kind: listing, url: /section/world/, next_pattern: '[?&]page=\\d+'}
          - {kind: date_archive, template: '/archive/{date:%Y/%m/%d}/'}
          - {kind: auto}                           # robots.txt, usual sitemaps, home page
        politeness: {download_delay: 1.0, concurrency: 2}
        limits: {max_pages: 5000, max_articles: 2000, max_listing_pages: 20}
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from pipeline.errors import ConfigError

DISCOVERY_KINDS = ("sitemap", "news_sitemap", "robots", "feed", "listing", "date_archive",
                   "auto")
AUTO = "auto"
"""Discovery from the home page (:mod:`pipeline.crawl.autodiscovery`): the default of a site
that lists no discovery sources."""
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_DATE_FIELD = re.compile(r"\{date:([^}]*)\}")


@dataclass(frozen=True)
class Politeness:
    """Per-site politeness; ``None`` keeps the crawler default."""

    download_delay: float | None = None
    concurrency: int | None = None
    autothrottle_target: float | None = None


@dataclass(frozen=True)
class Limits:
    """Caps that bound a crawl of one site, whatever the site serves."""

    max_pages: int = 5000
    max_articles: int = 2000
    max_listing_pages: int = 20


@dataclass(frozen=True)
class DiscoverySource:
    """One place where article links are found.

    ``url`` is absolute after loading. ``template`` is for ``date_archive`` only, e.g.
    ``/archive/{date:%Y/%m/%d}/``. ``link_pattern`` restricts the article links taken from a
    listing (default: the site's ``article_patterns``); ``next_pattern`` marks pagination links.
    """

    kind: str
    url: str = ""
    template: str = ""
    link_pattern: str = ""
    next_pattern: str = ""
    max_pages: int | None = None

    def archive_url(self, day: date) -> str:
        """The date archive page of ``day`` (``date_archive`` sources)."""
        return _DATE_FIELD.sub(lambda m: day.strftime(m.group(1)), self.template)


@dataclass(frozen=True)
class Site:
    """One validated site entry."""

    id: str
    base_url: str
    allowed_domains: tuple[str, ...]
    discovery: tuple[DiscoverySource, ...]
    article_patterns: tuple[str, ...] = ()
    politeness: Politeness = field(default_factory=Politeness)
    limits: Limits = field(default_factory=Limits)

    def is_article_url(self, url: str) -> bool:
        """Whether ``url`` matches one of the article patterns (all URLs when none)."""
        if not self.article_patterns:
            return True
        return any(re.search(p, url) for p in self.article_patterns)


@dataclass(frozen=True)
class SiteError:
    """One validation problem, located by file, site and field."""

    file: str
    site: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: site {self.site!r}: {self.field}: {self.message}"


@dataclass(frozen=True)
class SitesConfig:
    """The valid sites of a file and the problems of the others."""

    path: str
    sites: tuple[Site, ...]
    errors: tuple[SiteError, ...]

    def get(self, site_id: str) -> Site:
        """The site ``site_id``.

        Raises:
            ConfigError: The site is unknown or its entry is invalid (the message lists why).
        """
        for site in self.sites:
            if site.id == site_id:
                return site
        problems = [str(e) for e in self.errors if e.site == site_id]
        if problems:
            raise ConfigError("; ".join(problems))
        known = ", ".join(s.id for s in self.sites) or "none"
        raise ConfigError(f"{self.path}: no site {site_id!r} (valid sites: {known})")


def bundled_sites_path() -> str:
    """Path of the bundled demo ``sites.yaml``."""
    return str(resources.files("pipeline") / "data" / "sites.yaml")


def load_sites(path: str | None = None, text: str | None = None) -> SitesConfig:
    """Read and validate a sites file.

    Args:
        path: The file; empty or ``None`` means the bundled demo file.
        text: YAML text to parse instead of reading ``path`` (``path`` then only names it).

    Returns:
        The valid sites and every problem found.

    Raises:
        ConfigError: The file cannot be read or is not a YAML mapping with a ``sites`` list.
    """
    path = path or bundled_sites_path()
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read sites file: {exc.strerror}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("sites"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'sites' list")
    sites: list[Site] = []
    errors: list[SiteError] = []
    seen: set[str] = set()
    for index, entry in enumerate(doc["sites"]):
        name = str(entry.get("id")) if isinstance(entry, Mapping) else f"#{index + 1}"
        problems: list[tuple[str, str]] = []
        site = _parse_site(entry, problems)
        if site is not None and site.id in seen:
            problems.append(("id", "duplicate site id"))
        errors.extend(SiteError(path, name, f, m) for f, m in problems)
        if site is not None and not problems:
            sites.append(site)
            seen.add(site.id)
    return SitesConfig(path, tuple(sites), tuple(errors))


def _parse_site(entry: Any, problems: list[tuple[str, str]]) -> Site | None:
    if not isinstance(entry, Mapping):
        problems.append(("(entry)", "must be a mapping"))
        return None
    unknown = set(entry) - {"id", "base_url", "allowed_domains", "discovery",
                            "article_patterns", "politeness", "limits"}
    problems.extend((k, "unknown field") for k in sorted(map(str, unknown)))
    site_id = entry.get("id")
    if not isinstance(site_id, str) or not _ID.match(site_id):
        problems.append(("id", "required; lowercase letters, digits, '-' or '_'"))
    base = entry.get("base_url")
    if not isinstance(base, str) or urlsplit(base).scheme not in ("http", "https") \
            or not urlsplit(base).hostname:
        problems.append(("base_url", "required; an absolute http(s) URL"))
        return None
    parts = urlsplit(base)
    default_domain = parts.netloc.lower()
    domains = entry.get("allowed_domains", [default_domain])
    if not _str_list(domains) or not domains:
        problems.append(("allowed_domains", "must be a non-empty list of host names"))
        domains = [default_domain]
    patterns = entry.get("article_patterns", [])
    if not _str_list(patterns):
        problems.append(("article_patterns", "must be a list of regular expressions"))
        patterns = []
    for i, pattern in enumerate(patterns):
        _check_regex(pattern, f"article_patterns[{i}]", problems)
    sources = list(_parse_discovery(entry.get("discovery"), base, problems))
    politeness = _parse_numbers(entry.get("politeness", {}), Politeness, "politeness", problems)
    limits = _parse_numbers(entry.get("limits", {}), Limits, "limits", problems)
    if problems:
        return None
    return Site(str(site_id), base.rstrip("/") + "/", tuple(domains), tuple(sources),
                tuple(patterns), politeness, limits)


def _parse_discovery(raw: Any, base: str, problems: list[tuple[str, str]]
                     ) -> Iterator[DiscoverySource]:
    if raw is None or raw == []:  # none listed: found from the home page
        yield DiscoverySource(AUTO, base.rstrip("/") + "/")
        return
    if not isinstance(raw, list):
        problems.append(("discovery", "a list of sources (leave it out to discover the site "
                                      "from its home page)"))
        return
    for i, item in enumerate(raw):
        where = f"discovery[{i}]"
        if not isinstance(item, Mapping):
            problems.append((where, "must be a mapping with a 'kind'"))
            continue
        kind = item.get("kind")
        if kind not in DISCOVERY_KINDS:
            problems.append((f"{where}.kind", f"must be one of {', '.join(DISCOVERY_KINDS)}"))
            continue
        unknown = set(item) - {"kind", "url", "template", "link_pattern", "next_pattern",
                               "max_pages"}
        problems.extend((f"{where}.{k}", "unknown field") for k in sorted(map(str, unknown)))
        url = item.get("url") or {"robots": "/robots.txt", AUTO: base.rstrip("/") + "/"}.get(
            str(kind), "")
        template = item.get("template", "")
        if kind == "date_archive":
            if not isinstance(template, str) or not _DATE_FIELD.search(template):
                problems.append((f"{where}.template",
                                 "required; a URL with a {date:FORMAT} field"))
                continue
            template = urljoin(base, template)
        elif not isinstance(url, str) or not url:
            problems.append((f"{where}.url", "required for this kind"))
            continue
        for key in ("link_pattern", "next_pattern"):
            if item.get(key):
                _check_regex(item[key], f"{where}.{key}", problems)
        max_pages = item.get("max_pages")
        if max_pages is not None and (not isinstance(max_pages, int) or max_pages < 1):
            problems.append((f"{where}.max_pages", "must be a positive integer"))
            max_pages = None
        yield DiscoverySource(kind, urljoin(base, url) if url else "", template,
                              str(item.get("link_pattern") or ""),
                              str(item.get("next_pattern") or ""), max_pages)


def _parse_numbers(raw: Any, cls: type[Any], name: str,
                   problems: list[tuple[str, str]]) -> Any:
    if not isinstance(raw, Mapping):
        problems.append((name, "must be a mapping"))
        return cls()
    fields = cls.__dataclass_fields__
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            problems.append((f"{name}.{key}", "unknown field"))
        elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.append((f"{name}.{key}", "must be a positive number"))
        elif "int" in str(fields[key].type) and "float" not in str(fields[key].type) \
                and not isinstance(value, int):
            problems.append((f"{name}.{key}", "must be a whole number"))
        else:
            values[key] = value
    return cls(**values)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _check_regex(pattern: Any, where: str, problems: list[tuple[str, str]]) -> None:
    try:
        re.compile(str(pattern))
    except re.error as exc:
        problems.append((where, f"invalid regular expression: {exc}"))
