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

import ahocorasick

from monitor.domain import Evidence, Match
from monitor.topics.rules import DOCUMENT, SENTENCE, Group, ListRef, Node, Rule, RuleBook, Topic
from monitor.topics.terms import NON_WORD, WORD, Mode, Term, fold, word_matches

MAX_SPANS = 64
_SENTENCE_BREAK = re.compile(r"\n+|(?<=[.!?…。])[\"'”»)]*\s+(?![a-zа-яіїєґ])")


@dataclass(frozen=True, slots=True)
class Hit:
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
    sentence_starts: list[int]
    _word_starts: list[int] | None = field(default=None)

    @classmethod
    def of(cls, title: str, text: str) -> Prepared:
        shown = f"{title.strip()}\n{text.strip()}"
        folded = fold(shown)
        if len(folded) != len(shown):
            shown = folded  # offsets must line up; only odd compatibility characters get here
        scan = " " + NON_WORD.sub(" ", folded) + " "
        title_end = len(title.strip())
        first_break = shown.find("\n", title_end + 1)
        lead_end = first_break if first_break != -1 else len(shown)
        starts = [0, *(m.end() for m in _SENTENCE_BREAK.finditer(shown))]
        return cls(shown, scan, title_end, lead_end, starts)

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

    def word_index(self, position: int) -> int:
        if self._word_starts is None:
            self._word_starts = [m.start() - 1 for m in WORD.finditer(self.scan)]
        return bisect_right(self._word_starts, position) - 1

    def gap(self, a: Span, b: Span) -> int:
        """Words strictly between two spans (0 when they touch or overlap)."""
        first, second = (a, b) if a.start <= b.start else (b, a)
        if second.start < first.end:
            return 0
        return max(0, self.word_index(second.start) - self.word_index(first.end - 1) - 1)


class TopicMatcher:
    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self._automaton = ahocorasick.Automaton()
        patterns: dict[str, list[tuple[str, Term]]] = defaultdict(list)
        for key, terms in book.lists.items():
            for term in terms:
                first = term.words[0]
                pattern = f" {first.text} " if first.mode is Mode.EXACT else f" {first.text}"
                patterns[pattern].append((key, term))
        for pattern, entries in patterns.items():
            self._automaton.add_word(pattern, (len(pattern), tuple(entries)))
        self._automaton.make_automaton()
        self._topic_lists = {t.name: _list_keys(r.group for r in t.rules) for t in book.topics}

    @property
    def topics(self) -> tuple[Topic, ...]:
        return self.book.topics

    def hits(self, doc: Prepared) -> dict[str, list[Hit]]:
        found: dict[str, list[Hit]] = defaultdict(list)
        scan = doc.scan
        for end, (length, entries) in self._automaton.iter(scan):
            start = end - length + 1  # the space before the word, = its index in `shown`
            for key, term in entries:
                stop = _confirm(scan, start + 1, term)
                if stop is not None:
                    found[key].append(Hit(start, stop - 1, term.source))
        return found

    def evaluate(self, title: str, text: str) -> list[TopicResult]:
        doc = Prepared.of(title, text)
        hits = self.hits(doc)
        results = []
        for topic in self.book.topics:
            if self._topic_lists[topic.name].isdisjoint(hits):
                results.append(TopicResult(topic.name, 0.0, topic.threshold, (), ()))
                continue
            results.append(_evaluate_topic(topic, doc, hits))
        return results

    def matches(self, title: str, text: str) -> list[Match]:
        return [
            Match(topic=r.topic, score=r.score, evidence=r.evidence) for r in self.evaluate(title, text) if r.is_match
        ]


def _list_keys(nodes: Iterable[Node]) -> set[str]:
    keys: set[str] = set()
    for node in nodes:
        if isinstance(node, ListRef):
            keys.add(node.key)
        else:
            keys |= _list_keys((*node.all, *node.any))
    return keys


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


def _evaluate_topic(topic: Topic, doc: Prepared, hits: dict[str, list[Hit]]) -> TopicResult:
    score, names = 0.0, []
    evidence: dict[tuple[str, str, int], Evidence] = {}
    for rule in topic.rules:
        spans = _Evaluator(doc, hits, rule).group(rule.group)
        if not spans:
            continue
        score += rule.weight
        names.append(rule.name)
        for hit in spans[0].hits:
            item = _evidence(doc, hit)
            evidence.setdefault((item.term, item.sentence, item.start), item)
        if score >= topic.threshold:
            break  # the verdict cannot change any more
    return TopicResult(topic.name, score, topic.threshold, tuple(names), tuple(evidence.values()))


def _evidence(doc: Prepared, hit: Hit) -> Evidence:
    start, end = doc.sentence_bounds(doc.sentence_of(hit.start))
    raw = doc.shown[start:end]
    sentence = raw.strip()
    offset = start + (len(raw) - len(raw.lstrip()))
    return Evidence(term=hit.term, sentence=sentence, start=hit.start - offset, end=hit.end - offset)


class _Evaluator:
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
        required = [self.node(n) for n in group.all]
        if any(not spans for spans in required):
            return []
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
        return self._near(required, optional, vetoes, group.within)

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

    def _near(self, required: list[list[Span]], optional: list[Span], vetoes: list[Span], words: int) -> list[Span]:
        anchors, others = (required[0], required[1:]) if required else (optional, [])
        found = []
        for anchor in anchors:
            parts = [anchor]
            for spans in others:
                close = [s for s in spans if self.doc.gap(anchor, s) <= words]
                if not close:
                    break
                parts.append(close[0])
            else:
                if required and optional:
                    close = [s for s in optional if self.doc.gap(anchor, s) <= words]
                    if not close:
                        continue
                    parts.append(close[0])
                window = _union(parts)
                if not any(self.doc.gap(window, v) <= words for v in vetoes):
                    found.append(window)
        return found[:MAX_SPANS]
