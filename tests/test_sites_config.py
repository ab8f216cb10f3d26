"""sites.yaml validation and ``newsarchive sites check``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config.sites import bundled_sites_path, load_sites
from pipeline.demo import DEFAULT_PORT, sites_yaml
from pipeline.demo.world import SITES
from pipeline.errors import ConfigError

GOOD = """
version: 1
sites:
  - id: good-one
    base_url: https://news.example
    article_patterns: ['/\\d{4}/\\d{2}/']
    discovery:
      - {kind: news_sitemap, url: /news.xml}
      - {kind: date_archive, template: '/archive/{date:%Y/%m/%d}/'}
    politeness: {download_delay: 2.5, concurrency: 1}
    limits: {max_pages: 100}
  - id: Bad Site
    base_url: ftp://x
    discovery: []
  - id: bad-fields
    base_url: https://b.example
    discovery:
      - {kind: rss, url: /feed}
      - {kind: date_archive, template: /archive/}
      - {kind: listing, url: /list, next_pattern: '([', max_pages: 0}
    politeness: {concurrency: -1, speed: 3}
    article_patterns: ['(unclosed']
  - id: good-two
    base_url: https://two.example/
    discovery:
      - {kind: feed, url: https://two.example/feed.xml}
      - {kind: robots}
"""


def test_good_sites_survive_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(GOOD)
    config = load_sites(str(path))
    assert [s.id for s in config.sites] == ["good-one", "good-two"]
    one = config.get("good-one")
    assert one.politeness.download_delay == 2.5 and one.politeness.concurrency == 1
    assert one.limits.max_pages == 100 and one.limits.max_articles == 2000
    assert one.allowed_domains == ("news.example",)
    assert one.discovery[0].url == "https://news.example/news.xml"
    assert one.discovery[1].archive_url(dt.date(2024, 1, 5)) == \
        "https://news.example/archive/2024/01/05/"
    assert config.get("good-two").discovery[1].url == "https://two.example/robots.txt"


def test_errors_name_file_site_and_field(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(GOOD)
    errors = {(e.site, e.field) for e in load_sites(str(path)).errors}
    assert ("Bad Site", "id") in errors
    assert ("Bad Site", "base_url") in errors
    assert ("bad-fields", "discovery[0].kind") in errors
    assert ("bad-fields", "discovery[1].template") in errors
    assert ("bad-fields", "discovery[2].next_pattern") in errors
    assert ("bad-fields", "discovery[2].max_pages") in errors
    assert ("bad-fields", "politeness.concurrency") in errors
    assert ("bad-fields", "politeness.speed") in errors
    assert ("bad-fields", "article_patterns[0]") in errors
    text = str(next(e for e in load_sites(str(path)).errors if e.site == "bad-fields"))
    assert text.startswith(f"{path}: site 'bad-fields': ")
    with pytest.raises(ConfigError, match="bad-fields"):
        load_sites(str(path)).get("bad-fields")
    with pytest.raises(ConfigError, match="no site 'nope'"):
        load_sites(str(path)).get("nope")


@pytest.mark.parametrize("text", ["sites: 3", "- a", "sites: [\n"])
def test_unusable_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=str(path)):
        load_sites(str(path))
    with pytest.raises(ConfigError, match="cannot read"):
        load_sites(str(tmp_path / "missing.yaml"))


def test_duplicate_ids(tmp_path: Path) -> None:
    entry = "  - {id: a, base_url: 'https://a.example', discovery: [{kind: robots}]}\n"
    config = load_sites(str(tmp_path / "x.yaml"), text="sites:\n" + entry * 2)
    assert len(config.sites) == 1 and config.errors[0].field == "id"


def test_bundled_file_describes_the_demo_on_default_ports() -> None:
    config = load_sites(None)
    assert config.path == bundled_sites_path() and not config.errors
    assert [s.id for s in config.sites] == [s.id for s in SITES]
    urls = {s.id: f"http://127.0.0.1:{DEFAULT_PORT + i}" for i, s in enumerate(SITES)}
    expected = load_sites("x", text=sites_yaml(urls))
    assert [s.discovery for s in expected.sites] == [s.discovery for s in config.sites]
    assert [s.base_url for s in expected.sites] == [s.base_url for s in config.sites]


def test_cli_sites_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(GOOD)
    assert main(["sites", "check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "ok: good-one" in out and "ok: good-two" in out
    assert f"error: {path}: site 'bad-fields': discovery[0].kind" in err
    assert "2 valid site(s), 2 invalid" in err
    assert main(["sites", "check"]) == 0
