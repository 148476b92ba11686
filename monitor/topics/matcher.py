"""Evaluate every topic over one document with a single multi-pattern scan.

All terms of all topics are compiled once into one Aho-Corasick automaton keyed on each
term's first word; the scan runs over the folded text with every non-word character
turned into a space, so a word boundary is always a space. Phrases and stems are then
confirmed word by word at each hit. Only topics whose lists were hit are evaluated.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import ahocorasick

from monitor.domain import Evidence, Match
from monitor.topics.rules import DOCUMENT, SENTENCE, Group, ListRef, Node, Rule, RuleBook, Topic
from monitor.topics.terms import WORD, Mode, Term, fold, word_matches

MAX_SPANS = 64
# A sentence ends at a line break, or at . ! ? … followed by space and not by a lower-case word
# ("U.S. troops" stays one sentence). Starting with a character class keeps the scan fast.
_SENTENCE_BREAK = re.compile(r"[.!?…。][\"'”»)]*\s+(?![a-zа-яіїєґ])|\n+")
_NOT_WORD_OR_SPACE = re.compile(r"[^\w ]")


class Hit(NamedTuple):  # a tuple: built thousands of times per article, cheaper than a dataclass
    start: int
    end: int
    term: str


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class TopicResult:
    topic: str
    score: float
    threshold: float
    rules: tuple[str, ...]
    evidence: tuple[Evidence, ...]

    @property
    def is_match(self) -> bool:
        return self.score >= self.threshold


def _union(spans: Sequence[Span]) -> Span:
    hits = tuple(dict.fromkeys(h for s in spans for h in s.hits))
    return Span(min(s.start for s in spans), max(s.end for s in spans), hits)


@dataclass
class Prepared:
    """One document, folded once; positions index into `shown` (title, newline, text)."""

    shown: str
    scan: str  # " " + folded text with non-word characters as spaces + " "
    title_end: int
    lead_end: int
    _sentence_starts: list[int] | None = field(default=None)

    @classmethod
    def of(cls, title: str, text: str) -> Prepared:
        shown = f"{title.strip()}\n{text.strip()}"
        folded = fold(shown)
        if len(folded) != len(shown):
            shown = folded  # offsets must line up; only odd compatibility characters get here
        scan = " " + _NOT_WORD_OR_SPACE.sub(" ", folded) + " "  # same as \W -> " ", about twice as fast
        title_end = len(title.strip())
        first_break = shown.find("\n", title_end + 1)
        lead_end = first_break if first_break != -1 else len(shown)
        return cls(shown, scan, title_end, lead_end)

    @property
    def sentence_starts(self) -> list[int]:
        # Computed on first use: most articles never reach a sentence test.
        if self._sentence_starts is None:
            self._sentence_starts = [0, *(m.end() for m in _SENTENCE_BREAK.finditer(self.shown))]
        return self._sentence_starts

    def field_of(self, position: int) -> str:
        if position < self.title_end:
            return "title"
        return "lead" if position < self.lead_end else "body"

    def sentence_of(self, position: int) -> int:
        return bisect_right(self.sentence_starts, position) - 1

    def sentence_bounds(self, index: int) -> tuple[int, int]:
        start = self.sentence_starts[index]
        end = self.sentence_starts[index + 1] if index + 1 < len(self.sentence_starts) else len(self.shown)
        return start, end

    def gap(self, a: Span, b: Span, limit: int) -> int:
        """Words strictly between two spans (0 when they overlap), counted up to `limit` + 1."""
        first, second = (a, b) if a.start <= b.start else (b, a)
        if second.start <= first.end:
            return 0
        # `shown` offset p is `scan` offset p + 1; words are runs of non-spaces in `scan`.
        between = self.scan[first.end + 1 : second.start + 1]
        if len(between) > (limit + 1) * 64:  # no 64-letter words: certainly more than `limit`
            return limit + 1
        return min(len(between.split()), limit + 1)


class TopicMatcher:
    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self._automaton = ahocorasick.Automaton()
        patterns: dict[str, list[tuple[str, Term, bool]]] = defaultdict(list)
        for key, terms in book.lists.items():
            for term in terms:
                for pattern, complete in _patterns(term):
                    patterns[pattern].append((key, term, complete))
        for pattern, entries in patterns.items():
            self._automaton.add_word(pattern, (len(pattern), tuple(entries)))
        self._automaton.make_automaton()
        # For each topic, each rule with the lists it cannot hold without; a topic is looked at
        # only when one of its rules has all of those.
        self._plans = {t.name: tuple((r, _needed(r.group)) for r in t.rules) for t in book.topics}
        self._users: dict[str, list[Topic]] = defaultdict(list)
        for topic in book.topics:
            for key in _list_keys(r.group for r in topic.rules):
                self._users[key].append(topic)

    @property
    def topics(self) -> tuple[Topic, ...]:
        return self.book.topics

    def hits(self, doc: Prepared) -> dict[str, list[Hit]]:
        found: dict[str, list[Hit]] = defaultdict(list)
        scan = doc.scan
        for end, (length, entries) in self._automaton.iter(scan):
            start = end - length + 1  # the space before the word, = its index in `shown`
            for key, term, complete in entries:
                stop = scan.index(" ", end) if complete else _confirm(scan, start + 1, term)
                if stop is not None:
                    found[key].append(Hit(start, stop - 1, term.source))
        return found

    def _evaluated(self, title: str, text: str) -> dict[str, TopicResult]:
        """Results for the topics whose lists were hit; the others cannot match."""
        doc = Prepared.of(title, text)
        hits = self.hits(doc)
        found: dict[str, TopicResult] = {}
        seen: set[str] = set()
        for key in hits:
            for topic in self._users.get(key, ()):
                if topic.name in seen:
                    continue
                seen.add(topic.name)
                plan = [rule for rule, needed in self._plans[topic.name] if needed <= hits.keys()]
                if plan:
                    found[topic.name] = _evaluate_topic(topic, plan, doc, hits)
        return found

    def evaluate(self, title: str, text: str) -> list[TopicResult]:
        """One result per topic, in rule-book order (for explaining and evaluating)."""
        found = self._evaluated(title, text)
        return [found.get(t.name) or TopicResult(t.name, 0.0, t.threshold, (), ()) for t in self.book.topics]

    def matches(self, title: str, text: str) -> list[Match]:
        found = self._evaluated(title, text).values()
        return [Match(topic=r.topic, score=r.score, evidence=r.evidence) for r in found if r.is_match]


def _list_keys(nodes: Iterable[Node]) -> set[str]:
    keys: set[str] = set()
    for node in nodes:
        if isinstance(node, ListRef):
            keys.add(node.key)
        else:
            keys |= _list_keys((*node.all, *node.any))
    return keys


def _patterns(term: Term) -> list[tuple[str, bool]]:
    """The automaton keys for a term: its leading exact words, then one prefix if it has one; a number
    range by the first digits of its numbers.

    Returns each key and whether the key alone proves the whole term (no word left to confirm).
    """
    first = term.words[0]
    if first.mode is Mode.RANGE:
        digits = min(2, len(str(first.low)))
        if first.high - first.low > 10_000:
            return [(f" {d}", False) for d in "0123456789"]
        leading = sorted({str(n)[:digits] for n in range(first.low, first.high + 1)})
        return [(f" {n}", False) for n in leading]
    return [_pattern(term)]


def _pattern(term: Term) -> tuple[str, bool]:
    parts: list[str] = []
    for index, word in enumerate(term.words):
        if word.mode is Mode.EXACT:
            parts.append(word.text)
            continue
        complete = word.mode is Mode.PREFIX and index == len(term.words) - 1
        return " " + " ".join([*parts, word.text]), complete
    return " " + " ".join(parts) + " ", True


def _confirm(scan: str, position: int, term: Term) -> int | None:
    """Where the term ends if it starts at `position` of the scan text, else None."""
    for index, word in enumerate(term.words):
        found = WORD.match(scan, position) if index == 0 else WORD.search(scan, position)
        if found is None or (index and scan[position : found.start()].strip()):
            return None
        if not word_matches(word, found.group()):
            return None
        position = found.end()
    return position


def _needed(group: Group) -> frozenset[str]:
    """Lists that must all be hit for the group to hold (its `all`, recursively)."""
    keys: set[str] = set()
    for node in group.all:
        keys |= {node.key} if isinstance(node, ListRef) else _needed(node)
    return frozenset(keys)


def _evaluate_topic(topic: Topic, rules: list[Rule], doc: Prepared, hits: dict[str, list[Hit]]) -> TopicResult:
    score, names = 0.0, []
    evidence: dict[tuple[str, str, int], Evidence] = {}
    for rule in rules:
        spans = Evaluator(doc, hits, rule).group(rule.group)
        if not spans:
            continue
        score += rule.weight
        names.append(rule.name)
        for hit in spans[0].hits:
            item = _evidence(doc, hit, rule.name)
            evidence.setdefault((item.term, item.sentence, item.start), item)
        if score >= topic.threshold:
            break  # the verdict cannot change any more
    return TopicResult(topic.name, score, topic.threshold, tuple(names), tuple(evidence.values()))


def _evidence(doc: Prepared, hit: Hit, rule: str) -> Evidence:
    start, end = doc.sentence_bounds(doc.sentence_of(hit.start))
    raw = doc.shown[start:end]
    sentence = raw.strip()
    offset = start + (len(raw) - len(raw.lstrip()))
    return Evidence(term=hit.term, sentence=sentence, start=hit.start - offset, end=hit.end - offset, rule=rule)


class Evaluator:
    def __init__(self, doc: Prepared, hits: dict[str, list[Hit]], rule: Rule) -> None:
        self.doc, self.hits, self.fields = doc, hits, rule.fields

    def _allowed(self, hit: Hit) -> bool:
        where = self.doc.field_of(hit.start)
        return where in self.fields or (where == "lead" and "body" in self.fields)

    def node(self, node: Node) -> list[Span]:
        if isinstance(node, ListRef):
            return [Span(h.start, h.end, (h,)) for h in self.hits.get(node.key, ()) if self._allowed(h)][:MAX_SPANS]
        return self.group(node)

    def group(self, group: Group) -> list[Span]:
        if not group.fields or group.fields == self.fields:
            return self._group(group)
        outer, self.fields = self.fields, group.fields
        try:
            return self._group(group)
        finally:
            self.fields = outer

    def _group(self, group: Group) -> list[Span]:
        required = []
        for child in group.all:
            spans = self.node(child)
            if not spans:
                return []  # the rest cannot change the outcome
            required.append(spans)
        optional = [s for n in group.any for s in self.node(n)]
        if group.any and not optional:
            return []
        vetoes = [s for n in group.not_ for s in self.node(n)]
        if group.within == DOCUMENT:
            if vetoes:
                return []
            return [_union([spans[0] for spans in required] + optional[:1])]
        if group.within == SENTENCE:
            return self._in_sentences(required, optional, vetoes, has_any=bool(group.any))
        return self._near(required, optional, vetoes, group)

    def _by_sentence(self, spans: Iterable[Span]) -> dict[int, list[Span]]:
        grouped: dict[int, list[Span]] = defaultdict(list)
        for span in spans:
            first = self.doc.sentence_of(span.start)
            if first == self.doc.sentence_of(span.end - 1):
                grouped[first].append(span)
        return grouped

    def _in_sentences(
        self, required: list[list[Span]], optional: list[Span], vetoes: list[Span], *, has_any: bool
    ) -> list[Span]:
        per_child = [self._by_sentence(spans) for spans in required]
        if has_any:
            per_child.append(self._by_sentence(optional))
        sentences = set.intersection(*(set(child) for child in per_child))
        sentences -= set(self._by_sentence(vetoes))
        return [_union([s for child in per_child for s in child[i]]) for i in sorted(sentences)][:MAX_SPANS]

    def _near(self, required: list[list[Span]], optional: list[Span], vetoes: list[Span], group: Group) -> list[Span]:
        """Windows of `group.within` words holding the members; a `not` hit vetoes a window it overlaps
        ("Russian troops and North Korean shells": the troops are someone else's)."""
        words = group.within
        anchors, others = (required[0], required[1:]) if required else (optional, [])
        found = []
        for anchor in anchors:
            parts = [anchor]
            for spans in others:
                last = parts[-1]
                close = [
                    s
                    for s in spans
                    if self.doc.gap(last if group.ordered else anchor, s, words) <= words
                    and (not group.ordered or s.start >= last.end)
                ]
                if not close:
                    break
                parts.append(close[0])
            else:
                if required and optional:
                    close = [s for s in optional if self.doc.gap(anchor, s, words) <= words]
                    if not close:
                        continue
                    parts.append(close[0])
                window = _union(parts)
                if not any(v.start < window.end and window.start < v.end for v in vetoes):
                    found.append(window)
        return found[:MAX_SPANS]
