"""The weight of a real news page around the story: styles, scripts, icons, menus, teasers.

Real article pages are heavy: on the 293 pages of devset/wcxb-dev-articles the median page is
125 KB of HTML with about 940 elements, of which the story is a small part; the rest is inline
CSS, analytics and ad scripts, a JSON copy of the page state for the front-end framework, an SVG
icon sprite, a mega menu, teaser cards of related and most-read stories, a newsletter form and a
large footer. The demo article pages carry the same kinds of markup in about the same amounts
(see ``tests/test_demo_sites.py``), so that extraction, the crawl and the benchmarks meet pages
of real size, not 5 KB stubs.

Parts that do not depend on the article are built once per site and cached.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Sequence
from html import escape

from pipeline.demo.prose import SECTIONS, slugify

_SUBTOPICS = ("Latest", "Analysis", "Explainers", "Opinion", "Interviews", "Data", "Video",
              "Podcasts", "Local", "International", "Features", "Live")
_ICONS = ("search", "menu", "close", "facebook", "twitter", "email", "print", "whatsapp",
          "linkedin", "share", "bookmark", "comment", "play", "clock", "chevron-left",
          "chevron-right", "user", "bell", "sun", "cloud", "rain", "instagram", "youtube",
          "rss")
_FOOTER = ("News", "Sport", "Business", "Culture", "Services", "Company")
_PROPS = ("display:flex", "margin:0 auto", "padding:8px 16px", "font-size:14px",
          "line-height:1.5", "color:#1a1a1a", "background:#fff", "border-bottom:1px solid #ddd",
          "grid-template-columns:repeat(4,1fr)", "text-transform:uppercase",
          "letter-spacing:.02em", "position:relative", "max-width:1200px", "gap:24px")


def _path_data(rng: random.Random, points: int) -> str:
    parts = [f"M{rng.randrange(24)}.{rng.randrange(10)} {rng.randrange(24)}.{rng.randrange(10)}"]
    for _ in range(points):
        parts.append(f"c{rng.uniform(-9, 9):.2f} {rng.uniform(-9, 9):.2f} "
                     f"{rng.uniform(-9, 9):.2f} {rng.uniform(-9, 9):.2f} "
                     f"{rng.uniform(-9, 9):.2f} {rng.uniform(-9, 9):.2f}")
    return "".join(parts) + "z"


def _classes(rng: random.Random, prefix: str, count: int = 4) -> str:
    utilities = ("flex", "items-center", "gap-2", "px-4", "py-2", "text-sm", "font-bold",
                 "md:grid", "lg:col-span-8", "hidden", "sm:block", "rounded", "shadow-sm")
    return " ".join([prefix, *rng.sample(utilities, count)])


@functools.lru_cache(maxsize=16)
def head_assets(site_id: str) -> str:
    """Inline CSS, preloads, analytics and ad configuration of a site (its ``<head>`` weight)."""
    rng = random.Random(f"head:{site_id}")
    rules = []
    for n in range(420):
        props = ";".join(rng.sample(_PROPS, 3))
        rules.append(f".{site_id[:2]}-c{n:03d}{'>a' if n % 3 else ''}{{{props}}}")
    media = "@media (max-width:768px){" + "".join(rules[:60]) + "}"
    fonts = "".join(f'<link rel="preload" href="/assets/fonts/{name}.woff2" as="font" '
                    f'type="font/woff2" crossorigin>' for name in ("serif-regular", "serif-bold",
                                                                   "sans-regular", "sans-bold"))
    tags = "".join(f'<meta name="{name}" content="{value}">' for name, value in (
        ("robots", "max-image-preview:large"), ("theme-color", "#10324a"),
        ("twitter:card", "summary_large_image"), ("twitter:site", f"@{site_id}"),
        ("format-detection", "telephone=no"), ("referrer", "strict-origin-when-cross-origin")))
    analytics = {"account": f"UA-{rng.randrange(10**7, 10**8)}-1", "site": site_id,
                 "dimensions": {f"dimension{n}": f"value-{rng.randrange(1000)}"
                                for n in range(1, 40)},
                 "consentRequired": True, "sampleRate": 100}
    ads = {"network": rng.randrange(10**5, 10**6), "slots": [
        {"id": f"ad-slot-{n}", "sizes": [[300, 250], [728, 90], [970, 250]],
         "targeting": {"pos": n, "section": SECTIONS[n % len(SECTIONS)],
                       "kw": [f"kw{rng.randrange(999)}" for _ in range(6)]}}
        for n in range(12)], "lazyLoad": {"fetchMarginPercent": 200}}
    return (f"<style>{''.join(rules)}{media}</style>\n{fonts}\n{tags}\n"
            f'<link rel="stylesheet" href="/assets/css/main.{rng.randrange(16**8):08x}.css">\n'
            f"<script>window.dataLayer=window.dataLayer||[];window.analyticsConfig="
            f"{json.dumps(analytics)};</script>\n"
            f"<script>window.adConfig={json.dumps(ads)};</script>\n"
            f'<script async src="/assets/js/vendor.{rng.randrange(16**8):08x}.js"></script>')


@functools.lru_cache(maxsize=16)
def icon_sprite(site_id: str) -> str:
    """The hidden SVG sprite of the site's icons."""
    rng = random.Random(f"icons:{site_id}")
    symbols = "".join(
        f'<symbol id="icon-{name}" viewBox="0 0 24 24"><path d="{_path_data(rng, 14)}"/>'
        f'<path d="{_path_data(rng, 6)}"/></symbol>' for name in _ICONS)
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{symbols}</svg>'


