"""Language-independent evidence that reports in different languages tell one event.

A Russian rewrite of an English report shares few words with it, but it keeps the same
facts (numbers: "11,000" / "11 тысяч" / "1만1천명"; dates: "November 4" / "4 ноября" /
"11월 4일") and the same names ("Kursk" / "Курске" / "쿠르스크"). `entity_keys` turns a
text into such keys; `monitor.linking` decides which stored story, if any, a report belongs to.

Keys: `n:` a number (not a year, not below 10), `d:` a day of a month, `y:` a year (only
ever a contradiction), `e:` an entity of `monitor.aliases`, `p:` the consonant skeleton
of another capitalised name, `t:` the day a report was published, `l:` a language the
story has a report in (added on filing).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from anyascii import anyascii

from monitor.aliases import ALIASES

MAX_KEYS = 96
_MONTH_WORDS = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
)
_MONTHS = {word: n for line in _MONTH_WORDS for n, word in enumerate(line.split(), 1)} | {"sept": 9}
_MULTIPLIERS = {
    **dict.fromkeys(("thousand", "тысяч", "тысячи", "тысяча", "тыс", "тисяч", "тисячі", "тисяча", "тис"), 10**3),
    **dict.fromkeys(("million", "millions", "mln", "млн", "миллион", "миллиона", "миллионов"), 10**6),
    **dict.fromkeys(("мільйон", "мільйона", "мільйонів"), 10**6),
    **dict.fromkeys(("billion", "bn", "млрд", "миллиард", "миллиарда", "миллиардов", "мільярд", "мільярда"), 10**9),
    **dict.fromkeys(("мільярдів",), 10**9),
}
_KOREAN_UNITS = {"만": 10**4, "억": 10**8, "조": 10**12}
_WORD_NUMBERS = {
    word: n
    for line, start in (
        ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen", 1),
        ("один два три четыре пять шесть семь восемь девять десять одиннадцать двенадцать", 1),
        ("один два три чотири п'ять шість сім вісім дев'ять десять одинадцять дванадцять", 1),
    )
    for n, word in enumerate(line.split(), start)
} | {
    **dict(
        zip(
            ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"],
            range(20, 100, 10),
            strict=True,
        )
    ),
    **dict(zip(["двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят"], range(20, 70, 10), strict=True)),
    **dict(zip(["двадцять", "тридцять", "сорок", "п'ятдесят", "шістдесят"], range(20, 70, 10), strict=True)),
    **dict.fromkeys(("две", "дві", "двох"), 2),
    **dict.fromkeys(("a", "одна", "одну"), 1),
}
_NUMBER = re.compile(r"(?=\d)(?<![\w.,])(\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)?)(?:\s*([^\W\d]+))?")
_KOREAN_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)?\s*[천백만억조](?:\s*\d+(?:[.,]\d+)?(?:\s*[천백만억조])*)*")
_KOREAN_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[천백만억조]")
_KOREAN_SMALL = {"천": 1000, "백": 100}
_KOREAN_UNIT_CHARS = frozenset("천백만억조")
_MULTIPLIER_WORD = re.compile(r"(?<=[^\W\d] )(" + "|".join(sorted(_MULTIPLIERS, key=len, reverse=True)) + r")(?!\w)")
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"(?=\d)\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_NAMES})(?![^\W\d])")
_MONTH_INITIALS = "".join(sorted({month[0] for month in _MONTHS}))
_MONTH_DAY = re.compile(rf"(?=[{_MONTH_INITIALS}])\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")
_KOREAN_DATE = re.compile(r"(\d{1,2})\s*월\s*(\d{1,2})\s*일")
_KOREAN_DAY = re.compile(
    r"(?<![\d.,])(\d{1,2})일(?!\s*(?:간|동안|째))"
)  # "19일": the 19th of the month it is written in
_WEEKDAY_WORDS = (
    "monday tuesday wednesday thursday friday saturday sunday",
    "понедельник вторник сред четверг пятниц суббот воскресень",
    "понеділ вівтор серед четвер п'ятниц субот неділ",
    "월요일 화요일 수요일 목요일 금요일 토요일 일요일",
)
_WEEKDAYS = {word: n for line in _WEEKDAY_WORDS for n, word in enumerate(line.split())}
_DAY_WORDS = {"today": 0, "сегодня": 0, "сьогодні": 0, "오늘": 0, "yesterday": 1, "вчера": 1, "вчора": 1, "어제": 1}
_RELATIVE_DAY = re.compile(
    r"(?<!\w)(" + "|".join(sorted([*_WEEKDAYS, *_DAY_WORDS], key=len, reverse=True)) + r")(?:\w*)"
)
_NUMERIC_DATE = re.compile(r"(?=\d)\b(?:(\d{4})-(\d{2})-(\d{2})|(\d{1,2})\.(\d{1,2})\.(\d{4}))\b")
# The capital first: a pattern that opens with look-behinds tries them at every position.
_NAME = re.compile(r"(?=[A-ZА-ЯЁІЇЄҐ])(?<![.!?]\s)(?<![\n\"«“])(?<!^)\b([A-ZА-ЯЁІЇЄҐ][\w'’-]+)")
_WORD = re.compile(r"\b[^\W\d_][\w'’-]*")
_CONSONANT_CLASSES = str.maketrans({"c": "k", "q": "k", "w": "v", "z": "s", "x": "s", "j": "i"})


def _alias_form(form: str) -> str:
    """A form as a pattern: Latin words whole; Cyrillic and Hangul words as stems that endings and
    particles follow. A Cyrillic word loses its final vowel (Рада, Ради; a lone short word keeps it:
    НАТО), and a final к/г/х may be the ц/з/с it becomes before some endings (у Владивостоці)."""
    words = form.split()
    parts = []
    for word in words:
        if word.isascii():
            parts.append(re.escape(word))
            continue
        root = word[:-1] if word[-1] in _VOWELS and len(word) >= (3 if len(words) > 1 else 5) else word
        stem = re.escape(root)
        if root[-1] in _MUTATIONS:
            stem = f"{re.escape(root[:-1])}[{root[-1]}{_MUTATIONS[root[-1]]}]"
        parts.append(stem + r"\w*")
    return r"[\s-]+".join(parts) + (r"(?![a-z])" if form.isascii() else "")


_VOWELS = frozenset("аеёиоуыэюяіїєйь")
_MUTATIONS = {"к": "ц", "г": "з", "х": "с"}


def _alias_index() -> dict[str, list[tuple[re.Pattern[str], str]]]:
    """Forms by the first (up to) three letters of their first word, longest form first: a text's
    words are looked up there, rather than trying hundreds of alternatives at every word."""
    index: dict[str, list[tuple[re.Pattern[str], str]]] = {}
    for form, entity in sorted(((f, e) for e, forms in ALIASES.items() for f in forms), key=lambda f: -len(f[0])):
        index.setdefault(form.split()[0][:3], []).append((re.compile(_alias_form(form)), entity))
    return index


_ALIAS_INDEX = _alias_index()
_TOKEN = re.compile(r"\w+")
# Capitalised, but not names: they would tie every report of a month or a weekday.
_NOT_NAMES = frozenset(
    f"{_MONTH_WORDS[0]} {_WEEKDAY_WORDS[0]} the a an in on at by for of and but he she it they we this that his "
    "her its their after before while when as if said".split()
)


def _aliases(lowered: str) -> list[tuple[str, int, int]]:
    """(entity, start, end) of each form of the alias table in a lower-cased text, in order."""
    hits = []
    for word in {w for w in _TOKEN.findall(lowered) if w[:3] in _ALIAS_INDEX or w[:2] in _ALIAS_INDEX}:
        patterns = _ALIAS_INDEX.get(word[:3], []) + _ALIAS_INDEX.get(word[:2], [])
        start = lowered.find(word)
        while start != -1:
            end = start + len(word)
            if (start == 0 or not _TOKEN.match(lowered, start - 1)) and not _TOKEN.match(lowered, end):
                found = next(((e, hit) for pattern, e in patterns if (hit := pattern.match(lowered, start))), None)
                if found is not None:
                    hits.append((start, -found[1].end(), found[0]))
            start = lowered.find(word, end)
    covered, spans = 0, []
    for start, neg_end, entity in sorted(hits):
        if start >= covered:
            covered = -neg_end
            spans.append((entity, start, covered))
    return spans


def _value(digits: str) -> float | None:
    grouped = re.fullmatch(r"\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+", digits)
    text = re.sub(r"[ ,\u00a0\u202f]", "", digits) if grouped else digits.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _korean_number(written: str) -> int:
    """1천200만 = 12,000,000; 1억1천만 = 110,000,000; 2만8천 = 28,000; 1만 1000 = 11,000."""
    total, group, current = 0.0, 0.0, None
    for token in _KOREAN_TOKEN.findall(written):
        if token in _KOREAN_SMALL:
            group, current = group + (1 if current is None else current) * _KOREAN_SMALL[token], None
        elif token in _KOREAN_UNITS:
            total += ((group + (current or 0)) or 1) * _KOREAN_UNITS[token]
            group, current = 0.0, None
        else:
            current = _value(token) or 0.0
    return round(total + group + (current or 0))


def _korean_numbers(text: str) -> tuple[set[int], str]:
    """The values of numbers written with Korean units, and the text without them."""
    if not _KOREAN_UNIT_CHARS & set(text):
        return set(), text
    values = {_korean_number(found.group(0)) for found in _KOREAN_NUMBER.finditer(text)}
    return values, _KOREAN_NUMBER.sub(" ", text)


def _word_numbers(lowered: str) -> set[int]:
    """ "twelve thousand", "двадцать пять тысяч": number words before a multiplier."""
    values = set()
    for found in _MULTIPLIER_WORD.finditer(lowered):
        before = re.split(r"[\s-]+", lowered[max(0, found.start() - 40) : found.start()].strip())[-3:]
        while before and before[0] not in _WORD_NUMBERS:
            before.pop(0)
        if before and all(p in _WORD_NUMBERS for p in before):
            values.add(sum(_WORD_NUMBERS[p] for p in before) * _MULTIPLIERS[found.group(1)])
    return values


def _relative_dates(lowered: str, published: datetime | None) -> set[str]:
    """Days written relative to the report's own date: "on Saturday", "вчера", "19일"."""
    if published is None:
        return set()
    days = set()
    for found in _RELATIVE_DAY.finditer(lowered):
        word = found.group(1)
        back = _DAY_WORDS[word] if word in _DAY_WORDS else (published.weekday() - _WEEKDAYS[word]) % 7
        days.add((published - timedelta(days=back)).date())
    for found in _KOREAN_DAY.finditer(lowered) if "일" in lowered else ():
        day, month = int(found.group(1)), published.month
        if 1 <= day <= 31:
            earlier = day > published.day  # a day after today's is last month's
            year = published.year - (earlier and month == 1)
            month = (month - 2) % 12 + 1 if earlier else month
            days.add(day_in(year, month, day))
    return {f"d:{day.month}-{day.day}" for day in days}


