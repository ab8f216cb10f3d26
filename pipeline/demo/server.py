"""Serve the demo news sites on loopback, one port per site (stdlib ``ThreadingHTTPServer``).

Example:
    >>> with DemoServer(DemoWorld(seed=7, days=3)) as demo:   # ephemeral ports
    ...     print(demo.base_urls["daily-courier"])
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pipeline.demo import feeds, pages
from pipeline.demo.faults import FAULTS
from pipeline.demo.prose import SECTIONS
from pipeline.demo.world import DemoArticle, DemoSite, DemoWorld

log = logging.getLogger(__name__)

DEFAULT_PORT = 8701
"""First port of ``newsarchive demo-sites serve``; the bundled sites.yaml assumes 8701-8704."""


@dataclass(frozen=True)
class FaultOptions:
    """Knobs of the fault site."""

    slow_seconds: float = 5.0
    bomb_bytes: int = 64 * 1024 * 1024
    oversized_bytes: int = 12 * 1024 * 1024
    forbidden_url: str = "http://127.0.0.2:8704/internal"
    forbidden_port_url: str = "http://127.0.0.1:9/internal"


GZIP_SITES = frozenset({"daily-courier", "city-ledger"})
"""Sites that send gzip-encoded pages to clients that accept them (as most news sites do)."""
SITEMAPS = ("news_sitemap", "all")
SECTIONED = ("sections", "all")
"""Discovery styles that serve sitemaps, and section pages with date archives (``all``: a site
with every kind of discovery document: sitemaps, feed, sections)."""
GZIP_LEVEL = 6
"""zlib's default, and Apache mod_deflate's."""


def _gzip(body: bytes) -> bytes:
    """The body gzip-encoded as the demo sites send it (no timestamp: the same bytes always)."""
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], demo: DemoServer, site: DemoSite) -> None:
        super().__init__(address, _Handler)
        self.demo = demo
        self.site = site
        self.base_url = f"http://{address[0]}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "DemoNews/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.server.site.id, format % args)

    # -- helpers used by faults ----------------------------------------------------------------
    def wants_gzip(self) -> bool:
        """The site compresses its pages and the client accepts gzip."""
        return (self.server.site.id in GZIP_SITES
                and "gzip" in self.headers.get("Accept-Encoding", ""))

    def send_body(self, status: int, body: bytes, content_type: str,
                  headers: dict[str, str] | None = None) -> None:
        extra = dict(headers or {})
        if status == 200 and body and "Content-Encoding" not in extra and self.wants_gzip():
            body = _gzip(body)
            extra["Content-Encoding"] = "gzip"
            extra["Vary"] = "Accept-Encoding"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fault_option(self, name: str) -> object:
        return getattr(self.server.demo.fault_options, name)

    def hit_count(self) -> int:
        return self.server.demo.hits[(self.server.site.id, self.path)]

    def abort(self) -> None:
        """Close the socket now (with SO_LINGER 0 set, the peer sees a reset)."""
        self.close_connection = True
        for stream in (self.rfile, self.wfile):
            with contextlib.suppress(OSError, ValueError):
                stream.close()
        self.connection.close()

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    def article_html(self) -> bytes:
        world = self.server.demo.world
        article = world.articles(self.server.site.id)[0]
        return pages.article_page(world, article, self.server.base_url).encode()

    # -- routing --------------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        demo, site = self.server.demo, self.server.site
        with demo.lock:
            demo.hits[(site.id, self.path)] += 1
        with contextlib.suppress(OSError, ValueError):
            self._route(demo.world, site, self.server.base_url)

    def _route(self, world: DemoWorld, site: DemoSite, base: str) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        page = int(query.get("page", ["1"])[0]) if query.get("page", [""])[0].isdigit() else 1
        html = "text/html; charset=utf-8"
        xml = "application/xml; charset=utf-8"
        article = world.article_at(site.id, path)
        if article is not None:
            gz = self.wants_gzip()
            headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"} if gz else None
            self.send_body(200, self.server.demo.article_body(article, base, gz), html, headers)
        elif path == "/robots.txt":
            self.send_body(200, feeds.robots_txt(site, base).encode(), "text/plain")
        elif path == "/":
            self.send_body(200, pages.home_page(world, site).encode(), html)
        elif site.discovery in SITEMAPS and path == "/sitemap.xml":
            self.send_body(200, feeds.sitemap_index(world, site, base).encode(), xml)
        elif site.discovery in SITEMAPS and path == "/news-sitemap.xml":
            self.send_body(200, feeds.news_sitemap(world, site, base).encode(), xml)
        elif site.discovery in SITEMAPS and (m := re.fullmatch(
                r"/sitemaps/(\d{4})-(\d{2})\.xml", path)):
            month = dt.date(int(m[1]), int(m[2]), 1)
            self.send_body(200, feeds.month_sitemap(world, site, base, month).encode(), xml)
        elif site.discovery in ("rss", "all") and path == "/feed.xml":
            self.send_body(200, feeds.rss_feed(world, site, base, page).encode(),
                           "application/rss+xml; charset=utf-8")
        elif site.discovery in SECTIONED and (m := re.fullmatch(r"/section/(\w+)/", path)) \
                and m[1] in SECTIONS:
            items = [a for a in world.articles(site.id) if a.section == m[1]]
            self._listing(f"{m[1].title()} news", items, page, path)
        elif site.discovery in SECTIONED and (m := re.fullmatch(
                r"/archive/(\d{4})/(\d{2})/(\d{2})/", path)):
            self._archive(world, site, dt.date(int(m[1]), int(m[2]), int(m[3])), page, path)
        elif site.discovery == "faults":
            self._faults(world, site, path, page)
        else:
            self.send_body(404, b"<h1>Not found</h1>", html)

    def _listing(self, title: str, items: list[Any], page: int, path: str, *,
                 dated: bool = True, extra: str = "") -> None:
        world, site = self.server.demo.world, self.server.site
        more = page * pages.PAGE_SIZE < len(items)
        body = pages.listing_page(world, site, title, items, page=page,
                                  next_href=f"{path}?page={page + 1}" if more else None,
                                  prev_href=f"{path}?page={page - 1}" if page > 1 else None,
                                  dated=dated, extra=extra)
        self.send_body(200, body.encode(), "text/html; charset=utf-8")

    def _archive(self, world: DemoWorld, site: DemoSite, day: dt.date, page: int,
                 path: str) -> None:
        items = [a for a in world.articles(site.id) if a.published.date() == day]
        prev_day, next_day = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
        extra = (f'<p class="daynav"><a href="/archive/{prev_day:%Y/%m/%d}/">&laquo; '
                 f'{prev_day}</a> <a href="/archive/{next_day:%Y/%m/%d}/">{next_day} '
                 f"&raquo;</a></p>")
        self._listing(f"Archive: {day:%d %B %Y}", items, page, path, dated=False, extra=extra)

    def _faults(self, world: DemoWorld, site: DemoSite, path: str, page: int) -> None:
        if path == "/latest/":
            fault_links = "".join(f'<li><a href="/news/{name}">Breaking: {name}</a></li>'
                                  for name in FAULTS)
            extra = (f'<ul class="specials">{fault_links}</ul>'
                     '<p><a href="/calendar/2026/01/">Events calendar</a></p>')
            self._listing("Latest", world.articles(site.id), page, path, dated=False,
                          extra=extra)
        elif m := re.fullmatch(r"/calendar/(\d{4})/(\d{2})/", path):
            month = dt.date(int(m[1]), int(m[2]), 1)
            before = (month - dt.timedelta(days=1)).replace(day=1)
            after = (month + dt.timedelta(days=32)).replace(day=1)
            body = (f"<html><body><h1>Events in {month:%B %Y}</h1><p>No events.</p>"
                    f'<a href="/calendar/{before:%Y/%m}/">&laquo; {before:%B %Y}</a> '
                    f'<a href="/calendar/{after:%Y/%m}/">{after:%B %Y} &raquo;</a></body></html>')
            self.send_body(200, body.encode(), "text/html; charset=utf-8")
        elif (m := re.fullmatch(r"/news/([a-z-]+)", path)) and m[1] in FAULTS:
            FAULTS[m[1]][0](self)
        elif path.startswith("/news/redirect-loop"):
            FAULTS["redirect-loop"][0](self)
        else:
            self.send_body(404, b"<h1>Not found</h1>", "text/html; charset=utf-8")


class DemoServer:
    """Run every site of a :class:`DemoWorld` on its own loopback port.

    Args:
        world: The articles to serve.
        host: Listen address (loopback only).
        base_port: First port; 0 picks free ephemeral ports.
        fault_options: Knobs of the fault site.
    """

    def __init__(self, world: DemoWorld, host: str = "127.0.0.1", base_port: int = 0,
                 fault_options: FaultOptions | None = None) -> None:
        self.world = world
        self.host = host
        self.base_port = base_port
        self.fault_options = fault_options or FaultOptions()
        self.hits: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        self._servers: dict[str, _SiteServer] = {}
        self._threads: list[threading.Thread] = []
        self._rendered: dict[tuple[str, str, bool], bytes] | None = None

    def article_body(self, article: DemoArticle, base_url: str, gz: bool) -> bytes:
        """The bytes of an article page as sent (gzip-encoded when ``gz``).

        Pre-rendered pages (:meth:`prerender`) come from memory; others are rendered now.
        """
        cached = (self._rendered or {}).get((article.site, article.path, gz))
        return cached if cached is not None else self._render(article, base_url, gz)

    def _render(self, article: DemoArticle, base_url: str, gz: bool) -> bytes:
        body = pages.article_page(self.world, article, base_url).encode()
        return _gzip(body) if gz else body

    def prerender(self, start: dt.date, end: dt.date) -> int:
        """Render the article pages published in ``[start, end]`` now and serve them from memory.

        Benchmarks use this so that the time the news site spends rendering and compressing its
        pages (on a real crawl, another machine's CPU) is not counted as the crawl's. Call it
        after :meth:`start` (the pages contain the site's URL).

        Returns:
            The number of pages rendered.
        """
        rendered = dict(self._rendered or {})
        for site in self.world.sites:
            base, gz = self.base_urls[site.id], site.id in GZIP_SITES
            for article in self.world.articles(site.id):
                if start <= article.published.date() <= end:
                    rendered[(site.id, article.path, gz)] = self._render(article, base, gz)
        self._rendered = rendered
        return len(rendered)

    @property
    def base_urls(self) -> dict[str, str]:
        """Site id -> base URL (``http://127.0.0.1:PORT``)."""
        return {sid: s.base_url for sid, s in self._servers.items()}

    @property
    def ports(self) -> dict[str, int]:
        """Site id -> port."""
        return {sid: s.server_address[1] for sid, s in self._servers.items()}

    def url(self, site_id: str, path: str) -> str:
        """Absolute URL of ``path`` on a site."""
        return self.base_urls[site_id] + path

    def start(self) -> DemoServer:
        """Bind and serve every site in background threads."""
        for index, site in enumerate(self.world.sites):
            port = self.base_port + index if self.base_port else 0
            server = _SiteServer((self.host, port), self, site)
            self._servers[site.id] = server
            thread = threading.Thread(target=server.serve_forever, name=f"demo-{site.id}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and close the sockets."""
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def reset_hits(self) -> None:
        """Forget the request counts (the flaky fault fails again)."""
        with self.lock:
            self.hits.clear()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def allowed_networks(self) -> list[str]:
        """Allowlist entries that admit exactly the demo sites' ports."""
        return [f"{self.host}/32:{port}" for port in self.ports.values()]
