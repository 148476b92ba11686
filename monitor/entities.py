"""Language-independent signals that tie a story's reports across languages.

A Russian rewrite of an English report shares few words with it, but it keeps the same
numbers ("11,000" / "11 тысяч"), dates ("October 30" / "30 октября") and names, which
transliterate alike ("Zelensky" / "Зеленский": both give the consonant key `slns`).
`entity_keys` turns a text into such keys; `is_same_story` decides on two key sets.

Strong keys are numbers (not years, not below 10) and day-month dates; name keys are the
consonant skeletons of capitalised words that do not start a sentence. Hangul names do
not romanise to their English spelling, so Korean links rest on numbers and dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from anyascii import anyascii

MAX_KEYS = 64
_MONTHS = {
    **{
        m: i
        for i, m in enumerate(
            (
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ),
            1,
        )
    },
    **{
        m: i
        for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
    },
    **{
        m: i
        for i, m in enumerate(
            (
                "января",
                "февраля",
                "марта",
                "апреля",
                "мая",
                "июня",
                "июля",
                "августа",
                "сентября",
                "октября",
                "ноября",
                "декабря",
            ),
            1,
        )
    },
    **{
        m: i
        for i, m in enumerate(
            (
                "січня",
                "лютого",
                "березня",
                "квітня",
                "травня",
                "червня",
                "липня",
                "серпня",
                "вересня",
                "жовтня",
                "листопада",
                "грудня",
            ),
            1,
        )
    },
}
_MULTIPLIERS = {
    "thousand": 1000,
    "тысяч": 1000,
    "тысячи": 1000,
    "тысяча": 1000,
    "тыс": 1000,
    "тисяч": 1000,
    "тисячі": 1000,
    "тисяча": 1000,
    "тис": 1000,
    "천": 1000,
    "천명": 1000,
    "million": 10**6,
    "млн": 10**6,
    "миллиона": 10**6,
    "миллионов": 10**6,
    "миллион": 10**6,
    "мільйонів": 10**6,
    "мільйона": 10**6,
    "мільйон": 10**6,
    "만": 10**4,
    "만명": 10**4,
}
_NUMBER = re.compile(r"(?=\d)(?<![\w.,])(\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)?)(?:\s*([^\W\d]+))?")
# Only month names are worth a match: an alternation of them is far cheaper than trying every word.
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"(?=\d)\b(\d{{1,2}})\s+({_MONTH_NAMES})(?![^\W\d])")
_MONTH_INITIALS = "".join(sorted({month[0] for month in _MONTHS}))
_MONTH_DAY = re.compile(rf"(?=[{_MONTH_INITIALS}])\b({_MONTH_NAMES})\s+(\d{{1,2}})\b")
_KOREAN_DATE = re.compile(r"(\d{1,2})월\s*(\d{1,2})일")
# The capital first: a pattern that opens with look-behinds tries them at every position.
_NAME = re.compile(r"(?=[A-ZА-ЯЁІЇЄҐ])(?<![.!?]\s)(?<![\n\"«“])(?<!^)\b([A-ZА-ЯЁІЇЄҐ][\w'’-]+)")
_CONSONANT_CLASSES = str.maketrans({"c": "k", "q": "k", "w": "v", "z": "s", "x": "s", "j": "i"})


def _number(digits: str, unit: str | None) -> int | None:
    text = (
        re.sub(r"[ ,\u00a0\u202f]", "", digits)
        if re.fullmatch(r"\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+", digits)
        else digits
    )
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    multiplier = _MULTIPLIERS.get((unit or "").lower().rstrip("."), 1)
    return round(value * multiplier)


def _number_keys(text: str) -> set[str]:
    keys = set()
    for found in _NUMBER.finditer(text):
        value = _number(found.group(1), found.group(2))
        if value is None or value < 10 or (1900 <= value <= 2100 and multiplier_free(found.group(2))):
            continue
        keys.add(f"n:{value}")
    return keys


def multiplier_free(unit: str | None) -> bool:
    return (unit or "").lower().rstrip(".") not in _MULTIPLIERS


def _date_keys(text: str) -> set[str]:
    keys = set()
    lowered = text.lower()
    pairs = [(m.group(1), m.group(2)) for m in _DAY_MONTH.finditer(lowered)]
    pairs += [(m.group(2), m.group(1)) for m in _MONTH_DAY.finditer(lowered)]
    for day, month in pairs:
        number = _MONTHS.get(month.rstrip("."))
        if number and 1 <= int(day) <= 31:
            keys.add(f"d:{number}-{int(day)}")
    for found in _KOREAN_DATE.finditer(text):
        keys.add(f"d:{int(found.group(1))}-{int(found.group(2))}")
    return keys


@lru_cache(maxsize=16384)  # names recur from article to article; bounded (about 2 MB), per worker
def name_key(word: str) -> str | None:
    """Consonant skeleton of a transliterated name: first letter, then up to three consonant classes."""
    latin = re.sub(r"[^a-z]", "", anyascii(word).lower())
    latin = latin.replace("kh", "h").replace("sh", "s").replace("ch", "c").replace("ph", "f").replace("ck", "k")
    latin = latin.translate(_CONSONANT_CLASSES)
    if len(latin) < 3:
        return None
    consonants = [c for c in latin[1:] if c not in "aeiouyh"]
    skeleton = latin[0] + "".join(c for i, c in enumerate(consonants) if i == 0 or c != consonants[i - 1])
    return f"p:{skeleton[:4]}" if len(skeleton) >= 3 else None


def entity_keys(title: str, text: str) -> frozenset[str]:
    body = f"{title}\n{text}"
    strong = _number_keys(body) | _date_keys(body)
    names = {key for word in set(_NAME.findall(body)) if (key := name_key(word))}
    ordered = sorted(strong) + sorted(names)
    return frozenset(ordered[:MAX_KEYS])


def is_strong(key: str) -> bool:
    return not key.startswith("p:")


def is_same_story(mine: Iterable[str], theirs: Iterable[str]) -> bool:
    """Two reports in different languages tell one story when they share two numbers or dates,
    or one of them and most of the names of the shorter report."""
    a, b = set(mine), set(theirs)
    strong = {k for k in a & b if is_strong(k)}
    if len(strong) >= 2:
        return True
    names_a, names_b = {k for k in a if not is_strong(k)}, {k for k in b if not is_strong(k)}
    if not strong or not names_a or not names_b:
        return False
    shared = len(names_a & names_b)
    return shared >= 3 and shared / min(len(names_a), len(names_b)) >= 0.5
