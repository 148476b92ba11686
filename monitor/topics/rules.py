"""The rule model and its TOML form; validation names the file, the topic and the key.

    [lists.dprk]                      # shared by every topic (a topic may add its own)
    en = ["north korea*", "dprk", "pyongyang"]
    ru = ["кндр", "северн* коре*"]

    [[topics]]
    name = "treaty-ratification"
    threshold = 1.0                   # sum of the weights of the rules that hold

    [[topics.rules]]
    all = ["ratify", "treaty"]        # every list (or nested group) must hit
    any = ["dprk", "russia"]          # at least one of these, when given
    not = ["future"]                  # none of these in the same window
    within = "sentence"               # "sentence" | "document" | N (words)
    ordered = false                   # with N words: `all` members in the order written
    fields = ["title", "body"]        # title | lead | body (a group may have its own)
    weight = 1.0

A group is a table with the keys all/any/not/within, named under `[topics.groups.NAME]` or
written inline (`all = [{ all = ["dprk", "troops"], within = 3 }, "war"]`); a group name is
used like a list name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from monitor.errors import ConfigError
from monitor.settings import parse_duration
from monitor.topics.terms import LANGUAGES, Term, parse_terms

SENTENCE = -1
DOCUMENT = -2
FIELDS = ("title", "lead", "body")
_GROUP_KEYS = {"all", "any", "not", "within", "ordered", "fields"}
_RULE_KEYS = _GROUP_KEYS | {"name", "weight"}
_TOPIC_KEYS = {"name", "description", "threshold", "lists", "groups", "rules", "surge"}


@dataclass(frozen=True, slots=True)
class ListRef:
    key: str  # "name" for shared lists, "topic/name" for a topic's own


@dataclass(frozen=True, slots=True)
class Group:
    all: tuple[Node, ...]
    any: tuple[Node, ...]
    not_: tuple[Node, ...]
    within: int  # SENTENCE, DOCUMENT or a number of words
    ordered: bool = False  # with a number of words: the `all` members in the order written
    name: str = ""  # set for a named group: how explanations refer to it
    fields: frozenset[str] = frozenset()  # where its hits count; empty: as the enclosing rule or group


Node = ListRef | Group


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    group: Group
    fields: frozenset[str]
    weight: float


@dataclass(frozen=True, slots=True)
class Surge:
    """A follow-up alert when a story reaches `outlets` distinct outlets within `within` seconds."""

    outlets: int
    within: float


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    description: str
    threshold: float
    rules: tuple[Rule, ...]
    surge: Surge | None = None


@dataclass(frozen=True, slots=True)
class RuleBook:
    topics: tuple[Topic, ...]
    lists: Mapping[str, tuple[Term, ...]]


class _Parser:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lists: dict[str, tuple[Term, ...]] = {}

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(self.file, key, reason)

    def term_list(self, raw: Any, key: str) -> tuple[Term, ...]:
        if not isinstance(raw, dict):
            raise self.fail(key, "a list is a table of language = [terms]")
        terms: list[Term] = []
        for language, words in raw.items():
            if language not in LANGUAGES:
                raise self.fail(f"{key}.{language}", f"unknown language; use one of {', '.join(LANGUAGES)}")
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise self.fail(f"{key}.{language}", "must be an array of strings")
            for index, word in enumerate(words):
                try:
                    terms.extend(parse_terms(word, language))
                except ValueError as exc:
                    raise self.fail(f"{key}.{language}[{index}]", str(exc)) from None
        if not terms:
            raise self.fail(key, "the list has no terms")
        return tuple(terms)

    def within(self, raw: Any, key: str) -> int:
        if raw in (None, "sentence"):
            return SENTENCE
        if raw == "document":
            return DOCUMENT
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= 1000:
            return raw
        raise self.fail(key, "must be 'sentence', 'document' or a number of words from 1 to 1000")

    def ordered(self, raw: dict[str, Any], key: str) -> bool:
        value = raw.get("ordered", False)
        if not isinstance(value, bool):
            raise self.fail(f"{key}.ordered", "must be true or false")
        if value and not isinstance(raw.get("within"), int):
            raise self.fail(f"{key}.ordered", "needs 'within' as a number of words")
        return value

    def nodes(self, raw: Any, key: str, scope: Mapping[str, str | Group]) -> tuple[Node, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail(key, "must be an array of list names or groups")
        found: list[Node] = []
        for index, item in enumerate(raw):
            if isinstance(item, str):
                if item not in scope:
                    raise self.fail(f"{key}[{index}]", f"unknown list or group {item!r}")
                target = scope[item]
                found.append(ListRef(target) if isinstance(target, str) else target)
            elif isinstance(item, dict):
                found.append(self.group(item, f"{key}[{index}]", scope, _GROUP_KEYS))
            else:
                raise self.fail(f"{key}[{index}]", "must be a list name or a group table")
        return tuple(found)

    def group(self, raw: dict[str, Any], key: str, scope: Mapping[str, str | Group], allowed: set[str]) -> Group:
        for name in raw:
            if name not in allowed:
                raise self.fail(f"{key}.{name}", "unknown key")
        group = Group(
            all=self.nodes(raw.get("all"), f"{key}.all", scope),
            any=self.nodes(raw.get("any"), f"{key}.any", scope),
            not_=self.nodes(raw.get("not"), f"{key}.not", scope),
            within=self.within(raw.get("within"), f"{key}.within"),
            ordered=self.ordered(raw, key),
            fields=self.fields(raw.get("fields"), f"{key}.fields"),
        )
        if not group.all and not group.any:
            raise self.fail(key, "a rule needs 'all' or 'any'")
        return group

    def fields(self, raw: Any, key: str) -> frozenset[str]:
        if raw is None:
            return frozenset()
        if not isinstance(raw, list) or not raw or any(f not in FIELDS for f in raw):
            raise self.fail(key, f"must be a non-empty array of {', '.join(FIELDS)}")
        return frozenset(raw)

    def rule(self, raw: Any, key: str, scope: Mapping[str, str | Group]) -> Rule:
        if not isinstance(raw, dict):
            raise self.fail(key, "a rule is a table")
        weight = raw.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise self.fail(f"{key}.weight", "must be a number")
        return Rule(
            name=str(raw.get("name", key)),
            group=self.group(raw, key, scope, _RULE_KEYS),
            fields=self.fields(raw.get("fields"), f"{key}.fields") or frozenset(FIELDS),
            weight=float(weight),
        )

    def own_lists(self, own: Any, key: str, topic: str, scope: dict[str, str | Group]) -> None:
        if not isinstance(own, dict):
            raise self.fail(f"{key}.lists", "must be a table of named lists")
        for list_name, terms in own.items():
            self.lists[f"{topic}/{list_name}"] = self.term_list(terms, f"{key}.lists.{list_name}")
            scope[list_name] = f"{topic}/{list_name}"

    def named_groups(self, groups: Any, key: str, scope: dict[str, str | Group]) -> None:
        if not isinstance(groups, dict):
            raise self.fail(f"{key}.groups", "must be a table of named groups")
        for group_name, body in groups.items():
            if not isinstance(body, dict):
                raise self.fail(f"{key}.groups.{group_name}", "a group is a table")
            if group_name in scope:
                raise self.fail(f"{key}.groups.{group_name}", "a list or group of that name already exists")
            # Groups may use lists and the groups defined above them.
            group = self.group(body, f"{key}.groups.{group_name}", scope, _GROUP_KEYS)
            scope[group_name] = replace(group, name=group_name)

    def topic(self, raw: Any, key: str, shared: Mapping[str, str]) -> Topic:
        if not isinstance(raw, dict):
            raise self.fail(key, "a topic is a table")
        for name in raw:
            if name not in _TOPIC_KEYS:
                raise self.fail(f"{key}.{name}", "unknown key")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(f"{key}.name", "every topic needs a name")
        scope: dict[str, str | Group] = dict(shared)
        self.own_lists(raw.get("lists", {}), key, name, scope)
        self.named_groups(raw.get("groups", {}), key, scope)
        rules = raw.get("rules")
        if not isinstance(rules, list) or not rules:
            raise self.fail(f"{key}.rules", f"topic {name!r} is empty: it needs at least one rule")
        threshold = raw.get("threshold", 1.0)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold <= 0:
            raise self.fail(f"{key}.threshold", "must be a positive number")
        return Topic(
            name=name,
            description=str(raw.get("description", "")),
            threshold=float(threshold),
            rules=tuple(self.rule(r, _named(f"{key}.rules", i, r), scope) for i, r in enumerate(rules)),
            surge=self.surge(raw.get("surge"), f"{key}.surge"),
        )

    def surge(self, raw: Any, key: str) -> Surge | None:
        if raw is None:
            return None
        if not isinstance(raw, dict) or set(raw) - {"outlets", "within"}:
            raise self.fail(key, 'must be a table { outlets = N, within = "24h" }')
        outlets = raw.get("outlets")
        if isinstance(outlets, bool) or not isinstance(outlets, int) or outlets < 2:
            raise self.fail(f"{key}.outlets", "must be a whole number of at least 2")
        try:
            within = parse_duration(raw.get("within", "24h"))
        except ValueError as exc:
            raise self.fail(f"{key}.within", str(exc)) from None
        return Surge(outlets=outlets, within=within)


def _named(key: str, index: int, raw: Any) -> str:
    """`topics."treaty-ratification"` for an item with a name, `topics[0]` for one without."""
    name = raw.get("name") if isinstance(raw, dict) else None
    return f'{key}."{name}"' if isinstance(name, str) and name.strip() else f"{key}[{index}]"


def parse_rulebook(document: Mapping[str, Any], file: str) -> RuleBook:
    """Validate a parsed topics document ({lists, topics}) into a RuleBook."""
    parser = _Parser(file)
    for name in document:
        if name not in ("lists", "topics"):
            raise parser.fail(name, "unknown key")
    shared_raw = document.get("lists", {})
    if not isinstance(shared_raw, dict):
        raise parser.fail("lists", "must be a table of named lists")
    for name, terms in shared_raw.items():
        parser.lists[name] = parser.term_list(terms, f"lists.{name}")
    shared = {name: name for name in shared_raw}
    raw_topics = document.get("topics", [])
    if not isinstance(raw_topics, list) or not raw_topics:
        raise parser.fail("topics", "no topics defined")
    topics = tuple(parser.topic(t, _named("topics", i, t), shared) for i, t in enumerate(raw_topics))
    names = [t.name for t in topics]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise parser.fail(f"topics[{index}].name", f"duplicate topic {name!r}")
    return RuleBook(topics=topics, lists=dict(parser.lists))
