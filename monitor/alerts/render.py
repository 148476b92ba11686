"""What an alert looks like on the wire: the webhook JSON (contract) and the email."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from monitor.domain import AlertView, Evidence


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def payload(alert: AlertView) -> dict[str, Any]:
    """The webhook body, exactly as DESIGN.md's contract lays it out."""
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
        "matches": [{"term": e.term, "sentence": e.sentence} for e in alert.matches],
        "created": _iso(alert.created),
    }


def _highlight(sentence: str, hits: list[Evidence]) -> str:
    """Escape the sentence and wrap each hit in <mark>; overlapping hits are merged."""
    spans = sorted((e.start, e.end) for e in hits if 0 <= e.start < e.end <= len(sentence))
    out, cursor = [], 0
    for first, end in spans:
        start = max(first, cursor)
        if start >= end:
            continue
        out.append(html.escape(sentence[cursor:start]))
        out.append(f"<mark>{html.escape(sentence[start:end])}</mark>")
        cursor = end
    out.append(html.escape(sentence[cursor:]))
    return "".join(out)


def _by_sentence(alert: AlertView) -> dict[str, list[Evidence]]:
    grouped: dict[str, list[Evidence]] = {}
    for item in alert.matches:
        grouped.setdefault(item.sentence, []).append(item)
    return grouped


def subject(alert: AlertView) -> str:
    title = " ".join(alert.article.title.split()) or alert.article.url
    if alert.kind == "surge":
        title = f"Widely reported ({len(alert.other_outlets) + 1} outlets): {title}"
    return f"[{alert.topic}] {title} — {alert.article.source}"


def email_message(alert: AlertView, *, sender: str, to: tuple[str, ...]) -> EmailMessage:
    article = alert.article
    grouped = _by_sentence(alert)
    terms = ", ".join(dict.fromkeys(e.term for e in alert.matches))
    others = ", ".join(alert.other_outlets)
    published = _iso(article.published) or "unknown"
    text_lines = [
        f"Topic: {alert.topic}",
        f"Title: {article.title}",
        f"Outlet: {article.source}",
        f"Published: {published}",
        f"Link: {article.url}",
        f"Story: {alert.story_id} ({alert.story_copies} copies{'; also in ' + others if others else ''})",
        f"Matched terms: {terms}",
        "",
        "Evidence:",
        *(f"  > {sentence}" for sentence in grouped),
    ]
    evidence_html = "".join(
        f"<blockquote>{_highlight(sentence, hits)}</blockquote>" for sentence, hits in grouped.items()
    )
    also = f"<p>Also reported by: {html.escape(others)}</p>" if others else ""
    body_html = (
        "<html><body>"
        f"<p><b>{html.escape(alert.topic)}</b></p>"
        f'<h2><a href="{html.escape(article.url, quote=True)}">{html.escape(article.title)}</a></h2>'
        f"<p>{html.escape(article.source)} · {html.escape(published)} · {html.escape(article.language)}</p>"
        f"{evidence_html}"
        f"<p>Story {html.escape(alert.story_id)}: {alert.story_copies} copies</p>{also}"
        f'<p><a href="{html.escape(article.url, quote=True)}">Read the article</a></p>'
        "</body></html>"
    )
    message = EmailMessage()
    message["Subject"] = subject(alert)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(alert.created if alert.created.tzinfo else alert.created.replace(tzinfo=UTC))
    # The alert id doubles as the Message-ID: a resend after a crash is recognisable as the same mail.
    domain = sender.rpartition("@")[2] or "monitor.local"
    message["Message-ID"] = f"<{alert.id}@{domain}>" if alert.id else make_msgid()
    message["X-Monitor-Alert-Id"] = alert.id
    message.set_content("\n".join(text_lines))
    message.add_alternative(body_html, subtype="html")
    return message
