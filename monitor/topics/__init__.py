"""Topics: a declarative rule language (rules.py), folding and terms (terms.py), and
one multi-pattern matcher for all topics (matcher.py)."""

from __future__ import annotations

from pathlib import Path

from monitor.config_file import read_toml
from monitor.topics.matcher import TopicMatcher, TopicResult
from monitor.topics.rules import RuleBook, Topic, parse_rulebook


def load_rulebook(path: Path) -> RuleBook:
    document = read_toml(path)
    return parse_rulebook(document, str(path))


__all__ = ["RuleBook", "Topic", "TopicMatcher", "TopicResult", "load_rulebook", "parse_rulebook"]
