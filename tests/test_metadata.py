import datetime as dt

from lxml.html import fromstring

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.extract.metadata.evidence import collect_evidence
from pipeline.extract.metadata.resolve import clean_authors, resolve_metadata, strip_site_name

FETCHED = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def page(head: str = "", body: str = "") -> str:
    return f"<html lang='en-US'><head>{head}</head><body>{body}</body></html>"


def meta_of(html: str, url: str = "https://news.example/a/story", **kw):
    return resolve_metadata(collect_evidence(fromstring(html)), url=url, fetched_at=FETCHED,
                            visible_text=lambda: " ".join(fromstring(html).itertext()), **kw)


GRAPH = """<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "@id": "#w", "name": "The Daily Example"},
  {"@type": "Person", "@id": "#a1", "name": "Jane Doe"},
  {"@type": ["NewsArticle"], "headline": "Bridge reopens after repairs",
   "datePublished": "2025-05-02T09:15:00+02:00", "dateModified": "2025-05-03T10:00:00Z",
   "author": [{"@id": "#a1"}, {"@type": "Person", "name": "By John Roe"}],
   "publisher": {"@id": "#w"}, "keywords": "bridges, traffic", "inLanguage": "de-DE"}
]}</script>"""


def test_jsonld_graph_with_references():
    m = meta_of(page(GRAPH + "<title>Bridge reopens after repairs | The Daily Example</title>"))
    assert m.title == "Bridge reopens after repairs"
    assert m.authors == ("Jane Doe", "John Roe")
    assert m.published is not None and m.published.source == "jsonld"
    assert m.published.utc == dt.datetime(2025, 5, 2, 7, 15, tzinfo=dt.UTC)
    assert m.modified is not None and m.modified.utc.day == 3
    assert m.tags == ("bridges", "traffic")
    assert m.site_name == "The Daily Example"
    assert m.language == "en"  # <html lang> wins over JSON-LD inLanguage


def test_meta_tags_when_no_jsonld():
    html = page(
        '<meta property="og:title" content="Rates rise again - Example News">'
        '<meta property="og:site_name" content="Example News">'
        '<meta property="article:published_time" content="2025-04-30T18:00:00-04:00">'
        '<meta name="author" content="By Maria Silva and Tom Brennan">'
        '<meta property="og:image" content="/img/lead.jpg">'
        '<meta name="description" content="The central bank raised rates.">')
    m = meta_of(html)
    assert m.title == "Rates rise again"
    assert m.authors == ("Maria Silva", "Tom Brennan")
    assert m.published is not None
    assert m.published.source == "meta:article:published_time"
    assert m.published.utc == dt.datetime(2025, 4, 30, 22, 0, tzinfo=dt.UTC)
    assert m.image == "https://news.example/img/lead.jpg"
    assert m.description == "The central bank raised rates."


def test_visible_headline_preferred_when_it_agrees():
    html = page('<meta property="og:title" content="Storm hits coast: what we know | Site">',
                "<h1>Storm hits coast: what we know so far</h1>")
    assert meta_of(html).title == "Storm hits coast: what we know so far"


def test_logo_h1_is_not_the_title():
    html = page('<title>Mayor resigns over budget row - Gazette</title>'
                '<meta property="og:site_name" content="Gazette">', "<h1>Gazette</h1>")
    assert meta_of(html).title == "Mayor resigns over budget row"


def test_strip_site_name_variants():
    names = ["Example Times", "example.com"]
    assert strip_site_name("Big story | Example Times", names) == "Big story"
    assert strip_site_name("Example Times - Big story today", names) == "Big story today"
    assert strip_site_name("Big story today \u2013 ExampleTimes", names) == "Big story today"
    assert strip_site_name("Big story on the harbour | Other", []) == "Big story on the harbour"
    assert strip_site_name("Q&A - What changes in 2025", []) == "Q&A - What changes in 2025"


def test_clean_authors():
    assert clean_authors(["By ANNA KELLER | Staff"]) == ("ANNA KELLER",)
    assert clean_authors(["Written by: Ana Silva & Ben Ode"]) == ("Ana Silva", "Ben Ode")
    assert clean_authors(["https://facebook.com/someone"]) == ()
    assert clean_authors(["jane@example.com"]) == ()
    assert clean_authors(["Tom Roe, Sara Lee and Ivo Ma"]) == ("Tom Roe", "Sara Lee", "Ivo Ma")
    assert clean_authors(["By Tom Roe on March 3, 2025"]) == ("Tom Roe",)