def _icon(name: str) -> str:
    return f'<svg class="icon" aria-hidden="true"><use href="#icon-{name}"></use></svg>'


@functools.lru_cache(maxsize=16)
def mega_menu(site_id: str) -> str:
    """The site's navigation: every section with its sub-pages, and the utility bar."""
    rng = random.Random(f"menu:{site_id}")
    columns = []
    for section in SECTIONS:
        links = "".join(
            f'<li class="{_classes(rng, "menu-item", 2)}"><a class="menu-link" '
            f'href="/section/{section}/{slugify(sub)}/">{sub}</a></li>'
            for sub in _SUBTOPICS)
        columns.append(f'<div class="{_classes(rng, "menu-column")}"><h3 class="menu-heading">'
                       f'<a href="/section/{section}/">{section.title()}</a></h3>'
                       f'<ul class="menu-list">{links}</ul></div>')
    utility = "".join(f'<button class="util-btn" aria-label="{name}">{_icon(name)}</button>'
                      for name in ("search", "bell", "user", "menu"))
    return (f'<div class="{_classes(rng, "utility-bar")}"><span class="edition">International '
            f'edition</span><span class="weather">{_icon("sun")} 14&deg;C</span>{utility}</div>'
            f'<div class="{_classes(rng, "mega-menu")}" hidden>{"".join(columns)}</div>')


@functools.lru_cache(maxsize=16)
def big_footer(site_id: str, site_name: str) -> str:
    """Footer columns of links, app badges and social icons."""
    rng = random.Random(f"footer:{site_id}")
    columns = []
    for heading in _FOOTER:
        links = "".join(f'<li><a class="footer-link" href="/hub-{slugify(heading)}/{n}/">'
                        f"{heading} {word}</a></li>"
                        for n, word in enumerate(rng.sample(_SUBTOPICS, 10)))
        columns.append(f'<div class="{_classes(rng, "footer-col")}"><h4>{heading}</h4>'
                       f"<ul>{links}</ul></div>")
    social = "".join(f'<a class="social" href="/follow/{name}" aria-label="{name}">'
                     f"{_icon(name)}</a>" for name in ("facebook", "twitter", "instagram",
                                                      "youtube", "linkedin", "rss"))
    return (f'<div class="{_classes(rng, "footer-grid")}">{"".join(columns)}</div>'
            f'<div class="footer-social">{social}</div><div class="app-badges">'
            f'<a href="/apps/ios"><img src="/assets/img/app-store.svg" alt="App Store" '
            f'width="120" height="40"></a><a href="/apps/android"><img '
            f'src="/assets/img/google-play.svg" alt="Google Play" width="135" height="40"></a>'
            f"</div><p class=\"legal\">{escape(site_name)} is not responsible for the content "
            f"of external sites.</p>")


