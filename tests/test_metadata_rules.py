"""Rules of date and title precedence, on small synthetic pages."""

import datetime as dt

import pytest
from lxml.html import fromstring

from pipeline.extract.metadata.evidence import collect_evidence
from pipeline.extract.metadata.resolve import resolve_metadata
from pipeline.extract.metadata.shown_dates import labelled_dates

FETCHED = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
FILLER = "<p>" + "Some paragraph of the story. " * 30 + "</p>"


def page(head: str = "", body: str = "") -> str:
    return f"<html lang='en-US'><head>{head}</head><body>{body}</body></html>"


def meta_of(html: str, url: str = "https://news.example/a/story", **kw):
    return resolve_metadata(collect_evidence(fromstring(html)), url=url, fetched_at=FETCHED,
                            visible_text=lambda: " ".join(fromstring(html).itertext()), **kw)


STALE_LD = ('<script type="application/ld+json">{"@type": "NewsArticle", '
            '"headline": "Ten quiet beaches for a long weekend", '
            '"datePublished": "2019-04-03T16:50:31Z"}</script>')
FRESH_META = '<meta property="article:published_time" content="2025-03-04T18:06:00Z">'


@pytest.mark.parametrize(("byline", "source", "day"), [
    # the page shows only the later declared date: the stale JSON-LD gives way
    ("<p>By Al Bo. Updated: Mar 4, 2025 1:06 PM EST</p>", "meta:article:published_time",
     dt.date(2025, 3, 4)),
    # the page shows the first declared date: it stays first
    ("<p>By Al Bo. April 3, 2019. Updated: Mar 4, 2025</p>", "jsonld", dt.date(2019, 4, 3)),
    # the page shows neither: the first declared date stands
    ("<p>By Al Bo.</p>", "jsonld", dt.date(2019, 4, 3)),
])
def test_declared_dates_that_disagree(byline: str, source: str, day: dt.date) -> None:
    html = page(STALE_LD + FRESH_META,
                "<h1>Ten quiet beaches for a long weekend</h1>" + byline + FILLER)
    m = meta_of(html)
    assert m.published is not None and m.published.source == source
    assert m.published.value.date() == day


IMPORTED_LD = ('<script type="application/ld+json">{"@type": "BlogPosting", '
               '"headline": "Ten quiet beaches for a long weekend", '
               '"datePublished": "2024-06-12T09:00:00Z", '
               '"dateModified": "2025-01-20T09:00:00Z"}</script>')


@pytest.mark.parametrize(("byline", "source", "day"), [
    # the page never shows its declared dates and its byline says 2 November 2022: the
    # declared one is an import or template date, readers' date wins
    ("<p>Al Bo</p><p>November 2, 2022</p>", "page_text", dt.date(2022, 11, 2)),
    # the byline shows the declared modification: the page is dated by its declarations
    ("<p>Al Bo</p><p>January 20, 2025</p>", "jsonld", dt.date(2024, 6, 12)),
    # the page shows the declared publication somewhere: it stands
    ("<p>Al Bo</p><p>November 2, 2022</p><p>First posted June 12, 2024.</p>", "jsonld",
     dt.date(2024, 6, 12)),
    # an "Updated" byline date is a modification, not the publication
    ("<p>Al Bo</p><p>Updated November 2, 2022</p>", "jsonld", dt.date(2024, 6, 12)),
])
def test_unlabelled_byline_date_against_a_declared_date_never_shown(
        byline: str, source: str, day: dt.date) -> None:
    html = page(IMPORTED_LD, "<h1>Ten quiet beaches for a long weekend</h1>" + byline + FILLER)
    m = meta_of(html)
    assert m.published is not None and m.published.source == source
    assert m.published.value.date() == day


def test_originally_published_label():
    found = labelled_dates("update note: this post was originally published on the 21st of "
                           "june 2017 and updated later")
    assert [(d.date, d.label) for d in found] == [(dt.date(2017, 6, 21), "original")]


def test_originally_published_beats_an_unlabelled_byline_date():
    html = page("<title>Living in a tiny home</title>",
                "<h1>Living in a tiny home: pros and cons</h1><p>Al Bo 30 Sep 2022, 11:07am</p>"
                + FILLER + "<p>This article was originally published on 26 Sep 2019.</p>")
    m = meta_of(html)
    assert m.published is not None and m.published.value.date() == dt.date(2019, 9, 26)


def test_posted_on_label_beats_originally_published():
    html = page("<title>Index types for journals</title>",
                "<h1>Index types for journals explained</h1>" + FILLER +
                "<p>This post was originally published on the 21st of June 2017.</p>"
                "<p>By Ann Lee. Posted on April 13, 2023</p>")
    m = meta_of(html)
    assert m.published is not None and m.published.value.date() == dt.date(2023, 4, 13)


