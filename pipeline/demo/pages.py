"""HTML pages of the demo sites: articles with real-world boilerplate, listings, archives.

Each site has its own template. Article pages carry navigation, a cookie banner, share
buttons, a "latest news" list and a footer around the story, and the weight of a real news
page (:mod:`pipeline.demo.chrome`); JSON-LD and OpenGraph metadata
appear only on the sites that have them; City Ledger states the date only in visible text.
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape

from pipeline.demo import chrome
from pipeline.demo.prose import SECTIONS, slugify
from pipeline.demo.world import DemoArticle, DemoSite, DemoWorld

PAGE_SIZE = 20
"""Links per listing or archive page."""

_NAV = "".join(f'<li><a href="/section/{s}/">{s.title()}</a></li>' for s in SECTIONS)


def _human_date(moment: dt.datetime) -> str:
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M} UTC"


def _shell(site: DemoSite, title: str, head: str, main: str, latest: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} | {escape(site.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{chrome.head_assets(site.id)}
{head}
</head>
<body>
{chrome.icon_sprite(site.id)}
<a class="skip-link" href="#main">Skip to content</a>
<div id="cookie-banner" class="consent">We use cookies to improve your experience and for
personalised advertising. <button>Accept all</button> <button>Manage preferences</button></div>
<header class="masthead"><a class="logo" href="/">{escape(site.name)}</a>
<nav class="main-nav"><ul><li><a href="/">Home</a></li>{_NAV}
<li><a href="/subscribe">Subscribe</a></li><li><a href="/login">Sign in</a></li></ul></nav>
{chrome.mega_menu(site.id)}
</header>
<main id="main">
{main}
</main>
<aside class="latest-news"><h2>Latest News</h2><ul>{latest}</ul></aside>
<footer class="site-footer"><p><a href="/archive/">Archive</a> | <a href="/contact">Contact Us</a>
| <a href="/disclaimer">Disclaimer</a> | <a href="/feedback">Feedback</a> |
<a href="/gallery">Gallery</a></p><p>Copyright 2007-2026 {escape(site.name)}. All rights
reserved. Follow us on social media.</p>{chrome.big_footer(site.id, site.name)}</footer>
<script src="/assets/js/app.js" defer></script>
</body>
</html>
"""


def _latest(world: DemoWorld, site: DemoSite, exclude: str = "") -> str:
    items = [a for a in world.articles(site.id)[:6] if a.path != exclude][:5]
    return "".join(
        f'<li><a href="{escape(a.path)}">{escape(world.story(a).title)}</a></li>' for a in items)


def _teasers(world: DemoWorld, site: DemoSite, article: DemoArticle, count: int,
             skip: int = 0) -> list[tuple[str, str, str, str]]:
    """Teasers of other recent articles of the site, a different choice for every article."""
    pool = [a for a in world.articles(site.id)[:48] if a.path != article.path]
    if not pool:
        return []
    start = (article.number * 7 + skip) % len(pool)
    chosen = [pool[(start + n) % len(pool)] for n in range(min(count, len(pool)))]
    return [(a.path, world.story(a).title, world.story(a).summary, a.section) for a in chosen]


