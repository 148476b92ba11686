"""One entry point for every source kind: fetched response -> candidate article links."""

from __future__ import annotations

from dataclasses import dataclass

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


def read_listing(fetched: Fetched, kind: SourceKind | None = None) -> Listing:
    """Raise SourceError when the response is not what the kind says (or no kind at all)."""
    if kind is None:
        kind = detect_kind(fetched)
        if kind is SourceKind.PAGE and "xml" in fetched.content_type.lower():
            raise SourceError(f"{fetched.content_type} response is neither a feed nor a sitemap")
    if kind is SourceKind.FEED:
        return Listing(kind, tuple(read_feed(fetched.content, fetched.url)))
    if kind is SourceKind.SITEMAP:
        sitemap = read_sitemap(fetched.content)
        return Listing(kind, sitemap.articles, sitemap.children)
    links = read_page(fetched.content, fetched.url)
    if not links:
        raise SourceError("no article links found on the page")
    return Listing(kind, tuple(links))