def test_htmldate_is_only_asked_without_declared_dates():
    asked: list[str] = []

    def fallback(name: str) -> str | None:
        asked.append(name)
        return None

    meta_of(page(FRESH_META, "<h1>Ten quiet beaches for a long weekend</h1>"),
            fallback=fallback)
    assert "date" not in asked
    meta_of(page("", "<h1>Ten quiet beaches for a long weekend</h1>"), fallback=fallback)
    assert "date" in asked


def test_headline_in_capitals_gives_way_to_the_declared_title():
    html = page('<meta property="og:title" content="Best Drip Coffee Makers 2025: Tips From '
                'Baristas">', "<h1>BEST DRIP COFFEE MAKERS IN 2025: TIPS FROM BARISTAS</h1>")
    assert meta_of(html).title == "Best Drip Coffee Makers 2025: Tips From Baristas"


def test_two_word_label_h1_is_not_the_headline():
    html = page('<meta property="og:title" content="Cybersecurity sector update, autumn 2025">',
                "<h1>M&amp;A Updates</h1>")
    assert meta_of(html).title == "Cybersecurity sector update, autumn 2025"


def test_the_h1_inside_the_article_among_widget_h1s():
    html = page('<meta property="og:title" content="Our favourite cycling spots">',
                "<header><h1>Town Magazine</h1></header>"
                "<article><h1>The best trails and neighbourhoods for cycling</h1>"
                + FILLER + "</article>"
                "<div class='widget'><h1>Next in your guide to the outdoors</h1>"
                "<h1>Where to kayak and paddle this summer</h1></div>")
    assert meta_of(html).title == "The best trails and neighbourhoods for cycling"


def test_several_article_h1_are_not_a_headline():
    html = page('<meta property="og:title" content="Our favourite cycling spots">',
                "<article><h1>The best trails and neighbourhoods for cycling</h1></article>"
                "<article><h1>Where to kayak and paddle this summer</h1></article>")
    assert meta_of(html).title == "Our favourite cycling spots"


def test_date_after_a_written_by_byline_is_a_publication_date():
    found = labelled_dates("tags: apps, mobile written by ann lee and kate o'neill april 8, 2024"
                           " share this")
    assert [(d.date, d.label) for d in found] == [(dt.date(2024, 4, 8), "published")]
    html = page("<title>How apps are made</title>",
                "<h1>How apps are made: a complete guide</h1>" + FILLER * 3 +
                "<p>Written by Ann Lee and Kate O'Neill</p><p>April 8, 2024</p>"
                "<aside>Related: March 1, 2023</aside>")
    m = meta_of(html)
    assert m.published is not None and m.published.value.date() == dt.date(2024, 4, 8)


