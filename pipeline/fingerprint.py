"""Text normalization, the exact-text content hash and the 64-bit near-duplicate SimHash.

- :func:`normalize_text`: NFKC, case-folded word tokens (punctuation, quote styles and
  whitespace differences disappear).
- :func:`content_hash`: SHA-256 of the normalized text (exact-text dedup).
- :func:`simhash`: Charikar's SimHash over word features. The feature set was chosen by
  measurement on the labelled near-duplicate set (``benchmarks/neardup_quality.py``): content
  words (stop words removed) weighted by ``1 + log(tf)``. Word 2- and 3-gram shingles, alone or
  added to the words, spread positives further (more features change per edit) without
  separating negatives better. Small edits (another template's boilerplate, an added or
  removed paragraph, a changed headline) move up to about 10 bits; different stories on the
  same event stay 13 or more bits apart.
- A second, independently seeded SimHash (``seed=1``) is kept in the dedup index only: a
  near-duplicate must be close in both (see :mod:`pipeline.dedup.index`).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\w+")
_BITS = np.uint64(1) << np.arange(64, dtype=np.uint64)

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "said",
        "same",
        "says",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)
"""English function words left out of SimHash features (they carry no story identity)."""


@dataclass(frozen=True)
class FingerprintOptions:
    """How SimHash features are built.

    Attributes:
        unigram_weight: Weight of a content word (times ``1 + log(tf)``); 0 leaves them out.
        shingle_size: Length of word shingles added as extra features (0: none).
        shingle_weight: Weight of one shingle.
        drop_stop_words: Leave :data:`STOP_WORDS` out of the unigram features.
    """

    unigram_weight: float = 1.0
    shingle_size: int = 0
    shingle_weight: float = 0.5
    drop_stop_words: bool = True


DEFAULT_FINGERPRINT = FingerprintOptions()


def tokens(text: str) -> list[str]:
    """NFKC-normalized, case-folded word tokens of ``text``."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalize_text(text: str) -> str:
    """The text as compared for exact duplicates: its tokens joined by single spaces."""
    return " ".join(tokens(text))


def content_hash(text: str) -> str:
    """SHA-256 (hex) of :func:`normalize_text`.

    Equal for texts that differ only in case, punctuation, quote style or whitespace.
    """
    return _hash_of(tokens(text))


def fingerprints(text: str, options: FingerprintOptions = DEFAULT_FINGERPRINT) -> tuple[str, int]:
    """:func:`content_hash` and :func:`simhash` (seed 0) of ``text``, tokenized once.

    Args:
        text: Extracted article text.
        options: SimHash feature construction.

    Returns:
        ``(content hash, simhash)``.
    """
    words = tokens(text)
    return _hash_of(words), _simhash_of(words, options, 0)


def _hash_of(words: list[str]) -> str:
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def _feature_hash(feature: str, salt: bytes) -> int:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8, salt=salt).digest()
    return int.from_bytes(digest, "little")


def simhash(text: str, options: FingerprintOptions = DEFAULT_FINGERPRINT, seed: int = 0) -> int:
    """The 64-bit SimHash of ``text``.

    Args:
        text: Extracted article text.
        options: Feature construction (the measured default unless testing alternatives).
        seed: Feature hash seed; 0 is the fingerprint stored in records, other seeds give
            independent fingerprints of the same features.

    Returns:
        An unsigned 64-bit integer; 0 for a text without words.
    """
    return _simhash_of(tokens(text), options, seed)


def _simhash_of(words: list[str], options: FingerprintOptions, seed: int) -> int:
    weights: dict[str, float] = {}
    if options.unigram_weight:
        counts = Counter(w for w in words if not (options.drop_stop_words and w in STOP_WORDS))
        for word, tf in counts.items():
            weights[word] = weights.get(word, 0.0) + options.unigram_weight * (1.0 + math.log(tf))
    n = options.shingle_size
    if n and options.shingle_weight:
        for i in range(max(0, len(words) - n + 1)):
            shingle = "\x1f".join(words[i : i + n])
            weights[shingle] = weights.get(shingle, 0.0) + options.shingle_weight
    if not weights:
        return 0
    salt = seed.to_bytes(16, "little") if seed else b""
    hashes = np.fromiter(
        (_feature_hash(f, salt) for f in weights), dtype=np.uint64, count=len(weights)
    )
    w = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
    bits = (hashes[:, None] & _BITS[None, :]) != 0
    score = (np.where(bits, w[:, None], -w[:, None])).sum(axis=0)
    return int(_BITS[score > 0].sum(dtype=np.uint64)) if (score > 0).any() else 0


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit fingerprints."""
    return (a ^ b).bit_count()