def article_page(world: DemoWorld, article: DemoArticle, base_url: str) -> str:
    """The full HTML of an article page as the site serves it."""
    site = world.site(article.site)
    story = world.story(article)
    url = base_url.rstrip("/") + article.path
    head = [f'<link rel="canonical" href="{escape(url)}">',
            f'<meta name="description" content="{escape(story.summary)}">']
    if site.opengraph:
        head += [f'<meta property="og:title" content="{escape(story.title)}">',
                 '<meta property="og:type" content="article">',
                 f'<meta property="og:url" content="{escape(url)}">',
                 f'<meta property="og:site_name" content="{escape(site.name)}">',
                 f'<meta property="article:published_time" '
                 f'content="{article.published.isoformat()}">']
        if article.updated:
            head.append(f'<meta property="article:modified_time" '
                        f'content="{article.updated.isoformat()}">')
    if site.jsonld:
        data = {"@context": "https://schema.org", "@type": "NewsArticle",
                "headline": story.title, "datePublished": article.published.isoformat(),
                "author": {"@type": "Person", "name": story.author},
                "publisher": {"@type": "Organization", "name": site.name},
                "mainEntityOfPage": url, "keywords": list(story.tags)}
        if article.updated:
            data["dateModified"] = article.updated.isoformat()
        head.append('<script type="application/ld+json">'
                    + json.dumps(data).replace("</", "<\\/") + "</script>")
    stamp = f"Published {_human_date(article.published)}"
    if article.updated:
        stamp += f" &middot; Updated {_human_date(article.updated)}"
    body = "\n".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    if article.updated:
        body += "\n<p><em>Correction: an earlier version of this article misstated a figure." \
                "</em></p>"
    share = chrome.share_bar()
    related = _teasers(world, site, article, 12)
    popular = _teasers(world, site, article, 10, skip=17)
    more = _teasers(world, site, article, 12, skip=29)
    head.append(chrome.page_state(url, story.title, story.paragraphs, related))
    time_tag = (f'<time datetime="{article.published.isoformat()}">{stamp}</time>'
                if site.id != "city-ledger" else f'<span class="dateline">{stamp}</span>')
    main = f"""{chrome.ticker(popular[:8])}
<article class="story">
<p class="kicker"><a href="/section/{article.section}/">{article.section.title()}</a></p>
<h1>{escape(story.title)}</h1>
<p class="byline">By <span class="author-name">{escape(story.author)}</span></p>
{time_tag}
{share}
<div class="gallery-controls">Gallery Enlarge Image Play Video</div>
<figure class="lead-image">{chrome.picture(slugify(story.title)[:40], story.title)}
<figcaption>{escape(article.section.title())} &middot; Photo: {escape(site.name)}</figcaption>
</figure>
<div class="article-body">
{body}
</div>
{share}
<div class="related"><h3>More on this story</h3><p>Read more in our
<a href="/section/{article.section}/">{article.section} section</a>.</p></div>
</article>
{chrome.teaser_cards(related, "Related stories")}
{chrome.most_read(popular)}
{chrome.teaser_cards(more, f"More from {article.section.title()}")}
{chrome.newsletter_form(site.name)}
<section id="comments" class="comments"><h2>Comments</h2><div class="comments-embed"
data-thread="{article.number}">Comments are loading&hellip;</div></section>"""
    return _shell(site, story.title, "\n".join(head), main,
                  _latest(world, site, exclude=article.path))


def listing_page(world: DemoWorld, site: DemoSite, title: str, articles: list[DemoArticle], *,
                 page: int = 1, next_href: str | None = None, prev_href: str | None = None,
                 dated: bool = True, extra: str = "") -> str:
    """A listing page (section, archive day, latest) with pagination links."""
    start = (page - 1) * PAGE_SIZE
    items = []
    for article in articles[start:start + PAGE_SIZE]:
        when = (f'<time datetime="{article.published.isoformat()}">'
                f'{_human_date(article.published)}</time> ' if dated else "")
        story = world.story(article)
        items.append(f'<li class="teaser">{when}<a href="{escape(article.path)}">'
                     f'{escape(story.title)}</a><p>{escape(story.summary[:140])}</p></li>')
    nav = ""
    if prev_href:
        nav += f'<a rel="prev" href="{escape(prev_href)}">&laquo; Previous</a> '
    if next_href:
        nav += f'<a rel="next" href="{escape(next_href)}">Next &raquo;</a>'
    main = (f"<h1>{escape(title)}</h1>{extra}<ul class=\"teasers\">{''.join(items)}</ul>"
            f'<div class="pagination">{nav}</div>')
    if not items:
        main += "<p>No articles.</p>"
    return _shell(site, title, "", main, _latest(world, site))


def home_page(world: DemoWorld, site: DemoSite) -> str:
    """The home page: the newest articles, undated teasers."""
    return listing_page(world, site, site.name, world.articles(site.id), dated=False)