@pytest.mark.parametrize(("text", "moment"), [
    ("published 23 november 2026, 14:05 utc · updated",
     dt.datetime(2026, 11, 23, 14, 5, tzinfo=dt.UTC)),
    ("posted march 4, 2025 1:06 pm est by ann lee",
     dt.datetime(2025, 3, 4, 13, 6, tzinfo=dt.timezone(dt.timedelta(hours=-5)))),
    ("on 2025-03-04 10:30 +02:00.",
     dt.datetime(2025, 3, 4, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
    ("4 march 2025 at 12:00 a.m. gmt", dt.datetime(2025, 3, 4, 0, 0, tzinfo=dt.UTC)),
    ("march 4, 2025 10:30 am", None),  # no zone: some local time, left out
    ("on 4 march 2025 12.50 million euros", None),
    ("march 4, 2025 13:05 pm est", None),  # not a clock time
])
def test_time_of_day_after_a_shown_date(text: str, moment: dt.datetime | None) -> None:
    (found,) = labelled_dates(text)
    assert found.moment == moment
    if moment is not None:
        assert moment.date() == found.date  # the page's own day, not converted to UTC


def test_a_byline_time_with_zone_dates_the_article_to_the_minute() -> None:
    html = page("", "<h1>Ten quiet beaches for a long weekend</h1>"
                    "<p>By Al Bo. Published 3 April 2025, 16:50 UTC</p>" + FILLER)
    m = meta_of(html)
    assert m.published is not None and m.published.source == "page_text"
    assert m.published.has_time
    assert m.published.value == dt.datetime(2025, 4, 3, 16, 50, tzinfo=dt.UTC)


HEADLINE = "<h1>Ten quiet beaches for a long weekend</h1>"
BIO = "<p>" + "She writes about travel and the sea for many magazines. " * 5 + "</p>"


@pytest.mark.parametrize(("box", "authors"), [
    ("<div class='post-author-box'><p>Written by Jane Roe</p></div>", ("Jane Roe",)),
    ("<div><p>This post was written by Jane Roe, Head of Travel Content</p></div>",
     ("Jane Roe",)),
    ("<div><h2>Article written by:</h2><h3>Jane Roe, MD</h3></div>", ("Jane Roe",)),
    ("<div><h3>Author</h3><p>Jane Roe</p></div>", ("Jane Roe",)),
    # a bare "By" far from the headline starts a sentence; comments name their writers
    ("<p>By Sunday Night Most Beaches Empty</p>", ()),
    ("<div class='comments'><p>Posted by Joe Bloggs</p></div>", ()),
])
def test_author_labelled_anywhere_in_the_article(box: str, authors: tuple[str, ...]) -> None:
    html = page("", HEADLINE + FILLER * 3 + box)  # beyond the byline area after the <h1>
    assert meta_of(html).authors == authors


def test_labelled_author_beats_an_organization_declared_as_author() -> None:
    ld = ('<script type="application/ld+json">{"@type": "BlogPosting", "author": '
          '{"@type": "Organization", "name": "Coast Medicine Association"}}</script>')
    html = page(ld, HEADLINE + FILLER * 3 + "<p>Written by Jane Roe</p>")
    assert meta_of(html).authors == ("Jane Roe",)


def test_footer_and_aside_inside_the_article_belong_to_it() -> None:
    link = "<a href='/author/{0}/'>{1}</a>"
    html = page("", "<article>" + HEADLINE + FILLER * 3 + "<footer><p>Filed "
                + link.format("ola-berg", "Ola Berg") + "</p></footer></article>"
                "<footer>" + link.format("site-team", "Web Desk") + "</footer>")
    assert meta_of(html).authors == ("Ola Berg",)
    html = page("", "<article>" + HEADLINE + FILLER * 3 + "<aside><h3>Author</h3>"
                "<p>Mara T. Quinn</p></aside></article>")
    assert meta_of(html).authors == ("Mara T. Quinn",)
    # a sidebar outside the article names someone else
    html = page("", "<article>" + HEADLINE + FILLER * 3 + "</article><aside>"
                "<h3>Author</h3><p>Mara T. Quinn</p></aside>")
    assert meta_of(html).authors == ()


@pytest.mark.parametrize(("heading", "name"), [
    ("<h4>Ádám Fekete</h4>", "Ádám Fekete"), ("<h3>About Ádám Fekete</h3>", "Ádám Fekete"),
])
def test_author_box_with_a_biography_gives_its_heading(heading: str, name: str) -> None:
    html = page("", HEADLINE + FILLER + f"<div class='blog-author'><img src='a.jpg'>{heading}"
                + BIO + "</div>")
    assert meta_of(html).authors == (name,)


def test_author_links_joined_by_separator_elements_are_one_list() -> None:
    ld = '<script type="application/ld+json">{"@type": "Article", "author": "Li Wen"}</script>'
    links = ("<div><a href='/author/liwen/'>Li Wen</a><span>, </span>"
             "<a href='/author/sara/'>Sara Okafor</a><span> &amp;</span> "
             "<a href='/author/tom/'>Tom Eriksen</a></div>")
    html = page(ld, HEADLINE + links + FILLER)
    assert meta_of(html).authors == ("Li Wen", "Sara Okafor", "Tom Eriksen")


@pytest.mark.parametrize(("byline", "authors"), [
    # "By" and the name in two elements read "ByMaria Stoyanova" from text_content()
    ("<div class='byline'><span>By</span><a href='/authors/maria-stoyanova/'>"
     "Maria Stoyanova</a></div>", ("Maria Stoyanova",)),
    ("<p class='byline'><span>By</span><span>Maria Stoyanova</span></p>",
     ("Maria Stoyanova",)),
    # two linked co-authors side by side are two people, not "Anna BergCarl Dunn"
    ("<div class='byline'><a href='/people/anna'>Anna Berg</a>"
     "<a href='/people/carl'>Carl Dunn</a></div>", ("Anna Berg", "Carl Dunn")),
    # "and" between two links with no spaces around it
    ("<div class='byline'>By <a href='/people/anna'>Anna Berg</a>and"
     "<a href='/people/carl'>Carl Dunn</a></div>", ("Anna Berg", "Carl Dunn")),
    # a comment between the label and the name keeps the name
    ("<div class='byline'><span>By <!-- name -->Maria Stoyanova</span></div>",
     ("Maria Stoyanova",)),
])
def test_byline_spacing_restored_at_tag_boundaries(byline: str,
                                                   authors: tuple[str, ...]) -> None:
    html = page("", "<article>" + HEADLINE + byline + FILLER + "</article>")
    assert meta_of(html).authors == authors


def test_author_box_heading_split_over_elements() -> None:
    html = page("", HEADLINE + FILLER + "<div class='blog-author'><img src='a.jpg'>"
                "<h4><span>About</span><span>Ádám Fekete</span></h4>" + BIO + "</div>")
    assert meta_of(html).authors == ("Ádám Fekete",)
