"""Topic matching speed: articles per second on one core for 2, 20 and 200 topics.

    python -m bench.topics_speed

Texts: article bodies from ../shared/corpus (aeb and fundus-eval ground truth, plus the
seeds), cut to 3,000 characters. Extra topics are generated from the corpus vocabulary
(words of mid frequency), each with three lists and two rules like the shipped ones.
"""

from __future__ import annotations

import json
import random
import re
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

from monitor.topics import TopicMatcher, parse_rulebook

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def texts() -> list[str]:
    found = []
    truth = CORPUS / "aeb" / "ground-truth.json"
    if truth.is_file():
        found += [str(v.get("articleBody", "")) for v in json.loads(truth.read_text()).values()]
    fundus = CORPUS / "fundus-eval" / "ground_truth.json"
    if fundus.is_file():
        found += ["\n".join(v.get("body", [])) for v in json.loads(fundus.read_text()).values()]
    found += [p.read_text() for p in sorted((CORPUS / "seeds").glob("*.txt"))]
    return [t[:3000] for t in found if len(t) >= 1500]


def generated_topics(count: int, vocabulary: list[str], seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    topics = []
    for n in range(count):
        lists = {
            f"l{k}": {"en": [w + ("*" if rng.random() < 0.3 else "") for w in rng.sample(vocabulary, 6)]}
            for k in range(3)
        }
        topics.append(
            {
                "name": f"generated-{n}",
                "lists": lists,
                "rules": [
                    {"all": ["l0", "l1"], "not": ["l2"], "within": "sentence"},
                    {"all": ["l0", "l2"], "within": 5, "weight": 0.5},
                ],
            }
        )
    return topics


def rate(matcher: TopicMatcher, corpus: list[str], rounds: int = 3) -> float:
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for text in corpus:
            matcher.evaluate("", text)
        best = max(best, len(corpus) / (time.perf_counter() - started))
    return best


def main() -> None:
    corpus = texts()
    shipped = tomllib.loads((ROOT / "config" / "topics.toml").read_text(encoding="utf-8"))
    counts = Counter(w for t in corpus for w in re.findall(r"[a-z]{4,}", t.lower()))
    vocabulary = [w for w, _ in counts.most_common()][1000:21000]
    print(f"{len(corpus)} texts of up to 3,000 characters (mean {sum(map(len, corpus)) / len(corpus):.0f})")
    base = None
    for total in (2, 20, 200):
        document = {"lists": shipped["lists"], "topics": shipped["topics"] + generated_topics(total - 2, vocabulary)}
        matcher = TopicMatcher(parse_rulebook(document, "bench"))
        speed = rate(matcher, corpus)
        base = base or speed
        print(f"{total:>3} topics: {speed:8.0f} articles/s  ({base / speed:.2f}x slower than 2 topics)")


if __name__ == "__main__":
    main()
