"""Canonical URLs, exact text fingerprints and MinHash near-duplicate fingerprints.

A story is the set of articles that are copies of one another: same canonical URL,
same normalised text, or an estimated Jaccard similarity of word 3-shingles at or
above `NEAR_DUPLICATE` (syndicated copies, re-headlined or lightly edited).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import numpy as np
from courlan import normalize_url
from datasketch import MinHash

from monitor.domain import Fingerprint

NUM_PERM = 128
BANDS = 32  # 32 bands x 4 rows: a pair at Jaccard 0.5 shares a band with p ~ 0.87
ROWS = NUM_PERM // BANDS
SHINGLE = 3
NEAR_DUPLICATE = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)
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


def exact_hash(text: str) -> str:
    return hashlib.sha256(" ".join(words(text)).encode()).hexdigest()


def shingles(tokens: Sequence[str]) -> set[bytes]:
    if len(tokens) < SHINGLE:
        return {" ".join(tokens).encode()}
    return {" ".join(tokens[i : i + SHINGLE]).encode() for i in range(len(tokens) - SHINGLE + 1)}


def fingerprint(text: str) -> Fingerprint:
    tokens = words(text)
    sketch = MinHash(num_perm=NUM_PERM, seed=_SEED)
    sketch.update_batch(list(shingles(tokens)))
    values = tuple(int(v) for v in sketch.hashvalues)
    return Fingerprint(
        exact=hashlib.sha256(" ".join(tokens).encode()).hexdigest(), minhash=values, bands=band_keys(values)
    )


def band_keys(values: Sequence[int]) -> tuple[str, ...]:
    keys = []
    for band in range(BANDS):
        rows = np.asarray(values[band * ROWS : (band + 1) * ROWS], dtype=np.uint32).tobytes()
        keys.append(f"{band:02d}{hashlib.blake2b(rows, digest_size=12).hexdigest()}")
    return tuple(keys)


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    return float(np.mean(np.asarray(a, dtype=np.uint32) == np.asarray(b, dtype=np.uint32)))


def best_copy(minhash: Sequence[int], candidates: Sequence[tuple[str, Sequence[int]]]) -> str | None:
    """The story of the most similar stored article, if it is similar enough to be a copy."""
    best, best_score = None, NEAR_DUPLICATE
    for story_id, other in candidates:
        score = similarity(minhash, other)
        if score >= best_score:
            best, best_score = story_id, score
    return best
