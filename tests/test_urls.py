"""URL canonicalization."""

from __future__ import annotations

import pytest

from pipeline.urls import (
    canonical_url_for,
    canonicalize_url,
    is_tracking_param,
    same_site,
    strip_amp,
)


@pytest.mark.parametrize(("url", "canonical"), [
    ("HTTP://Example.COM:80/a?b=2&a=1#frag", "http://example.com/a?a=1&b=2"),
    ("https://example.com:443/", "https://example.com/"),
    ("https://example.com:8443/x", "https://example.com:8443/x"),
    ("https://example.com/story?utm_source=rss&utm_medium=feed&id=7", "https://example.com/story?id=7"),
    ("https://example.com/s?fbclid=abc&gclid=x&mc_cid=1", "https://example.com/s"),
    ("https://example.com/news/story/amp/", "https://example.com/news/story/"),
    ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
    ("https://example.com/news/story?amp=1", "https://example.com/news/story"),
    ("https://amp.example.com/news/story", "https://example.com/news/story"),
    ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
    ("https://example.com/café", "https://example.com/caf%C3%A9"),
    ("https://example.com", "https://example.com/"),
])
def test_canonicalize(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical


def test_canonical_is_idempotent() -> None:
    url = "https://Example.com/a/amp?utm_campaign=x&z=1&a=2#top"
    assert canonicalize_url(canonicalize_url(url)) == canonicalize_url(url)


def test_amp_word_inside_slug_is_kept() -> None:
    assert strip_amp("/news/amped-up-story") == "/news/amped-up-story"
    assert strip_amp("/amp") == "/"


def test_tracking_params() -> None:
    assert is_tracking_param("UTM_Source") and is_tracking_param("fbclid")
    assert not is_tracking_param("id") and not is_tracking_param("page")


def test_same_site() -> None:
    assert same_site("https://www.example.com/x", ("example.com",))
    assert not same_site("https://badexample.com/x", ("example.com",))
    assert same_site("http://127.0.0.1:8701/x", ("127.0.0.1:8701",))
    assert not same_site("http://127.0.0.1:8702/x", ("127.0.0.1:8701",))


@pytest.mark.parametrize(("url", "declared", "canonical"), [
    # an AMP or mobile variant declares the regular page of the same publication: followed
    ("https://amp.news.example/a/story.amp.html", "https://www.news.example/a/story?utm_source=x",
     "https://www.news.example/a/story"),
    ("https://m.news.example/a/story", "https://news.example/a/story",
     "https://news.example/a/story"),
    # a syndicated copy declaring the original elsewhere keeps its own identity
    ("https://copy.example/wire/story", "https://news.example/a/story",
     "https://copy.example/wire/story"),
    # no canonical link, or a broken one
    ("https://news.example/a/story#top", None, "https://news.example/a/story"),
    ("https://news.example/a/story", "https://news.example:99999/x",
     "https://news.example/a/story"),
])
def test_canonical_url_for(url: str, declared: str | None, canonical: str) -> None:
    assert canonical_url_for(url, declared) == canonical
