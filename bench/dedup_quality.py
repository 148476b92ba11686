"""Near-duplicate precision and recall on generated copies.

    python -m bench.dedup_quality

Originals: the article bodies of ../shared/corpus (aeb, fundus-eval, seeds, dev.jsonl) and
the same-topic stories written for the tests (the Duma vote, the Federation Council
vote, the president's signature, ...). Each original of five sentences or more gets
copies: re-wrapped (other line breaks), truncated (first 60 %), re-headlined, paragraphs
reordered, and 10 %, 20 % and 30 % of its sentences edited (a sentence dropped, two words
changed, or a new sentence inserted). The originals go into an index first (an original
that joins another's story is a false merge), then the copies (each must join its own).
The index is the same code as the store's: band lookup, MinHash estimate, exact check.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from monitor.dedupe import Candidate, best_copy, fingerprint
from tests.support.newsweb import OWN, SYNDICATED

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def originals() -> list[str]:
    texts = []
    truth = CORPUS / "aeb" / "ground-truth.json"
    if truth.is_file():
        texts += [v["articleBody"] for v in json.loads(truth.read_text()).values()]
    fundus = CORPUS / "fundus-eval" / "ground_truth.json"
    if fundus.is_file():
        texts += ["\n".join(v["body"]) for v in json.loads(fundus.read_text()).values()]
    texts += [p.read_text() for p in sorted((CORPUS / "seeds").glob("*.txt"))]
    dev = CORPUS / "dev.jsonl"
    if dev.is_file():
        texts += [json.loads(line).get("text", "") for line in dev.read_text().splitlines()]
    texts += [str(e["text"]) for e in OWN]
    unique = list(dict.fromkeys(t.strip() for t in texts if len(t.strip()) > 100))
    return unique


def variants(text: str, rng: random.Random, filler: list[str]) -> dict[str, str]:
    paragraphs = [p for p in text.split("\n") if p.strip()]
    sentences = [s for p in paragraphs for s in _SENTENCES.split(p) if s.strip()]
    if len(sentences) < 5:
        return {}

    def edited(fraction: float) -> str:
        out = []
        for sentence in sentences:
            if rng.random() >= fraction:
                out.append(sentence)
                continue
            action = rng.choice(("drop", "words", "insert"))
            if action == "words":
                tokens = sentence.split()
                for _ in range(2):
                    tokens[rng.randrange(len(tokens))] = rng.choice(filler)
                out.append(" ".join(tokens))
            elif action == "insert":
                out += [sentence, rng.choice(filler).capitalize() + " said the agency had no further comment."]
        return " ".join(out)

    shuffled = paragraphs[:]
    rng.shuffle(shuffled)
    return {
        "rewrapped": "\n".join(sentences),
        "truncated": " ".join(sentences[: max(3, int(len(sentences) * 0.6))]),
        "re-headlined": "Breaking: a new headline\n" + text,
        "reordered": "\n".join(shuffled) if len(paragraphs) > 1 else " ".join(sentences[1:] + sentences[:1]),
        "edited 10%": edited(0.1),
        "edited 20%": edited(0.2),
        "edited 30%": edited(0.3),
    }


class Index:
    """The store's lookup in memory: band -> stored articles."""

    def __init__(self) -> None:
        self.bands: dict[str, list[Candidate]] = defaultdict(list)
        self.exact: dict[str, str] = {}

    def add(self, text: str, story: str) -> str | None:
        mark = fingerprint(text)
        found = self.exact.get(mark.exact)
        if found is None:
            seen = {id(c): c for band in mark.bands for c in self.bands.get(band, ())}
            found = best_copy(text, mark.minhash, seen.values())
        if found is None:
            candidate = Candidate(story, mark.minhash, text)
            for band in mark.bands:
                self.bands[band].append(candidate)
            self.exact[mark.exact] = story
        return found


def measure(make: Callable[[], Index] = Index, seed: int = 3) -> None:
    rng = random.Random(seed)
    texts = originals()
    filler = [w for t in texts[:50] for w in re.findall(r"[a-z]{5,}", t.lower())]
    index = make()
    false_merges = 0
    for number, text in enumerate(texts):
        if index.add(text, f"s{number}") is not None:
            false_merges += 1
    joins: dict[str, list[bool]] = defaultdict(list)
    wrong = 0
    extra = {
        "own-kursk-copy": (
            str(SYNDICATED["text"]),
            next(i for i, t in enumerate(texts) if t == str(OWN[-1]["text"]).strip()),
        )
    }
    cases = [
        (kind, copy, number) for number, text in enumerate(texts) for kind, copy in variants(text, rng, filler).items()
    ]
    cases += [("syndicated", copy, number) for copy, number in extra.values()]
    for kind, copy, number in cases:
        found = index.add(copy, f"copy-{kind}-{number}")
        joins[kind].append(found == f"s{number}")
        wrong += found is not None and found != f"s{number}"
    correct = sum(sum(v) for v in joins.values())
    merges = correct + wrong + false_merges
    print(f"{len(texts)} originals, {len(cases)} copies")
    for kind, found in joins.items():
        print(f"  {kind:<13} recall {sum(found) / len(found):.3f} ({sum(found)}/{len(found)})")
    print(f"false merges: {false_merges} originals joined another story, {wrong} copies joined the wrong story")
    print(f"precision {correct / merges:.4f}  recall {correct / len(cases):.4f}")


if __name__ == "__main__":
    measure()
