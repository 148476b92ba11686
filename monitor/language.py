"""Which of the monitored languages a text is in, when the page does not say."""

from __future__ import annotations

import re

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
_UKRAINIAN_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RUSSIAN_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")


def normalise_code(code: str | None) -> str | None:
    """'ru-RU' -> 'ru', 'ko_KR' -> 'ko'; None for empty."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def detect_language(text: str) -> str:
    """Script-based guess among en/ru/uk/ko; enough for four languages with distinct letters."""
    sample = text[:5000]
    counts = {
        "ko": len(_HANGUL.findall(sample)),
        "cyr": len(_CYRILLIC.findall(sample)),
        "en": len(_LATIN.findall(sample)),
    }
    best = max(counts, key=lambda k: counts[k])
    if counts[best] == 0:
        return "und"
    if best != "cyr":
        return best
    # Cyrillic: letters only one of the two languages has decide it.
    return "uk" if len(_UKRAINIAN_ONLY.findall(sample)) > len(_RUSSIAN_ONLY.findall(sample)) else "ru"