def test_date_precedence_hint_then_url():
    html = page("<title>A story about things</title>")
    hint = CaptureMetadata(source="news_sitemap",
                           published=dt.datetime(2025, 5, 20, 6, tzinfo=dt.UTC))
    m = meta_of(html, url="https://news.example/2025/05/19/story", hint=hint)
    assert m.published is not None and m.published.source == "discovery:news_sitemap"
    m = meta_of(html, url="https://news.example/2025/05/19/story")
    assert m.published is not None and m.published.source == "url"
    assert m.published.value.date() == dt.date(2025, 5, 19)


def test_future_and_ancient_dates_refused():
    html = page('<meta property="article:published_time" content="2031-01-01T00:00:00Z">'
                '<meta property="article:modified_time" content="1970-01-01">')
    m = meta_of(html)
    assert m.published is None and m.modified is None


def test_weak_dates_need_to_be_shown():
    webpage = ('<script type="application/ld+json">{"@type": "WebPage", '
               '"datePublished": "2024-02-03T00:00:00Z"}</script>')
    hidden = meta_of(page(webpage, "<h1>An evergreen guide to gardening</h1><p>Text.</p>"))
    assert hidden.published is None  # a template date the page never shows
    shown = meta_of(page(webpage, "<h1>An evergreen guide to gardening</h1>"
                                  "<p>Posted February 3, 2024</p>"))
    assert shown.published is not None and shown.published.source == "jsonld:webpage"


def test_byline_date_in_text_when_nothing_else():
    html = page("<title>Local team wins the cup</title>",
                "<h1>Local team wins the cup final</h1><p>By Al Bo | 12 March 2025</p>"
                "<p>Long text.</p><footer>Archive: 1 January 2020</footer>")
    m = meta_of(html)
    assert m.published is not None and m.published.source == "page_text"
    assert m.published.value.date() == dt.date(2025, 3, 12)


def test_broken_jsonld_is_tolerated():
    html = page('<script type="application/ld+json">{"@type": "NewsArticle", '
                '"headline": "Fixed headline here",}</script><script type="application/ld+json">'
                "{not json</script>")
    assert meta_of(html).title == "Fixed headline here"


# --- rules on visible dates, titles and authors (synthetic pages) -----------------------------

ARTICLE_LD = ('<script type="application/ld+json">{{"@type": "NewsArticle", '
              '"headline": "Harbour ferry timetable changes", "datePublished": "{pub}"}}'
              "</script>")


def test_published_label_in_byline_beats_declared_date():
    html = page(ARTICLE_LD.format(pub="2025-04-01T10:00:00Z"),
                "<h1>Harbour ferry timetable changes</h1>"
                "<p>By Al Bo. Published March 3, 2024. Updated April 1, 2025</p>")
    m = meta_of(html)
    assert m.published is not None and m.published.source == "page_text"
    assert m.published.value.date() == dt.date(2024, 3, 3)


def test_published_label_one_day_apart_keeps_declared_moment():
    html = page(ARTICLE_LD.format(pub="2025-04-02T02:30:00Z"),
                "<h1>Harbour ferry timetable changes</h1><p>Posted on April 1, 2025</p>")
    m = meta_of(html)
    assert m.published is not None and m.published.source == "jsonld"


def test_updated_byline_date_does_not_replace_declared_date():
    html = page(ARTICLE_LD.format(pub="2023-05-05T08:00:00Z"),
                "<h1>Harbour ferry timetable changes</h1><p>Last updated: May 1, 2025</p>")
    m = meta_of(html)
    assert m.published is not None and m.published.value.date() == dt.date(2023, 5, 5)


def test_labelled_publication_far_from_headline_when_declared_date_is_hidden():
    html = page(ARTICLE_LD.format(pub="2025-01-09T08:00:00Z"),
                "<h1>Harbour ferry timetable changes</h1><p>" + "Text. " * 200 +
                "</p><p>Published August 13, 2024</p>")
    m = meta_of(html)
    assert m.published is not None and m.published.value.date() == dt.date(2024, 8, 13)


