"""Terms and text normalisation shared by the rule parser and the matcher.

A term is one word or a phrase of words. Each word may end in:
  `*`  prefix: `ратифи*` matches ратифицировал, ратификации; `비준*` matches 비준서, 비준했다
  `~`  stem:   `ratify~` matches ratified, ratifies (Snowball stemmer of the term's language)
Otherwise the word must be equal after folding. Folding: Unicode NFKC (fullwidth forms,
compatibility characters), lower case, ё -> е; every non-word character is a word break.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"\w+")
NON_WORD = re.compile(r"\W")
STEMMERS = {"en": "english", "ru": "russian"}
LANGUAGES = ("en", "ru", "uk", "ko", "any")


class Mode(Enum):
    EXACT = "exact"
    PREFIX = "prefix"
    STEM = "stem"


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # folded; for STEM the stem
    mode: Mode
    language: str


@dataclass(frozen=True, slots=True)
class Term:
    source: str  # as written in the rules, shown as evidence
    words: tuple[Word, ...]


def fold(text: str) -> str:
    """Fold case and compatibility forms without changing the length (offsets stay valid)."""
    text = unicodedata.normalize("NFKC", text)
    lowered = text.lower()
    if len(lowered) != len(text):  # rare: a character whose lower case is two characters
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered.replace("ё", "е")


@lru_cache(maxsize=8)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(STEMMERS[language])


def stem(word: str, language: str) -> str:
    return str(_stemmer(language).stemWord(word))


def parse_term(source: str, language: str) -> Term:
    """Raise ValueError with the reason when the term cannot be used."""
    raw = source.strip()
    parts = [p for p in NON_WORD_OR_MARK.split(fold(raw)) if p]
    if not parts:
        raise ValueError(f"term {source!r} has no letters or digits")
    words = []
    for part in parts:
        mode = Mode.PREFIX if part.endswith("*") else Mode.STEM if part.endswith("~") else Mode.EXACT
        text = part.rstrip("*~")
        if not text or not WORD.fullmatch(text):
            raise ValueError(f"term {source!r}: {part!r} is not a word")
        if mode is Mode.STEM:
            if language not in STEMMERS:
                raise ValueError(f"term {source!r}: no stemmer for {language!r}; use a prefix (word*)")
            text = stem(text, language)
        words.append(Word(text=text, mode=mode, language=language))
    return Term(source=raw, words=tuple(words))


# Split a term at non-word characters but keep the * and ~ marks on their word.
NON_WORD_OR_MARK = re.compile(r"[^\w*~]+")


def word_matches(word: Word, token: str) -> bool:
    if word.mode is Mode.EXACT:
        return token == word.text
    if not token.startswith(word.text):
        return False
    return word.mode is Mode.PREFIX or stem(token, word.language) == word.text
