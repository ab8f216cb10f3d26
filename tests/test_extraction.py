import datetime as dt
import gzip
import json
from collections import Counter

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.schema import ArticleRecord, RawPointer
from pipeline.archive.warc_reader import Capture
from pipeline.cli import main
from pipeline.extract.extraction import PageInput, Skip, extract_capture, extract_page
from pipeline.extract.pool import extract_captures, extract_many

FETCHED = dt.datetime(2025, 3, 3, 12, 0, tzinfo=dt.UTC)
PARAS = "".join(
    f"<p>Paragraph {i}: the council of Riverton discussed the levee plan again, and residents "
    f"of district {i} asked when the pumps near the old mill would finally be replaced.</p>"
    for i in range(8))
ARTICLE = f"""<html lang="en"><head><title>Council approves flood plan | Riverton Gazette</title>
<meta property="og:site_name" content="Riverton Gazette">
<link rel="canonical" href="https://www.gazette.example/news/flood-plan?utm_source=feed">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Council approves
flood plan", "datePublished": "2025-03-02T08:30:00+01:00", "author": {{"name": "Anna Keller"}}
}}</script></head><body><nav><a href="/">Home</a></nav><h1>Council approves flood plan</h1>
{PARAS}</body></html>""".encode()
LISTING = ("<html><head><title>World news</title></head><body><h1>World</h1>" + "".join(
    f'<div><a href="/news/{i}">Story number {i} about events in the world today</a></div>'
    for i in range(60)) + "</body></html>").encode()


def capture(body: bytes, url: str, status: int = 200, record_type: str = "response",
            metadata: CaptureMetadata | None = None) -> Capture:
    return Capture(url=url, status=status, headers=[("Content-Type", "text/html")], body=body,
                   raw_body=body, fetched_at=FETCHED, record_type=record_type,
                   refers_to_uri=None, refers_to_date=None, metadata=metadata,
                   pointer=RawPointer("raw/site=g/date=2025-03-03/x.warc.gz", 10, 99, "<urn:x>"))


def test_extract_page_fills_the_record():
    r = extract_page(ARTICLE, "https://gazette.example/news/flood-plan?utm_source=x",
                     fetched_at=FETCHED, site="gazette")
    assert isinstance(r, ArticleRecord)
    assert r.title == "Council approves flood plan"
    assert r.authors == ("Anna Keller",)
    assert r.published_at == dt.datetime(2025, 3, 2, 7, 30, tzinfo=dt.UTC)
    assert r.published_source == "jsonld"
    assert "utm_source" not in r.canonical_url
    assert r.site == "gazette" and r.language == "en"
    assert r.word_count > 150 and "Paragraph 7" in r.text
    assert r.extractor == "trafilatura" and r.extractor_version.startswith("2.3.1")
    assert r.to_row()["simhash"] == r.simhash


def test_rerun_is_identical():
    one = extract_page(ARTICLE, "https://gazette.example/n", fetched_at=FETCHED)
    two = extract_page(ARTICLE, "https://gazette.example/n", fetched_at=FETCHED)
    assert one == two


def test_skips_have_reasons():
    assert extract_page(ARTICLE, "https://g.example/a", fetched_at=FETCHED,
                        http_status=404) == Skip("http_status", "https://g.example/a")
    assert extract_page(LISTING, "https://g.example/world/", fetched_at=FETCHED).reason in (
        "listing", "too_short")
    assert extract_page(b"", "https://g.example/e", fetched_at=FETCHED).reason == "unparsable"
    assert extract_capture(capture(ARTICLE, "https://g.example/a", record_type="revisit")
                           ).reason == "revisit"


def test_capture_with_discovery_hint():
    page = ARTICLE.replace(b'"datePublished": "2025-03-02T08:30:00+01:00",', b"")
    r = extract_capture(capture(page, "https://g.example/a", metadata=CaptureMetadata(
        source="news_sitemap", published=dt.datetime(2025, 3, 1, 20, tzinfo=dt.UTC))), site="g")
    assert isinstance(r, ArticleRecord)
    assert r.published_source == "discovery:news_sitemap"
    assert r.raw.offset == 10 and r.site == "g"


def test_pool_matches_serial():
    pages = [PageInput(ARTICLE.replace(b"Paragraph 3", f"Paragraph {n}x".encode()),
                       f"https://g.example/{n}", FETCHED) for n in range(6)]
    pages.append(PageInput(LISTING, "https://g.example/", FETCHED))
    serial = list(extract_many(pages, workers=1))
    parallel = list(extract_many(pages, workers=2, chunk_size=2))
    assert serial == parallel
    counts: Counter[str] = Counter()
    caps = [capture(ARTICLE, "https://g.example/a"), capture(ARTICLE, "https://g.example/b",
                                                             status=500)]
    records = list(extract_captures(caps, "g", workers=1, counts=counts))
    assert len(records) == 1 and counts == Counter({"extracted": 1, "skipped:http_status": 1})


def test_cli_extract(tmp_path, capsys):
    plain = tmp_path / "a.html"
    plain.write_bytes(ARTICLE)
    packed = tmp_path / "b.html.gz"
    packed.write_bytes(gzip.compress(LISTING))
    code = main(["extract", f"{plain}=https://g.example/a", f"{packed}=https://g.example/",
                 "--fetched-at", "2025-03-03T12:00:00+00:00"])
    assert code == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["title"] == "Council approves flood plan"
    assert lines[0]["published_source"] == "jsonld"
    assert lines[1]["skipped"] == "section_front"


def test_hostile_json_ld_is_ignored_not_fatal():
    # JSON nested deeper than the interpreter's stack: json.loads raises RecursionError
    bomb = ('<script type="application/ld+json">' + '{"@type": "NewsArticle", "a": ' * 5000
            + "1" + "}" * 5000 + "</script>").encode()
    page = ARTICLE.replace(b"</head>", bomb + b"</head>")
    record = extract_page(page, "https://g.example/a", fetched_at=FETCHED)
    assert isinstance(record, ArticleRecord)
    assert record.title == "Council approves flood plan"


def test_a_page_that_breaks_the_extractor_is_counted_and_logged(monkeypatch, caplog):
    import pipeline.extract.pool as pool

    real = pool.extract

    def fragile(page, options):
        if page.url.endswith("/b"):
            raise ValueError("extractor broke")
        return real(page, options)

    monkeypatch.setattr(pool, "extract", fragile)
    counts: Counter[str] = Counter()
    caps = [capture(ARTICLE, "https://g.example/a"), capture(ARTICLE, "https://g.example/b")]
    records = list(extract_captures(caps, "g", workers=1, counts=counts))
    assert [r.url for r in records] == ["https://g.example/a"]
    assert counts == Counter({"extracted": 1, "skipped:extract_error": 1})
    assert "extraction failed for https://g.example/b" in caplog.text
    assert "extractor broke" in caplog.text


def test_cli_extract_reports_bad_files_and_goes_on(tmp_path, capsys):
    broken = tmp_path / "broken.html.gz"
    broken.write_bytes(gzip.compress(ARTICLE)[:40])
    good = tmp_path / "good.html"
    good.write_bytes(ARTICLE)
    code = main(["extract", f"{broken}=https://g.example/x", f"{tmp_path / 'gone.html'}="
                 "https://g.example/y", f"{good}=https://g.example/a"])
    out = capsys.readouterr()
    assert code == 1
    assert f"{broken}: not a valid gzip file" in out.err
    assert "gone.html: No such file or directory" in out.err
    assert [json.loads(x)["title"] for x in out.out.splitlines()] == [
        "Council approves flood plan"]
