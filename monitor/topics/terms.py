"""Terms and text normalisation shared by the rule parser and the matcher.

A term is one word or a phrase of words. Each word may end in:
  `*`  prefix: `ратифи*` matches ратифицировал, ратификации; `비준*` matches 비준서, 비준했다
  `~`  stem:   `ratify~` matches ratified, ratifies (Snowball stemmer of the term's language)
  `+`  forms:  `боец+` matches бойца, бойцов (every form of the dictionary word, pymorphy3, ru/uk);
               `병력+` matches 병력, 병력을, 병력들이 (the word with Korean particles), not 병력화
A whole term `1900..2021` matches a number in that range standing alone (1950, 1950-53);
`1900..2021년` one followed by that suffix (1950년).
Otherwise the word must be equal after folding. Folding: Unicode NFKC (fullwidth forms,
compatibility characters), lower case, ё -> е; every non-word character is a word break.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import pymorphy3
import snowballstemmer

WORD = re.compile(r"\w+")
NON_WORD = re.compile(r"\W")
STEMMERS = {"en": "english", "ru": "russian"}
LANGUAGES = ("en", "ru", "uk", "ko", "any")
NUMBER_RANGE = re.compile(r"(\d{1,9})\.\.(\d{1,9})(\w*)")
# Korean particles (josa) and their usual stacks; a `+` word may carry one, after an optional plural 들.
_PARTICLES = frozenset(
    {
        "은",
        "는",
        "이",
        "가",
        "을",
        "를",
        "의",
        "에",
        "에서",
        "에게",
        "께",
        "한테",
        "과",
        "와",
        "도",
        "만",
        "로",
        "으로",
        "로서",
        "으로서",
        "로써",
        "으로써",
        "까지",
        "부터",
        "보다",
        "처럼",
        "마다",
        "조차",
        "밖에",
        "이나",
        "나",
        "이랑",
        "랑",
        "이며",
        "며",
        "이다",
        "였다",
        "이었다",
        "인",
        "이란",
        "이라는",
        "라는",
        "이고",
        "에는",
        "에서는",
        "에도",
        "에서도",
        "에게는",
        "에게도",
        "으로는",
        "로는",
        "으로도",
        "로도",
        "과의",
        "와의",
        "에의",
        "에서의",
        "으로의",
        "로의",
        "까지는",
        "부터는",
        "만이",
        "만을",
        "만의",
        "이라고",
        "라고",
    }
)
_PHRASE_LIMIT = 2000  # expansions of one term with several `+` words


class Mode(Enum):
    EXACT = "exact"
    PREFIX = "prefix"
    STEM = "stem"
    PARTICLES = "particles"  # Korean: the word, then optionally 들 and a particle
    RANGE = "range"  # a number from `low` to `high`


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # folded; for STEM the stem
    mode: Mode
    language: str
    low: int = 0  # RANGE bounds; `text` is the suffix the number must carry
    high: int = 0


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


@lru_cache(maxsize=2)
def _morphology(language: str) -> pymorphy3.MorphAnalyzer:
    logging.getLogger("pymorphy3").setLevel(logging.WARNING)  # it announces every dictionary it loads
    return pymorphy3.MorphAnalyzer(lang=language)


def stem(word: str, language: str) -> str:
    return str(_stemmer(language).stemWord(word))


def word_forms(lemma: str, language: str) -> frozenset[str]:
    """Every form of a dictionary word (ru, uk), folded; ValueError when the word is no lemma there."""
    morph = _morphology(language)
    if not morph.word_is_known(lemma):
        raise ValueError(f"{lemma!r} is not in the {language} dictionary; use a prefix ({lemma}*)")
    parses = [p for p in morph.parse(lemma) if fold(p.normal_form) == lemma]
    if not parses:
        lemmas = sorted({p.normal_form for p in morph.parse(lemma)})
        raise ValueError(f"{lemma!r} is a form of {', '.join(lemmas)}; write the dictionary form")
    return frozenset(fold(form.word) for parse in parses for form in parse.lexeme)


def parse_terms(source: str, language: str) -> tuple[Term, ...]:
    """The term as written, or one term per form when it has `+` words; ValueError with the reason."""
    raw = source.strip()
    bounds = NUMBER_RANGE.fullmatch(raw)
    if bounds:
        low, high = int(bounds[1]), int(bounds[2])
        if low > high:
            raise ValueError(f"term {source!r}: the range is empty")
        return (Term(raw, (Word(fold(bounds[3]), Mode.RANGE, language, low, high),)),)
    # A word keeps an inner apostrophe only when it ends in `+` (uk: сім'я+, which the dictionary knows whole).
    parts: list[str] = []
    for part in TERM_WORD.findall(fold(raw)):
        parts += [part] if part.endswith("+") else [w for w in APOSTROPHE.split(part) if w]
    if not parts or not all(WORD.search(p) for p in parts):
        raise ValueError(f"term {source!r} has no letters or digits")
    choices: list[list[tuple[Word, ...]]] = []
    for part in parts:
        text = part.rstrip("*~+")
        if not text or not WORD.fullmatch(APOSTROPHE.sub("", text)) or len(part) - len(text) > 1:
            raise ValueError(f"term {source!r}: {part!r} is not a word")
        choices.append(_word_choices(source, text, part[-1], language))
    if _product_size(choices) > _PHRASE_LIMIT:
        raise ValueError(f"term {source!r} has too many forms; use fewer `+` words")
    return tuple(Term(raw, tuple(w for words in combo for w in words)) for combo in itertools.product(*choices))


def _word_choices(source: str, text: str, mark: str, language: str) -> list[tuple[Word, ...]]:
    if mark == "*":
        return [(Word(text, Mode.PREFIX, language),)]
    if mark == "~":
        if language not in STEMMERS:
            raise ValueError(f"term {source!r}: no stemmer for {language!r}; use a prefix (word*)")
        return [(Word(stem(text, language), Mode.STEM, language),)]
    if mark != "+":
        return [(Word(text, Mode.EXACT, language),)]
    if language == "ko":
        return [(Word(text, Mode.PARTICLES, language),)]
    if language not in ("ru", "uk"):
        raise ValueError(f"term {source!r}: word forms (+) exist for ru, uk and ko; use a stem (word~) or prefix")
    try:
        forms = word_forms(text, language)
    except ValueError as exc:
        raise ValueError(f"term {source!r}: {exc}") from None
    # A form with an apostrophe (uk: сім'ї) is two words in the text the matcher scans.
    return [tuple(Word(w, Mode.EXACT, language) for w in WORD.findall(form)) for form in sorted(forms)]


def _product_size(choices: list[list[tuple[Word, ...]]]) -> int:
    size = 1
    for options in choices:
        size *= len(options)
    return size


# A term's words, each with its mark (*, ~ or +) and any inner apostrophes; the rest separates words.
TERM_WORD = re.compile(r"[\w*~+]+(?:['’ʼ][\w*~+]+)*")
APOSTROPHE = re.compile(r"['’ʼ]")


def word_matches(word: Word, token: str) -> bool:
    if word.mode is Mode.EXACT:
        return token == word.text
    if word.mode is Mode.RANGE:
        return number_in_range(word, token)
    if not token.startswith(word.text):
        return False
    if word.mode is Mode.PARTICLES:
        return has_particles(token[len(word.text) :])
    return word.mode is Mode.PREFIX or stem(token, word.language) == word.text


def has_particles(rest: str) -> bool:
    """True for "", a Korean particle, 들, or 들 and a particle."""
    if rest.startswith("들"):
        rest = rest[1:]
    return not rest or rest in _PARTICLES


LEADING_DIGITS = re.compile(r"\d+")


def number_in_range(word: Word, token: str) -> bool:
    """A token that is a number in range followed by exactly the word's suffix (1950; 1950년 for `..년`)."""
    digits = LEADING_DIGITS.match(token)
    if digits is None or token[digits.end() :] != word.text or len(digits.group()) > 9:
        return False
    return word.low <= int(digits.group()) <= word.high
