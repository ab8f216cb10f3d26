from pipeline.extract.pagetype import PageSignals, classify_page


def sig(**kw):
    base = dict(url="https://n.example/news/some-story", http_status=200, title="Some story",
                types=frozenset(), has_article_date=False, word_count=600, link_density=0.1,
                image_count=1)
    base.update(kw)
    return PageSignals(**base)


def test_article_kept():
    assert classify_page(sig()) is None
    assert classify_page(sig(types=frozenset({"NewsArticle"}), word_count=80)) is None


def test_error_pages():
    assert classify_page(sig(http_status=404)) == "http_status"
    assert classify_page(sig(title="Page not found | Example", word_count=50)) == "error_page"


def test_fronts_tags_and_listings():
    assert classify_page(sig(url="https://n.example/")) == "section_front"
    assert classify_page(sig(url="https://n.example/tag/floods/", word_count=200)) == "tag_page"
    assert classify_page(sig(url="https://n.example/tag/floods/")) is None  # much own text
    assert classify_page(sig(url="https://n.example/news/page/3", word_count=90)) == "tag_page"
    assert classify_page(sig(url="https://n.example/category/world", word_count=90)) == (
        "section_front")
    assert classify_page(sig(types=frozenset({"CollectionPage"}))) == "listing"
    assert classify_page(sig(link_density=0.8, word_count=300)) == "listing"


def test_declared_article_on_tag_like_path_is_kept():
    s = sig(url="https://n.example/topics/x/story", types=frozenset({"og:article"}))
    assert classify_page(s) is None


def test_gallery_and_short():
    assert classify_page(sig(url="https://n.example/gallery/parade", image_count=20,
                             word_count=45)) == "gallery"
    assert classify_page(sig(word_count=10)) == "too_short"
    assert classify_page(sig(word_count=50)) == "too_short"
    assert classify_page(sig(word_count=50, has_article_date=True)) is None


def test_prose_page_with_many_links_is_not_a_listing():
    assert classify_page(sig(link_density=0.6, word_count=90, longest_paragraph=80)) is None
    assert classify_page(sig(link_density=0.6, word_count=90, longest_paragraph=9)) == (
        "listing")


def test_listicle_with_itemlist_is_kept():
    assert classify_page(sig(types=frozenset({"ItemList"}), word_count=800)) is None
    assert classify_page(sig(types=frozenset({"ItemList"}), word_count=200)) == "listing"


def test_count_words_cjk():
    from pipeline.extract.pagetype import count_words
    assert count_words("two words") == 2
    assert count_words("先日、不正に改造したiPhoneを販売した") >= 8