def _date_keys(lowered: str) -> tuple[set[str], str]:
    """Days of months (and the years of numeric dates), and the text without them."""
    keys, pairs = set(), []

    def day_month(found: re.Match[str]) -> str:
        pairs.append((found.group(1), found.group(2)))
        return " "

    def month_day(found: re.Match[str]) -> str:
        pairs.append((found.group(2), found.group(1)))
        return " "

    def numeric(found: re.Match[str]) -> str:
        iso_year, iso_month, iso_day, day, month, year = found.groups()
        pairs.append((iso_day or day, iso_month or month))
        keys.add(f"y:{iso_year or year}")
        return " "

    korean = "월" in lowered  # the Korean patterns only where they can match: each scans the whole text
    for pattern, take in ((_DAY_MONTH, day_month), (_MONTH_DAY, month_day), (_KOREAN_DATE, month_day)):
        if pattern is not _KOREAN_DATE or korean:
            lowered = pattern.sub(take, lowered)
    lowered = _NUMERIC_DATE.sub(numeric, lowered)
    for day, month in pairs:
        number = _MONTHS.get(month) or (int(month) if month.isdigit() else 0)
        if 1 <= number <= 12 and 1 <= int(day) <= 31:
            keys.add(f"d:{number}-{int(day)}")
    return keys, lowered


