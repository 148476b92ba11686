"""What `monitor topics check | test | eval | backtest` do: the rules, explained and measured."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from monitor.configured import fetch_options, load_topics
from monitor.domain import Fetched, Rejected
from monitor.errors import ConfigError
from monitor.extract import extract_page
from monitor.fetch import Fetcher, make_client
from monitor.settings import Settings, parse_duration
from monitor.store import open_store
from monitor.topics import evaluation
from monitor.topics.matcher import TopicMatcher, TopicResult
from monitor.topics.rules import ListRef, Node


def _matcher(settings: Settings) -> TopicMatcher:
    return TopicMatcher(load_topics(settings))


def _count_lists(nodes: tuple[Node, ...]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        found |= {node.key} if isinstance(node, ListRef) else _count_lists((*node.all, *node.any, *node.not_))
    return found


def check(settings: Settings) -> None:
    matcher = _matcher(settings)
    book = matcher.book
    written = sum(len({t.source for t in terms}) for terms in book.lists.values())  # a `word+` term counted once
    print(f"{len(book.topics)} topics, {len(book.lists)} term lists, {written} terms: OK")
    for topic in book.topics:
        used = set().union(*(_count_lists((r.group,)) for r in topic.rules))
        languages = Counter(
            language for key in used for language, _ in {(t.words[0].language, t.source) for t in book.lists[key]}
        )
        per_language = ", ".join(f"{lang} {n}" for lang, n in sorted(languages.items()))
        print(
            f"- {topic.name}: {len(topic.rules)} rules, threshold {topic.threshold:g}, "
            f"{len(used)} lists; terms per language: {per_language}"
        )
        for rule in topic.rules:
            print(f"    · {rule.name} (weight {rule.weight:g}; fields {', '.join(sorted(rule.fields))})")


def _show(result: TopicResult, indent: str = "  ") -> None:
    verdict = "MATCH" if result.is_match else "no match"
    print(f"{indent}{result.topic}: {verdict} (score {result.score:g} / threshold {result.threshold:g})")
    for rule in result.rules:
        print(f"{indent}  rule: {rule}")
    for item in result.evidence:
        marked = f"{item.sentence[: item.start]}[{item.sentence[item.start : item.end]}]{item.sentence[item.end :]}"
        print(f"{indent}  {item.term!r} @{item.start}-{item.end}: {marked}")


async def _download(url: str) -> Fetched:
    options = fetch_options(Settings())
    async with make_client(options) as client:
        page = await Fetcher(client, options).get(url)
    assert isinstance(page, Fetched)
    return page


def _read_target(target: str) -> tuple[str, str]:
    if target.startswith(("http://", "https://")):
        page = asyncio.run(_download(target))  # a FetchError ends the command with its reason (exit 1)
        extracted = extract_page(page.content, page.url)
    else:
        path = Path(target)
        if not path.is_file():
            raise ConfigError(str(path.resolve()), "-", "no such file")
        if path.suffix.lower() not in (".html", ".htm"):
            title, _, text = path.read_text(encoding="utf-8").partition("\n")
            return title, text
        extracted = extract_page(path.read_bytes(), path.resolve().as_uri())
    if isinstance(extracted, Rejected):
        raise ConfigError(target, "-", extracted.reason)
    return extracted.title, extracted.text


def test(settings: Settings, target: str) -> None:
    title, text = _read_target(target)
    print(f"title: {title}")
    for result in _matcher(settings).evaluate(title, text):
        _show(result)


def evaluate(settings: Settings, path: str, *, only_wrong: bool = False) -> bool:
    """Print precision and recall per topic and language, then the wrong cases grouped; True when none is wrong."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(str(source.resolve()), "-", "file not found")
    report = evaluation.evaluate(_matcher(settings), evaluation.read_examples(source))
    if not only_wrong:
        for topic, total in report.totals.items():
            print(f"{topic}: {_figures(total)}")
            for language, counts in sorted(report.by_language[topic].items()):
                print(f"  {language}: {_figures(counts)}")
    group = None
    for wrong in report.wrong:
        heading = (wrong.example.language, wrong.topic, wrong.expected, wrong.why)
        if heading != group:
            group = heading
            kind = "missed" if wrong.expected else "false alarm"
            print(f"\n[{wrong.example.language}] {wrong.topic}, {kind}: {wrong.why}")
        headline = " ".join((wrong.example.title or wrong.example.text).split())[:90]
        print(f"  WRONG {wrong.example.id}: expected {'match' if wrong.expected else 'no match'} — {headline}")
        _show(wrong.result, indent="      ")
    if not only_wrong:
        print(f"\n{len(report.wrong)} wrong" if report.wrong else "\nno wrong cases")
    return not report.wrong


def _figures(counts: evaluation.Counts) -> str:
    return (
        f"precision {counts.precision:.3f} recall {counts.recall:.3f} F1 {counts.f1:.3f} "
        f"(tp {counts.tp} fp {counts.fp} fn {counts.fn} tn {counts.tn})"
    )


def backtest(settings: Settings, since: str, now: datetime) -> None:
    try:
        window = parse_duration(since)
    except ValueError as exc:
        raise ConfigError("--since", "since", str(exc)) from None
    matcher = _matcher(settings)
    store = open_store(settings.database.url)
    try:
        stored = store.views.articles_since(now - timedelta(seconds=window))
    finally:
        store.close()
    changes = 0
    for item in stored:
        current = {m.topic for m in matcher.matches(item.article.title, item.article.text)}
        for topic in sorted(current - item.topics):
            changes += 1
            print(f"+ {topic}: {item.article.title} <{item.article.url}>")
        for topic in sorted(item.topics - current):
            changes += 1
            print(f"- {topic}: {item.article.title} <{item.article.url}>")
    print(f"{len(stored)} stored articles since {since} re-scored; {changes} changes (nothing sent)")
