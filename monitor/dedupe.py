"""Canonical URLs, exact text fingerprints and near-duplicate detection.

A story is the set of articles that are copies of one another: same canonical URL, same
normalised text, or a near-duplicate. Near-duplicates are found in two steps:

1. Candidates: a 128-permutation MinHash of the article's shingles, cut into 42 bands of
   3 rows. Stored articles sharing a band (an indexed table lookup) are candidates. A pair
   with Jaccard similarity 0.45 shares a band with probability 0.98; an unrelated pair
   (Jaccard < 0.01) with probability < 5e-5, so candidates stay few as the store grows.
2. Confirmation: the exact resemblance of the two shingle sets, computed from the stored
   text. Shingles are word 3-grams that never cross a sentence boundary, so reordered
   paragraphs and re-wrapped lines keep their shingles; containment (the share of the
   smaller set found in the larger) keeps a truncated copy with its original.

Thresholds come from `bench/dedup_quality.py` (figures in the README).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import numpy as np
from courlan import normalize_url

from monitor.domain import Fingerprint

NUM_PERM = 128
ROWS = 3
BANDS = NUM_PERM // ROWS  # 42 bands of 3 rows; the last 2 permutations only sharpen the estimate
SHINGLE = 3
CANDIDATE = 0.2  # MinHash estimate below which a band-sharing article is not worth confirming
JACCARD = 0.3  # exact Jaccard of shingle sets at or above which two texts are one story
CONTAINMENT = 0.7  # ... or this share of the smaller text found in the larger (truncated copies)
MIN_CONTAINED = 12  # shingles the smaller text must have for containment to count
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?…。])\s+|\n+")
_SEED = 1


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, default port, no fragment, tracking parameters removed."""
    try:
        cleaned = normalize_url(url.strip(), strict=False)
    except ValueError:
        cleaned = url.strip()
    parts = urlsplit(cleaned)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("ё", "е"))


def _sentences(text: str) -> list[list[str]]:
    """The words of each sentence. Sentences split only at spaces, so together they are `words(text)`
    (folding case first changes no space or full stop)."""
    return [_WORD.findall(sentence) for sentence in _SENTENCE.split(text.casefold().replace("ё", "е"))]


def _exact(sentences: list[list[str]]) -> str:
    return hashlib.sha256(" ".join(" ".join(tokens) for tokens in sentences if tokens).encode()).hexdigest()


def exact_hash(text: str) -> str:
    return _exact(_sentences(text))


def _shingles(sentences: list[list[str]]) -> set[str]:
    found: set[str] = set()
    for tokens in sentences:
        if len(tokens) < SHINGLE:
            if tokens:
                found.add(" ".join(tokens))
            continue
        found.update(map(" ".join, zip(tokens, tokens[1:], tokens[2:], strict=False)))
    return found


def shingles(text: str) -> set[str]:
    """Word 3-grams within each sentence; a sentence shorter than that is one shingle."""
    return _shingles(_sentences(text))


def _shingle_hashes(sentences: list[list[str]]) -> np.ndarray:
    found = _shingles(sentences)
    return np.unique(np.fromiter(map(zlib.crc32, map(str.encode, found)), dtype=np.uint32, count=len(found)))


def shingle_hashes(text: str) -> np.ndarray:
    """The shingles as sorted, unique 32-bit hashes: what is stored and compared."""
    return _shingle_hashes(_sentences(text))


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch 2's "affine32" permutations, drawn as it draws them: stored signatures depend on them."""
    draw = np.random.RandomState(_SEED)
    odd = draw.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    return odd, draw.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)


def minhash(hashes: np.ndarray) -> np.ndarray:
    """The signature of 32-bit shingle hashes: MurmurHash3's finaliser, then the smallest a * h + b mod 2^32."""
    if not hashes.size:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    mixed = hashes.astype(np.uint32).reshape(-1, 1)
    mixed = mixed ^ (mixed >> np.uint32(16))
    mixed = mixed * np.uint32(0x85EBCA6B)
    mixed = mixed ^ (mixed >> np.uint32(13))
    mixed = mixed * np.uint32(0xC2B2AE35)
    mixed = mixed ^ (mixed >> np.uint32(16))
    odd, offset = _permutations()
    return (mixed * odd + offset).min(axis=0)  # type: ignore[no-any-return]


def fingerprint(text: str) -> Fingerprint:
    """Exact hash, MinHash, LSH band keys and shingle hashes of a text (CPU work: done in the workers)."""
    sentences = _sentences(text)
    hashes = _shingle_hashes(sentences)
    values = tuple(minhash(hashes).tolist())
    return Fingerprint(exact=_exact(sentences), minhash=values, bands=band_keys(values), shingles=hashes.tobytes())


def band_keys(values: Sequence[int]) -> tuple[str, ...]:
    packed = np.asarray(values, dtype=np.uint32)
    return tuple(
        f"{band:02d}{hashlib.blake2b(packed[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8).hexdigest()}"
        for band in range(BANDS)
    )


def estimate(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    return float(np.mean(np.asarray(a, dtype=np.uint32) == np.asarray(b, dtype=np.uint32)))


def resemblance(a: bytes, b: bytes) -> tuple[float, float]:
    """Exact (Jaccard, containment) of two sets of shingle hashes (sorted uint32 bytes)."""
    left, right = np.frombuffer(a, dtype=np.uint32), np.frombuffer(b, dtype=np.uint32)
    if not len(left) or not len(right):
        return 0.0, 0.0
    common = len(np.intersect1d(left, right, assume_unique=True))
    return common / (len(left) + len(right) - common), common / min(len(left), len(right))


def is_copy(a: bytes, b: bytes) -> bool:
    jaccard, containment = resemblance(a, b)
    smaller = min(len(a), len(b)) // 4
    return jaccard >= JACCARD or (containment >= CONTAINMENT and smaller >= MIN_CONTAINED)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored article sharing an LSH band with a new one."""

    story_id: str
    minhash: tuple[int, ...]
    shingles: bytes
    article_id: int = 0


@dataclass(frozen=True, slots=True)
class Copy:
    """The stored article a new text is a copy of, and how close the two are."""

    story_id: str
    article_id: int
    jaccard: float
    containment: float


def best_copy(mark: Fingerprint, candidates: Iterable[Candidate]) -> Copy | None:
    """The most resembling stored article, if the fingerprinted text is a copy of it."""
    best: Copy | None = None
    for candidate in candidates:
        if estimate(mark.minhash, candidate.minhash) < CANDIDATE:
            continue
        if is_copy(mark.shingles, candidate.shingles):
            jaccard, containment = resemblance(mark.shingles, candidate.shingles)
            if best is None or jaccard + containment > best.jaccard + best.containment:
                best = Copy(candidate.story_id, candidate.article_id, round(jaccard, 3), round(containment, 3))
    return best
