"""The demo news world: which sites exist, which articles they publish, and when.

Everything is a pure function of (seed, today, days, articles per day), so a test can ask for the
ground truth of a window (:meth:`DemoWorld.expected`) and compare it with what a crawl found, and a
benchmark can ask for 10,000 pages. Article bodies are generated on demand and cached.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.demo.prose import (
    SECTIONS,
    Story,
    copy_title,
    edit_lightly,
    make_story,
    make_title,
    slugify,
)

UTC = dt.UTC


@dataclass(frozen=True)
class DemoSite:
    """One demo site and the ways it differs from the others.

    Attributes:
        id: The site id (also used in sites.yaml).
        name: Display name.
        discovery: ``news_sitemap`` (Google News + dated sitemaps), ``rss`` (paged feed only),
            ``sections`` (section pages, pagination, date archive), ``all`` (every one of those,
            dated article URLs) or ``faults``.
        jsonld: Article pages carry JSON-LD.
        opengraph: Article pages carry OpenGraph tags.
        announces_updates: The site republishes updated articles (sitemap ``lastmod``).
    """

    id: str
    name: str
    discovery: str
    jsonld: bool
    opengraph: bool
    announces_updates: bool = False


SITES: tuple[DemoSite, ...] = (
    DemoSite("daily-courier", "The Daily Courier", "news_sitemap", True, True, True),
    DemoSite("metro-wire", "Metro Wire", "rss", False, True),
    DemoSite("city-ledger", "City Ledger", "sections", False, False),
)
FAULT_SITE = DemoSite("faulty-gazette", "Faulty Gazette", "faults", True, False)

SYNDICATION_ORIGIN = "metro-wire"
"""Every fourth article of the other sites is a lightly edited copy of a Metro Wire story."""


@dataclass(frozen=True)
class DemoArticle:
    """Ground truth of one article page.

    Attributes:
        site: Site id.
        path: URL path on the site (join with the site's base URL).
        number: Running number within the site.
        story_id: Shared by syndicated copies of the same story.
        published: Publication time (UTC).
        updated: Time of the update after publication, if the article was updated.
        section: Section name.
        syndicated_from: Site id of the original when this is a syndicated copy.
        crawlable: ``False`` when robots.txt disallows the page.
    """

    site: str
    path: str
    number: int
    story_id: str
    published: dt.datetime
    section: str
    updated: dt.datetime | None = None
    syndicated_from: str | None = None
    crawlable: bool = True


class DemoWorld:
    """Deterministic articles of the demo sites.

    Args:
        seed: Any integer; the same seed gives the same world.
        today: The "today" the dates are relative to (default: the real UTC date).
        days: Days of articles, counting back from ``today`` (included).
        articles_per_day: Articles per site and day.
        faults: Add the fault site (``faulty-gazette``).
        sites: The sites instead of the bundled three (benchmarks build more).
    """

    def __init__(self, seed: int = 1, today: dt.date | None = None, days: int = 30,
                 articles_per_day: int = 8, faults: bool = False, *,
                 sites: tuple[DemoSite, ...] | None = None) -> None:
        self.seed = seed
        self.today = today or dt.datetime.now(UTC).date()
        self.days = days
        self.articles_per_day = articles_per_day
        self.sites: tuple[DemoSite, ...] = (sites or SITES) + ((FAULT_SITE,) if faults else ())
        self._articles: dict[str, list[DemoArticle]] = {s.id: [] for s in self.sites}
        self._by_path: dict[tuple[str, str], DemoArticle] = {}
        for site in self.sites:
            for article in self._generate(site):
                self._articles[site.id].append(article)
                self._by_path[(site.id, article.path)] = article
        for items in self._articles.values():
            items.sort(key=lambda a: (a.published, a.number), reverse=True)

    def site(self, site_id: str) -> DemoSite:
        """The site ``site_id``."""
        return next(s for s in self.sites if s.id == site_id)

    def articles(self, site_id: str) -> list[DemoArticle]:
        """All articles of a site, newest first."""
        return self._articles[site_id]

    def article_at(self, site_id: str, path: str) -> DemoArticle | None:
        """The article served at ``path``, if any."""
        return self._by_path.get((site_id, path))

    def expected(self, site_id: str, start: dt.date, end: dt.date, *,
                 with_updates: bool | None = None) -> list[DemoArticle]:
        """The articles of a window, robots.txt-disallowed pages left out.

        An article belongs to the window when it was published in it, or updated in it on
        sites that announce updates (pass ``with_updates`` to override).

        Args:
            site_id: The site.
            start: First day, inclusive.
            end: Last day, inclusive.
            with_updates: Count articles updated in the window (default: the site's habit).
        """
        updates = self.site(site_id).announces_updates if with_updates is None else with_updates

        def inside(when: dt.datetime | None) -> bool:
            return when is not None and start <= when.date() <= end

        return [a for a in self._articles[site_id] if a.crawlable
                and (inside(a.published) or (updates and inside(a.updated)))]

    def story(self, article: DemoArticle) -> Story:
        """The text of an article (syndicated copies are light edits of the original)."""
        return _story(self.seed, article.story_id, article.section, article.syndicated_from,
                      article.site)

    def day_range(self) -> Iterator[dt.date]:
        """Every day that has articles, newest first."""
        for back in range(self.days):
            yield self.today - dt.timedelta(days=back)

    # -- generation -----------------------------------------------------------------------------
    def _generate(self, site: DemoSite) -> Iterator[DemoArticle]:
        number = 0
        for day in sorted(self.day_range()):
            for index in range(self.articles_per_day):
                number += 1
                yield self._article(site, day, index, number)

    def _article(self, site: DemoSite, day: dt.date, index: int, number: int) -> DemoArticle:
        rng = random.Random(f"{self.seed}:{site.id}:{day}:{index}")
        section = SECTIONS[rng.randrange(len(SECTIONS))]
        story_id = f"{site.id}:{day}:{index}"
        syndicated_from = None
        minute = rng.randrange(6 * 60, 20 * 60)  # 06:00-19:59, copies stay within the day
        if site.id != SYNDICATION_ORIGIN and site.discovery != "faults" and index % 4 == 3:
            syndicated_from = SYNDICATION_ORIGIN
            story_id = f"{SYNDICATION_ORIGIN}:{day}:{index}"
            origin = random.Random(f"{self.seed}:{SYNDICATION_ORIGIN}:{day}:{index}")
            section = SECTIONS[origin.randrange(len(SECTIONS))]
            minute = origin.randrange(6 * 60, 20 * 60) + 30 + rng.randrange(150)
        published = dt.datetime(day.year, day.month, day.day, tzinfo=UTC) \
            + dt.timedelta(minutes=minute, seconds=rng.randrange(60))
        updated = None
        if site.announces_updates and index % 5 == 1:
            updated = published + dt.timedelta(days=1, hours=2)
        title = make_title(f"{self.seed}:{story_id}", section)
        if syndicated_from:
            title = copy_title(title, f"{self.seed}:{story_id}:{site.id}")
        slug = slugify(title)
        crawlable = True
        if site.discovery in ("news_sitemap", "all"):
            path = f"/news/{day:%Y/%m/%d}/{slug}-{number}.html"
        elif site.discovery == "rss":
            path = f"/story/{number}-{slug}"
        elif site.discovery == "sections":
            path = f"/{section}/{slug}-{number}"
        else:
            crawlable = index % 3 != 2
            path = f"/{'news' if crawlable else 'private'}/{slug}-{number}"
        return DemoArticle(site.id, path, number, story_id, published, section, updated,
                           syndicated_from, crawlable)


@functools.lru_cache(maxsize=4096)
def _story(seed: int, story_id: str, section: str, syndicated_from: str | None,
           site_id: str) -> Story:
    original = make_story(f"{seed}:{story_id}", section)
    if syndicated_from is None:
        return original
    return edit_lightly(original, f"{seed}:{story_id}:{site_id}")
