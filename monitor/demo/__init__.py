"""`monitor demo`: a local outlet, a local webhook receiver and the service on a temporary database.

Nothing leaves the machine: the outlet and the receiver listen on 127.0.0.1, and the demo's
articles (demo/articles.py) were written for it. The rules are the configured ones.
"""

from __future__ import annotations

import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.demo.outlet import Outlet
from monitor.settings import Settings

Echo = Callable[[str], None]


@contextmanager
def _outlet(echo: Echo) -> Iterator[Outlet]:
    outlet = Outlet(on_alert=lambda payload: echo(describe(payload)), now=datetime.now(UTC))  # the demo is a root
    thread = threading.Thread(target=outlet.serve_forever, name="demo-outlet", daemon=True)
    thread.start()
    try:
        yield outlet
    finally:
        outlet.shutdown()
        outlet.server_close()


def demo_settings(settings: Settings, outlet: Outlet, folder: Path) -> Settings:
    """The user's settings (rules, templates), with the demo's outlet, channel and database."""
    raw: dict[str, Any] = settings.model_dump()
    raw.update(
        database={"url": f"sqlite:///{folder / 'demo.db'}"},
        sources=[{"name": "demo-outlet", "url": f"{outlet.base}/feed.xml", "kind": "feed"}],
        channels=[{"name": "demo-webhook", "type": "webhook", "url": f"{outlet.base}/hook", "timeout": 10.0}],
        topics_file=str(settings.topics_path().resolve()),
    )
    raw["fetch"] = {**raw["fetch"], "host_interval": 0.0, "retries": 0}
    raw["service"] = {**raw["service"], "extract_workers": 1, "once_delivery_attempts": 1}
    return Settings.model_validate(raw)


def describe(payload: dict[str, Any]) -> str:
    article = payload.get("article", {})
    lines = [
        f"ALERT [{payload.get('topic')}] {article.get('title')} ({article.get('language')}, {article.get('source')})"
    ]
    rules = list(dict.fromkeys(m.get("rule", "") for m in payload.get("matches", []) if m.get("rule")))
    if rules:
        lines.append(f"  why: {'; '.join(rules)}")
    terms = ", ".join(dict.fromkeys(m.get("term", "") for m in payload.get("matches", [])))
    lines.append(f"  terms: {terms}")
    lines.append(f"  evidence: {article.get('snippet', '')}")
    return "\n".join(lines)


async def run_demo(settings: Settings, echo: Echo) -> int:
    """Run one cycle against the demo outlet; the alerts are printed as the receiver gets them.
    Returns how many alerts arrived."""
    from monitor.service import build  # noqa: PLC0415  (the service's imports are the demo's cost, paid here)

    with tempfile.TemporaryDirectory(prefix="monitor-demo-") as folder, _outlet(echo) as outlet:
        config = demo_settings(settings, outlet, Path(folder))
        echo(
            f"demo outlet at {outlet.base}/feed.xml with {len(outlet.articles)} articles; webhook at {outlet.base}/hook"
        )
        async with build(config) as service:
            await service.run_once()
        topics = Counter(str(p.get("topic")) for p in outlet.received)
        summary = ", ".join(f"{topic} ×{count}" for topic, count in sorted(topics.items())) or "none"
        echo(f"{len(outlet.received)} alerts received ({summary}); the demo database is gone with its folder")
        return len(outlet.received)
