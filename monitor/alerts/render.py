"""What an alert looks like on the wire: the webhook JSON (contract), email and digests.

Email and digest bodies come from Jinja2 templates (`monitor/alerts/templates`), which a
`templates/` folder beside the config can override file by file. HTML templates are
autoescaped; headers are built from sanitised single lines, so an article title cannot
add a header.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from monitor.domain import AlertView, Evidence

MAX_SUBJECT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def payload(alert: AlertView) -> dict[str, Any]:
    """The webhook body: DESIGN.md's contract, plus `kind` (match | surge | source)."""
    if alert.health is not None:  # an operator alert: a source changed health
        change = alert.health
        return {
            "id": alert.id,
            "topic": alert.topic,
            "kind": alert.kind,
            "source": {
                "name": change.source,
                "url": change.url,
                "state": change.state,
                "previous": change.previous,
                "reason": change.reason,
            },
            "created": _iso(alert.created),
        }
    article = alert.article
    return {
        "id": alert.id,
        "topic": alert.topic,
        "kind": alert.kind,
        "article": {
            "url": article.url,
            "title": article.title,
            "source": article.source,
            "published": _iso(article.published),
            "language": article.language,
            "snippet": alert.snippet,
        },
        "story": {"id": alert.story_id, "copies": alert.story_copies},
        "matches": [{"term": e.term, "sentence": e.sentence, "rule": e.rule} for e in alert.matches],
        "created": _iso(alert.created),
    }


def one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    """No line breaks or control characters (no header injection), bounded length."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def highlight(sentence: str, hits: Sequence[Evidence]) -> Markup:
    """The sentence escaped, each hit wrapped in <mark>; overlapping hits are merged."""
    spans = sorted((e.start, e.end) for e in hits if 0 <= e.start < e.end <= len(sentence))
    out, cursor = Markup(""), 0
    for first, end in spans:
        start = max(first, cursor)
        if start >= end:
            continue
        out += escape(sentence[cursor:start]) + Markup("<mark>") + escape(sentence[start:end]) + Markup("</mark>")
        cursor = end
    return out + escape(sentence[cursor:])


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    marked: Markup


def _sentences(alert: AlertView) -> list[_Sentence]:
    grouped: dict[str, list[Evidence]] = {}
    for item in alert.matches:
        grouped.setdefault(item.sentence, []).append(item)
    return [_Sentence(sentence, highlight(sentence, hits)) for sentence, hits in grouped.items()]


def subject(alert: AlertView) -> str:
    if alert.health is not None:
        change = alert.health
        return one_line(f"[{alert.topic}] {change.source} is {change.state} (was {change.previous})")
    title = alert.article.title or alert.article.url
    if alert.kind == "surge":
        title = f"Widely reported ({len(alert.other_outlets) + 1} outlets): {title}"
    return one_line(f"[{alert.topic}] {title} — {alert.article.source}")


def _groups(alerts: Sequence[AlertView]) -> list[dict[str, Any]]:
    """Alerts by topic, then by story, in the order they were created."""
    topics: dict[str, dict[str, list[AlertView]]] = {}
    for alert in sorted(alerts, key=lambda a: a.created):
        topics.setdefault(alert.topic, {}).setdefault(alert.story_id, []).append(alert)
    return [
        {
            "topic": topic,
            "stories": [
                {
                    "id": story,
                    "headline": items[0].article.title,
                    "copies": max(a.story_copies for a in items),
                    "alerts": items,
                }
                for story, items in stories.items()
            ],
        }
        for topic, stories in topics.items()
    ]


class Renderer:
    """Renders emails and digests from the templates; built once and passed to channels."""

    def __init__(self, overrides: Path | None = None) -> None:
        loaders: list[Any] = [FileSystemLoader(str(overrides))] if overrides and overrides.is_dir() else []
        self._env = Environment(
            loader=ChoiceLoader([*loaders, PackageLoader("monitor.alerts", "templates")]),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def _render(self, name: str, **context: Any) -> str:
        return self._env.get_template(name).render(**context)

    def text(self, alert: AlertView) -> str:
        if alert.health is not None:
            return self._render("source.txt.j2", alert=alert, change=alert.health)
        return self._render("email.txt.j2", **self._alert_context(alert))

    def digest_text(self, alerts: Sequence[AlertView], channel: str = "") -> str:
        return self._render("digest.txt.j2", groups=_groups(alerts), count=len(alerts), channel=channel)

    @staticmethod
    def _alert_context(alert: AlertView) -> dict[str, Any]:
        return {
            "alert": alert,
            "published": _iso(alert.article.published) or "unknown",
            "terms": ", ".join(dict.fromkeys(e.term for e in alert.matches)),
            "rules": [rule for rule in dict.fromkeys(e.rule for e in alert.matches) if rule],
            "sentences": _sentences(alert),
            "outlets": len(alert.other_outlets) + 1,
        }

    def email(self, alert: AlertView, *, sender: str, to: Sequence[str]) -> EmailMessage:
        message = _message(subject(alert), sender, to, alert.created, message_id=alert.id)
        message["X-Monitor-Alert-Id"] = alert.id
        if alert.health is not None:
            message.set_content(self.text(alert))
            return message
        context = self._alert_context(alert)
        message.set_content(self._render("email.txt.j2", **context))
        message.add_alternative(self._render("email.html.j2", **context), subtype="html")
        return message

    def digest_email(
        self,
        alerts: Sequence[AlertView],
        *,
        sender: str,
        to: Sequence[str],
        channel: str,
        digest_id: str,
        now: datetime,
    ) -> EmailMessage:
        topics = ", ".join(dict.fromkeys(a.topic for a in alerts))
        message = _message(f"Digest: {len(alerts)} alerts ({topics})", sender, to, now, message_id=digest_id)
        message["X-Monitor-Alert-Ids"] = one_line(" ".join(a.id for a in alerts), limit=20000)
        context = {"groups": _groups(alerts), "count": len(alerts), "channel": channel}
        message.set_content(self._render("digest.txt.j2", **context))
        message.add_alternative(self._render("digest.html.j2", **context), subtype="html")
        return message


def _message(title: str, sender: str, to: Sequence[str], when: datetime, *, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = one_line(title)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(when if when.tzinfo else when.replace(tzinfo=UTC))
    # The alert id doubles as the Message-ID: a resend after a crash is recognisable as the same mail.
    domain = sender.rpartition("@")[2] or "monitor.local"
    message["Message-ID"] = f"<{message_id}@{domain}>"
    return message
