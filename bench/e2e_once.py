"""Wall time of `monitor run --once` over the local fake news web (fresh SQLite each time).

    python -m bench.e2e_once [--copies N]

--copies N publishes N extra edited copies of every article on the same outlets, to see
how the run scales with pages. Prints requests, alerts and seconds for a first run and a
second run in which nothing is new.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.newsweb import OWN, NewsWeb, load_examples
from tests.support.servers import FakeWeb, WebhookReceiver, smtp_sink

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TOPICS = Path(__file__).resolve().parents[1] / "config" / "topics.toml"


def examples(copies: int) -> list[dict[str, object]]:
    base = (load_examples(CORPUS) if (CORPUS / "dev.jsonl").is_file() else []) + OWN
    out = list(base)
    for n in range(copies):
        for example in base:
            edited = dict(example)
            edited["id"] = f"{example['id']}-copy{n}"
            edited["text"] = f"{example['text']}\nUpdated edition {n}: the report was republished by a partner outlet."
            edited.pop("labels", None)
            out.append(edited)
    return out


def run_once(config: Path, database: str) -> float:
    env = {**os.environ, "MONITOR_DATABASE_URL": database}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "monitor", "--log-level", "WARNING", "run", "--once", "--config", str(config)],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=0)
    args = parser.parse_args()
    with (
        FakeWeb().running() as web,
        WebhookReceiver().running() as hook,
        smtp_sink() as sink,
        tempfile.TemporaryDirectory() as tmp,
    ):
        news = NewsWeb(web, examples(args.copies))
        news.publish()
        pages = sum(len(o.stories) for o in news.outlets)
        config = Path(tmp) / "monitor.toml"
        config.write_text(
            f'topics_file = "{TOPICS}"\n'
            + news.config(
                webhook_url=hook.url,
                secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                smtp_port=sink.port,
            ),
            encoding="utf-8",
        )
        database = f"sqlite:///{tmp}/bench.db"
        for label in ("first run", "second run (nothing new)"):
            before = len(web.requests)
            seconds = run_once(config, database)
            print(
                f"{label}: {seconds:.2f} s, {len(web.requests) - before} requests, "
                f"{pages} article pages published, {len(hook.posts)} alerts so far"
            )


if __name__ == "__main__":
    main()
