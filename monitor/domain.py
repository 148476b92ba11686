"""Domain objects: frozen dataclasses passed between stages.

SQLAlchemy rows never leave `monitor.store`; the repository converts them to these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SourceKind(StrEnum):
    FEED = "feed"
    SITEMAP = "sitemap"
    PAGE = "page"


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about a source between polls."""

    name: str
    etag: str | None = None
    last_modified: str | None = None
    next_poll_at: datetime | None = None
    last_error: str | None = None
    error_count: int = 0  # failed polls in a row
    refusals: int = 0  # 403/429 answers in a row
    last_new_at: datetime | None = None
    publish_gap: float | None = None  # usual seconds between new items
    poll_interval: float | None = None
    health: str = "new"
    read_ok: bool = False  # a poll has read the source successfully at least once
    refusal_rules: str | None = None  # the settings that decided what was refused at its last poll


@dataclass(frozen=True, slots=True)
class SourceHealthChange:
    """An operator alert: a source went from one health state to another."""

    source: str
    url: str
    previous: str
    state: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A link a source reader found: maybe an article, not yet fetched."""

    url: str
    title: str | None = None
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    status: int
    content: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None
    max_age: float | None = None  # Cache-Control max-age: the server's own word on freshness
    links: str | None = None  # the Link header (RFC 8288): where a WebSub hub may be named


@dataclass(frozen=True, slots=True)
class NotModified:
    url: str


@dataclass(frozen=True, slots=True)
class Extracted:
    """Main text and metadata trafilatura found in one page."""

    url: str
    title: str
    text: str
    language: str
    published: datetime | None
    canonical_url: str | None
    author: str | None


@dataclass(frozen=True, slots=True)
class Rejected:
    url: str
    reason: str


@dataclass(frozen=True, slots=True)
class Article:
    source: str
    url: str
    canonical_url: str
    title: str
    text: str
    language: str
    published: datetime | None
    fetched_at: datetime
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Fingerprint:
    exact: str
    minhash: tuple[int, ...]
    bands: tuple[str, ...]
    shingles: bytes = b""  # sorted unique uint32 hashes of the text's shingles


@dataclass(frozen=True, slots=True)
class Evidence:
    """One hit of a term: the term as written in the rules, the sentence and offsets in it, the rule it served."""

    term: str
    sentence: str
    start: int
    end: int
    rule: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    topic: str
    score: float
    evidence: tuple[Evidence, ...]

    @property
    def snippet(self) -> str:
        return self.evidence[0].sentence if self.evidence else ""


@dataclass(frozen=True, slots=True)
class Join:
    """Why an article is in its story: kept with the article, shown by `monitor stories` and in alerts."""

    how: str  # new-story | same-text | near-duplicate | other-language | split
    article_id: int | None = None  # the stored article it is a copy of
    jaccard: float | None = None
    containment: float | None = None
    keys: tuple[str, ...] = ()  # the language-independent keys both reports have
    score: float | None = None

    def describe(self) -> str:
        if self.how == "same-text":
            return f"same text as article {self.article_id}"
        if self.how == "near-duplicate":
            return (
                f"near-duplicate of article {self.article_id} "
                f"(Jaccard {self.jaccard:.2f}, containment {self.containment:.2f})"
            )
        if self.how == "other-language":
            return f"another language's report of it: shares {', '.join(self.keys)} (weight {self.score:.1f})"
        if self.how == "split":
            return "split off by hand into a story of its own"
        return "first report of the story"

    def to_json(self) -> str:
        fields: dict[str, object] = {"article": self.article_id, "jaccard": self.jaccard}
        fields |= {"containment": self.containment, "keys": list(self.keys) or None, "score": self.score}
        return json.dumps({k: v for k, v in fields.items() if v is not None})

    @classmethod
    def from_row(cls, how: str | None, detail: str | None) -> Join:
        found = json.loads(detail) if detail else {}
        return cls(
            how=how or "new-story",
            article_id=found.get("article"),
            jaccard=found.get("jaccard"),
            containment=found.get("containment"),
            keys=tuple(found.get("keys", ())),
            score=found.get("score"),
        )


@dataclass(frozen=True, slots=True)
class StoryRef:
    id: str
    copies: int
    is_new: bool


@dataclass(frozen=True, slots=True)
class AlertView:
    """Everything a channel needs to send one alert."""

    id: str
    topic: str
    kind: str  # "match"; "surge" when the story reached many outlets; "source" for an operator alert
    created: datetime
    article: Article
    story_id: str
    story_copies: int
    matches: tuple[Evidence, ...]
    other_outlets: tuple[str, ...] = field(default=())
    health: SourceHealthChange | None = None  # set on operator alerts (kind "source")
    story_reports: tuple[str, ...] = ()  # each report of the story and why it is in it

    @property
    def snippet(self) -> str:
        return self.matches[0].sentence if self.matches else ""


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    alert_id: str
    channel: str
    attempts: int
