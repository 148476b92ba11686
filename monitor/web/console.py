"""What the console and the JSON API show and do, as plain data (the contract in README "Console and API")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.errors import StoreError
from monitor.metrics import Metrics
from monitor.store import Store
from monitor.store.views import AlertSummary, StoryView
from monitor.topics import TopicMatcher
from monitor.topics.diagnose import check_rules, nearest
from monitor.websub import WebSub

ReadUrl = Callable[[str], Awaitable[tuple[str, str]]]  # URL -> (title, text); FetchError if it cannot


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass
class Console:
    store: Store
    matcher: TopicMatcher
    metrics: Metrics
    clock: Callable[[], datetime]
    read_url: ReadUrl
    warnings: tuple[str, ...] = ()  # why some alerts would go to no channel
    websub: WebSub | None = None  # hubs' callbacks (the service only; `monitor web` takes none)
    on_push: Callable[[str, bytes, str], None] | None = None  # (source, feed, content type): process it

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            self.store.views.ping()
            last, pending = self.store.views.last_poll(), self.store.views.pending()
        except StoreError as exc:
            reason = f"unreachable: {exc}"
            return 503, {"status": "error", "database": reason, "last_poll": None, "pending_deliveries": None}
        body = {"status": "ok", "database": "ok", "last_poll": iso(last), "pending_deliveries": pending}
        return 200, body | {"warnings": list(self.warnings)}

    def sources(self) -> list[dict[str, Any]]:
        return [
            {
                "name": s.name,
                "url": s.url,
                "kind": s.kind,
                "health": s.health,
                "last_poll": iso(s.last_poll),
                "next_poll": iso(s.next_poll),
                "backlog": s.backlog,
                "polls": s.polls,
                "not_modified": s.not_modified,
                "last_error": s.last_error,
            }
            for s in self.store.views.sources()
        ]

    def stories(self, limit: int) -> list[dict[str, Any]]:
        return [_story(s) for s in self.store.views.stories(limit)]

    def alerts(self, limit: int) -> list[dict[str, Any]]:
        return [_alert(a) for a in self.store.views.alerts(limit)]

    def websub_verify(self, token: str, query: dict[str, str]) -> tuple[int, str]:
        if self.websub is None:
            return 404, "no WebSub here"
        return self.websub.verify(token, query)

    def websub_push(self, token: str, body: bytes, signature: str | None, content_type: str) -> int:
        """202 when the push is taken (processed in the background), 403 when it is refused."""
        if self.websub is None or self.on_push is None:
            return 404
        source = self.websub.accept(token, body, signature)
        if source is None:
            return 403
        self.on_push(source, body, content_type)
        return 202

    def retry(self, alert_id: str) -> int | None:
        """Make the alert's unsent deliveries due now; None when there is no such alert."""
        if not self.store.views.alerts(1, alert_id=alert_id):
            return None
        return self.store.outbox.retry(now=self.clock(), alert_id=alert_id, exact=True)

    async def test_topics(self, *, title: str = "", text: str = "", url: str = "") -> list[dict[str, Any]]:
        if url:
            title, text = await self.read_url(url)
        found = []
        for result in self.matcher.evaluate(title, text):
            checks = check_rules(self.matcher, result.topic, title, text)
            near = nearest(checks)
            why = "; ".join(result.rules) if result.rules else (near.describe() if near else "no rules")
            found.append(
                {
                    "topic": result.topic,
                    "verdict": "match" if result.is_match else "no match",
                    "score": result.score,
                    "threshold": result.threshold,
                    "rule": why,
                    "rules": list(result.rules),
                    "evidence": [
                        {"term": e.term, "sentence": e.sentence, "start": e.start, "end": e.end, "rule": e.rule}
                        for e in result.evidence
                    ],
                }
            )
        return found


def _story(story: StoryView) -> dict[str, Any]:
    return {
        "id": story.id,
        "headline": story.headline,
        "first_seen": iso(story.first_seen),
        "last_seen": iso(story.last_seen),
        "copies": [
            {
                "article_id": c.article_id,
                "source": c.source,
                "url": c.url,
                "language": c.language,
                "joined_by": c.joined_by,
                "why": c.why,
                "seen": iso(c.seen),
            }
            for c in story.copies
        ],
        "alerts": [{"id": a.id, "topic": a.topic, "kind": a.kind} for a in story.alerts],
    }


def _alert(alert: AlertSummary) -> dict[str, Any]:
    article = alert.article
    return {
        "id": alert.id,
        "topic": alert.topic,
        "kind": alert.kind,
        "created": iso(alert.created),
        "story": alert.story_id,
        "article": None
        if article is None
        else {
            "title": article.title,
            "url": article.url,
            "source": article.source,
            "language": article.language,
            "published": iso(article.published),
        },
        "source_change": alert.detail if article is None else None,
        "deliveries": [
            {
                "channel": d.channel,
                "status": d.status,
                "attempts": d.attempts,
                "next_attempt": iso(d.next_attempt) if d.status == "pending" else None,
                "last_error": d.last_error,
            }
            for d in alert.deliveries
        ],
    }
