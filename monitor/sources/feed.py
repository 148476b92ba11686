"""RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom feeds, read by feedparser."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from monitor.domain import Candidate
from monitor.errors import SourceError


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed: time.struct_time | None = entry.get(key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


@dataclass(frozen=True, slots=True)
class Feed:
    articles: list[Candidate]
    ttl: float | None  # RSS <ttl>, in seconds
    hub: str | None = None  # a WebSub hub the feed names (<link rel="hub">)
    topic: str | None = None  # its own URL for the hub (<link rel="self">)


def _ttl(parsed: Any) -> float | None:
    value = str(parsed.get("feed", {}).get("ttl") or "").strip()
    return float(value) * 60 if value.isdigit() and int(value) > 0 else None


def read_feed(content: bytes, base_url: str) -> Feed:
    parsed = feedparser.parse(content, response_headers={"content-location": base_url})
    if parsed.get("bozo") and not parsed.entries and not parsed.get("version"):  # an empty feed is a feed
        reason = parsed.get("bozo_exception")
        raise SourceError(f"not a readable feed: {reason}")
    if not parsed.get("version") and not parsed.entries:
        raise SourceError("not a readable feed: no RSS or Atom root element")
    found = []
    for entry in parsed.entries:
        link = entry.get("link") or entry.get("id")
        if not link or not str(link).startswith(("http://", "https://")):
            continue
        found.append(Candidate(url=str(link), title=entry.get("title"), published=_when(entry)))
    hub, topic = _hub(parsed)
    return Feed(found, _ttl(parsed), hub, topic)


def _hub(parsed: Any) -> tuple[str | None, str | None]:
    """WebSub discovery in the feed (W3C WebSub §4): <link rel="hub"> and <link rel="self">."""
    found: dict[str, str] = {}
    for link in parsed.get("feed", {}).get("links", []):
        rel, href = str(link.get("rel", "")), str(link.get("href", ""))
        if rel in ("hub", "self") and href.startswith(("http://", "https://")):
            found.setdefault(rel, href)
    return found.get("hub"), found.get("self")
