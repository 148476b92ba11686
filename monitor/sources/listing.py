"""One entry point for every source kind: fetched response -> candidate article links."""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from monitor.domain import Candidate, Fetched, SourceKind
from monitor.errors import SourceError
from monitor.sources.detect import detect_kind
from monitor.sources.feed import read_feed
from monitor.sources.page import read_page
from monitor.sources.sitemap import read_sitemap


@dataclass(frozen=True, slots=True)
class Listing:
    kind: SourceKind
    articles: tuple[Candidate, ...]
    children: tuple[Candidate, ...] = ()  # sitemaps named by a sitemap index
    children_read: tuple[Candidate, ...] = ()  # those of them whose articles are included
    ttl: float | None = None  # seconds the publisher says the listing stays current (RSS <ttl>)
    hub: str | None = None  # a WebSub hub that pushes this listing (feed link or Link header)
    topic: str | None = None  # the URL the hub knows it by


def _unwrapped(fetched: Fetched, max_ratio: int = 100, cap: int = 50_000_000) -> Fetched:
    """Sitemaps are often served as .xml.gz files (not Content-Encoding): open them; drop a BOM."""
    content = fetched.content
    if content[:2] == b"\x1f\x8b":
        limit = min(cap, max(1_000_000, max_ratio * len(content)))  # a gzip bomb stops here
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(content)) as packed:
                content = packed.read(limit + 1)
        except (OSError, EOFError) as exc:
            raise SourceError(f"broken gzip body: {exc}") from None
        if len(content) > limit:
            raise SourceError(f"gzip body expands beyond {limit} bytes")
    content = content.removeprefix(b"\xef\xbb\xbf").lstrip()
    return replace(fetched, content=content)


def read_listing(fetched: Fetched, kind: SourceKind | None = None, *, max_links: int = 1000) -> Listing:
    """Raise SourceError when the response is not what the kind says (or no kind at all).

    At most `max_links` links are taken; a listing's XML may declare no entities (no billion
    laughs, no external entities), whichever parser reads it.
    """
    fetched = _unwrapped(fetched)
    if kind is None:
        kind = detect_kind(fetched)
        if kind is SourceKind.PAGE and "xml" in fetched.content_type.lower():
            raise SourceError(f"{fetched.content_type} response is neither a feed nor a sitemap")
    return READERS[kind](fetched, max_links)


def _feed(fetched: Fetched, max_links: int) -> Listing:
    refuse_entities(fetched.content)
    feed = read_feed(fetched.content, fetched.url)
    header_hub, header_topic = hub_links(fetched.links)
    return Listing(
        SourceKind.FEED,
        tuple(feed.articles[:max_links]),
        ttl=feed.ttl,
        hub=header_hub or feed.hub,
        topic=header_topic or feed.topic or fetched.url,
    )


def _sitemap(fetched: Fetched, max_links: int) -> Listing:
    refuse_entities(fetched.content)
    sitemap = read_sitemap(fetched.content)
    return Listing(SourceKind.SITEMAP, sitemap.articles[:max_links], sitemap.children[:max_links])


def _page(fetched: Fetched, max_links: int) -> Listing:
    links = read_page(fetched.content, fetched.url)
    if not links:
        raise SourceError("no article links found on the page")
    return Listing(SourceKind.PAGE, tuple(links[:max_links]))


# The source readers, by kind: a new kind is a reader module, a `SourceKind` member and a line here.
READERS: dict[SourceKind, Callable[[Fetched, int], Listing]] = {
    SourceKind.FEED: _feed,
    SourceKind.SITEMAP: _sitemap,
    SourceKind.PAGE: _page,
}


_LINK = re.compile(r'<([^>]+)>\s*;([^,]*?)\brel="?([^";,]+)"?', re.IGNORECASE)


def hub_links(header: str | None) -> tuple[str | None, str | None]:
    """WebSub discovery in the Link header (RFC 8288): rel="hub" and rel="self"."""
    found: dict[str, str] = {}
    for target, _, rels in _LINK.findall(header or ""):
        for rel in rels.lower().split():
            if rel in ("hub", "self") and target.startswith(("http://", "https://")):
                found.setdefault(rel, target)
    return found.get("hub"), found.get("self")


_DOCTYPE_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")


def refuse_entities(content: bytes) -> None:
    """No feed or sitemap needs its own entities; XML bombs and XXE all do (as defusedxml holds)."""
    root = _ROOT.search(content)
    prolog = content[: root.start()] if root else content
    if _DOCTYPE_ENTITY.search(prolog):
        raise SourceError("XML declares entities (refused: entity expansion and external entities)")
