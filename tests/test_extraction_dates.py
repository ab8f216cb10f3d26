"""The page's own dates first, in the publisher's offset, kept in the Parquet row (issue 13)."""

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.parquet import read_records, records_to_table, write_records
from pipeline.archive.schema import LOCAL_TIME_COLUMNS, SCHEMA_VERSION, ArticleRecord
from pipeline.cli import main as cli_main
from pipeline.extract.extraction import extract_page

FETCHED = dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC)
BODY = "".join(f"<p>Paragraph {i} of the story tells what the council decided about the "
               f"harbour, the ferries and the new bridge over the river.</p>" for i in range(12))


def page(head: str = "", header: str = "") -> str:
    return (f"<html lang='de'><head><title>Der Hafen - Site</title>{head}</head><body>"
            f"<article><header><h1>Der Hafen bekommt eine neue Brücke</h1>{header}</header>"
            f"{BODY}</article></body></html>")


def jsonld(**fields: str) -> str:
    return ("<script type='application/ld+json'>"
            + json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                          "headline": "Der Hafen bekommt eine neue Brücke", **fields})
            + "</script>")


def test_a_story_after_midnight_keeps_the_publishers_day_and_offset():
    r = extract_page(page(jsonld(datePublished="2025-03-15T00:30:00+02:00",
                                 dateModified="2025-03-16T08:05:00+02:00")),
                     "https://news.example/hafen", fetched_at=FETCHED)
    assert isinstance(r, ArticleRecord)
    assert r.published_at == dt.datetime(2025, 3, 14, 22, 30, tzinfo=dt.UTC)
    assert r.published_at_local == "2025-03-15T00:30:00+02:00"
    assert r.published_date == dt.date(2025, 3, 15)  # not the UTC day, the 14th
    assert (r.modified_at_local, r.modified_date) == ("2025-03-16T08:05:00+02:00",
                                                      dt.date(2025, 3, 16))


def test_the_pages_own_date_beats_the_sitemap_and_the_sitemap_is_the_fallback():
    hint = CaptureMetadata(source="news_sitemap",
                           published=dt.datetime(2025, 3, 18, 6, tzinfo=dt.UTC))
    own = extract_page(page("<meta property='article:published_time' "
                            "content='2025-03-17T09:15:00+01:00'>"),
                       "https://news.example/a", fetched_at=FETCHED, hint=hint)
    assert isinstance(own, ArticleRecord)
    assert (own.published_source, own.published_at_local) == (
        "meta:article:published_time", "2025-03-17T09:15:00+01:00")
    bare = extract_page(page(), "https://news.example/b", fetched_at=FETCHED, hint=hint)
    assert isinstance(bare, ArticleRecord)
    assert bare.published_source == "discovery:news_sitemap"
    assert bare.published_date == dt.date(2025, 3, 18)


def test_time_element_in_the_header_and_an_offset_from_a_second_statement():
    timed = extract_page(page(header="<time class='entry-date published' "
                                     "datetime='2025-03-10T17:45:00-05:00'>10 March</time>"),
                         "https://news.example/c", fetched_at=FETCHED)
    assert isinstance(timed, ArticleRecord)
    assert (timed.published_source, timed.published_at_local) == (
        "time", "2025-03-10T17:45:00-05:00")
    # JSON-LD without offset; the generic date meta states the same wall clock with one
    naive = extract_page(page(jsonld(datePublished="2025-03-11T18:11:01")
                              + "<meta name='date' content='2025-03-11T18:11:01+01:00'>"),
                         "https://news.example/d", fetched_at=FETCHED)
    assert isinstance(naive, ArticleRecord)
    assert naive.published_at_local == "2025-03-11T18:11:01+01:00"
    assert naive.published_at == dt.datetime(2025, 3, 11, 17, 11, 1, tzinfo=dt.UTC)
    # no offset anywhere: the local string says so (no offset), the instant is read as UTC
    alone = extract_page(page(jsonld(datePublished="2025-03-12T07:00:00")),
                         "https://news.example/e", fetched_at=FETCHED)
    assert isinstance(alone, ArticleRecord)
    assert alone.published_at_local == "2025-03-12T07:00:00"


def test_parquet_keeps_the_local_columns_and_reads_older_files_as_null(tmp_path):
    r = extract_page(page(jsonld(datePublished="2025-03-15T00:30:00+02:00")),
                     "https://news.example/hafen", fetched_at=FETCHED, site="news")
    assert isinstance(r, ArticleRecord)
    back = read_records(write_records([r]), site="news", date=dt.date(2025, 3, 20))
    assert (back[0].published_at_local, back[0].published_date) == (
        "2025-03-15T00:30:00+02:00", dt.date(2025, 3, 15))
    assert back[0].published_at == r.published_at and SCHEMA_VERSION == 4
    old = records_to_table([r]).drop_columns(list(LOCAL_TIME_COLUMNS))
    old = old.replace_schema_metadata({b"newsarchive.schema_version": b"3"})
    sink = pa.BufferOutputStream()
    pq.write_table(old, sink)
    (legacy,) = read_records(sink.getvalue().to_pybytes(), site="news",
                             date=dt.date(2025, 3, 20))
    assert legacy.published_at == r.published_at
    assert (legacy.published_at_local, legacy.published_date) == (None, None)


def test_cli_extract_prints_published_at_in_the_pages_offset(tmp_path, capsys):
    path = tmp_path / "hafen.html"
    path.write_text(page(jsonld(datePublished="2025-03-15T00:30:00+02:00")))
    assert cli_main(["extract", f"{path}=https://news.example/hafen", "--fetched-at",
                     "2025-03-20T12:00:00+00:00", "--fields",
                     "published_at,published_at_local,published_date"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row == {"published_at": "2025-03-15T00:30:00+02:00",
                   "published_at_local": "2025-03-15T00:30:00+02:00",
                   "published_date": "2025-03-15"}