def _fact_keys(text: str, published: datetime | None) -> set[str]:
    keys, lowered = _date_keys(text.lower())
    keys |= _relative_dates(lowered, published)
    if "일" in lowered:
        lowered = _KOREAN_DAY.sub(" ", lowered)
    values, rest = _korean_numbers(lowered)
    values |= _word_numbers(rest)
    for found in _NUMBER.finditer(rest):
        number = _value(found.group(1))
        unit = (found.group(2) or "").rstrip(".")
        if number is None:
            continue
        if unit in _MULTIPLIERS:
            values.add(round(number * _MULTIPLIERS[unit]))
        elif 1900 <= number <= 2100 and number.is_integer():
            keys.add(f"y:{int(number)}")
        else:
            values.add(round(number))
    return keys | {f"n:{v}" for v in values if 10 <= v < 10**15}


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


def _name_keys(title: str, text: str) -> set[str]:
    """Entities of the alias table, in title and text; other names only from the text (a headline
    capitalises every word), and only words never written there in lower case."""
    keys: set[str] = set()
    lowered, masked = text.lower(), list(text)
    keys.update(f"e:{entity}" for entity, _, _ in _aliases(title.lower()))
    for entity, start, end in _aliases(lowered):
        keys.add(f"e:{entity}")
        if len(lowered) == len(text):  # a named entity is no other name
            masked[start:end] = " " * (end - start)
    common = {w for w in _WORD.findall(text) if w[0].islower()}
    words = {w for w in _NAME.findall("".join(masked)) if w.lower() not in common and w.lower() not in _NOT_NAMES}
    keys |= {key for word in words if (key := name_key(word))}
    return keys


def entity_keys(title: str, text: str, published: datetime | None = None) -> frozenset[str]:
    """The report's keys; `published` (when known) dates "on Saturday" or "19일"."""
    facts = sorted(_fact_keys(f"{title}\n{text}", published))
    when = [f"t:{published.date().isoformat()}"] if published else []
    names = sorted(_name_keys(title, text))
    return frozenset(when + facts[: MAX_KEYS // 2] + names[: MAX_KEYS - min(len(facts), MAX_KEYS // 2)])


def day_in(year: int, month: int, day: int) -> date:
    """The day of that month, or its last day when the month is shorter (the 31st of April is the 30th)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))
