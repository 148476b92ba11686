"""`monitor topics check | test | eval | backtest`: the rules, explained and measured."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.domain import Fetched, Rejected
from monitor.errors import ConfigError, FetchError
from monitor.extract import extract_page
from monitor.fetch import Fetcher, make_client
from monitor.service import fetch_options, load_topics
from monitor.settings import Settings, parse_duration
from monitor.store import open_store
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
    print(
        f"{len(book.topics)} topics, {len(book.lists)} term lists, {sum(len(t) for t in book.lists.values())} terms: OK"
    )
    for topic in book.topics:
        used = set().union(*(_count_lists((r.group,)) for r in topic.rules))
        languages = Counter(w.language for key in used for term in book.lists[key] for w in term.words[:1])
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
        try:
            page = asyncio.run(_download(target))
        except FetchError as exc:
            raise ConfigError(target, "-", f"cannot fetch: {exc.reason}") from None
        extracted = extract_page(page.content, page.url)
    else:
        path = Path(target)
        if not path.is_file():
            raise ConfigError(target, "-", "no such file")
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


def _example_text(example: dict[str, object], base: Path) -> tuple[str, str]:
    if "file" in example:
        return "", (base / str(example["file"])).read_text(encoding="utf-8")
    return str(example.get("title", "")), str(example.get("text", ""))


def evaluate(settings: Settings, path: str) -> bool:
    """Print precision, recall and F1 per topic and every wrong case; True when none is wrong."""
    matcher = _matcher(settings)
    base = Path(path).parent
    counts: dict[str, Counter[str]] = {t.name: Counter() for t in matcher.topics}
    wrong: list[tuple[str, TopicResult, int]] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            example = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(path, f"line {number}", f"not JSON: {exc}") from None
        title, text = _example_text(example, base)
        results = {r.topic: r for r in matcher.evaluate(title, text)}
        for topic, label in example.get("labels", {}).items():
            if topic not in results or label is None:
                continue
            got = results[topic].is_match
            counts[topic][("t" if got == bool(label) else "f") + ("p" if got else "n")] += 1
            if got != bool(label):
                wrong.append((str(example.get("id", number)), results[topic], int(label)))
    for topic, c in counts.items():
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(
            f"{topic}: precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f} "
            f"(tp {c['tp']} fp {c['fp']} fn {c['fn']} tn {c['tn']})"
        )
    for example_id, result, label in wrong:
        print(f"WRONG {example_id}: expected {'match' if label else 'no match'}")
        _show(result, indent="    ")
    return not wrong


def backtest(settings: Settings, since: str) -> None:
    try:
        window = parse_duration(since)
    except ValueError as exc:
        raise ConfigError("--since", "since", str(exc)) from None
    matcher = _matcher(settings)
    store = open_store(settings.database.url)
    try:
        stored = store.articles_since(datetime.now(UTC) - timedelta(seconds=window))
    finally:
        store.close()
    changes = 0
    for item in stored:
        now = {m.topic for m in matcher.matches(item.article.title, item.article.text)}
        for topic in sorted(now - item.topics):
            changes += 1
            print(f"+ {topic}: {item.article.title} <{item.article.url}>")
        for topic in sorted(item.topics - now):
            changes += 1
            print(f"- {topic}: {item.article.title} <{item.article.url}>")
    print(f"{len(stored)} stored articles since {since} re-scored; {changes} changes (nothing sent)")
