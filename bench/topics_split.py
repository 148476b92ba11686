"""Topic precision and recall on two halves of the real reporting, split by story.

    python -m bench.topics_split [../shared/corpus/real_dev.jsonl]

A story (one event, several excerpts) lies wholly in one half, so the halves share no event; stories
are dealt alternately to A and B in the order of their labels and names, so both halves hold
positives and hard negatives of both topics.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

from monitor.topics import TopicMatcher, parse_rulebook
from monitor.topics.evaluation import Example, evaluate, read_examples

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real_dev.jsonl"


def halves(examples: list[Example], story_of: dict[str, str]) -> dict[str, str]:
    """Story -> "A" or "B"."""
    signature: dict[str, tuple[int, ...]] = {}
    for example in examples:
        labels = tuple(int(v or 0) for _, v in sorted(example.labels.items()))
        story = story_of[example.id]
        signature[story] = max(signature.get(story, labels), labels)
    ordered = sorted(signature, key=lambda s: (signature[s], s))
    return {story: "AB"[index % 2] for index, story in enumerate(ordered)}


def stories(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            found[str(row["id"])] = str(row.get("story", row["id"]))
    return found


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else REAL
    book = parse_rulebook(tomllib.loads((ROOT / "config" / "topics.toml").read_text(encoding="utf-8")), "topics")
    matcher = TopicMatcher(book)
    examples = read_examples(path)
    story_of = stories(path)
    half = halves(examples, story_of)
    for name in ("A", "B"):
        part: list[Example] = [e for e in examples if half[story_of[e.id]] == name]
        events = {story_of[e.id] for e in part}
        report = evaluate(matcher, part)
        print(f"half {name}: {len(part)} excerpts, {len(events)} stories")
        for topic, counts in report.totals.items():
            print(
                f"  {topic}: precision {counts.precision:.3f} recall {counts.recall:.3f} "
                f"(tp {counts.tp} fp {counts.fp} fn {counts.fn} tn {counts.tn})"
            )


if __name__ == "__main__":
    main()
