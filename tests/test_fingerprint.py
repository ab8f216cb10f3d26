import pytest

from pipeline.fingerprint import content_hash, fingerprints, hamming, normalize_text, simhash

TEXT = ("The harbour authority said on Tuesday that the new container terminal would open in "
        "the spring, two years later than planned, after disputes over dredging permits and "
        "the cost of the quay walls. Shipping companies had expected the terminal to relieve "
        "congestion at the old port, where vessels wait up to three days for a berth. ") * 3


def test_normalization_ignores_case_punctuation_and_quotes():
    a = "\u201cIt\u2019s done,\u201d she said.\n\nNext  paragraph!"
    b = '"it\'s DONE" she said next paragraph'
    assert normalize_text(a) == normalize_text(b)
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(a + " more")


def test_simhash_is_deterministic_and_unsigned():
    h = simhash(TEXT)
    assert h == simhash(TEXT)
    assert 0 <= h < 2**64
    assert simhash("") == 0
    assert simhash(TEXT, seed=1) != h


def test_small_edit_is_close_other_text_is_far():
    edited = TEXT.replace("two years later", "three years later") + " Reuters contributed."
    other = ("The city orchestra announced its new season with a festival of contemporary "
             "music, a cycle of Beethoven symphonies and free concerts in the parks. ") * 3
    assert hamming(simhash(TEXT), simhash(edited)) <= 6
    assert hamming(simhash(TEXT), simhash(other)) >= 16


@pytest.mark.parametrize("text", ["", "One word", "The council met again. " * 50,
                                  "Ünïcödé TEXT, “quotes” and 数字 \uff12\uff10\uff12\uff14"])
def test_fingerprints_equal_the_separate_functions(text: str) -> None:
    assert fingerprints(text) == (content_hash(text), simhash(text))
