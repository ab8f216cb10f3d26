"""Two small news sites on one loopback host, with a request log that records concurrency.

``alpha`` lives at the root of the host, ``beta`` under ``/site-b/``. Each announces its feed in
its home page's ``<head>``, links its sections from a ``<nav>``, and has a sitemap (``alpha`` at
the usual ``/sitemap.xml``, ``beta`` one at an unusual path that only the host's robots.txt
names). Every
article is reachable from exactly one discovery channel, so a crawl's fetched set tells which
channels it used. Every response waits ``delay`` seconds, so that requests overlap and the log's
``max_in_flight`` shows how many the host served at once.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DAY = dt.date(2026, 3, 14)
STAMP = f"{DAY}T08:00:00Z"


def article_path(prefix: str, section: str, slug: str) -> str:
    """``<prefix><section>/<YYYY>/<MM>/<DD>/<slug>.html``."""
    return f"{prefix}{section}/{DAY:%Y/%m/%d}/{slug}.html"


# site prefix -> channel -> article paths (one channel each)
ARTICLES: dict[str, dict[str, list[str]]] = {
    "/": {
        "sitemap": [article_path("/", "world", f"alpha-sitemap-{n}") for n in range(3)],
        "feed": [article_path("/", "world", "alpha-feed-0")],
        "home": [article_path("/", "world", "alpha-home-0")],
        "section": [article_path("/", "sport", "alpha-section-0")],
    },
    "/site-b/": {
        "sitemap": [article_path("/site-b/", "local", f"beta-sitemap-{n}") for n in range(2)],
        "feed": [article_path("/site-b/", "local", "beta-feed-0")],
        "home": [article_path("/site-b/", "local", "beta-home-0")],
        "section": [article_path("/site-b/", "local", "beta-section-0")],
    },
}
SECTIONS = {"/": ["/world/", "/sport/"], "/site-b/": ["/site-b/local/"]}


def page(title: str, body: str, head: str = "") -> bytes:
    return (f"<!doctype html><html><head><title>{title}</title>{head}</head>"
            f"<body>{body}</body></html>").encode()


def teaser(path: str) -> str:
    return (f'<article><a href="{path}">{path.rsplit("/", 1)[-1]}</a>'
            f'<time datetime="{STAMP}">{DAY}</time></article>')


def article_body(path: str) -> bytes:
    words = " ".join(f"word{n} of the story about {path}." for n in range(60))
    return page(path, f"<article><h1>{path}</h1><time datetime='{STAMP}'></time>"
                      f"<p>{words}</p></article>")


class HostSites(ThreadingHTTPServer):
    """The two sites; ``requests`` counts paths, ``max_in_flight`` the peak concurrency."""

    daemon_threads = True

    def __init__(self, delay: float = 0.0, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), HostSitesHandler)
        self.host = host
        self.delay = delay
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.server_address[1]}"

    def routes(self) -> dict[str, tuple[str, bytes]]:
        base = self.base
        routes: dict[str, tuple[str, bytes]] = {
            "/robots.txt": ("text/plain", (f"User-agent: *\nAllow: /\n"
                                           f"Sitemap: {base}/site-b/sitemaps/news.xml\n"
                                           "Sitemap: http://elsewhere.invalid/sitemap.xml\n"
                                           ).encode()),
        }
        for prefix, channels in ARTICLES.items():
            name = "alpha" if prefix == "/" else "beta"
            nav = "".join(f'<a href="{s}">{s}</a>' for s in SECTIONS[prefix])
            nav += '<a href="/about/">About</a><a href="/login">Log in</a>'
            nav += '<a href="/site-b/">Beta</a>' if prefix == "/" else '<a href="/">Alpha</a>'
            feed_type, feed_path = (("application/rss+xml", "/feed.xml") if prefix == "/"
                                    else ("application/atom+xml", "/site-b/atom.xml"))
            head = (f'<link rel="alternate" type="{feed_type}" href="{feed_path}">'
                    '<link rel="alternate" type="application/rss+xml" '
                    'href="http://elsewhere.invalid/feed.xml">')
            routes[prefix] = ("text/html", page(
                name, f"<nav>{nav}</nav><main>{''.join(map(teaser, channels['home']))}</main>",
                head))
            for section in SECTIONS[prefix]:
                links = "".join(map(teaser, channels["section"]))
                routes[section] = ("text/html", page(section, f"<nav>{nav}</nav>{links}"))
            routes[feed_path] = ("application/xml", self.feed(prefix, feed_type,
                                                              channels["feed"]))
            sitemap = "/sitemap.xml" if prefix == "/" else "/site-b/sitemaps/news.xml"
            routes[sitemap] = ("application/xml", self.sitemap(channels["sitemap"]))
            for paths in channels.values():
                for path in paths:
                    routes[path] = ("text/html", article_body(path))
        return routes

    def sitemap(self, paths: list[str]) -> bytes:
        urls = "".join(f"<url><loc>{self.base}{p}</loc><lastmod>{STAMP}</lastmod></url>"
                       for p in paths)
        return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/'
                f'0.9">{urls}</urlset>').encode()

    def feed(self, prefix: str, kind: str, paths: list[str]) -> bytes:
        if kind == "application/atom+xml":
            entries = "".join(f'<entry><title>{p}</title><link href="{self.base}{p}"/>'
                              f"<published>{STAMP}</published></entry>" for p in paths)
            return (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
                    f"<title>{prefix}</title>{entries}</feed>").encode()
        items = "".join(f"<item><title>{p}</title><link>{self.base}{p}</link>"
                        f"<pubDate>Sat, 14 Mar 2026 08:00:00 GMT</pubDate></item>"
                        for p in paths)
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{prefix}</title>'
                f"{items}</channel></rss>").encode()


class HostSitesHandler(BaseHTTPRequestHandler):
    server: HostSites

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests[self.path] += 1
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
        try:
            time.sleep(self.server.delay)
            kind, body = self.server.routes().get(self.path, ("text/plain", b""))
        finally:
            # before the response goes out: the client cannot send the request that takes
            # this one's place before it has the whole response
            with self.server.lock:
                self.server.in_flight -= 1
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def sites_yaml(server: HostSites, extra: str = "") -> str:
    """The two sites with nothing but ``id`` and ``base_url`` (plus ``extra`` lines each)."""
    return (f"sites:\n  - id: alpha\n    base_url: {server.base}/\n{extra}"
            f"  - id: beta\n    base_url: {server.base}/site-b/\n{extra}")
