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
            copy = best_copy(mark, seen.values())
            found = None if copy is None else copy.story_id
        if found is None:
            candidate = Candidate(story, mark.minhash, mark.shingles)
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
    for kind, joined in joins.items():
        print(f"  {kind:<13} recall {sum(joined) / len(joined):.3f} ({sum(joined)}/{len(joined)})")
    print(f"false merges: {false_merges} originals joined another story, {wrong} copies joined the wrong story")
    print(f"precision {correct / merges:.4f}  recall {correct / len(cases):.4f}")


# Reports and their rewrites in other languages, written for this benchmark.
REWRITES = [
    (
        "Seoul says North Korea sent 3,000 more troops",
        "South Korea's National Intelligence Service said on November 13 that North Korea had sent about 3,000 "
        "more soldiers to Russia, bringing the total to some 14,000. Lawmaker Park Sun-won told reporters that "
        "the new troops were training in Vladivostok.",
        "Сеул: КНДР відправила ще 3 тисячі військових",
        "Національна розвідувальна служба Південної Кореї 13 листопада повідомила, що Північна Корея відправила "
        "до Росії ще близько 3 тисяч військових, загалом їх уже близько 14 тисяч. Депутат Пак Сон Вон сказав, що "
        "нові підрозділи проходять навчання у Владивостоці.",
    ),
    (
        "Seoul says North Korea sent 3,000 more troops",
        "South Korea's National Intelligence Service said on November 13 that North Korea had sent about 3,000 "
        "more soldiers to Russia, bringing the total to some 14,000.",
        '국정원 "북한, 러시아에 3천명 추가 파병"',
        "국가정보원은 11월 13일 북한이 러시아에 약 3천 명을 추가로 파병해 파병 규모가 1만4천 명에 이른다고 밝혔다.",
    ),
    (
        "Duma ratifies North Korea pact by 399 votes",
        "The State Duma on October 24 ratified the partnership treaty with North Korea, with 399 deputies voting "
        "in favour. Speaker Vyacheslav Volodin said the Federation Council would consider the law on November 6.",
        "Госдума ратифицировала договор с КНДР: за проголосовали 399 депутатов",
        "Государственная дума 24 октября ратифицировала договор о партнерстве с КНДР, за проголосовали 399 "
        "депутатов. Председатель Вячеслав Володин сообщил, что Совет Федерации рассмотрит закон 6 ноября.",
    ),
]


def measure_cross_language() -> None:
    from monitor.entities import entity_keys
    from monitor.linking import is_same_event

    linked = sum(is_same_event(entity_keys(t1, x1), entity_keys(t2, x2)) for t1, x1, t2, x2 in REWRITES)
    dev = CORPUS / "dev.jsonl"
    examples = [json.loads(line) for line in dev.read_text().splitlines()] if dev.is_file() else []
    reports = [
        (e["lang"], e["story"], e.get("title", ""), e.get("text") or (CORPUS / e["file"]).read_text()) for e in examples
    ]
    reports += [(str(e["lang"]), str(e["id"]), str(e["title"]), str(e["text"])) for e in OWN]
    pairs = [(a, b) for i, a in enumerate(reports) for b in reports[i + 1 :] if a[0] != b[0] and a[1] != b[1]]
    wrong = sum(is_same_event(entity_keys(a[2], a[3]), entity_keys(b[2], b[3])) for a, b in pairs)
    print(
        f"cross-language: {linked}/{len(REWRITES)} rewrites linked; "
        f"{wrong}/{len(pairs)} pairs of distinct stories in different languages wrongly linked"
    )


if __name__ == "__main__":
    measure()
    measure_cross_language()
