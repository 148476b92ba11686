"""Precision and recall of the topics on labelled examples, per topic and language, and why each wrong case is wrong.

Examples are JSON lines: `id`, `lang`, `labels` (topic -> 1 must match, 0 must not, null either),
and `title` + `text`, or `file` (a text file relative to the examples file).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import ConfigError
from monitor.topics.diagnose import check_rules, nearest
from monitor.topics.matcher import TopicMatcher, TopicResult


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    language: str
    title: str
    text: str
    labels: Mapping[str, int | None]


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, *, expected: bool, got: bool) -> None:
        if got:
            self.tp, self.fp = (self.tp + 1, self.fp) if expected else (self.tp, self.fp + 1)
        else:
            self.fn, self.tn = (self.fn + 1, self.tn) if expected else (self.fn, self.tn + 1)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Wrong:
    example: Example
    topic: str
    expected: bool
    result: TopicResult
    why: str  # the rule that fired, or the nearest rule and what it lacked


@dataclass(slots=True)
class Report:
    totals: dict[str, Counts] = field(default_factory=dict)
    by_language: dict[str, dict[str, Counts]] = field(default_factory=dict)
    wrong: list[Wrong] = field(default_factory=list)


def read_examples(path: Path) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(str(path), f"line {number}", f"not JSON: {exc}") from None
        if "file" in raw:
            title, text = "", (path.parent / str(raw["file"])).read_text(encoding="utf-8")
        else:
            title, text = str(raw.get("title", "")), str(raw.get("text", ""))
        labels = raw.get("labels", {})
        if not isinstance(labels, dict):
            raise ConfigError(str(path), f"line {number}", "labels must be an object of topic -> 1, 0 or null")
        language = str(raw.get("lang", "?"))
        examples.append(Example(str(raw.get("id", number)), language, title, text, labels))
    return examples


def evaluate(matcher: TopicMatcher, examples: list[Example]) -> Report:
    report = Report()
    for each in matcher.topics:
        report.totals[each.name] = Counts()
        report.by_language[each.name] = defaultdict(Counts)
    for example in examples:
        results = {r.topic: r for r in matcher.evaluate(example.title, example.text)}
        for topic, label in example.labels.items():
            if topic not in results or label is None:
                continue
            expected, got = bool(label), results[topic].is_match
            report.totals[topic].add(expected=expected, got=got)
            report.by_language[topic][example.language].add(expected=expected, got=got)
            if expected != got:
                report.wrong.append(Wrong(example, topic, expected, results[topic], _why(matcher, example, topic)))
    report.wrong.sort(key=lambda w: (w.example.language, w.topic, w.why, w.example.id))
    return report


def _why(matcher: TopicMatcher, example: Example, topic: str) -> str:
    checks = check_rules(matcher, topic, example.title, example.text)
    fired = [c for c in checks if c.holds]
    if fired:
        return "; ".join(c.describe() for c in fired)
    near = nearest(checks)
    return f"nearest {near.describe()}" if near else "no rules"
