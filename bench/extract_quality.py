"""Main-text extraction quality and time on real pages (../shared/corpus aeb + fundus-eval).

    python -m bench.extract_quality [--limit N]

F1 over word bags against the ground truth, as in the Zyte article-extraction benchmark;
milliseconds per page on one core.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from pathlib import Path

from monitor.domain import Extracted
from monitor.extract import extract_page

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def pages(limit: int) -> list[tuple[bytes, str, str]]:
    found = []
    truth = json.loads((CORPUS / "aeb" / "ground-truth.json").read_text())
    for key, value in sorted(truth.items())[:limit]:
        path = CORPUS / "aeb" / "html" / f"{key}.html.gz"
        if path.is_file():
            found.append((gzip.decompress(path.read_bytes()), value.get("url") or "http://x/", value["articleBody"]))
    fundus = json.loads((CORPUS / "fundus-eval" / "ground_truth.json").read_text())
    for key, value in sorted(fundus.items())[:limit]:
        path = CORPUS / "fundus-eval" / "html" / (key if key.endswith(".gz") else f"{key}.html.gz")
        if path.is_file():
            found.append(
                (gzip.decompress(path.read_bytes()), value.get("url") or "http://x/", "\n".join(value["body"]))
            )
    return found


def f1(got: str, want: str) -> float:
    a, b = Counter(re.findall(r"\w+", got.lower())), Counter(re.findall(r"\w+", want.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    scores, times = [], []
    for html, url, truth in pages(args.limit):
        started = time.perf_counter()
        result = extract_page(html, url)
        times.append((time.perf_counter() - started) * 1000)
        scores.append(f1(result.text if isinstance(result, Extracted) else "", truth))
    print(
        f"{len(scores)} pages: mean F1 {statistics.mean(scores):.3f}, median {statistics.median(scores):.3f}; "
        f"median {statistics.median(times):.1f} ms/page, p95 {sorted(times)[int(len(times) * 0.95)]:.1f} ms"
    )


if __name__ == "__main__":
    main()