def test_updated_byline_date_used_when_it_is_the_only_dating():
    html = page("<title>Guide to river walks</title>",
                "<h1>Guide to river walks in town</h1><p>Updated: June 2, 2024</p>")
    m = meta_of(html)
    assert m.published is not None and m.published.value.date() == dt.date(2024, 6, 2)


def test_month_only_publication_blocks_update_date():
    html = page("<title>Guide to river walks</title>",
                "<h1>Guide to river walks in town</h1>"
                "<p>Originally published in March 2022. Last updated on May 2, 2024.</p>")
    assert meta_of(html).published is None


def test_other_labels_are_not_publication_dates():
    html = page("<title>Cost of a new roof</title>",
                "<h1>Cost of a new roof in your area</h1><p>Prices valid through 01/23/2026."
                " Last active December 20, 2025</p>")
    assert meta_of(html).published is None


def test_ambiguous_numeric_date_by_confirmation_and_locale():
    body = "<h1>Notes on building audio plugins</h1><p>Ann Lee 02-12-2024</p>"
    confirmed = page("<title>Notes</title>", body + "<aside>December 02, 2024</aside>")
    assert meta_of(confirmed).published.value.date() == dt.date(2024, 12, 2)
    us = page("<title>Notes</title>", body)
    assert meta_of(us).published.value.date() == dt.date(2024, 2, 12)
    gb = us.replace("lang='en-US'", "lang='en-GB'")
    assert meta_of(gb).published.value.date() == dt.date(2024, 12, 2)


def test_url_date_with_month_name():
    html = page("<title>A story about wine</title>")
    m = meta_of(html, url="https://news.example/blog/2023/october/03/wine-types/")
    assert m.published is not None and m.published.value.date() == dt.date(2023, 10, 3)
    m = meta_of(html, url="https://news.example/blog/2023/may/5-things-to-know/")
    assert m.published is None


def test_sole_h1_wins_over_a_different_declared_title():
    html = page('<meta property="og:title" content="SEO title for search engines | Site">',
                "<h1>The headline readers actually see</h1>")
    assert meta_of(html).title == "The headline readers actually see"
    several = page('<meta property="og:title" content="SEO title for search engines">',
                   "<h1>First steps to take</h1><h1>Details of the plan</h1>")
    assert meta_of(several).title == "SEO title for search engines"
    label = page('<meta property="og:title" content="SEO title for search engines">',
                 "<h1>Webcams</h1>")
    assert meta_of(label).title == "SEO title for search engines"


def test_h1_with_dateline_and_entities():
    html = page('<meta property="og:title" content="Preparing a transition">',
                "<h1>Dec 18 2025 Preparing a transition</h1>")
    assert meta_of(html).title == "Preparing a transition"
    ld = page('<script type="application/ld+json">{"@type": "Article", '
              '"headline": "Full &#038; part time: what&#8217;s new"}</script>')
    assert meta_of(ld).title == "Full & part time: what\u2019s new"


def test_author_cleaning_rules():
    assert clean_authors(["Article by Cara Doe RN, BSN, Certified Sleep Consultant"]) == (
        "Cara Doe",)
    assert clean_authors(["Ann Lee Former Senior Consultant"]) == ("Ann Lee",)
    assert clean_authors(["CM Craig Moe Last updated"]) == ("Craig Moe",)
    assert clean_authors(["Luke Kim December 17, 2025"]) == ("Luke Kim",)
    assert clean_authors(["Shelby Roe, DVM Reviewed by Molly Pine"]) == ("Shelby Roe",)
    assert clean_authors(["Tom May"]) == ("Tom May",)
    assert clean_authors(["page.head.extra.author"]) == ()
    assert clean_authors(["jane-doe"]) == ()
    assert clean_authors(["Webmaster"]) == ()


def test_site_named_author_gives_way_to_a_person():
    html = page('<meta property="og:site_name" content="Daily Example">'
                '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "x y z",'
                ' "author": {"@type": "Organization", "name": "Daily Example"}}</script>',
                '<span class="byline">By Brian Roe</span>')
    assert meta_of(html).authors == ("Brian Roe",)
    alone = page('<meta property="og:site_name" content="Daily Example">'
                 '<meta name="author" content="Daily Example">')
    assert meta_of(alone).authors == ("Daily Example",)