def picture(path: str, alt: str) -> str:
    """A responsive ``<picture>`` with WebP sources and a lazy JPEG fallback."""
    sources = "".join(
        f'<source media="(min-width:{w}px)" srcset="/img/{w}/{path}.webp 1x, '
        f'/img/{w * 2}/{path}.webp 2x" type="image/webp">' for w in (1024, 640))
    return (f"<picture>{sources}<img src=\"/img/480/{path}.jpg\" alt=\"{escape(alt)}\" "
            f'loading="lazy" decoding="async" width="480" height="270"></picture>')


def teaser_cards(teasers: Sequence[tuple[str, str, str, str]], heading: str) -> str:
    """A grid of teaser cards: ``(path, title, summary, section)`` each."""
    # real card markup nests a few wrappers deep (grid cell, card, inner, body)
    cards = "".join(
        f'<div class="grid-cell"><div class="card card--{section}"><div class="card-inner">'
        f'<a class="card-link" href="{escape(path)}"><div class="card-media"><div '
        f'class="ratio-16x9">{picture(slugify(title)[:40], title)}</div></div>'
        f'<div class="card-body"><h3 class="card-title"><span>{escape(title)}</span></h3>'
        f'</div></a><span class="card-teaser">{escape(summary[:110])}</span><div '
        f'class="card-meta"><span class="card-section">{section.title()}</span><span '
        f'class="card-time">{_icon("clock")}<span>{n + 1} h ago</span></span></div></div></div>'
        f"</div>" for n, (path, title, summary, section) in enumerate(teasers))
    return (f'<section class="teaser-grid"><div class="section-header"><h2>{escape(heading)}'
            f'</h2></div><div class="grid">{cards}</div></section>')


def ticker(teasers: Sequence[tuple[str, str, str, str]]) -> str:
    """The breaking-news ticker under the masthead."""
    items = "".join(f'<li class="ticker-item"><span class="ticker-label">{section.title()}'
                    f'</span><a href="{escape(path)}">{escape(title)}</a></li>'
                    for path, title, _, section in teasers)
    return (f'<div class="ticker" role="marquee"><span class="ticker-title">Breaking</span>'
            f"<ul>{items}</ul></div>")


def most_read(teasers: Sequence[tuple[str, str, str, str]]) -> str:
    """The numbered "most read" list."""
    items = "".join(f'<li class="most-read-item"><span class="rank">{n}</span>'
                    f'<a href="{escape(path)}">{escape(title)}</a></li>'
                    for n, (path, title, _, _) in enumerate(teasers, 1))
    return f'<div class="most-read"><h2>Most read</h2><ol>{items}</ol></div>'


def newsletter_form(site_name: str) -> str:
    """The newsletter sign-up box."""
    return (f'<div class="newsletter"><h2>Get the {escape(site_name)} briefing</h2>'
            f'<form action="/newsletter" method="post"><label for="nl-email">Email address'
            f'</label><input id="nl-email" type="email" name="email" required>'
            f'<label><input type="checkbox" name="consent" required> I agree to the terms'
            f"</label><button type=\"submit\">Sign up</button></form></div>")


def share_bar() -> str:
    """Share buttons with icons."""
    buttons = "".join(f'<a class="share-btn share-btn--{name}" href="#share-{name}" '
                      f'aria-label="Share on {name}">{_icon(name)}</a>'
                      for name in ("facebook", "twitter", "whatsapp", "linkedin", "email",
                                   "print"))
    return f'<div class="share"><span>Share this</span> {buttons}</div>'


def page_state(url: str, title: str, paragraphs: Sequence[str],
               teasers: Sequence[tuple[str, str, str, str]]) -> str:
    """The front-end framework's JSON copy of the page (``<script type=application/json>``)."""
    state = {"props": {"pageProps": {
        "article": {"url": url, "headline": title,
                    "blocks": [{"type": "paragraph", "text": text} for text in paragraphs]},
        "related": [{"url": path, "headline": head, "standfirst": summary, "section": section,
                     "image": {"src": f"/img/480/{slugify(head)[:40]}.jpg", "width": 480}}
                    for path, head, summary, section in teasers],
        "navigation": [{"title": s.title(), "href": f"/section/{s}/",
                        "children": [{"title": t, "href": f"/section/{s}/{slugify(t)}/"}
                                     for t in _SUBTOPICS]} for s in SECTIONS]}},
        "page": "/article/[slug]", "buildId": "demo-build"}
    return ('<script id="__APP_STATE__" type="application/json">'
            + json.dumps(state).replace("</", "<\\/") + "</script>")
