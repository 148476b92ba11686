"""Which story in another language a report belongs to, on the keys of `monitor.entities`.

Precision first: a report wrongly joined to a story is never alerted. Facts (numbers, days)
and names must both agree, weighed by how rare each is; a contradiction (other years, days
apart, later news, a report in the same language already there) rules a join out.
Rules and figures: docs/stories.md.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from monitor.aliases import COMMON
from monitor.entities import day_in

HISTORY_BEFORE = 2010


def base_weight(key: str) -> float:
    """How rare a key is anywhere: a day of the month or a round number is in much of the news."""
    kind, _, value = key.partition(":")
    if kind == "n":
        return _number_weight(int(value))
    if kind == "e":
        return 0.2 if value in COMMON else 1.0
    if kind == "y":  # a year of history (the 1961 treaty) tells more than this decade's, which is everywhere
        return 0.7 if int(value) < HISTORY_BEFORE else 0.0
    return _KIND_WEIGHTS.get(kind, 0.0)  # t: and l: are never evidence


_KIND_WEIGHTS = {"d": 0.7, "p": 0.5}


def _number_weight(value: int) -> float:
    significant = str(value).rstrip("0")
    if value < 100:
        return 0.4
    return 0.5 if len(significant) == 1 else 1.0 if len(significant) == 2 else 1.5


def is_lookup_key(key: str) -> bool:
    """Keys worth an index lookup for candidate stories: facts and the less common names."""
    return key[0] in "ndp" or (key[0] in "ey" and base_weight(key) >= FACTS_NEEDED)


@dataclass(frozen=True, slots=True)
class Link:
    """Why a report joins a story in another language: the keys both have, and their weight."""

    story: str
    score: float
    keys: tuple[str, ...]


FACTS = "ndy"  # the kinds of key that are facts: numbers, days, years of history
FACTS_NEEDED = 0.7  # weight of the shared numbers and dates: a day of the month at least
NAMES_NEEDED = 1.0  # ... of the shared names: one that is not in most of the domain's news
FACTS_ALONE = 4.0  # shared facts that need no more than one common name beside them
FACTS_COVERED = 0.5  # share of the lighter report's facts that the other has
NAMES_COVERED = 0.3  # ... of its names (Hangul and Cyrillic spellings of the rarer ones often differ)
SCORE_NEEDED = 2.0  # all shared keys, each discounted by how many of the window's stories have it


PUBLISHED_WITHIN = 3  # days between the reports' publication dates, where both are known


def _days_apart(mine: Iterable[str], theirs: Iterable[str]) -> int:
    days = [[date.fromisoformat(k[2:]) for k in keys if k[0] == "t"] for keys in (mine, theirs)]
    if not days[0] or not days[1]:
        return 0
    return min(abs((a - b).days) for a in days[0] for b in days[1])


def _later_news(mine: Iterable[str], theirs: Iterable[str]) -> bool:
    """Whether one report names a day well after the other was published (not the next day: a
    statement reported the morning after) that the other does not name: something happened
    since, so it reports another event (a rewrite keeps the original's days)."""
    for new, old in ((set(mine), set(theirs)), (set(theirs), set(mine))):
        published = [date.fromisoformat(k[2:]) for k in old if k[0] == "t"]
        if not published:
            continue
        latest = max(published)
        for key in new - old:
            if key[0] == "d":
                month, day = map(int, key[2:].split("-"))
                years = (latest.year - 1, latest.year, latest.year + 1)
                when = min((day_in(y, month, day) for y in years), key=lambda d: abs((d - latest).days))
                if latest + timedelta(days=1) < when <= latest + timedelta(days=PUBLISHED_WITHIN + 1):
                    return True
    return False


def _weigh(keys: Iterable[str], kinds: str) -> float:
    return sum(base_weight(k) for k in keys if k[0] in kinds)


def _apart(mine: frozenset[str], theirs: set[str]) -> bool:
    """Published days apart, or written about different years: two events whatever else they share."""
    years_mine, years_theirs = {k for k in mine if k[0] == "y"}, {k for k in theirs if k[0] == "y"}
    return (
        bool(years_mine and years_theirs and not years_mine & years_theirs)
        or _days_apart(mine, theirs) > PUBLISHED_WITHIN
        or _later_news(mine, theirs)
    )


def _agree(shared: list[str], mine: frozenset[str], theirs: set[str]) -> bool:
    facts, names = _weigh(shared, FACTS), _weigh(shared, "ep")
    # Names are needed, unless many precise figures agree (a report that names little but counts much).
    if facts < FACTS_NEEDED or names < (NAMES_NEEDED if facts < FACTS_ALONE else 0.2):
        return False
    if max(base_weight(k) for k in shared if k[0] in FACTS) < FACTS_NEEDED:
        return False  # only small or round numbers in common: no day, no precise figure
    # Each report's own facts (and names) mostly in the other: not two events told with the same actors.
    if facts < FACTS_COVERED * min(_weigh(mine, FACTS), _weigh(theirs, FACTS)):
        return False
    return facts >= FACTS_ALONE or names >= NAMES_COVERED * min(_weigh(mine, "ep"), _weigh(theirs, "ep"))


def _evidence(mine: frozenset[str], theirs: Iterable[str], spread: Mapping[str, int]) -> Link | None:
    theirs = set(theirs)
    shared = sorted(k for k in mine & theirs if base_weight(k) > 0)
    if _apart(mine, theirs) or not _agree(shared, mine, theirs):
        return None
    score = sum(base_weight(k) / (1.0 + 0.5 * math.log2(max(1, spread.get(k, 1)))) for k in shared)
    return Link(story="", score=round(score, 2), keys=tuple(shared)) if score >= SCORE_NEEDED else None


def best_link(mine: frozenset[str], language: str, candidates: Mapping[str, set[str]]) -> Link | None:
    """The story among `candidates` (story id: its keys) that the report's keys tie it to, if any.

    A story that already has a report in this language is never joined on keys: the text of
    that report was compared, and it was not a copy.
    """
    spread = Counter(key for keys in candidates.values() for key in keys)
    best: Link | None = None
    for story, theirs in candidates.items():
        if f"l:{language}" in theirs:
            continue
        found = _evidence(mine, theirs, spread)
        if found is not None and (best is None or found.score > best.score):
            best = Link(story=story, score=found.score, keys=found.keys)
    return best


def is_same_event(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    """Whether two reports' keys alone tie them, with nothing else in the window."""
    return _evidence(mine, theirs, {}) is not None