def test_author_profile_link_and_class_bylines():
    linked = page("<title>Ten tips for safer passwords</title>",
                  "<h1>Ten tips for safer passwords</h1>"
                  '<div class="meta"><a href="/authors/mia-lund">Mia Lund</a></div>')
    assert meta_of(linked).authors == ("Mia Lund",)
    classed = page("", "<h1>Ten tips for safer passwords</h1>"
                       '<span class="post-author">Omar Haddad</span>'
                       '<div class="summary-item-has-author">Top 5 firms and companies</div>')
    assert meta_of(classed).authors == ("Omar Haddad",)


def test_bylines_of_other_articles_are_ignored():
    html = page("", '<aside class="related"><span class="byline">By Ola Berg</span></aside>'
                    "<h1>Harbour plan approved by council</h1>"
                    '<div class="author__name">by Nina Roe</div>'
                    '<div class="comments"><span class="author">Troll42</span></div>')
    assert meta_of(html).authors == ("Nina Roe",)


def test_labelled_byline_after_the_headline():
    split = page("", "<h1>How the river was cleaned up</h1><p>Short standfirst.</p>"
                     "<div><span>Written by:</span> <a href='/p/1'>Lena Kraus</a></div>")
    assert meta_of(split).authors == ("Lena Kraus",)
    inline = page("", "<h1>How the river was cleaned up</h1><p>By Amos Tal</p>")
    assert meta_of(inline).authors == ("Amos Tal",)
    label = page("", "<h1>How the river was cleaned up</h1><h3>Author</h3><p>Ida M. Berg</p>")
    assert meta_of(label).authors == ("Ida M. Berg",)
    prose = page("", "<h1>How the river was cleaned up</h1>"
                     "<p>By the end of the decade the water was clean.</p>")
    assert meta_of(prose).authors == ()


def test_byline_names_a_person_the_metadata_does_not():
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "x y z", '
          '"author": {"@type": "Organization", "name": "Health Board"}}</script>')
    html = page(ld, "<h1>Flu season starts early</h1><p>by Rosa Diaz</p>")
    assert meta_of(html).authors == ("Rosa Diaz",)
    login = page('<meta name="author" content="RosaD">',
                 '<h1>Flu season starts early</h1><a class="author-link">Rosa Diaz</a>')
    assert meta_of(login).authors == ("Rosa Diaz",)


def test_byline_adds_co_authors_the_metadata_leaves_out():
    html = page('<meta name="author" content="Ana Pereira">',
                '<h1>Budget talks stall again</h1>'
                '<div class="byline">Written by Dr Ana Pereira, Dr Li Wei, Tom Rex</div>')
    assert meta_of(html).authors == ("Dr Ana Pereira", "Dr Li Wei", "Tom Rex")
    linked = page("", '<h1>Budget talks stall again</h1><p><a href="/author/ana">Ana Pereira'
                      '</a>, <a href="/author/li">Li Wei</a> &amp; <a href="/author/tom">Tom Rex'
                      "</a></p>")
    assert meta_of(linked).authors == ("Ana Pereira", "Li Wei", "Tom Rex")


def test_visible_byline_text_must_read_as_a_name():
    html = page("", '<h1>Budget talks stall again</h1><div class="byline">Personal finance '
                    'May 2, 2025</div><div class="author-name">CM</div>')
    assert meta_of(html).authors == ()


def test_author_cleaning_job_titles_credits_accounts_months():
    assert clean_authors(["Ann Lee, Head of Sales and Community Development"]) == ("Ann Lee",)
    assert clean_authors(["Bo Ek, Senior Director, Content & Growth, Acme and Beta"]) == (
        "Bo Ek",)
    assert clean_authors(["text: Acme, design: Bo Ek, code: Al Li"]) == ()
    assert clean_authors(["Site Admin"]) == ()
    assert clean_authors(["August"]) == ()
    assert clean_authors(["Ellen Roe, VMD; Mo Fey, LVT & Gary Li, DVM"]) == (
        "Ellen Roe", "Mo Fey", "Gary Li")


def test_headline_damaged_by_encoding_gives_way_to_declared_title():
    html = page('<meta property="og:title" content="Planning: A Beginner\u2019s Guide">',
                "<h1>Planning? A Beginner? Guide</h1>")
    assert meta_of(html).title == "Planning: A Beginner\u2019s Guide"
    asked = page('<meta property="og:title" content="Is rent too high?">',
                 "<h1>Is rent too high?</h1>")
    assert meta_of(asked).title == "Is rent too high?"
