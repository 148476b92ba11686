"""Why a rule did or did not hold on one document: which of its parts were found, which veto struck.

For rule authors (`monitor topics eval`, the console's topic test): a missed case names the rule
that came nearest and what it lacked; a false alarm names the rule that fired.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monitor.topics.matcher import Evaluator, Hit, Prepared, TopicMatcher
from monitor.topics.rules import ListRef, Node, Rule


@dataclass(frozen=True, slots=True)
class RuleCheck:
    rule: str
    holds: bool
    found: tuple[str, ...]  # members of the rule that hold somewhere on their own
    lacking: tuple[str, ...]  # members that hold nowhere
    vetoed_by: tuple[str, ...]  # the rule held but for these

    @property
    def closeness(self) -> tuple[int, float]:
        parts = len(self.found) + len(self.lacking)
        return (1 if self.holds or self.vetoed_by else 0, len(self.found) / parts if parts else 0.0)

    def describe(self) -> str:
        if self.holds:
            return f'rule "{self.rule}" holds'
        if self.vetoed_by:
            return f'rule "{self.rule}" vetoed by {", ".join(self.vetoed_by)}'
        have = f"has {', '.join(self.found)}; " if self.found else ""
        return f'rule "{self.rule}": {have}lacks {", ".join(self.lacking)}'


def label(node: Node) -> str:
    if isinstance(node, ListRef):
        return node.key.rpartition("/")[2]
    if node.name:
        return node.name
    return "{" + ", ".join(label(n) for n in (*node.all, *node.any)) + "}"


def check_rules(matcher: TopicMatcher, topic_name: str, title: str, text: str) -> list[RuleCheck]:
    """One check per rule of the topic, in rule-book order."""
    topic = next(t for t in matcher.topics if t.name == topic_name)
    doc = Prepared.of(title, text)
    hits = matcher.hits(doc)
    return [_check(rule, doc, hits) for rule in topic.rules]


def nearest(checks: list[RuleCheck]) -> RuleCheck | None:
    return max(checks, key=lambda c: c.closeness, default=None)


def _check(rule: Rule, doc: Prepared, hits: dict[str, list[Hit]]) -> RuleCheck:
    evaluator = Evaluator(doc, hits, rule)
    group = rule.group
    if evaluator.group(group):
        return RuleCheck(rule.name, True, (), (), ())
    members = (*group.all, *group.any)
    found = tuple(label(n) for n in members if evaluator.node(n))
    lacking = tuple(label(n) for n in members if label(n) not in found)
    vetoed_by: tuple[str, ...] = ()
    if group.not_ and evaluator.group(replace(group, not_=())):
        vetoed_by = tuple(label(n) for n in group.not_ if evaluator.node(n))
    return RuleCheck(rule.name, False, found, lacking, vetoed_by)
